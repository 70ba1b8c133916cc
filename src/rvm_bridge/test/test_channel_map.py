"""Channel map: bundled maps route every outbound contract event; templating; validation errors."""

import pytest

from rvm_bridge.routing.channel_map import (
    FANOUT_MAP, ChannelMapError, load_channel_map, parse_channel_map)
from rvm_common import contract, events
from rvm_common.qos_profiles import TOPIC_QOS, qos_for

#: What MyRVM expects: topic -> (public channel dashboards watch, event, delivery).
MYRVM = {
    events.TOPIC_RVM_STATUS: (events.CHANNEL_STATUS, events.EVENT_STATUS_UPDATED, 'latest'),
    events.TOPIC_HEALTH: (events.CHANNEL_STATUS, events.EVENT_HEALTH_UPDATED, 'latest'),
    events.TOPIC_VERDICT: (events.CHANNEL_DETECTIONS, events.EVENT_DETECTION_COMPLETED, 'durable'),
    events.TOPIC_PROCESSING: (
        events.CHANNEL_DETECTIONS, events.EVENT_PROCESSING_UPDATED, 'latest'),
    events.TOPIC_SESSION: (events.CHANNEL_DETECTIONS, events.EVENT_SESSION_COMPLETED, 'durable'),
    # `failed` processing updates: an episode without a verdict is an outcome, kept durable
    events.TOPIC_ITEM_FAILED: (
        events.CHANNEL_DETECTIONS, events.EVENT_PROCESSING_UPDATED, 'durable'),
    events.TOPIC_TIMEZONE: (events.CHANNEL_TIMEZONE, events.EVENT_TIMEZONE_SYNCED, 'latest'),
}


def test_bundled_maps_route_every_outbound_event_of_the_contract():
    cmap = load_channel_map(rvm_id='rvm-7')
    fanout = load_channel_map(str(FANOUT_MAP), rvm_id='rvm-7')
    assert {r.event for r in cmap.routes.values()} == set(contract.event_names()) - {
        events.EVENT_MANUAL_SYNC, events.EVENT_COMMAND, 'events-stored'}
    for mapping in (cmap, fanout):
        assert {t: (r.event, r.delivery) for t, r in mapping.routes.items()} == \
            {t: (e, d) for t, (_, e, d) in MYRVM.items()}
    assert {t: r.channel for t, r in fanout.routes.items()} == {
        t: c for t, (c, _, _) in MYRVM.items()}
    for topic, (channel, event, delivery) in MYRVM.items():
        route = cmap.route(topic)
        assert topic in TOPIC_QOS, f'{topic} has no QoS of its own'
        if delivery == 'durable':     # kept for a bridge restart
            assert qos_for(topic).latched and qos_for(topic).depth >= 200, topic
        if delivery == 'durable':
            # to MyRVM on the machine's channel; the server re-broadcasts to `channel`
            assert (route.channel, route.transport, route.wire_event) == \
                ('private-rvm.rvm-7', 'client-event', 'client-' + event)
        else:
            assert (route.channel, route.transport) == (channel, 'http')
    assert cmap.needs_stored_ack()
    assert cmap.channels_needing_socket('private-rvm.rvm-7') == [
        'timezone-updates', 'private-rvm.rvm-7']


def test_api_transport_is_for_durable_routes_only():
    data = {
        'outbound': [
            {'topic': 'a', 'channel': 'c', 'event': 'e', 'transport': 'api', 'delivery': 'latest'}]
    }
    with pytest.raises(ChannelMapError, match='transport api'):
        parse_channel_map(data, rvm_id='r')
    data['outbound'][0]['delivery'] = 'durable'
    assert not parse_channel_map(data, rvm_id='r').needs_stored_ack()


def test_bundled_inbound_templated_with_rvm_id():
    cmap = load_channel_map(rvm_id='rvm-7')
    assert cmap.inbound_kind('timezone-updates', 'manual-sync') == 'manual-sync'
    assert cmap.inbound_kind('private-rvm.rvm-7', 'command') == 'command'
    assert cmap.inbound_kind('private-rvm.rvm-7', 'client-manual-sync') == 'manual-sync'
    assert cmap.inbound_kind('private-rvm.rvm-8', 'command') is None
    assert cmap.inbound_kind('timezone-updates', 'command') is None
    assert 'private-rvm.rvm-7' in cmap.channels_needing_socket()


def test_client_event_route_gets_prefix_and_needs_private_channel():
    data = {'outbound': [{'topic': 'items/verdict', 'channel': 'private-rvm.{rvm_id}',
                          'event': 'detection-completed', 'transport': 'client-event'}]}
    cmap = parse_channel_map(data, rvm_id='a')
    route = cmap.route('/items/verdict')
    assert route.channel == 'private-rvm.a' and route.wire_event == 'client-detection-completed'
    assert route.delivery == 'durable'
    data['outbound'][0]['channel'] = 'rvm-status'
    with pytest.raises(ChannelMapError, match='private- or presence-'):
        parse_channel_map(data, rvm_id='a')


@pytest.mark.parametrize('entry, message', [
    ({'topic': 't', 'channel': 'c', 'event': 'e', 'delivery': 'maybe'}, 'delivery'),
    ({'topic': 't', 'channel': 'c', 'event': 'e', 'transport': 'smoke'}, 'transport'),
    ({'topic': 't', 'channel': 'bad channel', 'event': 'e'}, 'not a valid Pusher channel'),
    ({'topic': 't', 'channel': 'c.{machine}', 'event': 'e'}, 'bad template'),
    ({'topic': 't', 'event': 'e'}, '"channel" must be'),
    ({'topic': 't', 'channel': 'c', 'event': 'e', 'colour': 'red'}, 'unknown field'),
])
def test_validation_names_entry_and_field(entry, message):
    with pytest.raises(ChannelMapError, match=message) as info:
        parse_channel_map({'outbound': [entry]}, rvm_id='a', source='m.yaml')
    assert 'm.yaml: outbound[0]' in str(info.value)


def test_duplicate_topic_and_unknown_inbound_event():
    with pytest.raises(ChannelMapError, match='mapped twice'):
        parse_channel_map(
            {'outbound': [{'topic': 't', 'channel': 'c', 'event': 'e'}] * 2}, rvm_id='a')
    with pytest.raises(ChannelMapError, match='inbound event'):
        parse_channel_map({'inbound': [{'channel': 'c', 'events': ['reboot-now']}]}, rvm_id='a')


def test_missing_and_broken_files(tmp_path):
    with pytest.raises(ChannelMapError, match='cannot read'):
        load_channel_map(tmp_path / 'nope.yaml', rvm_id='a')
    bad = tmp_path / 'bad.yaml'
    bad.write_text('outbound: [\n')
    with pytest.raises(ChannelMapError, match='not valid YAML'):
        load_channel_map(bad, rvm_id='a')
