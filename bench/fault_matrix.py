"""Fault matrix: verdicts via the bridge to a real Soketi + the stored-ack receiver, under faults.

Each row publishes verdicts while a fault is on, removes the fault ("recovery") and waits until the
outbox is empty.  Columns: items published, stored (by the receiver, i.e. MyRVM), duplicates by
event_id (re-sends the server absorbed), lost (neither stored, nor still queued, nor
dead-lettered), falsely confirmed (left the outbox without being stored), time from recovery to the
last ack.

    python bench/fault_matrix.py            # full durations (30 s server outage, 60 s network cut)
    python bench/fault_matrix.py --quick    # seconds (what tests/bridge/test_fault_matrix.py runs)
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / 'bench'))

from fault_world import (  # noqa: E402,F401 - SECRET_ENV: tests/bridge/test_fault_matrix.py
    CHILD, SECRET_ENV, TOKEN, Ctx, Row, _publish, _row, _settle, verdict)
from fault_edge import EDGE_SCENARIOS  # noqa: E402


# -- scenarios
# ---------------------------------------------------------------------------------------
def server_killed(ctx: Ctx) -> Row:
    core = ctx.core()
    ids = _publish(core, 0, 5)
    core.flush(10)
    ctx.soketi.kill()
    ids += _publish(core, 5, 20)
    time.sleep(2.0 if ctx.quick else 30.0)
    ctx.soketi.start()
    return _row('server killed, restarted', ctx, ids, *_settle(core, 60))


def client_events_disabled(ctx: Ctx) -> Row:
    core = ctx.core()
    ids = _publish(core, 0, 10)
    time.sleep(2.0 if ctx.quick else 10.0)
    before = ctx.receiver.stored_ids() & set(ids)
    paused = bool(core.status()['paused'])
    ctx.soketi.client_messages = True             # the operator enables client events
    ctx.soketi.restart()
    queued, recovery = _settle(core, 60)
    return _row('client events disabled, then enabled', ctx, ids, queued, recovery,
                f'while disabled: {len(before)} stored, paused={paused}')


def wrong_key_then_fixed(ctx: Ctx) -> Row:
    core = ctx.core(app_key='wrong-key')
    ids = _publish(core, 0, 10)
    time.sleep(1.5 if ctx.quick else 10.0)
    before = len(ctx.receiver.stored_ids())
    core.stop()
    ctx.cores.remove(core)
    core = ctx.core()                             # fixed configuration, same outbox
    return _row(
        'wrong app key, then fixed', ctx, ids, *_settle(core, 60), f'while wrong: {before} stored')


def wrong_secret_then_fixed(ctx: Ctx) -> Row:
    """MyRVM signs channel auth with a wrong app secret: Soketi refuses the subscription."""
    right = ctx.receiver.secret
    ctx.receiver.secret = 'wrong-secret'
    core = ctx.core()
    ids = _publish(core, 0, 10)
    time.sleep(1.5 if ctx.quick else 10.0)
    before = len(ctx.receiver.stored_ids())
    ctx.receiver.secret = right
    return _row('wrong app secret (server side), then fixed', ctx, ids, *_settle(core, 60),
                f'while wrong: {before} stored')


def wrong_app_id_http_then_fixed(ctx: Ctx) -> Row:
    """Durable verdicts on the HTTP events API, wrong app id: 404 pauses, rows kept; then fixed."""
    from bridge.bridge_support import outbound_only_map
    from support.peers import PusherListener
    listener = PusherListener(
        ctx.soketi.host, ctx.soketi.port, ctx.soketi.key, ['detection-results'])
    try:
        listener.wait_subscribed('detection-results')
        cmap = outbound_only_map(ctx.tmp)
        core = ctx.core(app_id='9999', channel_map_file=cmap)
        ids = _publish(core, 0, 10)
        time.sleep(1.5 if ctx.quick else 10.0)
        paused = bool(core.status()['paused'])
        core.stop()
        ctx.cores.remove(core)
        core = ctx.core(channel_map_file=cmap)            # fixed configuration, same outbox
        queued, recovery = _settle(core, 60)
        try:
            # what the server accepted reaches the subscriber
            listener.wait_count(
                lambda r: r.get('event') == 'detection-completed', len(ids) - len(queued), 10)
        except TimeoutError:
            pass                                          # counted below as not received
        got = listener.events('detection-results', 'detection-completed')
        seen = [r['data']['event_id'] for r in got if isinstance(r.get('data'), dict)]
    finally:
        listener.close()
    accepted = set(seen) & set(ids)
    return Row(
        'http: wrong app id (404), then fixed', len(ids), len(accepted),
        len(seen) - len(set(seen)), len(set(ids) - accepted - queued),
        len((set(ids) - queued) - accepted), recovery,
        f'paused={paused}; "stored" = received by a subscriber (HTTP: fan-out only)')


def wrong_token_api_then_fixed(ctx: Ctx) -> Row:
    cmap = ctx.tmp / 'api_map.yaml'
    cmap.write_text(
        'outbound:\n  - {topic: items/verdict, channel: detection-results, event:'
        ' detection-completed, delivery: durable, transport: api}\n'
    )
    os.environ['RVM_BRIDGE_TOKEN'] = 'wrong-token'
    core = ctx.core(channel_map_file=str(cmap))
    ids = _publish(core, 0, 10)
    time.sleep(1.5 if ctx.quick else 10.0)
    paused = bool(core.status()['paused'])
    os.environ['RVM_BRIDGE_TOKEN'] = TOKEN        # the token is read per request
    return _row(
        'api: wrong token (401), then fixed', ctx, ids, *_settle(core, 60), f'paused={paused}')


def auth_endpoint(status: int | None) -> Callable[[Ctx], Row]:
    def scenario(ctx: Ctx) -> Row:
        proxy = ctx.proxy(ctx.receiver.port)
        if status is None:
            proxy.refuse()
        else:
            ctx.receiver.auth_status = status
        core = ctx.core(api_base=f'http://127.0.0.1:{proxy.port}')
        ids = _publish(core, 0, 10)
        time.sleep(1.5 if ctx.quick else 10.0)
        ctx.receiver.auth_status = None
        proxy.accept()
        return _row(f'auth endpoint {status or "down"}, then fixed', ctx, ids, *_settle(core, 60))
    return scenario


def padded_around_limit(ctx: Ctx) -> Row:
    core = ctx.core()
    base = len(json.dumps(verdict(0)))
    ids = _publish(core, 0, 3, detail='d' * (9_500 - base))      # just under the 10,000-byte frame
    # over: truncated under the limit, never dropped
    ids += _publish(core, 3, 3, detail='d' * (10_600 - base))
    queued, recovery = _settle(core, 30)
    truncated = sum(1 for p in ctx.receiver.stored() if p.get('truncated'))
    return _row(
        'verdicts padded just under/over the limit', ctx, ids, queued, recovery,
        f'{truncated} truncated')


def edge_sigkilled(ctx: Ctx) -> Row:
    config = ctx.config(client_events_per_s=20.0)
    env = dict(os.environ)
    n = 40 if ctx.quick else 400
    child = subprocess.Popen(
        [sys.executable, str(CHILD), json.dumps(dataclasses.asdict(config)), str(n)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
    json.loads(child.stdout.readline())
    deadline = time.monotonic() + 30
    while len(ctx.receiver.stored_ids()) < n // 4 and time.monotonic() < deadline:
        time.sleep(0.05)
    child.send_signal(signal.SIGKILL)
    child.wait(5)
    t0 = time.monotonic()
    child = subprocess.Popen(
        [sys.executable, str(CHILD), json.dumps(dataclasses.asdict(config)), '0'],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
    try:
        json.loads(child.stdout.readline())
        flushed = json.loads(child.stdout.readline())['flushed']
    finally:
        child.stdin.close()
        child.wait(10)
    recovery = round(time.monotonic() - t0, 2) if flushed else None
    import sqlite3
    with sqlite3.connect(config.outbox_path) as db:
        queued = {r[0] for r in db.execute('SELECT event_id FROM outbox')}
    ids = [verdict(i)['event_id'] for i in range(1, n + 1)]
    return _row('edge SIGKILLed mid-delivery, restarted', ctx, ids, queued, recovery)


def network_cut(ctx: Ctx) -> Row:
    proxy = ctx.proxy(ctx.soketi.port)
    core = ctx.core(port=proxy.port, pong_timeout_s=2.0, activity_timeout_s=2.0)
    ids = _publish(core, 0, 5)
    core.flush(10)
    proxy.pause()
    proxy.drop_all()
    proxy.refuse()
    ids += _publish(core, 5, 20)
    time.sleep(3.0 if ctx.quick else 60.0)
    proxy.accept()
    proxy.resume()
    return _row(f'network cut {3 if ctx.quick else 60} s (proxy)', ctx, ids, *_settle(core, 60))


SCENARIOS: list[tuple[str, Callable[[Ctx], Row], dict[str, Any]]] = [
    ('server_killed', server_killed, {}),
    ('client_events_disabled', client_events_disabled, {'client_messages': False}),
    ('wrong_key', wrong_key_then_fixed, {}),
    ('wrong_secret', wrong_secret_then_fixed, {}),
    ('wrong_app_id_http', wrong_app_id_http_then_fixed, {}),
    ('wrong_token_api', wrong_token_api_then_fixed, {}),
    ('auth_401', auth_endpoint(401), {}),
    ('auth_500', auth_endpoint(500), {}),
    ('auth_down', auth_endpoint(None), {}),
    ('padded', padded_around_limit, {}),
    ('edge_sigkill', edge_sigkilled, {}),
    ('network_cut', network_cut, {}),
    *EDGE_SCENARIOS,
]


def run_one(name: str, quick: bool = True) -> Row:
    """Run one scenario in a fresh world."""
    _, scenario, kwargs = next(s for s in SCENARIOS if s[0] == name)
    with tempfile.TemporaryDirectory(prefix='fault-') as tmp:
        ctx = Ctx(Path(tmp), quick, **kwargs)
        try:
            return scenario(ctx)
        finally:
            ctx.close()


def table(rows: list[Row]) -> str:
    """A Markdown table of the rows."""
    out = [
        (
            '| fault | items | stored | duplicates | lost | falsely confirmed | recovery → last'
            ' ack (s) | note |'
        ),
        '|---|---|---|---|---|---|---|---|',
    ]
    for r in rows:
        recovery = r.recovery_to_last_ack_s
        out.append(
            f'| {r.name} | {r.items} | {r.stored} | {r.duplicates} | {r.lost} |'
            f' {r.falsely_confirmed} |'
            f' {recovery if recovery is not None else "not within limit"}'
            f' | {r.note} |'
        )
    return '\n'.join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument(
        '--quick', action='store_true', help='seconds instead of the full fault durations')
    parser.add_argument(
        '--only', nargs='*', help='scenario names', choices=[s[0] for s in SCENARIOS])
    args = parser.parse_args()
    import logging
    logging.basicConfig(level=logging.ERROR)
    rows = [
        run_one(name, args.quick) for name, _, _ in SCENARIOS if not args.only or name in args.only
    ]
    print(table(rows))


if __name__ == '__main__':
    main()
