"""Faults inside the edge: supervised threads restart, small delivery defects stay fixed.

Each background loop (sender, socket reader, auth worker, bridge jobs) gets an exception injected
where nothing caught it before; the loop is restarted, the restart counted, and delivery goes on
with nothing lost.  The remaining tests pin the smaller defects of issue 25 (each failed before).
"""
from __future__ import annotations

import json
import threading

import pytest

from rvm_bridge.protocol import pusher_protocol as proto
from rvm_bridge.bridge_config import BridgeConfig
from rvm_bridge.bridge_core import BridgeCore
from rvm_bridge.connection.state import ConnectionState
from rvm_bridge.connection.stats import ConnectionStats
from rvm_bridge.connection.state import Timeline
from rvm_bridge.delivery.sender import Sender
from rvm_bridge.outbox.outbox import Outbox
from rvm_bridge.delivery.send_outcome import SendOutcome, WireEvent
from rvm_bridge.thread_supervisor import ThreadSupervisor
from rvm_bridge.transports.client_event import ClientEventTransport
from rvm_bridge.transports.websocket_client import TransportClosed

import test_connection
from test_connection import FakeClock, wait_until

S = ConnectionState
connection = test_connection.make      # the fixture: a PusherConnection on a fake server


class Once:
    """Wraps ``fn``: the first ``times`` calls raise ``RuntimeError('injected')``."""

    def __init__(self, fn, times=1):
        self.fn, self.left, self.raised = fn, times, threading.Event()

    def __call__(self, *args, **kwargs):
        if self.left > 0:
            self.left -= 1
            self.raised.set()
            raise RuntimeError('injected')
        return self.fn(*args, **kwargs)


class Accepting:
    """A transport that stores everything (HTTP-like: accepted = confirmed)."""

    def __init__(self):
        self.delivered = []

    def send(self, events):
        self.delivered += [json.loads(e.data)['event_id'] for e in events]
        return SendOutcome(accepted=[e.key for e in events])


def _sender(tmp_path, transport, kind='http', **kw):
    box = Outbox(tmp_path / 'o.db', **kw.pop('outbox', {}))
    sender = Sender(box, {kind: transport}, retry_min_s=0.01, retry_max_s=0.05,
                    supervisor=ThreadSupervisor(0.01, 0.05), **kw)
    return box, sender


# -- supervised threads ---------------------------------------------------------------------------
def test_supervisor_restarts_a_loop_that_raises_and_counts_it():
    runs, stop = [], threading.Event()

    def loop():
        runs.append(1)
        if len(runs) < 3:
            raise RuntimeError(f'bug {len(runs)}')
    supervisor = ThreadSupervisor(0.01, 0.02)
    supervisor.start('t', loop, stop).join(5)
    assert len(runs) == 3
    assert supervisor.stats() == {
        'restarts': {'t': 2}, 'last_errors': {'t': 'RuntimeError: bug 2'}}


def test_an_expiry_error_does_not_end_the_sender(tmp_path, caplog):
    transport = Accepting()
    box, sender = _sender(tmp_path, transport, outbox={'max_age_s': 3600})
    box.expire = Once(box.expire)
    sender.start()
    try:
        for i in range(5):
            box.append('c', 'e', 'http', {'event_id': f'e{i}'})
        sender.wake()
        assert box.expire.raised.wait(5)
        assert sender.flush(5.0)
        assert transport.delivered == [f'e{i}' for i in range(5)]
        assert 'outbox expiry failed' in caplog.text
    finally:
        sender.stop()


def test_an_exception_in_the_sender_thread_restarts_it_and_loses_nothing(tmp_path):
    transport = Accepting()
    box, sender = _sender(tmp_path, transport)
    box.retry_unstored = Once(box.retry_unstored)     # outside every try of the loop
    sender.start()
    try:
        for i in range(5):
            box.append('c', 'e', 'http', {'event_id': f'e{i}'})
        sender.wake()
        assert sender.flush(5.0)
        assert transport.delivered == [f'e{i}' for i in range(5)]
        assert sender.stats()['threads']['restarts'] == {'rvm-bridge-sender': 1}
    finally:
        sender.stop()


