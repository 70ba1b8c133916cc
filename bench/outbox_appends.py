"""Durable outbox appends per second: the bridge's default configuration vs one fsync per append.

Figures, same run, every event counted committed with ``synchronous=FULL`` when the clock stops:

* ``BridgeCore.publish`` from one thread (as the ROS bridge node's subscription callbacks and
  ``rvm-edge run`` publish) with the default ``outbox_group_ms`` (a writer thread commits what
  arrives within that many ms in one transaction) against the same with ``outbox_group_ms: 0``
  (each publish waits for its own commit: one fsync per event, the 271 events/s of issue 25).
  The ratio is the target (>= 3x); ``--quick`` exits 1 below :data:`QUICK_FLOOR`.
* ``Outbox.append`` from 1 and from ``--threads`` producers that each wait for their commit
  (group commit shares the fsync between concurrent producers).

Used by bench/bench_bridge.py (``durable appends`` lines); runnable alone:

    python bench/outbox_appends.py [--events 600] [--threads 8] [--quick]
"""
from __future__ import annotations

import argparse
import dataclasses
import tempfile
import threading
import time
from pathlib import Path

from rvm_bridge.bridge_config import BridgeConfig
from rvm_bridge.bridge_core import BridgeCore
from rvm_bridge.outbox.outbox import Outbox

#: Lowest ratio (default configuration / one fsync per append) ``--quick`` accepts: the issue's
#: target, also for the quick size (measured 20-40x on the 2-core machine under load).
QUICK_FLOOR = 3.0
PAD = 'x' * 1300                                # a verdict's size on the wire (~1.5 kB)


def append_rate(folder: Path, events: int, threads: int) -> tuple[float, float]:
    """(events/s, events per commit) of ``threads`` producers appending ``events`` in all."""
    box = Outbox(folder / f'appends-{threads}.sqlite3')
    payload = {'type': 'detection-completed', 'pad': PAD}
    per = events // threads
    start = threading.Barrier(threads + 1)

    def producer(k: int) -> None:
        start.wait()
        for i in range(per):
            box.append('private-rvm.bench', 'client-detection-completed', 'client-event',
                       {**payload, 'event_id': f'bench-{k}-{i}'})
    workers = [threading.Thread(target=producer, args=(k,)) for k in range(threads)]
    for w in workers:
        w.start()
    groups_before = box.stats()['commit_groups']
    start.wait()
    t0 = time.perf_counter()
    for w in workers:
        w.join()
    elapsed = time.perf_counter() - t0
    groups = box.stats()['commit_groups'] - groups_before
    stored = box.depth()
    box.close()
    return stored / elapsed, stored / max(1, groups)


def publish_rate(folder: Path, events: int, group_ms: float | None) -> tuple[float, float]:
    """(events/s, events per commit) of one thread calling ``BridgeCore.publish``.

    ``group_ms`` None: the default configuration.  The clock stops once every event is committed
    (``Outbox.settle``); the core is offline (no server): what is measured is the durable write.
    """
    config = BridgeConfig(host='', outbox_path=str(folder / f'publish-{group_ms}.sqlite3'),
                          timezone_sync_on_start=False, status_period_s=0.0)
    if group_ms is not None:
        config = dataclasses.replace(config, outbox_group_ms=group_ms)
    core = BridgeCore(config)
    try:
        t0 = time.perf_counter()
        for i in range(events):
            core.publish('items/verdict', {'type': 'detection-completed',
                                           'event_id': f'bench-p-{i}', 'pad': PAD})
        if not core.outbox.settle(120.0):
            raise RuntimeError('appends not committed within 120 s')
        elapsed = time.perf_counter() - t0
        stored, groups = core.outbox.depth(), core.outbox.stats()['commit_groups']
    finally:
        core.stop()
    if stored != events:
        raise RuntimeError(f'{stored} of {events} events stored')
    return stored / elapsed, stored / max(1, groups)


def report(events: int, threads: int) -> tuple[list[str], float]:
    """The benchmark's lines and the ratio default configuration / one fsync per append."""
    default_ms = BridgeConfig().outbox_group_ms
    with tempfile.TemporaryDirectory(prefix='bench-appends-') as tmp:
        base, _ = publish_rate(Path(tmp), events, 0.0)
        default, per_default_commit = publish_rate(Path(tmp), events, None)
        one, _ = append_rate(Path(tmp), events, 1)
        grouped, per_commit = append_rate(Path(tmp), events, threads)
    ratio = default / base
    return [
        f'durable appends  publish(), outbox_group_ms 0 (one fsync each)  : {base:8.0f} events/s'
        f'  ({events} events, baseline)',
        f'durable appends  publish(), default outbox_group_ms {default_ms:g}    : {default:8.0f}'
        f' events/s  ratio {ratio:.2f}x (target >= 3x), {per_default_commit:.1f} events per fsync',
        f'durable appends  Outbox.append, {threads} producers (group commit): {grouped:8.0f}'
        f' events/s  ratio {grouped / one:.2f}x vs 1 producer ({one:.0f} events/s),'
        f' {per_commit:.1f} events per fsync',
    ], ratio


def check(ratio: float, quick: bool) -> int:
    """Exit status: 1 when ``--quick`` measured the default configuration below the floor."""
    if quick and ratio < QUICK_FLOOR:
        print(f'FAIL: durable append ratio {ratio:.2f}x < {QUICK_FLOOR:g}x')
        return 1
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--events', type=int, default=600, help='events per figure')
    parser.add_argument('--threads', type=int, default=8, help='concurrent producers')
    parser.add_argument('--quick', action='store_true',
                        help=f'120 events (the test suite); exit 1 below {QUICK_FLOOR:g}x')
    args = parser.parse_args()
    lines, ratio = report(120 if args.quick else args.events, args.threads)
    print('\n'.join(lines))
    return check(ratio, args.quick)


if __name__ == '__main__':
    raise SystemExit(main())
