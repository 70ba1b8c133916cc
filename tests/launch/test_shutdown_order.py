"""Shutdown order when every node is signalled at once (``ros2 launch`` on Ctrl-C), core level.

A stand-in for the ROS graph carries messages and publisher-left notices through one FIFO with
a delay (DDS keeps one participant's data and its disposal in order).  The health core's final
``offline`` status and a session summary are published *after* the common stop signal, as the
health and detector nodes do in their ``shutdown()``; the bridge side runs the real
:class:`rvm_common.shutdown_order.PeerDrain` and a real :class:`BridgeCore` (offline, outbox
only), as ``bridge_node`` does.  Both last words must be in the outbox, every time.
"""
from __future__ import annotations

import json
import queue
import threading
import time
from collections import Counter

import pytest

from rvm_bridge.bridge_config import BridgeConfig
from rvm_bridge.bridge_core import BridgeCore
from rvm_bridge.outbox.outbox import Outbox
from rvm_common import events
from rvm_common.shutdown_order import (
    GRACE_MAX_S, DrainEnd, PeerDrain, bridge_sigterm_timeout, durable_last_word)
from rvm_health.health_config import HealthConfig
from rvm_health.health_core import HealthCore

PRODUCED = (events.TOPIC_RVM_STATUS, events.TOPIC_HEALTH, events.TOPIC_VERDICT,
            events.TOPIC_PROCESSING, events.TOPIC_SESSION)


class Graph:
    """Publishers per topic and one delayed FIFO to the bridge (data and leave notices)."""

    def __init__(self, latency_s: float) -> None:
        self.latency_s = latency_s
        self.publishers: Counter[str] = Counter()
        self.lock = threading.Lock()
        self.to_bridge: queue.Queue = queue.Queue()

    def join(self, topics) -> None:
        with self.lock:
            self.publishers.update(topics)

    def _later(self, item) -> None:
        self.to_bridge.put((time.monotonic() + self.latency_s, item))

    def publish(self, topic: str, payload: dict) -> None:
        self._later(('data', topic, json.dumps(payload)))

    def leave(self, topics) -> None:
        self._later(('leave', tuple(topics), None))

    def present(self, topics) -> bool:
        with self.lock:
            return any(self.publishers[t] > 0 for t in topics)

    def spin_once(self, timeout_s: float, take) -> None:
        """The bridge's executor: handle what has arrived (at most ``timeout_s`` of waiting)."""
        try:
            due, item = self.to_bridge.get(timeout=timeout_s)
        except queue.Empty:
            return
        time.sleep(max(0.0, due - time.monotonic()))
        kind, what, text = item
        if kind == 'leave':
            with self.lock:
                self.publishers.subtract(what)
        else:
            take(what, json.loads(text))


def producer(graph: Graph, signal: threading.Event, topics, stop_work_s: float, last_words):
    """A node: on the common signal it finishes its work, publishes its last words, leaves."""
    def run():
        signal.wait(10)
        time.sleep(stop_work_s)          # e.g. the detector joins its inference worker
        for topic, payload in last_words():
            graph.publish(topic, payload)
        time.sleep(0.05)                 # run_node's final spin (FINAL_FLUSH_S)
        graph.leave(topics)
    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def outbox_rows(path) -> list[tuple[str, dict]]:
    box = Outbox(path)
    try:
        return [(e.event, json.loads(e.payload)) for e in box.peek(1000)]
    finally:
        box.close()


def run_graph(tmp_path, *, grace_s: float, latency_s: float = 0.03):
    """Signal health, detector and bridge together; return (drain end, outbox rows, core)."""
    graph = Graph(latency_s)
    signal = threading.Event()
    health = HealthCore(HealthConfig(rvm_id='rvm-shutdown', sample_period=0.0))
    health.update(0.0)
    session = events.make_event(events.EVENT_SESSION_COMPLETED, {
        'session_id': 's-1', 'reason': 'shutdown', 'items': 2, 'accepted': 1, 'rejected': 1},
        rvm_id='rvm-shutdown')
    graph.join([events.TOPIC_RVM_STATUS, events.TOPIC_HEALTH])
    graph.join([events.TOPIC_VERDICT, events.TOPIC_PROCESSING, events.TOPIC_SESSION])
    threads = [
        producer(graph, signal, [events.TOPIC_RVM_STATUS, events.TOPIC_HEALTH], 0.02,
                 lambda: health.close(1.0)),
        producer(graph, signal, [events.TOPIC_VERDICT, events.TOPIC_PROCESSING,
                                 events.TOPIC_SESSION], 0.4,
                 lambda: [(events.TOPIC_SESSION, session)]),
    ]
    outbox = tmp_path / 'outbox.sqlite3'
    core = BridgeCore(BridgeConfig(rvm_id='rvm-shutdown', outbox_path=str(outbox),
                                   timezone_sync_on_start=False))
    core.start()
    taken = []

    def take(topic, payload):
        taken.append(topic)
        core.publish(topic, payload)
    signal.set()                         # Ctrl-C: every node at once
    drain = PeerDrain(grace_s, lambda: graph.present(PRODUCED), lambda: len(taken))
    end = drain.run(lambda timeout_s: graph.spin_once(timeout_s, take))
    core.flush(0.0)
    core.stop(timeout=2.0)
    for thread in threads:
        thread.join(5)
    return end, outbox_rows(outbox), core, session


