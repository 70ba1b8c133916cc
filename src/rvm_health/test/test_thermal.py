"""Thermal zones from recorded /sys/class/thermal trees."""
from __future__ import annotations

from health_test_support import DATA

from rvm_health.thermal import ThermalCollector


def test_recorded_orin_tree():
    reading = ThermalCollector(str(DATA / 'thermal_orin')).sample(0.0)
    assert reading.ok and reading.present
    temps = reading.values['temperatures']
    assert temps == {'cpu-thermal': 45.531, 'soc0-thermal': 44.218, 'soc1-thermal': 43.906,
                     'soc2-thermal': 44.062, 'tj-thermal': 46.125, 'thermal_zone9': 38.0}
    unavailable = reading.values['unavailable']
    assert unavailable['gpu-thermal'].startswith('sensor offline') and 'cv0-thermal' in unavailable
    assert unavailable['tboard-thermal'].startswith('unreadable')
    assert unavailable['pmic-thermal'].startswith('not a number')
    # offline (power-gated) sensors are normal; unreadable/garbage ones are warnings
    assert len(reading.warnings) == 2
    assert any('tboard-thermal' in w for w in reading.warnings)


def test_missing_root_is_absent_not_an_error(tmp_path):
    reading = ThermalCollector(str(tmp_path / 'nope')).sample(0.0)
    assert not reading.present and 'does not exist' in reading.reason


def test_tree_without_zones(tmp_path):
    reading = ThermalCollector(str(tmp_path)).sample(0.0)
    assert not reading.present and 'no thermal_zone' in reading.reason


def test_all_zones_unreadable_is_a_failed_reading(tmp_path):
    zone = tmp_path / 'thermal_zone0'
    zone.mkdir()
    (zone / 'type').write_text('cpu-thermal\n')
    (zone / 'temp').write_text('-256000\n')
    reading = ThermalCollector(str(tmp_path)).sample(0.0)
    assert reading.present and not reading.ok
    assert reading.values['temperatures'] == {}
    assert reading.reason == 'no readable thermal zone'
