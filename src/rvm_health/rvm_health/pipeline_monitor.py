"""Rates, staleness and states of the pipeline components, from their status topics.

Modelled on diagnostic_updater's FrequencyStatus/TimeStampStatus: a rate over a
sliding window compared with [min_hz*(1-tolerance), max_hz*(1+tolerance)], and
a staleness timeout.  The rate comes from a counter in the status payload
(frames published/processed), else a rate field, else - only for components
configured with neither, such as item verdicts - the arrival rate of messages.
No rate (None) is given until it can be measured over at least ``MIN_SPAN_S``.
"""
from __future__ import annotations

import math
from collections import deque
from typing import Any

from rvm_health.health_rules import ComponentSpec
from rvm_health.readings import ERROR, OK, STALE, WARN

#: Shortest span a rate is computed over (two messages microseconds apart give no rate, not 1e9
#: Hz).
MIN_SPAN_S = 0.5
#: Window of the ``bridge_thread_restarts_10m`` metric (seconds).
RESTART_WINDOW_S = 600.0


class ComponentMonitor:
    """Watches one component's status topic."""

    def __init__(self, spec: ComponentSpec, started_at: float) -> None:
        self.spec = spec
        self.started_at = started_at
        self.last_seen: float | None = None
        self.messages = 0
        self.state: str | None = None
        self.detail = ''
        self.last_payload: dict[str, Any] = {}
        self.down_since: float | None = None
        self._arrivals: deque[float] = deque()
        self._counts: deque[tuple[float, float]] = deque()
        self._rate_value: float | None = None

    def observe(self, payload: dict[str, Any], now: float) -> None:
        """Record one status message."""
        self.last_seen = now
        self.messages += 1
        self.last_payload = payload
        self._arrivals.append(now)
        state = _first(payload, self.spec.state_fields)
        self.state = str(state).lower() if state is not None else None
        detail = payload.get('reason') or payload.get('last_error') or payload.get('detail') or ''
        self.detail = str(detail) if detail else ''
        if self.is_down_state():
            if self.down_since is None:
                self.down_since = now
        else:
            self.down_since = None
        count = _first(payload, self.spec.count_fields)
        if _is_number(count):
            if self._counts and count < self._counts[-1][1]:
                self._counts.clear()  # counter reset (component restarted)
            self._counts.append((now, float(count)))
        rate = _first(payload, self.spec.rate_fields)
        self._rate_value = float(rate) if _is_number(rate) else None
        self._prune(now)

    def _prune(self, now: float) -> None:
        horizon = now - self.spec.window_s
        while self._arrivals and self._arrivals[0] < horizon:
            self._arrivals.popleft()
        while len(self._counts) > 1 and self._counts[0][0] < horizon:
            self._counts.popleft()

    def is_down_state(self) -> bool:
        return self.state is not None and self.state in self.spec.offline_states

    def rate(self, now: float) -> float | None:
        """Hz over the window; None when it cannot be measured (yet)."""
        self._prune(now)
        if self.stale(now):
            return 0.0 if self.last_seen is not None else None
        if len(self._counts) >= 2:
            (t0, c0), (t1, c1) = self._counts[0], self._counts[-1]
            return round((c1 - c0) / (t1 - t0), 3) if t1 - t0 >= MIN_SPAN_S else None
        if self._rate_value is not None:
            return round(self._rate_value, 3)
        if not self.spec.count_fields and not self.spec.rate_fields and self.last_seen is not None:
            return self._arrival_rate(now)
        return None

    def _arrival_rate(self, now: float) -> float | None:
        """Messages per second: over the whole window once a window has been watched; before that
        (warm-up) over first-arrival..now, needing two arrivals at least MIN_SPAN_S apart."""
        if now - self.started_at >= self.spec.window_s:
            return round(len(self._arrivals) / self.spec.window_s, 3)
        if len(self._arrivals) < 2 or now - self._arrivals[0] < MIN_SPAN_S:
            return None
        return round((len(self._arrivals) - 1) / (now - self._arrivals[0]), 3)

    def age(self, now: float) -> float | None:
        return None if self.last_seen is None else max(0.0, now - self.last_seen)

    def stale(self, now: float) -> bool:
        """No message for stale_after_s (counted from start when none ever came)."""
        if self.spec.stale_after_s <= 0:
            return False
        since = self.last_seen if self.last_seen is not None else self.started_at
        return now - since > self.spec.stale_after_s

    def silent_for(self, now: float) -> float:
        """Seconds since the last message (or since start)."""
        return now - (self.last_seen if self.last_seen is not None else self.started_at)

    def down_for(self, now: float) -> float:
        """Seconds the component has been in an offline state (0 when it is not)."""
        return 0.0 if self.down_since is None else now - self.down_since

    def problem(self, now: float) -> str | None:
        """Why this component is not working, or None."""
        topic = self.spec.topic
        if self.stale(now):
            if self.last_seen is None:
                return f'{self.spec.name}: no status on {topic} since start'
            return (
                f'{self.spec.name}: no status on {topic} for more than'
                f' {self.spec.stale_after_s:g} s'
            )
        if self.is_down_state():
            return f'{self.spec.name}: {self.state}' + (f' ({self.detail})' if self.detail else '')
        return None

    def diagnostic(self, now: float) -> tuple[int, str, dict[str, str]]:
        """(level, message, values) in FrequencyStatus style."""
        spec = self.spec
        rate = self.rate(now)
        age = self.age(now)
        values = {
            'topic': spec.topic, 'state': self.state or '', 'messages': str(self.messages),
            'rate_hz': '' if rate is None else f'{rate:.2f}', 'min_hz': f'{spec.min_hz:g}',
            'max_hz': f'{spec.max_hz:g}', 'tolerance': f'{spec.tolerance:g}',
            'window_s': f'{spec.window_s:g}', 'age_s': '' if age is None else f'{age:.1f}',
            'required': str(spec.required).lower()}
        if self.detail:
            values['detail'] = self.detail
        if self.stale(now):
            return STALE, self.problem(now) or 'stale', values
        if self.last_seen is None:
            if spec.stale_after_s <= 0:
                return OK, f'no message on {spec.topic} yet', values
            return STALE, f'waiting for the first status on {spec.topic}', values
        if self.is_down_state():
            return (ERROR if spec.required else WARN), self.problem(now) or 'down', values
        if rate is not None and spec.min_hz > 0 and rate < spec.min_hz * (1 - spec.tolerance):
            return WARN, f'frequency too low: {rate:.2f} Hz < {spec.min_hz:g} Hz', values
        if rate is not None and spec.max_hz > 0 and rate > spec.max_hz * (1 + spec.tolerance):
            return WARN, f'frequency too high: {rate:.2f} Hz > {spec.max_hz:g} Hz', values
        return OK, f'{self.state or "ok"}' + ('' if rate is None else f', {rate:.2f} Hz'), values