def test_an_exception_in_the_socket_reader_restarts_it_and_it_reconnects(connection):
    conn, server, states = connection(['1.1', '2.2'])
    assert wait_until(lambda: conn.socket_id == '1.1')
    conn._handle = Once(conn._handle)                 # the next frame's handling raises
    server.push('{"event":"x","channel":"c","data":"{}"}')
    assert wait_until(lambda: conn.socket_id == '2.2', 5.0)
    assert conn.supervisor.stats()['restarts'] == {'rvm-pusher-socket': 1}
    assert conn.state is S.CONNECTED and server.closed_with   # the old socket was closed


def test_an_exception_in_the_auth_worker_restarts_it(connection):
    conn, server, states = connection(['1.1'])
    assert wait_until(lambda: conn.socket_id == '1.1')
    conn._subs._timeline.record = Once(conn._subs._timeline.record)   # after the signature
    conn.subscribe('private-a')
    assert wait_until(lambda: conn.supervisor.stats()['restarts'] == {'rvm-pusher-auth': 1})
    conn.subscribe('private-b')                       # the restarted worker signs the next one
    assert wait_until(lambda: len(server.sent_events('pusher:subscribe')) == 2)


def test_an_exception_in_the_job_thread_restarts_it(tmp_path):
    config = BridgeConfig(host='', outbox_path=str(tmp_path / 'o.db'), status_period_s=0.05,
                          timezone_sync_on_start=False)
    statuses = []
    core = BridgeCore(config, lambda topic, payload: statuses.append(topic))
    jobs = core._jobs

    class Jobs:                                       # outside the loop's own try
        get = Once(jobs.get)
        put = jobs.put
    core._jobs = Jobs()
    core.start()
    try:
        assert wait_until(lambda: core.status()['threads']['restarts'] == {'rvm-bridge-jobs': 1})
        from rvm_bridge.diagnostics import bridge_diagnostic
        assert bridge_diagnostic(core.status())['values']['thread_restarts'] == (
            '{"rvm-bridge-jobs":1}')
        count = len(statuses)
        assert wait_until(lambda: len(statuses) > count + 1)    # statuses keep coming
    finally:
        core.stop()


def test_publish_never_raises_into_the_spin_loop(tmp_path, caplog):
    config = BridgeConfig(host='', outbox_path=str(tmp_path / 'o.db'),
                          timezone_sync_on_start=False)
    core = BridgeCore(config)
    core.outbox.submit = Once(core.outbox.submit)
    try:
        core.publish('items/verdict', {'event_id': 'a', 'type': 'detection-completed'})
        core.publish('items/verdict', {'event_id': 'b', 'type': 'detection-completed'})
        assert core.counters['errors'] == 1 and 'publish(items/verdict) failed' in caplog.text
        assert core.outbox.settle(5.0)          # the writer thread committed 'b'
        assert [e.event_id for e in core.outbox.peek(10)] == ['b']
    finally:
        core.stop()


def test_a_storage_fault_shows_in_the_bridge_status(tmp_path):
    config = BridgeConfig(host='', outbox_path=str(tmp_path / 'o.db'),
                          timezone_sync_on_start=False)
    core = BridgeCore(config)
    try:
        core.outbox._db.execute('PRAGMA query_only=ON')
        core.publish('items/verdict', {'event_id': 'a', 'type': 'detection-completed'})
        assert core.outbox.settle(5.0)          # written: held in memory, the disk refused it
        status = core.status()
        assert status['last_error'] == 'outbox: read-only (1 events held in memory)'
        assert status['storage'] == 'read-only' and status['delivery']['unstored'] == 1
        assert core.counters['unstored'] == 1
        from rvm_bridge.diagnostics import ERROR, bridge_diagnostic
        diagnostic = bridge_diagnostic(status)          # /diagnostics: an error, with the reason
        assert diagnostic['level'] == ERROR and 'outbox: read-only' in diagnostic['message']
        assert diagnostic['values']['storage'] == 'read-only'
        core.outbox._db.execute('PRAGMA query_only=OFF')
        assert wait_until(lambda: core.outbox.retry_unstored() == 0)
        assert core.status()['storage'] == 'ok' and core.outbox.depth() == 1
    finally:
        core.stop()


