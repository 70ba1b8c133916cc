"""The edge process is SIGKILLed with a non-empty outbox; after a restart the rest arrive."""
from __future__ import annotations

import dataclasses
import json
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

from bridge.bridge_support import SECRET_ENV, bridge_config, outbound_only_map

CHILD = Path(__file__).with_name('bridge_child.py')
N = 1000


def _spawn(config, count):
    env = dict(os.environ)
    return subprocess.Popen(
        [sys.executable, str(CHILD), json.dumps(dataclasses.asdict(config)), str(count)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)


def test_edge_killed_then_restarted_delivers_the_rest(
    soketi, pusher_listener, tcp_proxy, tmp_path, monkeypatch
):
    monkeypatch.setenv(SECRET_ENV, soketi.secret)
    listener = pusher_listener(soketi, ['detection-results'])
    listener.wait_subscribed('detection-results')
    proxy = tcp_proxy(soketi.port)
    proxy.refuse()                                   # the server is unreachable while we publish
    config = bridge_config(
        soketi,
        tmp_path,
        port=proxy.port,
        channel_map_file=outbound_only_map(tmp_path),
        # one event per request: delivery takes a while
        http_batch_size=1,
    )
    child = _spawn(config, N)
    try:
        assert json.loads(child.stdout.readline())['published'] == N
        proxy.accept()
        listener.wait_count(lambda r: r.get('event') == 'detection-completed', 20, timeout=20)
        child.send_signal(signal.SIGKILL)            # mid-delivery, no chance to clean up
        child.wait(5)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(5)
    with sqlite3.connect(config.outbox_path) as db:
        left = db.execute('SELECT COUNT(*) FROM outbox').fetchone()[0]
    assert 0 < left < N
    child = _spawn(dataclasses.replace(config, http_batch_size=10), 0)
    try:
        # the restarted bridge finds exactly what the killed one left (it may already be sending)
        assert json.loads(child.stdout.readline())['depth_at_start'] == left
        assert json.loads(child.stdout.readline())['flushed'] is True
    finally:
        child.stdin.close()
        child.wait(10)
    got = listener.wait_count(lambda r: r.get('event') == 'detection-completed', N, timeout=20)
    data = [r['data'] for r in got]
    first_seen = list(dict.fromkeys(d['n'] for d in data))
    assert first_seen == list(range(1, N + 1))       # none lost, in order
    seq_of = {}
    for d in data:                                   # duplicates only as the very same event
        assert seq_of.setdefault(d['event_id'], d['seq']) == d['seq']
