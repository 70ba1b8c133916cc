"""The bundled health.yaml and the validation of user rule files; HealthConfig parameters."""
from __future__ import annotations

import pytest

from rvm_common.params import ConfigError, config_from_mapping, defaults_of
from rvm_health.health_config import HealthConfig
from rvm_health.health_rules import BUNDLED_RULES, load_rules, rules_from_mapping


def test_bundled_rules_load_and_cover_the_pipeline():
    rules = load_rules()
    names = {c.name: c for c in rules.components}
    assert set(names) == {'camera', 'detector', 'bridge', 'verdicts'}
    assert names['camera'].required and not names['bridge'].required
    assert {a.kind for a in rules.alerts} == {'maintenance', 'error'}
    for alert in rules.alerts:  # every shipped rule has real hysteresis
        if alert.rising:
            assert alert.clear_below < alert.raise_above
        else:
            assert alert.clear_above > alert.raise_below
    assert load_rules(str(BUNDLED_RULES)) == load_rules('')


def test_bundled_file_is_package_data():
    assert BUNDLED_RULES.is_file() and BUNDLED_RULES.parent.name == 'config'


ALERT = {
    'id': 'a', 'kind': 'maintenance', 'level': 'warn', 'metric': 'cpu_percent',
    'message': '{value}', 'raise_above': 90.0, 'clear_below': 80.0}


@pytest.mark.parametrize(
    'alert, match',
    [
        ({**ALERT, 'clear_below': 95.0}, 'hysteresis'),
        ({**ALERT, 'kind': 'urgent'}, 'kind must be'),
        ({**ALERT, 'raise_above': None, 'clear_below': None}, 'needs raise_above'),
        (
            {**ALERT, 'raise_after_s': -1.0},
            r't\.yaml: alerts\[0\]\.raise_after_s: -1\.0 is out of range'),
        ({**ALERT, 'message': '{nope}'}, 'template'),
        ({**ALERT, 'colour': 'red'}, r"t\.yaml: alerts\[0\]: unknown key 'colour'"),
        ({**ALERT, 'levle': 'warn'}, r"unknown key 'levle' \(did you mean 'level'\?\)"),
        (
            {**ALERT, 'raise_above': 'hot'},
            r"t\.yaml: alerts\[0\]\.raise_above: expected a number, got 'hot'"),
    ],
)
def test_invalid_alert_rules_are_rejected(alert, match):
    with pytest.raises(ConfigError, match=match):
        rules_from_mapping({'alerts': [alert]}, source='t.yaml')


def test_duplicate_alert_ids_are_rejected():
    with pytest.raises(ConfigError, match='duplicate'):
        rules_from_mapping({'alerts': [ALERT, ALERT]})


def test_component_validation():
    with pytest.raises(ConfigError, match='needs a topic'):
        rules_from_mapping({'pipeline': {'camera': {'min_hz': 1.0}}})
    with pytest.raises(ConfigError, match=r'pipeline\.camera\.min_hz: 9\.0 > max_hz 5\.0'):
        rules_from_mapping({'pipeline': {'camera': {'topic': 'c', 'min_hz': 9.0, 'max_hz': 5.0}}})
    with pytest.raises(
        ConfigError, match=r'h\.yaml: pipeline\.camera\.tolerance: 1\.5 is out of range'
    ):
        rules_from_mapping(
            {'pipeline': {'camera': {'topic': 'c', 'tolerance': 1.5}}}, source='h.yaml')
    with pytest.raises(
        ConfigError, match=r"h\.yaml: unknown section 'alert' \(did you mean 'alerts'\?\)"
    ):
        rules_from_mapping({'alert': []}, source='h.yaml')
    with pytest.raises(ConfigError, match=r"h\.yaml: status: unknown key 'idle_after' "
                                          r"\(did you mean 'idle_after_s'\?\)"):
        rules_from_mapping({'status': {'idle_after': 3}}, source='h.yaml')


def test_unreadable_and_invalid_files(tmp_path):
    with pytest.raises(ConfigError, match='cannot read'):
        load_rules(tmp_path / 'missing.yaml')
    bad = tmp_path / 'bad.yaml'
    bad.write_text('alerts: [unclosed\n')
    with pytest.raises(ConfigError, match='not valid YAML'):
        load_rules(bad)


def test_health_config_parameters():
    defaults = defaults_of(HealthConfig)
    assert defaults['disk_paths'] == ['/'] and defaults['health_rate'] == 0.2
    config = config_from_mapping(HealthConfig, {'health_rate': 1, 'jetson_source': 'off'})
    assert config.health_rate == 1.0 and config.jetson_source == 'off'
    with pytest.raises(ConfigError, match='jetson_source'):
        config_from_mapping(HealthConfig, {'jetson_source': 'maybe'})


def test_the_bridge_is_down_in_exactly_the_bridge_state_outages():
    from rvm_common.bridge_state import OUTAGES

    bridge = {c.name: c for c in load_rules().components}['bridge']
    assert set(bridge.offline_states) == {s.value for s in OUTAGES}
    assert 'offline' not in bridge.offline_states          # no server configured is not an outage
    listed = rules_from_mapping(
        {'pipeline': {'b': {'topic': 'bridge/status', 'offline_states': ['failed']}}})
    assert listed.components[0].offline_states == ('failed',)
    with pytest.raises(
        ConfigError,
        match=r"h\.yaml: pipeline\.b: offline_states: reconnecting is not a bridge "
        r"state \(known: offline, error",
    ):
        rules_from_mapping(
            {'pipeline': {'b': {'topic': '/bridge/status', 'offline_states': ['reconnecting']}}},
            source='h.yaml')