def test_every_node_signalled_at_once_the_final_status_and_session_reach_the_outbox(tmp_path):
    started = time.monotonic()
    end, rows, core, session = run_graph(tmp_path, grace_s=5.0)
    assert end is DrainEnd.PEERS_GONE
    assert time.monotonic() - started < 4.0, 'the drain ends when the producers are gone'
    kinds = [(payload.get('type'), payload.get('state')) for _event, payload in rows]
    assert (events.EVENT_STATUS_UPDATED, 'offline') in kinds, kinds
    sessions = [p for _e, p in rows if p.get('type') == events.EVENT_SESSION_COMPLETED]
    assert [p['event_id'] for p in sessions] == [session['event_id']]
    assert core.counters['after_stop'] == 0


def test_without_the_drain_the_last_words_arrive_after_stop_and_are_lost(tmp_path):
    """What the bridge did before (shutdown first): the test above can fail."""
    end, rows, _core, _session = run_graph(tmp_path, grace_s=0.0)
    assert end is DrainEnd.NO_GRACE
    assert [p for _e, p in rows if p.get('type') == events.EVENT_SESSION_COMPLETED] == []
    assert [p for _e, p in rows if p.get('type') == events.EVENT_STATUS_UPDATED] == []


def test_the_grace_period_bounds_the_drain_when_a_producer_never_leaves():
    now = [0.0]
    spins = []

    def spin_once(timeout_s):
        spins.append(timeout_s)
        now[0] += timeout_s
    drain = PeerDrain(1.0, lambda: True, lambda: 0, clock=lambda: now[0])
    assert drain.run(spin_once) is DrainEnd.GRACE_OVER
    assert 0.99 <= now[0] <= 1.06 and len(spins) == drain.rounds


def test_messages_already_on_the_way_are_taken_after_the_producers_left():
    now = [0.0]
    arriving = [3, 2, 0, 0, 0, 0]        # taken per round once the producers are gone
    taken = [0]

    def spin_once(timeout_s):
        now[0] += timeout_s
        taken[0] += arriving.pop(0) if arriving else 0
    drain = PeerDrain(5.0, lambda: False, lambda: taken[0], clock=lambda: now[0])
    assert drain.run(spin_once) is DrainEnd.PEERS_GONE
    assert taken[0] == 5 and drain.rounds == 5   # 2 rounds taking, then 3 quiet ones


def test_grace_is_capped_and_the_sigterm_timeout_covers_drain_delivery_and_stop():
    assert PeerDrain(999.0, lambda: True, lambda: 0).grace_s == GRACE_MAX_S
    assert bridge_sigterm_timeout(5.0) > 5.0 + 3.0
    assert bridge_sigterm_timeout() >= bridge_sigterm_timeout(5.0)


@pytest.mark.parametrize('delivery, transport, state, heartbeat, durable', [
    ('latest', 'http', 'offline', False, True),
    ('latest', 'http', 'offline', True, False),     # a repeat: one durable row per change only
    ('latest', 'http', 'online', False, False),
    ('latest', 'client-event', 'offline', False, False),   # would wait for an ack never sent
    ('durable', 'http', 'offline', False, False),   # already durable: nothing to add
])
def test_only_a_change_to_offline_is_made_durable(delivery, transport, state, heartbeat, durable):
    payload = {'type': 'status-updated', 'state': state, 'heartbeat': heartbeat}
    assert durable_last_word(events.TOPIC_RVM_STATUS, payload, delivery, transport) is durable
    assert not durable_last_word(events.TOPIC_HEALTH, payload, delivery, transport)
