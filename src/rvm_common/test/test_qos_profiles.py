"""Every topic's QoS, defined once: durable and status topics survive restarts and late joiners."""
from rvm_common import events
from rvm_common.qos_profiles import DURABLE_DEPTH, TOPIC_QOS, qos_for


def test_durable_topics_are_reliable_latched_and_deep_enough_for_a_bridge_restart():
    for topic in (events.TOPIC_VERDICT, events.TOPIC_SESSION):
        # the channel map's durable routes
        spec = qos_for(topic)
        assert spec.reliable and spec.latched
        # a bridge respawn takes seconds; at one item per 3 s this keeps ten minutes of verdicts
        assert spec.depth == DURABLE_DEPTH >= 200


def test_status_topics_are_latched_so_late_joiners_see_the_current_state():
    for topic in (events.TOPIC_RVM_STATUS, events.TOPIC_TIMEZONE, events.TOPIC_CAMERA_STATUS,
                  events.TOPIC_DETECTOR_STATUS, events.TOPIC_BRIDGE_STATUS, events.TOPIC_HEALTH):
        spec = qos_for(topic)
        assert spec.latched and spec.reliable and spec.depth == 1


def test_observers_can_subscribe_without_replay_and_unknown_topics_are_volatile():
    assert not qos_for(events.TOPIC_VERDICT, replay=False).latched
    assert qos_for(events.TOPIC_VERDICT, replay=False).reliable
    assert not qos_for('some/other').latched
    assert events.TOPIC_VERDICT in TOPIC_QOS and 'some/other' not in TOPIC_QOS