class PipelineMonitor:
    """All component monitors, by topic and by name."""

    def __init__(self, specs: tuple[ComponentSpec, ...], started_at: float) -> None:
        self.components = {spec.name: ComponentMonitor(spec, started_at) for spec in specs}
        self._by_topic = {spec.topic: self.components[spec.name] for spec in specs}
        self.restarts = RestartWatch()

    def observe(self, topic: str, payload: dict[str, Any], now: float) -> bool:
        """True when ``topic`` belongs to a watched component."""
        monitor = self._by_topic.get(topic)
        if monitor is None:
            return False
        monitor.observe(payload, now)
        if monitor.spec.name == 'bridge':
            self.restarts.observe(_thread_restarts(payload), now)
        return True

    def required(self) -> list[ComponentMonitor]:
        return [m for m in self.components.values() if m.spec.required]

    def problems(self, now: float, hold_s: float = 0.0, include_unheard: bool = True) -> list[str]:
        """Problems of the required components (these make the RVM state `error`).

        A reported offline state counts once it has held ``hold_s`` (a short
        reconnect does not flip the RVM state); components never heard from count
        only when ``include_unheard`` (i.e. after the startup grace).
        """
        out = []
        for m in self.required():
            if m.last_seen is None and not include_unheard:
                continue
            if m.is_down_state() and not m.stale(now) and m.down_for(now) < hold_s:
                continue
            if (p := m.problem(now)):
                out.append(p)
        return out

    def all_silent(self, now: float, silent_s: float) -> bool:
        """Every required component silent for ``silent_s`` (the graph is not running)."""
        required = self.required()
        return bool(required) and all(m.silent_for(now) >= silent_s for m in required)

    def section(self, now: float) -> dict[str, Any]:
        """The ``pipeline`` part of health-updated."""
        out: dict[str, Any] = {}
        for name in ('camera', 'detector'):
            if name in self.components:
                out[f'{name}_fps'] = self.components[name].rate(now)
        bridge = self.components.get('bridge')
        out['bridge_state'] = None if bridge is None else (
            'stale' if bridge.last_seen is not None and bridge.stale(now) else bridge.state)
        outbox = _outbox_depth(bridge.last_payload) if bridge is not None else None
        if outbox is not None:
            out['outbox_depth'] = outbox
        restarts = _thread_restarts(bridge.last_payload) if bridge is not None else None
        if restarts is not None:
            out['bridge_thread_restarts'] = sum(restarts.values())
            out['bridge_threads_restarted'] = {k: n for k, n in restarts.items() if n > 0}
        out['components'] = {
            name: {
                'state': m.state, 'rate_hz': m.rate(now),
                'age_s': None if (a := m.age(now)) is None else round(a, 1), 'stale': m.stale(now)}
            for name, m in self.components.items()
        }
        return out

    def metrics(self, now: float) -> dict[str, float | None]:
        """<name>_fps and <name>_offline_s per component, plus outbox_depth."""
        out: dict[str, float | None] = {}
        for name, m in self.components.items():
            # a stale component's rate is not measured here: the state machine reports staleness
            out[f'{name}_fps'] = None if m.stale(now) else m.rate(now)
            out[f'{name}_offline_s'] = (
                round(m.down_for(now), 3) if m.last_seen is not None else None)
        bridge = self.components.get('bridge')
        out['outbox_depth'] = _outbox_depth(bridge.last_payload) if bridge is not None else None
        out['bridge_thread_restarts_10m'] = self.restarts.recent(now)
        return out


