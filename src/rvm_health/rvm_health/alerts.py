"""Threshold alerts with hysteresis and minimum durations (no flapping).

Each :class:`AlertTracker` is a four-state machine::

    inactive --(past raise threshold)--> raising --(held raise_after_s)--> active
    raising  --(back before threshold)--> inactive
    active   --(past clear threshold)--> clearing --(held clear_after_s)--> inactive
    clearing --(not past clear threshold)--> active

Between the clear and raise thresholds nothing changes, so noise around one
threshold cannot toggle the alert.  An unmeasured metric (None) changes nothing.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterable

from rvm_health.health_rules import AlertRule


@dataclass(frozen=True)
class ActiveAlert:
    """An alert as published in status-updated (``since`` is the raise time, monotonic)."""

    id: str
    kind: str
    level: str
    message: str
    since: float


class AlertTracker:
    """Hysteresis state of one :class:`AlertRule`."""

    def __init__(self, rule: AlertRule) -> None:
        self.rule = rule
        self.active = False
        self.since: float | None = None       # when it became active
        self.pending_since: float | None = None  # when the raise/clear condition started holding
        self.message = ''
        self.last_value: float | None = None
        self.raised_count = 0

    def _past_raise(self, value: float) -> bool:
        r = self.rule
        if r.rising:
            return value > r.raise_above  # type: ignore[operator]
        return value < r.raise_below  # type: ignore[operator]

    def _past_clear(self, value: float) -> bool:
        r = self.rule
        if r.rising:
            return value < r.clear_below  # type: ignore[operator]
        return value > r.clear_above  # type: ignore[operator]

    def update(self, value: float | None, now: float) -> bool:
        """Feed one metric value; True when the alert was raised or cleared by it."""
        if value is None:
            return False
        self.last_value = value
        if not self.active:
            if not self._past_raise(value):
                self.pending_since = None
                return False
            if self.pending_since is None:
                self.pending_since = now
            if now - self.pending_since >= self.rule.raise_after_s:
                self.active, self.since, self.pending_since = True, now, None
                self.raised_count += 1
                self.message = self.rule.message.format(value=value, threshold=self.rule.threshold)
                return True
            return False
        if not self._past_clear(value):
            self.pending_since = None
            return False
        if self.pending_since is None:
            self.pending_since = now
        if now - self.pending_since >= self.rule.clear_after_s:
            self.active, self.since, self.pending_since = False, None, None
            return True
        return False

    def snapshot(self) -> ActiveAlert | None:
        if not self.active or self.since is None:
            return None
        r = self.rule
        return ActiveAlert(r.id, r.kind, r.level, self.message, self.since)


class AlertBook:
    """All alert trackers; evaluates them against a metrics dict."""

    def __init__(self, rules: Iterable[AlertRule]) -> None:
        self.trackers = [AlertTracker(rule) for rule in rules]

    def update(self, metrics: dict[str, float | None], now: float) -> bool:
        """True when any alert was raised or cleared."""
        changed = False
        for tracker in self.trackers:
            changed |= tracker.update(metrics.get(tracker.rule.metric), now)
        return changed

    def active(self) -> list[ActiveAlert]:
        return [a for t in self.trackers if (a := t.snapshot()) is not None]

    def as_payload(self, to_iso: Callable[[float], str]) -> list[dict[str, Any]]:
        """The ``alerts`` list of status-updated."""
        return [
            {
                'id': a.id, 'kind': a.kind, 'level': a.level, 'message': a.message,
                'since': to_iso(a.since)}
            for a in self.active()
        ]
