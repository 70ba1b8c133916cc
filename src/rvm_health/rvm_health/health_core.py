"""The health node's behaviour without ROS: observe status topics, emit RVM status and health.

Composition (runner or rclpy adapter)::

    core = HealthCore(HealthConfig(rvm_id='rvm-01'))
    core.observe(events.TOPIC_CAMERA_STATUS, payload, now)   # any watched topic / command
    for topic, payload in core.update(now): publish(topic, payload)
    statuses = core.diagnostics(now)                          # DiagnosticStatus-shaped dicts
    core.close(now)                                           # final `offline` status

``now`` is a monotonic time in seconds; the first call fixes the start time.
"""
from __future__ import annotations

import json
import time
from typing import Any, Callable

from rvm_common import events
from rvm_health.alerts import AlertBook
from rvm_health.calibration_watch import CalibrationWatch
from rvm_health.health_config import HealthConfig
from rvm_health.health_rules import HealthRules, load_rules
from rvm_health.pipeline_monitor import PipelineMonitor
from rvm_health.readings import ERROR, OK, STALE, WARN
from rvm_health.resource_monitor import ResourceMonitor, build_collectors
from rvm_health.rvm_state import RvmStateMachine, StateInputs

Emitted = list[tuple[str, dict[str, Any]]]
ITEM_TOPICS = (events.TOPIC_VERDICT, events.TOPIC_PROCESSING, events.TOPIC_SESSION,
               events.TOPIC_ITEM_FAILED)     # the durable copy of `failed` updates
_OPEN_ITEM_STATES = ('queued', 'processing')
_STATE_LEVEL = {'error': ERROR, 'maintenance': WARN, 'offline': STALE}


