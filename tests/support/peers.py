"""Python side of the real pusher-js peer (tests/support/pusher_listener.mjs).

:class:`PusherListener` runs the official pusher-js client in a Node process,
collects every JSON line it prints (events, state changes, errors, send acks)
and lets a test wait for the one it expects.  Closing stdin ends the process.
"""
from __future__ import annotations

import json
import shutil
import subprocess
import threading
import time
from pathlib import Path
from typing import Any, Callable

SUPPORT = Path(__file__).resolve().parent
REPO_ROOT = SUPPORT.parents[1]
LISTENER = SUPPORT / 'pusher_listener.mjs'

Record = dict[str, Any]


class PeerMissing(RuntimeError):
    """A real peer's software (node, npm packages) is missing: tests skip, with this reason."""


class PusherListener:
    """A pusher-js client subscribed to ``channels`` on a Soketi server."""

    def __init__(
        self, host: str, port: int, key: str, channels: list[str] | tuple[str, ...] = (), *,
        auth_endpoint: str | None = None, token: str | None = None,
        activity_timeout_ms: int | None = None,
    ) -> None:
        node = shutil.which('node')
        if node is None or not (REPO_ROOT / 'node_modules' / 'pusher-js').is_dir():
            raise PeerMissing('node or pusher-js missing: run scripts/setup')
        cmd = [node, str(LISTENER), '--host', host, '--port', str(port), '--key', key]
        if auth_endpoint:
            cmd += ['--auth-endpoint', auth_endpoint]
        if token:
            cmd += ['--token', token]
        if activity_timeout_ms:
            cmd += ['--activity-timeout', str(activity_timeout_ms)]
        cmd += list(channels)
        self.records: list[Record] = []
        self.stderr_lines: list[str] = []
        self._cond = threading.Condition()
        self._proc = subprocess.Popen(
            cmd, cwd=REPO_ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True, bufsize=1)
        self._threads = [threading.Thread(target=self._read_stdout, daemon=True),
                         threading.Thread(target=self._read_stderr, daemon=True)]
        for t in self._threads:
            t.start()

    def _read_stdout(self) -> None:
        for line in self._proc.stdout:
            try:
                record = json.loads(line)
            except ValueError:
                record = {'kind': 'unparsed', 'line': line.rstrip('\n')}
            with self._cond:
                self.records.append(record)
                self._cond.notify_all()

    def _read_stderr(self) -> None:
        for line in self._proc.stderr:
            self.stderr_lines.append(line.rstrip('\n'))

    # -- waiting -----------------------------------------------------------------------------
    def wait_for(self, predicate: Callable[[Record], bool], timeout: float = 10.0, *,
                 start: int = 0) -> Record:
        """First record (from index ``start``) matching ``predicate``; TimeoutError otherwise."""
        deadline = time.monotonic() + timeout
        index = start
        with self._cond:
            while True:
                while index < len(self.records):
                    record = self.records[index]
                    index += 1
                    if predicate(record):
                        return record
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    tail = self.records[-8:]
                    raise TimeoutError(
                        f'no matching pusher-js record within {timeout} s; last: {tail}; '
                        f'stderr: {self.stderr_lines[-5:]}'
                    )
                self._cond.wait(remaining)

    def wait_count(
        self, predicate: Callable[[Record], bool], count: int, timeout: float = 10.0
    ) -> list[Record]:
        """Wait until ``count`` records match; returns them (TimeoutError otherwise)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                found = [r for r in self.records if predicate(r)]
                if len(found) >= count:
                    return found
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f'{len(found)}/{count} matching records within {timeout} s')
                self._cond.wait(remaining)

    def wait_connected(self, timeout: float = 10.0) -> Record:
        """The state record of the connection reaching ``connected``."""
        return self.wait_for(
            lambda r: r.get('kind') == 'state' and r.get('current') == 'connected', timeout)

    def wait_subscribed(self, channel: str, timeout: float = 10.0) -> Record:
        """The ``pusher:subscription_succeeded`` record of ``channel``."""
        return self.wait_for(lambda r: r.get('kind') == 'event' and r.get('channel') == channel
                             and r.get('event') == 'pusher:subscription_succeeded', timeout)

    def wait_event(self, channel: str, event: str, timeout: float = 10.0,
                   where: Callable[[Any], bool] | None = None) -> Record:
        """The first ``event`` on ``channel`` (optionally whose data passes ``where``)."""
        return self.wait_for(
            lambda r: r.get('kind') == 'event'
            and r.get('channel') == channel
            and r.get('event') == event
            and (where is None or where(r.get('data'))),
            timeout,
        )

    def events(self, channel: str | None = None, event: str | None = None) -> list[Record]:
        """Event records received so far (filtered)."""
        with self._cond:
            return [r for r in self.records if r.get('kind') == 'event'
                    and (channel is None or r.get('channel') == channel)
                    and (event is None or r.get('event') == event)]

    # -- sending -----------------------------------------------------------------------------
    def send(self, request: dict[str, Any], timeout: float = 5.0) -> bool:
        """Send one stdin request; True when pusher-js accepted it.

        The request is a client event, a subscribe or a raw frame."""
        start = len(self.records)
        self._proc.stdin.write(json.dumps(request) + '\n')
        self._proc.stdin.flush()
        ack = self.wait_for(lambda r: r.get('kind') == 'sent', timeout, start=start)
        return bool(ack.get('ok'))

    def trigger(self, channel: str, event: str, data: Any) -> bool:
        """Trigger a client event (``client-*``) on a subscribed private/presence channel."""
        return self.send({'channel': channel, 'event': event, 'data': data})

    # -- lifecycle ---------------------------------------------------------------------------
    def close(self, timeout: float = 5.0) -> None:
        """Close stdin (the client disconnects and exits); kill when it does not."""
        if self._proc.poll() is None:
            try:
                self._proc.stdin.close()
            except OSError:
                pass
            try:
                self._proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait(5)
        for t in self._threads:
            t.join(1.0)

    def __enter__(self) -> 'PusherListener':
        return self

    def __exit__(self, *exc) -> None:
        self.close()