# -- smaller defects ------------------------------------------------------------------------------
class AcceptOnly:
    """Client events accepted, never stored (the row waits for its ack)."""

    def send(self, events):
        return SendOutcome(accepted=[e.key for e in events])


def test_rows_dead_lettered_while_awaiting_an_ack_leave_the_ack_tracker(tmp_path):
    box, sender = _sender(tmp_path, AcceptOnly(), kind='client-event', ack_timeout_s=10_000.0,
                          outbox={'max_rows': 2})
    sender.start()
    try:
        for i in range(2):
            box.append('private-rvm.a', 'client-x', 'client-event', {'event_id': f'e{i}'})
        sender.wake()
        assert wait_until(lambda: sender.acks.count() == 2)
        box.dead_letter(1, 'operator')                                     # by hand
        for i in (2, 3):                    # e3 overflows max_rows: seq 2 is dead-lettered
            box.append('private-rvm.a', 'client-x', 'client-event', {'event_id': f'e{i}'})
        assert box.counters['dropped_overflow'] == 1
        assert wait_until(lambda: 1 not in sender.acks.seqs() and 2 not in sender.acks.seqs())
        assert sender.stats()['oldest_ack_wait_s'] < 60
    finally:
        sender.stop()


def test_a_subscription_without_an_answer_is_sent_again(connection):
    clock = FakeClock()
    conn, server, states = connection(['1.1'], clock=clock, subscribe_timeout_s=5.0)
    assert wait_until(lambda: conn.socket_id == '1.1')
    conn.subscribe('rvm-status')                      # the server never answers
    assert wait_until(lambda: len(server.sent_events('pusher:subscribe')) == 1)
    assert conn.subscriptions() == {'rvm-status': 'subscribing'}
    clock.advance(5.5)
    assert wait_until(lambda: conn.subscriptions() == {'rvm-status': 'auth_wait'})
    assert 'no answer within 5 s' in conn.stats()['last_error']
    clock.advance(1.0)                                # past the quick backoff
    assert wait_until(lambda: len(server.sent_events('pusher:subscribe')) == 2)


def test_the_state_is_not_connected_while_waiting_to_reconnect(connection):
    clock = FakeClock()
    conn, server, states = connection(['1.1', '2.2'], reconnect_spread_s=4.0, clock=clock)
    assert wait_until(lambda: conn.socket_id == '1.1')
    server.push(TransportClosed(4200, 'Server restarting'))
    assert wait_until(lambda: any(e.get('kind') == 'retry' for e in conn.timeline.entries()))
    assert conn.state is S.CONNECTING and len(server.attempts) == 1     # still waiting
    clock.advance(4.0)
    assert wait_until(lambda: conn.socket_id == '2.2' and conn.state is S.CONNECTED)


class ErrorsDuringBatch:
    """A connection on which the server sends ``error`` while the batch is written."""

    def __init__(self, code, message):
        self.stats = ConnectionStats(Timeline(10))
        self.error = proto.ServerError(code, message, proto.CloseAction.REPORT)

    def send_client_event(self, channel, event, data):
        self.stats.server_error(self.error)
        return True

    def confirm(self, timeout):
        return True

    def server_answers(self):
        return self.stats


@pytest.mark.parametrize('code, message', [
    (4009, 'Connection not authorized.'),               # another channel's subscription
    (4302, 'A server error has occured.'),
])
def test_an_error_not_about_client_events_is_not_blamed_on_the_batch(code, message):
    transport = ClientEventTransport(ErrorsDuringBatch(code, message))
    events = [WireEvent(i, 'private-rvm.a', 'client-x', '{"n":1}', f'e{i}') for i in range(3)]
    out = transport.send(events)
    assert out.accepted == [0, 1, 2] and not out.retry and not out.config_error
    assert transport.counters['unrelated_errors'] == 3


def test_a_client_event_error_is_still_blamed_on_the_batch():
    conn = ErrorsDuringBatch(4301, 'The app does not have client messaging enabled.')
    out = ClientEventTransport(conn).send([WireEvent(0, 'private-rvm.a', 'client-x', '{}', 'e')])
    assert out.retry == [0] and out.config_error


