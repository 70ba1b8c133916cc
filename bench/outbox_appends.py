"""Durable outbox appends per second: one producer (one fsync each) vs appends sharing commits.

Three figures, same run: one producer waiting for each commit (the rate before group commit),
``--threads`` producers waiting for theirs (group commit), and one producer that does not wait
(the writer thread commits what arrives within 2 ms: ``outbox_group_ms``).  Every event counted
is committed with ``synchronous=FULL`` when the clock stops.

Used by bench/bench_bridge.py (``durable appends`` lines); runnable alone:

    python bench/outbox_appends.py [--events 600] [--threads 8] [--quick]
"""
from __future__ import annotations

import argparse
import tempfile
import threading
import time
from pathlib import Path

from rvm_bridge.outbox.outbox import Outbox


def append_rate(folder: Path, events: int, threads: int) -> tuple[float, float]:
    """(events/s, events per commit) of ``threads`` producers appending ``events`` in all."""
    box = Outbox(folder / f'appends-{threads}.sqlite3')
    payload = {'type': 'detection-completed', 'pad': 'x' * 1500}     # a verdict's size
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


def writer_rate(folder: Path, events: int, window_s: float = 0.002) -> tuple[float, float]:
    """(events/s, events per commit) of one producer handing appends to the writer thread."""
    from rvm_bridge.thread_supervisor import ThreadSupervisor
    box = Outbox(folder / 'appends-writer.sqlite3')
    box.start_writer(ThreadSupervisor(), window_s)
    payload = {'type': 'detection-completed', 'pad': 'x' * 1500}
    t0 = time.perf_counter()
    for i in range(events):
        box.submit('private-rvm.bench', 'client-detection-completed', 'client-event',
                   {**payload, 'event_id': f'bench-w-{i}'}, wait=False)
    box.settle(120.0)                                 # every one committed
    elapsed = time.perf_counter() - t0
    stored, groups = box.depth(), box.stats()['commit_groups']
    box.close()
    return stored / elapsed, stored / max(1, groups)


def report(events: int, threads: int) -> list[str]:
    """The benchmark's lines: baseline (1 producer) and grouped (``threads`` producers)."""
    with tempfile.TemporaryDirectory(prefix='bench-appends-') as tmp:
        base, _ = append_rate(Path(tmp), events, 1)
        grouped, per_commit = append_rate(Path(tmp), events, threads)
        writer, per_writer_commit = writer_rate(Path(tmp), events)
    return [
        f'durable appends  1 producer (one fsync each)      : {base:8.0f} events/s',
        f'durable appends  {threads} producers (group commit)     : {grouped:8.0f} events/s'
        f'  ratio {grouped / base:.2f}x (target >= 3x), {per_commit:.1f} events per fsync',
        f'durable appends  1 producer, writer thread (2 ms) : {writer:8.0f} events/s'
        f'  ratio {writer / base:.2f}x (target >= 3x), {per_writer_commit:.1f} events per fsync',
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--events', type=int, default=600)
    parser.add_argument('--threads', type=int, default=8)
    parser.add_argument('--quick', action='store_true', help='80 events (the test suite)')
    args = parser.parse_args()
    print('\n'.join(report(80 if args.quick else args.events, args.threads)))


if __name__ == '__main__':
    main()
