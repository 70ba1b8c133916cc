"""Fault-matrix rows for faults inside the edge (issue 25): each one 0 lost, 0 falsely confirmed.

- two processes on one outbox: the second is refused (naming the file and the holder's pid);
- the outbox's file system full (a 1 MiB tmpfs, root only), then space again;
- the outbox's file-size limit reached (RLIMIT_FSIZE of a bridge in its own process: writes fail
  as on a full disk), then lifted: events held in memory, then stored and delivered;
- the SQLite file locked by another connection (e.g. an operator's sqlite3 shell);
- an exception in each background thread (sender, socket reader, auth worker, bridge jobs,
  outbox writer);
- one event larger than the whole outbox (``drop_oldest``): dead-lettered alone, queue kept.
"""
from __future__ import annotations

import dataclasses
import json
import os
import re
import resource
import sqlite3
import subprocess
import sys
import threading
import time
from typing import Any, Callable

from fault_world import CHILD, BridgeCore, Ctx, Row, _publish, _row, _settle, verdict


class _Once:
    """Wraps ``fn``: its first call raises RuntimeError('injected fault')."""

    def __init__(self, fn: Callable[..., Any]) -> None:
        self.fn, self.fired = fn, threading.Event()

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if not self.fired.is_set():
            self.fired.set()
            raise RuntimeError('injected fault')
        return self.fn(*args, **kwargs)


def two_processes(ctx: Ctx) -> Row:
    core = ctx.core()
    config = ctx.config()                       # the same outbox file
    second = subprocess.run(
        [sys.executable, str(CHILD), json.dumps(dataclasses.asdict(config)), '5'],
        stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120)
    refused = second.returncode != 0 and 'in use by another process' in second.stderr
    ids = _publish(core, 0, 10)
    row = _row('two processes on one outbox', ctx, ids, *_settle(core, 60))
    said = re.search(r'is in use by another process \(pid \d+', second.stderr)
    row.note = f'second process refused: {refused} ({said.group(0) + ")" if said else "-"})'
    if not refused:                             # it said it queued 5: they are not in this file
        row.falsely_confirmed += 5
    return row


def _child_command(child: subprocess.Popen, line: str) -> dict[str, Any]:
    child.stdin.write(line + '\n')
    child.stdin.flush()
    return json.loads(child.stdout.readline())


