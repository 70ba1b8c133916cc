"""The demo's stand-in for MyRVM's database: what ``GET /api/v2/rvm/{rvm_id}/state`` answers.

Laravel stores every event it receives and serves an operator the machine's last status, health
and timezone and its last 50 verdicts with their crops (docs/laravel.md, "Catch-up"). The demo has
no Laravel: :class:`ServerState` records the payloads the runner hands its bridge (``record`` is
a TopicBus subscriber) and :meth:`ServerState.snapshot` gives the same JSON document, so a
dashboard opened after the run, or reconnected after an outage, shows what it missed.
"""
from __future__ import annotations

import copy
import threading
from collections import deque
from typing import Any

from rvm_common import events

#: Verdicts kept per machine (the endpoint's "last 50").
MAX_VERDICTS = 50
#: Session summaries kept per machine.
MAX_SESSIONS = 20
#: The endpoint's path, for one machine.
STATE_PATH = '/api/v2/rvm/{rvm_id}/state'
LATEST = {events.TOPIC_RVM_STATUS: 'status', events.TOPIC_HEALTH: 'health',
          events.TOPIC_TIMEZONE: 'timezone'}


def state_path(rvm_id: str) -> str:
    """The state endpoint's path of ``rvm_id``."""
    return STATE_PATH.format(rvm_id=rvm_id)


class ServerState:
    """Newest status / health / timezone and the last verdicts and sessions, per machine."""

    def __init__(self, max_verdicts: int = MAX_VERDICTS) -> None:
        self.max_verdicts = max_verdicts
        self._lock = threading.Lock()
        self._machines: dict[str, dict[str, Any]] = {}

    def _machine(self, rvm_id: str) -> dict[str, Any]:
        return self._machines.setdefault(rvm_id, {
            'status': None, 'health': None, 'timezone': None,
            'verdicts': deque(maxlen=self.max_verdicts), 'sessions': deque(maxlen=MAX_SESSIONS)})

    def record(self, topic: str, payload: dict[str, Any]) -> None:
        """Store one outbound event (other topics are ignored), as Laravel would on receipt."""
        rvm_id = payload.get('rvm_id') if isinstance(payload, dict) else None
        if not rvm_id:
            return
        with self._lock:
            machine = self._machine(rvm_id)
            if topic in LATEST:
                machine[LATEST[topic]] = copy.deepcopy(payload)
            elif topic == events.TOPIC_VERDICT:
                kept = machine['verdicts']
                if all(v.get('event_id') != payload.get('event_id') for v in kept):
                    kept.append(copy.deepcopy(payload))
            elif topic == events.TOPIC_SESSION:
                machine['sessions'].append(copy.deepcopy(payload))

    def machines(self) -> list[str]:
        """Every machine heard from."""
        with self._lock:
            return sorted(self._machines)

    def snapshot(self, rvm_id: str, limit: int = MAX_VERDICTS) -> dict[str, Any] | None:
        """The endpoint's document for ``rvm_id`` (None: never heard of); verdicts newest first."""
        with self._lock:
            machine = self._machines.get(rvm_id)
            if machine is None:
                return None
            verdicts = list(machine['verdicts'])[::-1][:max(0, limit)]
            return copy.deepcopy({
                'rvm_id': rvm_id, 'generated_at': events.utc_iso(),
                'status': machine['status'], 'health': machine['health'],
                'timezone': machine['timezone'], 'verdicts': verdicts,
                'sessions': list(machine['sessions'])[::-1]})