def test_a_config_error_found_after_the_outbox_check_leaves_the_file_to_the_fallback(tmp_path):
    from rvm_bridge.config_fallback import build_core
    config = BridgeConfig(host='127.0.0.1', app_key='k', app_id='', outbox_path=str(
        tmp_path / 'o.db'), timezone_sync_on_start=False,
        channel_map_file=str(_http_map(tmp_path)))
    core, error = build_core(config, lambda topic, payload: None)
    try:
        assert 'transport http needs app_id' in error
        assert core.outbox.path == str(tmp_path / 'o.db')        # the same file, not refused
    finally:
        core.stop(timeout=1.0)


def test_an_outbox_held_by_another_owner_gives_the_node_a_file_of_its_own(tmp_path):
    import os
    from rvm_bridge.config_fallback import build_core
    holder = Outbox(tmp_path / 'o.db')
    config = BridgeConfig(host='', outbox_path=str(tmp_path / 'o.db'),
                          timezone_sync_on_start=False)
    core, error = build_core(config, lambda topic, payload: None)
    try:
        own = f'{tmp_path / "o.db"}.pid{os.getpid()}.sqlite3'
        assert 'in use by another process' in error and own in error
        core.publish('items/verdict', {'event_id': 'e1234567', 'type': 'detection-completed'})
        assert core.outbox.settle(5.0)
        assert core.outbox.path == own and core.outbox.depth() == 1      # kept, not lost
    finally:
        core.stop(timeout=1.0)
        holder.close()


def _http_map(tmp_path):
    path = tmp_path / 'map.yaml'
    path.write_text('outbound:\n  - {topic: items/verdict, channel: detection-results, event:'
                    ' detection-completed, delivery: durable, transport: http}\n')
    return path


def test_publish_with_a_writer_thread_returns_at_once_and_flush_waits_for_the_commit(tmp_path):
    config = BridgeConfig(host='', outbox_path=str(tmp_path / 'o.db'), outbox_group_ms=5.0,
                          timezone_sync_on_start=False)
    core = BridgeCore(config)
    try:
        for i in range(30):
            core.publish('items/verdict', {'event_id': f'e{i:07d}', 'type': 'detection-completed'})
        core.publish('items/verdict', {'event_id': 'e0000000', 'type': 'detection-completed'})
        assert core.flush(10.0) and core.outbox.depth() == 30
        assert core.outbox.stats()['commit_groups'] < 30
        assert wait_until(lambda: core.counters['duplicates'] == 1)
    finally:
        core.stop()


def test_offline_flush_0_commits_what_the_writer_holds_before_the_closing_summary(tmp_path):
    # rvm-edge run offline: flush(0.0), then status() for the closing line, then stop()
    config = BridgeConfig(host='', outbox_path=str(tmp_path / 'o.db'), outbox_group_ms=50.0,
                          timezone_sync_on_start=False)
    assert BridgeConfig().outbox_group_ms > 0          # the default groups a lone publisher
    core = BridgeCore(config)
    try:
        for i in range(12):
            core.publish('items/verdict', {'event_id': f'e{i:07d}', 'type': 'detection-completed'})
        assert core.flush(0.0)
        assert core.status()['delivery']['in_outbox'] == 12
    finally:
        core.stop()
    reopened = Outbox(tmp_path / 'o.db')
    try:
        assert [e.event_id for e in reopened.peek(20)] == [f'e{i:07d}' for i in range(12)]
    finally:
        reopened.close()


def test_stop_commits_what_publish_queued_in_order_once(tmp_path):
    config = BridgeConfig(host='', outbox_path=str(tmp_path / 'o.db'), outbox_group_ms=50.0,
                          timezone_sync_on_start=False)
    core = BridgeCore(config)
    for i in range(40):
        core.publish('items/verdict', {'event_id': f'e{i:07d}', 'type': 'detection-completed'})
    core.stop()                                          # no flush: Ctrl-C during a burst
    reopened = Outbox(tmp_path / 'o.db')
    try:
        entries = reopened.peek(100)
        assert [e.event_id for e in entries] == [f'e{i:07d}' for i in range(40)]
        assert [e.seq for e in entries] == sorted(e.seq for e in entries)
    finally:
        reopened.close()
