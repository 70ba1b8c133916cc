"""One virtual machine's synthetic event stream (what its detector and health node would publish).

A machine runs deposit sessions: the first verdict of a session turns its status to
``processing`` (a status event: status goes out *on change*), every verdict comes a few
seconds after the previous one (``60 / rate`` s on average, jittered ±50 %), a session
holds 1-5 items and ends with ``session-completed`` and status ``idle``.  Health is
published at its period with a random phase.  The schedule is pure: :meth:`MachineStream.step`
takes ``now`` and returns the due ``(topic, payload)`` pairs, so tests drive it with a fake clock.
"""

from __future__ import annotations

import math
import random
import uuid
from typing import Any

from rvm_common import events

Event = tuple[str, dict[str, Any]]
DURABLE_TOPICS = (events.TOPIC_VERDICT, events.TOPIC_SESSION)
_POLYGON = [
    [
        round(320 + 100 * math.cos(2 * math.pi * k / 32), 1),
        round(240 + 80 * math.sin(2 * math.pi * k / 32), 1)]
    for k in range(32)
]


class MachineStream:
    """Due events: verdicts at ``rate_per_min``, sessions, status on change, periodic health."""

    def __init__(self, rvm_id: str, *, rate_per_min: float = 20.0, health_period_s: float = 5.0,
                 start: float = 0.0, rng: random.Random | None = None) -> None:
        if rate_per_min <= 0 or health_period_s <= 0:
            raise ValueError('rate_per_min and health_period_s must be > 0')
        self.rvm_id = rvm_id
        self.mean_interval_s = 60.0 / rate_per_min
        self.health_period_s = health_period_s
        self._rng = rng or random.Random()
        self.state = 'idle'
        self._session: dict[str, Any] | None = None
        self._items = 0
        self.next_verdict = start + self._interval()
        self.next_health = start + self._rng.random() * health_period_s
        self.counts = {'verdicts': 0, 'sessions': 0, 'status': 0, 'health': 0}

    def _interval(self) -> float:
        return self.mean_interval_s * (0.5 + self._rng.random())

    def due(self) -> float:
        """When the next event is due."""
        return min(self.next_verdict, self.next_health)

    def step(self, now: float) -> list[Event]:
        """The events due at ``now`` (in publishing order); advances the schedule."""
        out: list[Event] = []
        if now >= self.next_health:
            out.append((events.TOPIC_HEALTH, self._health(now)))
            self.next_health += self.health_period_s
            if self.next_health <= now:
                # fell behind (loaded host): do not burst
                self.next_health = now + self.health_period_s
        if now >= self.next_verdict:
            out.extend(self._verdict(now))
            self.next_verdict = now + self._interval()
        return out

    def _verdict(self, now: float) -> list[Event]:
        out: list[Event] = []
        if self._session is None:
            self._session = {
                'session_id': str(uuid.uuid4()), 'started_at': events.utc_iso(), 'accepted': 0,
                'total': 0}
            self._items = self._rng.randint(1, 5)
            out.append(self._status('processing'))
            self.counts['sessions'] += 1
        n = self.counts['verdicts']
        accepted = self._rng.random() < 0.85
        self._session['accepted'] += int(accepted)
        self._session['total'] += 1
        self.counts['verdicts'] += 1
        out.append(
            (
                events.TOPIC_VERDICT,
                events.make_event(
                    events.EVENT_DETECTION_COMPLETED,
                    {
                        'item_id': f'{self.rvm_id}-item-{n}',
                        'session_id': self._session['session_id'], 'category': 'pet_bottle',
                        'class_name': 'pet_bottle', 'confidence': 0.93, 'accepted': accepted,
                        'reason': None if accepted else 'low_confidence',
                        'bbox': {'x1': 220.0, 'y1': 160.0, 'x2': 420.0, 'y2': 320.0},
                        'mask': {'polygon': _POLYGON, 'area_px': 25000, 'area_fraction': 0.081},
                        'frame': {'width': 640, 'height': 480}, 'capture_time': events.utc_iso(),
                        'timings_ms': {
                            'preprocess': 1.0, 'inference': 20.0, 'refine': 0.0,
                            'postprocess': 1.0, 'total': 22.0},
                        'model': 'yolo11n-seg'},
                    rvm_id=self.rvm_id),
            )
        )
        self._items -= 1
        if self._items <= 0:
            s = self._session
            total = s['total']
            out.append(
                (
                    events.TOPIC_SESSION,
                    events.make_event(
                        events.EVENT_SESSION_COMPLETED,
                        {
                            'session_id': s['session_id'], 'started_at': s['started_at'],
                            'ended_at': events.utc_iso(), 'reason': 'door_closed',
                            'counts': {'pet_bottle': s['accepted']}, 'accepted': s['accepted'],
                            'rejected': total - s['accepted'], 'total': total},
                        rvm_id=self.rvm_id),
                )
            )
            self._session = None
            out.append(self._status('idle'))
        return out

    def _status(self, state: str) -> Event:
        previous, self.state = self.state, state
        self.counts['status'] += 1
        return (
            events.TOPIC_RVM_STATUS,
            events.make_event(
                'status-updated',
                {
                    'state': state, 'previous_state': previous, 'reasons': [], 'alerts': [],
                    'since': events.utc_iso(), 'heartbeat': False, 'heartbeat_s': 30.0},
                rvm_id=self.rvm_id),
        )

    def _health(self, now: float) -> dict[str, Any]:
        self.counts['health'] += 1
        return events.make_event(
            'health-updated',
            {
                'state': self.state, 'cpu': {'percent': round(20 + 10 * self._rng.random(), 1)},
                'memory': {'percent': 41.0}, 'disk': [{'path': '/', 'percent': 37.5}],
                'temperatures': {'cpu': 48.0}, 'gpu': None, 'processes': {},
                'pipeline': {'camera': 'ok', 'detector': 'ok'}, 'uptime_s': round(now, 1),
                'heartbeat': True, 'heartbeat_s': self.health_period_s},
            rvm_id=self.rvm_id)