class RestartWatch:
    """Bridge thread restarts (``threads.restarts`` of bridge/status) within the last 10 min.

    The bridge reports totals since it started; the watch keeps the increments.  A total that
    falls (the bridge process restarted) counts from 0 again; the first total heard is the
    baseline (restarts before health heard the bridge are in the payload, not in the metric).
    """

    def __init__(self, window_s: float = RESTART_WINDOW_S) -> None:
        self.window_s = window_s
        self._last: int | None = None
        self._increments: deque[tuple[float, int]] = deque()

    def observe(self, restarts: dict[str, int] | None, now: float) -> None:
        """Record the totals of one bridge status (None: it carries none)."""
        if restarts is None:
            return
        total = sum(restarts.values())
        if self._last is not None:
            step = total - self._last if total >= self._last else total
            if step:
                self._increments.append((now, step))
        self._last = total

    def recent(self, now: float) -> float | None:
        """Restarts within the window; None until a bridge status with ``threads`` arrived."""
        while self._increments and self._increments[0][0] < now - self.window_s:
            self._increments.popleft()
        if self._last is None:
            return None
        return float(sum(step for _, step in self._increments))


def _first(payload: dict[str, Any], keys: tuple[str, ...]) -> Any:
    for key in keys:
        if key in payload and payload[key] is not None:
            return payload[key]
    return None


def _is_number(value: Any) -> bool:
    """A finite int/float (NaN/inf from a buggy publisher breaks JSON with allow_nan=False)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _thread_restarts(payload: dict[str, Any]) -> dict[str, int] | None:
    """``threads.restarts`` of a bridge status ({thread: n}; [] from PHP = {}), else None."""
    threads = payload.get('threads')
    restarts = threads.get('restarts') if isinstance(threads, dict) else None
    if restarts == []:
        return {}
    if not isinstance(restarts, dict):
        return None
    return {str(k): int(v) for k, v in restarts.items() if _is_number(v) and v >= 0}


def _outbox_depth(payload: dict[str, Any]) -> int | None:
    value = payload.get('outbox_depth')
    if value is None and isinstance(payload.get('outbox'), dict):
        value = payload['outbox'].get('depth')
    return max(0, int(value)) if _is_number(value) else None
