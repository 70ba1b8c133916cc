"""Sans-I/O Pusher v7 protocol: frames, handshake, error/close classification, ping/pong timers."""
from __future__ import annotations

import json

import pytest
from rvm_bridge.protocol import pusher_protocol as proto
from rvm_bridge.protocol.pusher_protocol import CloseAction, PusherSession


def established(socket_id='123.456', activity_timeout=30, as_string=True):
    data = {'socket_id': socket_id, 'activity_timeout': activity_timeout}
    return json.dumps({'event': 'pusher:connection_established',
                       'data': json.dumps(data) if as_string else data})


def connected_session(now=0.0, **kwargs):
    session = PusherSession(**kwargs)
    session.opened(now)
    [event] = session.receive(established(), now)
    assert isinstance(event, proto.Established)
    return session


# -- frames --------------------------------------------------------------------------------------
def test_decode_frame_accepts_string_and_object_data():
    as_string = proto.decode_frame('{"event":"e","channel":"c","data":"{\\"a\\":1}"}')
    as_object = proto.decode_frame('{"event":"e","channel":"c","data":{"a":1}}')
    assert as_string.data == '{"a":1}' and as_string.payload() == {'a': 1}
    assert as_object.payload() == {'a': 1}
    assert proto.decode_frame('{"event":"e","data":"not json"}').payload() == 'not json'


@pytest.mark.parametrize(
    'text',
    ['not json', '[1,2]', '{"data":{}}', '{"event":""}', '{"event":"e","channel":5}', b'\xff\xfe'])
def test_decode_frame_rejects_non_pusher_messages(text):
    with pytest.raises(proto.ProtocolError):
        proto.decode_frame(text)


def test_encode_frames():
    assert json.loads(proto.subscribe_frame('rvm-status')) == {'event': 'pusher:subscribe',
                                                               'data': {'channel': 'rvm-status'}}
    signed = json.loads(proto.subscribe_frame('presence-x', 'key:sig', '{"user_id":"1"}'))
    assert signed['data'] == {
        'channel': 'presence-x', 'auth': 'key:sig', 'channel_data': '{"user_id":"1"}'}
    assert json.loads(proto.unsubscribe_frame('c')) == {
        'event': 'pusher:unsubscribe', 'data': {'channel': 'c'}}
    assert json.loads(proto.client_event_frame('private-a', 'client-x', {'n': 1})) == {
        'event': 'client-x', 'channel': 'private-a', 'data': {'n': 1}}
    assert json.loads(proto.PING) == {'event': 'pusher:ping', 'data': {}}


@pytest.mark.parametrize('channel,event', [('public', 'client-x'), ('private-a', 'x')])
def test_client_events_need_client_prefix_and_private_channel(channel, event):
    with pytest.raises(proto.ProtocolError):
        proto.client_event_frame(channel, event, {})


# -- classification ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    'code,action',
    [
        (4000, CloseAction.REFUSED), (4001, CloseAction.REFUSED), (4004, CloseAction.REFUSED),
        (4009, CloseAction.REFUSED), (4099, CloseAction.REFUSED), (4100, CloseAction.BACKOFF),
        (4199, CloseAction.BACKOFF), (4200, CloseAction.RECONNECT_NOW),
        (4201, CloseAction.RECONNECT_NOW), (4299, CloseAction.RECONNECT_NOW),
        (1002, CloseAction.BACKOFF), (1003, CloseAction.BACKOFF), (1004, CloseAction.BACKOFF),
        (1006, CloseAction.BACKOFF), (1000, CloseAction.BACKOFF), (None, CloseAction.BACKOFF)],
)
def test_close_code_ranges(code, action):
    assert proto.classify_close(code) is action


@pytest.mark.parametrize('code', [4001, 4004, 4009])
def test_reverb_handshake_errors_are_refusals(code):
    assert proto.classify_error(code, connected=False) is CloseAction.REFUSED


@pytest.mark.parametrize('code', [4200, 4301, 4009, None])
def test_errors_after_the_handshake_are_reported_not_reconnected(code):
    assert proto.classify_error(code, connected=True) is CloseAction.REPORT


def test_session_reports_server_errors_by_phase():
    session = PusherSession()
    session.opened(0.0)
    [early] = session.receive(
        '{"event":"pusher:error","data":{"code":4001,"message":"App key x not in this cluster."}}',
        0.1)
    assert early == proto.ServerError(4001, 'App key x not in this cluster.', CloseAction.REFUSED)
    session = connected_session()
    [late] = session.receive(
        '{"event":"pusher:error","data":"{\\"code\\":4301,\\"message\\":\\"rate\\"}"}', 1.0)
    assert late.action is CloseAction.REPORT and late.code == 4301


