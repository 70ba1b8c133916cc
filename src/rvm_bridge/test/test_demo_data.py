"""Demo data (sample, file, folder, bag, synthetic verdicts) is flagged, kept off real servers."""
import json

import pytest

from rvm_bridge.bridge_config import BridgeConfig
from rvm_bridge.bridge_core import BridgeCore
from rvm_bridge.demo_data import is_loopback
from rvm_common.params import ConfigError


@pytest.mark.parametrize('host, loopback', [
    ('127.0.0.1', True), ('127.3.4.5', True), ('::1', True), ('[::1]', True),
    ('localhost', True), ('soketi.localhost', True), ('10.0.0.5', False),
    ('reverb.example.com', False), ('0.0.0.0', False)])
def test_loopback_hosts(host, loopback):
    assert is_loopback(host) is loopback


def test_demo_events_to_a_remote_server_are_refused_without_the_explicit_flag():
    config = BridgeConfig(host='reverb.example.com', app_key='k', demo_source='sample')
    with pytest.raises(ConfigError, match=r'sample source .* reverb\.example\.com.*'
                                          r'--send-demo-data'):
        config.validate()
    BridgeConfig(host='reverb.example.com', app_key='k', demo_source='sample',
                 allow_demo_upload=True).validate()
    BridgeConfig(host='127.0.0.1', app_key='k', demo_source='video').validate()
    BridgeConfig(host='reverb.example.com', app_key='k').validate()     # a camera: fine


def test_a_remote_api_base_counts_too_and_an_unknown_source_is_an_error():
    with pytest.raises(ConfigError, match='myrvm.example.com'):
        BridgeConfig(host='127.0.0.1', app_key='k', api_base='https://myrvm.example.com',
                     demo_source='bag').validate()
    with pytest.raises(ConfigError, match="demo_source: 'webcam'"):
        BridgeConfig(demo_source='webcam').validate()


def test_every_event_of_a_demo_run_carries_the_flag(tmp_path):
    config = BridgeConfig(host='', outbox_path=str(tmp_path / 'o.db'), demo_source='sample',
                          timezone_sync_on_start=False)
    core = BridgeCore(config)
    try:
        core.publish('items/verdict', {'event_id': 'e1234567', 'type': 'detection-completed'})
        assert core.outbox.settle(5.0)
        stored = json.loads(core.outbox.peek(1)[0].payload)
        assert stored['demo'] is True and stored['demo_source'] == 'sample'
    finally:
        core.stop()


def test_camera_events_carry_no_flag(tmp_path):
    core = BridgeCore(BridgeConfig(host='', outbox_path=str(tmp_path / 'o.db'),
                                   timezone_sync_on_start=False))
    try:
        core.publish('items/verdict', {'event_id': 'e1234567', 'type': 'detection-completed'})
        assert core.outbox.settle(5.0)
        assert 'demo' not in json.loads(core.outbox.peek(1)[0].payload)
    finally:
        core.stop()