class HealthCore:
    """Resource and pipeline health, RVM status state machine, alerts and diagnostics."""

    def __init__(self, config: HealthConfig, *, rules: HealthRules | None = None,
                 resources: ResourceMonitor | None = None,
                 wall_clock: Callable[[], float] = time.time) -> None:
        self.config = config
        self.rules = rules if rules is not None else load_rules(config.thresholds_file or None)
        self.rvm_id = events.resolve_rvm_id(config.rvm_id)   # one machine id for every core
        self.hardware_id = self.rvm_id   # /diagnostics names the machine as every event does
        self._resources = resources
        self._wall_clock = wall_clock
        self._started_at: float | None = None
        self._wall_offset = 0.0
        self._pipeline: PipelineMonitor | None = None
        self._machine: RvmStateMachine | None = None
        self.alerts = AlertBook(self.rules.alerts)
        self.calibration = CalibrationWatch()   # chamber calibration drift, chamber busy time
        self.maintenance = False
        self.stopping = False
        self.counters = {'malformed': 0, 'unknown_topic': 0, 'unknown_command': 0, 'items': 0,
                         'accepted': 0, 'rejected': 0, 'sessions': 0}
        self.last_error = ''
        self._last_item_at: float | None = None
        self._open_items: dict[str, float] = {}
        self._last_sample: float | None = None
        self._last_health: float | None = None
        # when status-updated was last emitted (heartbeat)
        self._last_status: float | None = None

    # -- lifecycle --------------------------------------------------------------------------
    def _start(self, now: float) -> None:
        if self._started_at is not None:
            return
        self._started_at = now
        self._wall_offset = self._wall_clock() - now
        if self._resources is None:
            self._resources = ResourceMonitor(build_collectors(self.config, now))
        self._pipeline = PipelineMonitor(self.rules.components, now)
        self._machine = RvmStateMachine(now)

    def apply_config(self, config: HealthConfig) -> None:
        """A run-time parameter change: read on every update, and the pollers' period."""
        self.config = config
        if self._resources is not None:
            self._resources.set_sample_period(config.sample_period)

    @property
    def resources(self) -> ResourceMonitor:
        assert self._resources is not None, 'call observe/update first'
        return self._resources

    def startup_notes(self, now: float) -> list[tuple[int, str]]:
        """(level, text) per resource source detected or missing; for the adapter's log."""
        self._start(now)
        return self.resources.startup_notes()

    def close(self, now: float) -> Emitted:
        """Final `offline` status (health node stopping); stops background collectors."""
        self._start(now)
        self.stopping = True
        out = self._evaluate(now, alerts_changed=False)
        self.resources.close()
        return out

    # -- inputs -----------------------------------------------------------------------------
    def observe_raw(self, topic: str, text: str, now: float) -> str | None:
        """Parse a JSON status message and observe it; returns the error text when malformed."""
        try:
            payload = json.loads(text)
        except (ValueError, TypeError) as exc:
            return self._malformed(topic, f'invalid JSON: {exc}')
        return self.observe(topic, payload, now)

    def observe(self, topic: str, payload: dict[str, Any], now: float) -> str | None:
        """Take one message of a watched topic; returns an error text when it was unusable."""
        self._start(now)
        if not isinstance(payload, dict):
            return self._malformed(topic, f'expected a JSON object, got {type(payload).__name__}')
        if topic == events.TOPIC_COMMAND:
            return self._command(payload)
        known = self._pipeline.observe(topic, payload, now)  # type: ignore[union-attr]
        if topic == events.TOPIC_DETECTOR_STATUS:
            self.calibration.observe(payload, now)
        if topic in ITEM_TOPICS:
            self._item_event(topic, payload, now)
        elif not known:
            self.counters['unknown_topic'] += 1
        return None

    def _malformed(self, topic: str, why: str) -> str:
        self.counters['malformed'] += 1
        self.last_error = f'{topic}: {why}'
        return self.last_error

    def _command(self, payload: dict[str, Any]) -> str | None:
        command = payload.get('command')
        if command == 'maintenance_on':
            self.maintenance = True
        elif command == 'maintenance_off':
            self.maintenance = False
        else:
            self.counters['unknown_command'] += 1  # other commands belong to other nodes
        return None

    def _item_event(self, topic: str, payload: dict[str, Any], now: float) -> None:
        if topic == events.TOPIC_SESSION:
            self.counters['sessions'] += 1
            return  # a session summary (often sent on idle timeout) is not item activity
        self._last_item_at = now
        item_id = str(payload.get('item_id', ''))
        if topic == events.TOPIC_VERDICT:
            self.counters['items'] += 1
            self.counters['accepted' if payload.get('accepted') else 'rejected'] += 1
            self._open_items.pop(item_id, None)
        elif topic == events.TOPIC_PROCESSING and item_id:
            if payload.get('status') in _OPEN_ITEM_STATES:
                self._open_items[item_id] = now
            else:
                self._open_items.pop(item_id, None)

    # -- outputs ----------------------------------------------------------------------------
    def update(self, now: float) -> Emitted:
        """Sample resources if due, evaluate alerts and state; status on change, health if due."""
        self._start(now)
        if self._last_sample is None or now - self._last_sample >= self.config.sample_period:
            self.resources.sample(now)
            self._last_sample = now
        alerts_changed = self.alerts.update(self.metrics(now), now)
        out = self._evaluate(now, alerts_changed)
        if self.config.health_rate > 0 and (
            self._last_health is None or now - self._last_health >= 1.0 / self.config.health_rate
        ):
            self._last_health = now
            out.append((events.TOPIC_HEALTH, self.health_payload(now)))
        return out

    def metrics(self, now: float) -> dict[str, float | None]:
        """Resource and pipeline metrics the alert rules refer to."""
        self._start(now)
        resources = self.resources.metrics()
        return {**resources, **self._pipeline.metrics(now),  # type: ignore[union-attr]
                **self.calibration.metrics(now)}

    def _inputs(self, now: float) -> StateInputs:
        timings = self.rules.status
        pipeline = self._pipeline
        assert pipeline is not None and self._started_at is not None
        in_grace = now - self._started_at < timings.startup_grace_s
        errors = pipeline.problems(now, timings.error_after_s, include_unheard=not in_grace)
        errors += [a.message for a in self.alerts.active() if a.kind == 'error']
        silent = not in_grace and pipeline.all_silent(now, timings.offline_after_s)
        horizon = now - timings.idle_after_s
        self._open_items = {k: t for k, t in self._open_items.items() if t >= horizon}
        last_item = self._last_item_at
        processing = bool(self._open_items) or (
            last_item is not None and now - last_item <= timings.processing_hold_s)
        idle = (
            now - (last_item if last_item is not None else self._started_at)
            >= timings.idle_after_s
        )
        return StateInputs(
            stopping=self.stopping, maintenance=self.maintenance, all_silent=silent,
            silent_reason=f'no pipeline component reporting for {timings.offline_after_s:g} s',
            errors=tuple(errors), processing=processing, idle=idle,
            idle_reason=f'no item for {timings.idle_after_s:g} s')

    def _evaluate(self, now: float, alerts_changed: bool) -> Emitted:
        machine = self._machine
        assert machine is not None
        changed = machine.evaluate(self._inputs(now), now)
        period = self.config.status_heartbeat_s
        repeat = period > 0 and self._last_status is not None and now - self._last_status >= period
        if changed or alerts_changed or repeat:
            self._last_status = now
            heartbeat = not (changed or alerts_changed)
            return [(events.TOPIC_RVM_STATUS, self.status_payload(now, heartbeat=heartbeat))]
        return []

    def _iso(self, t: float) -> str:
        return events.utc_iso(t + self._wall_offset)

    @property
    def state(self) -> str:
        return self._machine.status.state if self._machine else 'offline'

    def status_payload(self, now: float, heartbeat: bool = False) -> dict[str, Any]:
        """A status-updated event for the current state (``heartbeat``: a repeat, no change)."""
        status = self._machine.status  # type: ignore[union-attr]
        fields = {'state': status.state, 'previous_state': status.previous_state,
                  'reasons': list(status.reasons), 'alerts': self.alerts.as_payload(self._iso),
                  'since': self._iso(status.since), 'heartbeat': heartbeat,
                  'heartbeat_s': self.config.status_heartbeat_s}
        return events.make_event(events.EVENT_STATUS_UPDATED, fields, rvm_id=self.rvm_id,
                                 timestamp=self._iso_ts(now))

    def health_payload(self, now: float) -> dict[str, Any]:
        """A health-updated event from the latest samples."""
        sections = self.resources.sections()
        pipeline = self._pipeline.section(now)  # type: ignore[union-attr]
        pipeline['items_total'] = self.counters['items']
        pipeline['malformed_messages'] = self.counters['malformed']
        period = 1.0 / self.config.health_rate if self.config.health_rate > 0 else 0.0
        fields = {
            'state': self.state, **sections, 'pipeline': pipeline, 'heartbeat_s': round(period, 3)}
        return events.make_event(events.EVENT_HEALTH_UPDATED, fields, rvm_id=self.rvm_id,
                                 timestamp=self._iso_ts(now))

    def _iso_ts(self, now: float) -> float:
        return now + self._wall_offset

    def diagnostics(self, now: float) -> list[dict[str, Any]]:
        """DiagnosticStatus-like dicts: RVM status, each pipeline component and resource source."""
        self._start(now)
        if self._last_sample is None:
            self.resources.sample(now)
            self._last_sample = now
        status = self._machine.status  # type: ignore[union-attr]
        active = self.alerts.active()
        level = _STATE_LEVEL.get(status.state, OK)
        if level == OK and active:
            level = WARN
        values = {'state': status.state, 'previous_state': status.previous_state,
                  'since': self._iso(status.since), 'maintenance': str(self.maintenance).lower(),
                  **{f'counter.{k}': str(v) for k, v in self.counters.items()}}
        values.update({f'alert.{a.id}': f'[{a.kind}/{a.level}] {a.message}' for a in active})
        if self.last_error:
            values['last_error'] = self.last_error
        out = [{'name': 'rvm_health: RVM status', 'hardware_id': self.hardware_id, 'level': level,
                'message': f'{status.state}: ' + '; '.join(status.reasons), 'values': values}]
        for name, monitor in self._pipeline.components.items():  # type: ignore[union-attr]
            lvl, message, vals = monitor.diagnostic(now)
            out.append({'name': f'rvm_health: pipeline {name}', 'hardware_id': self.hardware_id,
                        'level': lvl, 'message': message, 'values': vals})
        out.extend(self.resources.diagnostics(self.hardware_id))
        return out