# -- handshake and timers ------------------------------------------------------------------------
@pytest.mark.parametrize('as_string', [True, False])
def test_handshake_with_string_or_object_data(as_string):
    session = PusherSession(activity_timeout_s=120)
    session.opened(0.0)
    [event] = session.receive(established('1.2', 30, as_string=as_string), 0.5)
    assert event == proto.Established('1.2', 30.0)
    assert session.socket_id == '1.2' and session.connected


def test_own_activity_timeout_wins_when_smaller():
    session = PusherSession(activity_timeout_s=10)
    session.opened(0.0)
    [event] = session.receive(established(activity_timeout=120), 0.0)
    assert event.activity_timeout_s == 10


def test_invalid_socket_id_is_malformed_not_connected():
    session = PusherSession()
    session.opened(0.0)
    [event] = session.receive(established(socket_id='abc'), 0.0)
    assert isinstance(event, proto.Malformed) and not session.connected


def test_handshake_timeout():
    session = PusherSession(handshake_timeout_s=10)
    session.opened(100.0)
    assert session.next_deadline() == 110.0
    assert session.poll(109.9) == []
    assert session.poll(110.0) == [proto.TimedOut('handshake')]
    assert session.next_deadline() is None


def test_ping_after_silence_then_pong_timeout():
    # server says 30
    session = connected_session(now=0.0, activity_timeout_s=120, pong_timeout_s=5)
    assert session.next_deadline() == 30.0
    assert session.poll(29.0) == [] and session.take_outgoing() == []
    assert session.poll(30.0) == []
    assert session.take_outgoing() == [proto.PING]
    assert session.next_deadline() == 35.0
    assert session.poll(35.0) == [proto.TimedOut('pong')]


def test_any_message_restarts_the_activity_timer_and_pong_measures_latency():
    session = connected_session(now=0.0)
    session.receive('{"event":"x","channel":"c","data":"{}"}', 20.0)
    assert session.next_deadline() == 50.0
    session.poll(50.0)
    assert session.take_outgoing() == [proto.PING]
    [pong] = session.receive('{"event":"pusher:pong","data":{}}', 50.25)
    assert pong == proto.PongReceived(0.25, 1)
    assert session.next_deadline() == 80.25


def test_explicit_pings_are_numbered_and_answered_in_order():
    session = connected_session()
    first, second = session.ping(1.0), session.ping(2.0)
    assert (first, second) == (1, 2)
    assert session.take_outgoing() == [proto.PING, proto.PING]
    session.receive('{"event":"pusher:pong"}', 3.0)
    assert session.pongs_received == 1
    [pong] = session.receive('{"event":"pusher:pong"}', 3.5)
    assert pong.count == 2 and pong.latency_s == pytest.approx(1.5)


def test_server_ping_is_answered_with_pong():
    session = connected_session()
    assert session.receive('{"event":"pusher:ping","data":{}}', 1.0) == []
    assert session.take_outgoing() == [proto.PONG]


# -- channel messages ----------------------------------------------------------------------------
def test_channel_events_subscriptions_and_malformed_frames():
    session = connected_session()
    assert session.receive(
        '{"event":"pusher_internal:subscription_succeeded","channel":"c","data":"{}"}', 1
    ) == [proto.SubscriptionSucceeded('c', {})]
    assert session.receive(
        '{"event":"manual-sync","channel":"timezone-updates",'
        '"data":"{\\"timezone\\":\\"Asia/Jakarta\\"}"}',
        1) == [proto.ChannelEvent('timezone-updates', 'manual-sync', {'timezone': 'Asia/Jakarta'})]
    [failed] = session.receive('{"event":"pusher:subscription_error","channel":"private-a",'
                               '"data":{"type":"AuthError","error":"bad sig","status":401}}', 1)
    assert failed == proto.SubscriptionFailed('private-a', 401, 'bad sig')
    for bad in (
        'garbage', '{"event":"command","data":{}}',
        '{"event":"pusher_internal:subscription_succeeded"}',
    ):
        [event] = session.receive(bad, 1)
        assert isinstance(event, proto.Malformed)
    assert session.malformed == 3
    assert session.receive('{"event":"pusher:signin_success","data":{}}', 1) == []