def file_size_limit(ctx: Ctx) -> Row:
    config = ctx.config()
    env = {**os.environ, 'RVM_CHILD_IGNORE_SIGXFSZ': '1'}
    child = subprocess.Popen(
        [sys.executable, str(CHILD), json.dumps(dataclasses.asdict(config)), 'script'],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
    try:
        _child_command(child, 'publish 0 5')
        _child_command(child, 'flush 20')
        soft, hard = resource.prlimit(child.pid, resource.RLIMIT_FSIZE)
        resource.prlimit(child.pid, resource.RLIMIT_FSIZE, (4096, hard))   # no room left
        during = _child_command(child, 'publish 5 25')
        time.sleep(1.0 if ctx.quick else 10.0)
        resource.prlimit(child.pid, resource.RLIMIT_FSIZE, (soft, hard))   # room again
        t0 = time.monotonic()
        flushed = _child_command(child, 'flush 60')['flushed']
        recovery = round(time.monotonic() - t0, 2) if flushed else None
    finally:
        child.stdin.close()
        child.wait(30)
    with sqlite3.connect(config.outbox_path) as db:
        queued = {r[0] for r in db.execute('SELECT event_id FROM outbox')}
    ids = [verdict(i)['event_id'] for i in range(25)]
    return _row('outbox file-size limit (writes fail as on a full disk), then lifted', ctx, ids,
                queued, recovery, f'while limited: {during["unstored"]} held in memory,'
                f' storage "{during["storage"]}"')


def disk_full(ctx: Ctx) -> Row:
    """The outbox on a 1 MiB tmpfs that a filler file fills (ENOSPC), then space again."""
    mount = ctx.tmp / 'small-disk'
    mount.mkdir()
    made = subprocess.run(['mount', '-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', str(mount)],
                          capture_output=True, text=True) if os.geteuid() == 0 else None
    if made is None or made.returncode != 0:
        return Row('outbox disk full (ENOSPC), then space again', 0, 0, 0, 0, 0, None,
                   'not run: mounting a small tmpfs needs root')
    try:
        core = ctx.core(outbox_path=str(mount / 'outbox.sqlite3'))
        ids = _publish(core, 0, 5)
        core.flush(10)
        fd = os.open(mount / 'filler', os.O_WRONLY | os.O_CREAT)
        try:
            while True:
                os.write(fd, b'x' * 65536)
        except OSError:
            os.close(fd)
        ids += _publish(core, 5, 25)
        held, fault = core.outbox.unstored(), core.outbox.storage_fault()
        time.sleep(1.0 if ctx.quick else 10.0)
        (mount / 'filler').unlink()                 # space again
        row = _row('outbox disk full (ENOSPC), then space again', ctx, ids, *_settle(core, 60),
                   f'while full: {held} held in memory, storage "{fault}"')
        core.stop()
        ctx.cores.remove(core)
        return row
    finally:
        subprocess.run(['umount', '-l', str(mount)], capture_output=True)


def sqlite_locked(ctx: Ctx) -> Row:
    core = ctx.core()
    ids = _publish(core, 0, 5)
    core.flush(10)
    other = sqlite3.connect(core.outbox.path, isolation_level=None)
    other.execute('BEGIN EXCLUSIVE')               # e.g. an operator's sqlite3 shell
    try:
        ids += _publish(core, 5, 20)
        held, fault = core.outbox.unstored(), core.outbox.storage_fault()
        time.sleep(1.0 if ctx.quick else 10.0)
    finally:
        other.execute('ROLLBACK')
        other.close()
    return _row('outbox locked by another connection', ctx, ids, *_settle(core, 60),
                f'while locked: {held} held in memory, storage "{fault}"')


def thread_exceptions(ctx: Ctx) -> Row:
    core = BridgeCore(ctx.config())
    ctx.cores.append(core)
    conn = core.connection
    core.outbox.retry_unstored = _Once(core.outbox.retry_unstored)     # sender loop
    conn._handle = _Once(conn._handle)                                 # socket reader
    conn._subs._jobs.get = _Once(conn._subs._jobs.get)                 # auth worker
    jobs = core._jobs

    class _Jobs:                                                       # bridge jobs (timers)
        get = _Once(jobs.get)
        put = jobs.put
    core._jobs = _Jobs()
    core.outbox._group._write = _Once(core.outbox._group._write)      # outbox writer
    core.start()
    ids = _publish(core, 0, 10)
    row = _row('an exception in each thread (sender, socket, auth, jobs, outbox writer)', ctx,
               ids, *_settle(core, 60))
    row.note = f'restarts: {core.status()["threads"]["restarts"]}'
    return row


def oversize_drop_oldest(ctx: Ctx) -> Row:
    core = ctx.core(outbox_policy='drop_oldest')
    core.outbox.max_bytes = 8_000        # the operator's bound (outbox_max_mb, scaled down)
    ctx.soketi.kill()                    # the queue builds up
    ids = _publish(core, 0, 5)           # ~1.2 kB each
    base = len(json.dumps(verdict(99)))
    _publish(core, 99, 1, detail='d' * (9_500 - base))     # fits a frame, not the outbox
    kept = core.outbox.depth()
    ctx.soketi.start()
    row = _row('one event larger than the outbox (drop_oldest)', ctx, ids, *_settle(core, 60))
    row.note = (f'queue kept: {kept} of 5; dead-lettered: {core.outbox.dead_letter_reasons()}')
    return row


EDGE_SCENARIOS: list[tuple[str, Callable[[Ctx], Row], dict[str, Any]]] = [
    ('two_processes', two_processes, {}),
    ('disk_full', disk_full, {}),
    ('file_size_limit', file_size_limit, {}),
    ('sqlite_locked', sqlite_locked, {}),
    ('thread_exceptions', thread_exceptions, {}),
    ('oversize_drop_oldest', oversize_drop_oldest, {}),
]
