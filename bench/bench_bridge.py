"""Bridge benchmark against a real Soketi and a real pusher-js subscriber (prints figures).

Measured in one run, on the same server:

1. Throughput: N verdicts through ``BridgeCore.publish`` (durable, SQLite outbox,
   HTTP transport: accepted for fan-out; the stored-ack path is measured by bench/fault_matrix.py)
   until pusher-js has received all of them, against a bare
   ``pusher`` SDK ``trigger`` loop sending the same payloads.  Ratio target >= 0.9x.
2. Latency publish -> pusher-js receive (p50/p99, paced at ``--rate`` events/s),
   bridge and bare SDK.  Target p99 <= 20 ms on loopback.
3. RSS of this process (the bridge runs in it) at start and after ``--minutes``
   of steady load (default 1; the issue's 10-minute figure is ``--minutes 10``).
4. Durable append rate (committed, ``synchronous=FULL``) of ``BridgeCore.publish`` from one
   thread in the default configuration (``outbox_group_ms``: a writer thread shares one fsync
   between the events of a few ms) against the same run's baseline of one fsync per append
   (``outbox_group_ms: 0``), and 8 producers sharing commits (bench/outbox_appends.py).  Target
   >= 3x; ``--quick`` exits 1 below ``outbox_appends.QUICK_FLOOR`` (3x).

    python bench/bench_bridge.py [--events 2000] [--rate 50] [--minutes 1] [--quick]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / 'tests'))
sys.path.insert(0, str(ROOT / 'bench'))

from rvm_bridge.bridge_core import BridgeConfig, BridgeCore  # noqa: E402
from rvm_bringup.soketi import SoketiServer  # noqa: E402
from rvm_common import events  # noqa: E402
from support.peers import PusherListener  # noqa: E402
import outbox_appends  # noqa: E402

CHANNEL = events.CHANNEL_DETECTIONS
EVENT = events.EVENT_DETECTION_COMPLETED


def _payload(i: int, tag: str) -> dict:
    poly = [[300.0 + k, 200.0 + (k % 7)] for k in range(32)]
    return events.make_event(
        EVENT,
        {
            'item_id': f'{tag}-{i}', 'session_id': 'bench', 'category': 'pet_bottle',
            'class_name': 'pet_bottle', 'confidence': 0.9, 'accepted': True, 'reason': None,
            'bbox': {'x1': 1, 'y1': 2, 'x2': 3, 'y2': 4},
            'mask': {'polygon': poly, 'area_px': 1000, 'area_fraction': 0.01},
            'frame': {'width': 640, 'height': 480}, 'model': 'bench', 'bench_tag': tag,
            'bench_i': i, 'bench_t': time.time()},
        rvm_id='bench')


def _wait_tag(listener: PusherListener, tag: str, count: int, timeout: float) -> list[dict]:
    return listener.wait_count(
        lambda r: r.get('kind') == 'event'
        and r.get('event') == EVENT
        and isinstance(r.get('data'), dict)
        and r['data'].get('bench_tag') == tag,
        count, timeout)


def _pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))] if values else float('nan')


def _latencies(records: list[dict]) -> list[float]:
    return [r['received_at_ms'] - r['data']['bench_t'] * 1000.0 for r in records]


def throughput(core: BridgeCore, sdk, listener: PusherListener, n: int) -> tuple[float, float]:
    t0 = time.perf_counter()
    for i in range(n):
        sdk.trigger(CHANNEL, EVENT, events.dumps(_payload(i, 'sdk-tp')))
    _wait_tag(listener, 'sdk-tp', n, 120)
    sdk_rate = n / (time.perf_counter() - t0)
    t0 = time.perf_counter()
    for start in range(0, n, 10):
        sdk.trigger_batch(
            [
                {'channel': CHANNEL, 'name': EVENT, 'data': events.dumps(_payload(i, 'sdk-batch'))}
                for i in range(start, min(n, start + 10))
            ]
        )
    _wait_tag(listener, 'sdk-batch', n, 120)
    batch_rate = n / (time.perf_counter() - t0)
    t0 = time.perf_counter()
    for i in range(n):
        core.publish(events.TOPIC_VERDICT, _payload(i, 'bridge-tp'))
    _wait_tag(listener, 'bridge-tp', n, 120)
    bridge_rate = n / (time.perf_counter() - t0)
    return sdk_rate, batch_rate, bridge_rate


def paced(send, n: int, rate: float) -> None:
    start = time.perf_counter()
    for i in range(n):
        target = start + i / rate
        delay = target - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        send(i)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--events', type=int, default=2000, help='events per throughput run')
    parser.add_argument('--latency-events', type=int, default=500, help='events per latency run')
    parser.add_argument(
        '--rate', type=float, default=50.0, help='paced rate (events/s) for latency and load')
    parser.add_argument(
        '--minutes', type=float, default=1.0, help='steady-load duration for the RSS figure')
    parser.add_argument(
        '--outbox-group-ms', type=float, default=None,
        help="the bridge's outbox_group_ms for the throughput, latency and load runs (default:"
        " BridgeConfig's); the durable append lines always compare the default with 0")
    parser.add_argument(
        '--quick', action='store_true',
        help='100/20 events and 3 s of load: checks the benchmark runs (test suite); exit 1 if'
        ' the durable append ratio is below 3x')
    args = parser.parse_args()
    if args.quick:
        args.events, args.latency_events, args.minutes = 100, 20, 0.05

    proc = psutil.Process()
    tmp = Path(tempfile.mkdtemp(prefix='bench-bridge-'))
    server = SoketiServer(log_path=tmp / 'soketi.log').start()
    listener = PusherListener(server.host, server.port, server.key, [CHANNEL])
    os.environ['RVM_BENCH_APP_SECRET'] = server.secret
    core = None
    try:
        listener.wait_subscribed(CHANNEL)
        config = BridgeConfig(
            host=server.host, port=server.port, tls=False, app_key=server.key,
            app_id=server.app_id, app_secret_env='RVM_BENCH_APP_SECRET', rvm_id='bench',
            outbox_path=str(tmp / 'outbox.sqlite3'), timezone_sync_on_start=False,
            status_period_s=0.0, channel_map_file=str(_outbound_only(tmp)))
        if args.outbox_group_ms is not None:
            config = dataclasses.replace(config, outbox_group_ms=args.outbox_group_ms)
        core = BridgeCore(config)
        core.start()
        sdk = server.pusher_client()
        rss_start = proc.memory_info().rss / 1e6
        print(f'# bridge bench: Soketi {server.port}, python {sys.version.split()[0]}, '
              f'{psutil.cpu_count()} cpu(s), outbox_group_ms {config.outbox_group_ms:g}',
              flush=True)

        # warm-up (connections, SQLite pages, JIT of nothing)
        throughput(core, sdk, listener, 50)
        sdk_rate, batch_rate, bridge_rate = throughput(core, sdk, listener, args.events)
        print(
            f'throughput  bare SDK trigger loop : {sdk_rate:8.0f} events/s  ({args.events} events)'
        )
        print(f'throughput  bare SDK trigger_batch: {batch_rate:8.0f} events/s  (10 per request)')
        print(f'throughput  bridge (durable, HTTP): {bridge_rate:8.0f} events/s  '
              f'ratio {bridge_rate / sdk_rate:.2f}x vs trigger loop (target >= 0.9x), '
              f'{bridge_rate / batch_rate:.2f}x vs trigger_batch', flush=True)

        lines, append_ratio = outbox_appends.report(120 if args.quick else 600, 8)
        for line in lines:
            print(line, flush=True)

        n = args.latency_events
        paced(
            lambda i: sdk.trigger(CHANNEL, EVENT, events.dumps(_payload(i, 'sdk-lat'))), n,
            args.rate)
        sdk_lat = _latencies(_wait_tag(listener, 'sdk-lat', n, 60))
        paced(
            lambda i: core.publish(events.TOPIC_VERDICT, _payload(i, 'bridge-lat')), n, args.rate)
        bridge_lat = _latencies(_wait_tag(listener, 'bridge-lat', n, 60))
        for name, lat in (('bare SDK', sdk_lat), ('bridge  ', bridge_lat)):
            print(
                f'latency     {name} publish->pusher-js: p50 {_pct(lat, .5):6.1f} ms  p99'
                f' {_pct(lat, .99):6.1f} ms  max {max(lat):6.1f} ms  (n={len(lat)},'
                f' {args.rate:.0f}/s; target p99 <= 20 ms)',
                flush=True,
            )

        with listener._cond:
            listener.records.clear()
        rss_before_load = proc.memory_info().rss / 1e6
        load_n = int(args.minutes * 60 * args.rate)
        samples = []
        t0 = time.monotonic()

        def send(i: int) -> None:
            core.publish(events.TOPIC_VERDICT, _payload(i, 'load'))
            if i % int(max(1, args.rate * 10)) == 0:
                # the pusher-js records pile up in this process too: drop them so RSS is the
                # bridge's
                with listener._cond:
                    listener.records.clear()
                samples.append((time.monotonic() - t0, proc.memory_info().rss / 1e6))
        paced(send, load_n, args.rate)
        delivered = core.flush(60.0)
        rss_end = proc.memory_info().rss / 1e6
        print(f'rss         start {rss_start:.1f} MB, before load {rss_before_load:.1f} MB, after '
              f'{args.minutes:g} min at {args.rate:.0f}/s ({load_n} events) {rss_end:.1f} MB '
              f'(delta {rss_end - rss_before_load:+.1f} MB), all delivered: {delivered}')
        print('rss samples (s, MB): ' + ', '.join(f'{t:.0f}:{m:.1f}' for t, m in samples))
        status = core.status()
        print(
            'bridge status: '
            + json.dumps(
                {k: status[k] for k in ('sent', 'outbox_depth', 'latency_ms', 'dead_lettered')})
        )
        if len(sdk_lat) > 1:
            print(f'(stdev of latencies: sdk {statistics.pstdev(sdk_lat):.1f} ms, '
                  f'bridge {statistics.pstdev(bridge_lat):.1f} ms)')
    finally:
        if core is not None:
            core.stop()
        listener.close()
        server.stop()
    return outbox_appends.check(append_ratio, args.quick)


def _outbound_only(tmp: Path) -> Path:
    import yaml
    # every route on the HTTP events API, no socket
    from rvm_bridge.routing.channel_map import FANOUT_MAP
    data = yaml.safe_load(FANOUT_MAP.read_text())
    data['inbound'] = []
    path = tmp / 'map.yaml'
    path.write_text(yaml.safe_dump(data))
    return path


if __name__ == '__main__':
    raise SystemExit(main())
