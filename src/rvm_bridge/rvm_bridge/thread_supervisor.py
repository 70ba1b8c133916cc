"""Supervised background threads: an exception is logged, counted, and the loop restarted.

Every long-running loop of the bridge (the sender, the socket reader, the auth worker, the job
thread with its timers) runs under a :class:`ThreadSupervisor`.  A loop that returns is done (it
was stopped); a loop that raises is logged with its traceback, counted per thread name, and
started again after a capped backoff (reset once it ran ``healthy_after_s``), so one bug or one
unexpected error never ends delivery for good.  :meth:`ThreadSupervisor.stats` is what health and
``bridge/status`` show (``threads.restarts``).
"""
from __future__ import annotations

import logging
import threading
import time
from typing import Any, Callable

from rvm_common.backoff import Backoff

LOG = logging.getLogger(__name__)


class ThreadSupervisor:
    """Starts named loops as daemon threads and restarts them when they raise."""

    def __init__(self, restart_min_s: float = 0.05, restart_max_s: float = 5.0,
                 healthy_after_s: float = 10.0) -> None:
        self._min, self._max, self._healthy = restart_min_s, restart_max_s, healthy_after_s
        self._lock = threading.Lock()
        self.restarts: dict[str, int] = {}
        self.last_errors: dict[str, str] = {}

    def start(self, name: str, loop: Callable[[], None], stop: threading.Event,
              ) -> threading.Thread:
        """Run ``loop()`` in a thread named ``name`` until it returns or ``stop`` is set."""
        thread = threading.Thread(
            target=self._supervise, args=(name, loop, stop), name=name, daemon=True)
        thread.start()
        return thread

    def _supervise(self, name: str, loop: Callable[[], None], stop: threading.Event) -> None:
        backoff = Backoff(self._min, self._max, healthy_after_s=self._healthy)
        while True:
            started = time.monotonic()
            backoff.succeeded(started)
            try:
                loop()
                return
            except Exception as exc:  # noqa: BLE001 - the point: log, count, restart
                if stop.is_set():
                    return
                delay = backoff.next_delay(time.monotonic())
                with self._lock:
                    self.restarts[name] = self.restarts.get(name, 0) + 1
                    self.last_errors[name] = f'{type(exc).__name__}: {exc}'
                LOG.exception('thread %s failed (restart %d in %.2f s)', name,
                              self.restarts[name], delay)
            if stop.wait(delay):
                return

    def stats(self) -> dict[str, Any]:
        """``{'restarts': {name: n}, 'last_errors': {name: text}}`` (JSON-able)."""
        with self._lock:
            return {'restarts': dict(self.restarts), 'last_errors': dict(self.last_errors)}
