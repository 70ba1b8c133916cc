"""tegrastats line parsing against recorded JetPack 4/5/6/7 lines and odd lines."""
from __future__ import annotations

import pytest
from health_test_support import DATA

from rvm_health.tegrastats import TegrastatsParseError, jetson_gpu_section, parse_tegrastats_line

LINES = DATA / 'tegrastats'


def lines(name: str) -> list[str]:
    return [line for line in (LINES / name).read_text().splitlines() if line.strip()]


def test_jetpack5_agx_orin_idle_line():
    stats = parse_tegrastats_line(lines('jetpack5_agx_orin.txt')[0])
    assert (stats['ram_used_mb'], stats['ram_total_mb']) == (2448, 62780)
    assert (stats['swap_used_mb'], stats['swap_total_mb']) == (0, 31390)
    assert len(stats['cpu']) == 12
    assert stats['cpu'][1] == {'percent': 1, 'mhz': 729}
    assert stats['cpu'][8:] == [None, None, None, None]  # 'off' cores
    assert (stats['emc_percent'], stats['emc_mhz']) == (0, 2133)
    assert (stats['gpu_percent'], stats['gpu_mhz']) == (0, 305)
    assert stats['temperatures']['CPU'] == 44.625
    assert stats['temperatures']['tj'] == 44.625
    assert set(stats['offline_sensors']) == {'CV0', 'CV1', 'CV2', 'GPU'}
    assert 'GPU' not in stats['temperatures']
    assert stats['power_mw'] == {'VDD_GPU_SOC': 2000, 'VDD_CPU_CV': 400, 'VIN_SYS_5V0': 3311,
                                 'VDDQ_VDD2_1V8AO': 805}  # the 'NC' rails are dropped


def test_jetpack5_line_with_timestamp_and_load():
    stats = parse_tegrastats_line(lines('jetpack5_agx_orin.txt')[1])
    assert stats['gpu_percent'] == 87 and stats['gpu_mhz'] == 1300
    assert stats['temperatures']['GPU'] == 61.343
    assert (
        stats['power_mw']['VDD_GPU_SOC'] == 14328 and stats['power_avg_mw']['VDD_GPU_SOC'] == 9611)


def test_jetpack6_orin_nano_lines():
    idle, busy = (parse_tegrastats_line(line) for line in lines('jetpack6_orin_nano.txt'))
    assert idle['offline_sensors'] == ['gpu'] and 'gpu' not in idle['temperatures']
    assert idle['temperatures']['cpu'] == 47.718
    assert idle['power_mw'] == {'VDD_IN': 4937, 'VDD_CPU_GPU_CV': 476, 'VDD_SOC': 1427}
    assert busy['gpu_percent'] == 96 and busy['gpu_mhz'] == 1020
    assert busy['cpu'][4:] == [None, None]
    assert busy['temperatures']['gpu'] == 64.062
    section = jetson_gpu_section(busy)
    assert section['power_total_mw'] == 14210  # VDD_IN is the module input


def test_jetpack7_thor_line():
    stats = parse_tegrastats_line(lines('jetpack7_thor.txt')[0])
    assert len(stats['cpu']) == 14
    assert stats['gpu_percent'] == 0 and 'gpu_mhz' not in stats
    assert stats['emc_mhz'] == 4266
    assert stats['offline_sensors'] == ['gpu']
    assert stats['temperatures'] == {
        'cpu': 53.718, 'tj': 55.125, 'soc012': 55.125, 'soc345': 53.718}
    assert stats['power_mw'] == {'VDD_GPU': 0, 'VDD_CPU_SOC_MSS': 6510, 'VIN_SYS_5V0': 6520}
    assert jetson_gpu_section(stats)['power_total_mw'] == 6510 + 6520


@pytest.mark.parametrize(
    'name, rails, total',
    [
        ('jetpack4_nano.txt', {'POM_5V_IN': 2611, 'POM_5V_GPU': 39, 'POM_5V_CPU': 587}, 2611),
        (
            'jetpack4_tx2.txt',
            {
                'VDD_IN': 1812, 'VDD_CPU': 231, 'VDD_GPU': 154, 'VDD_SOC': 386, 'VDD_WIFI': 38,
                'VDD_DDR': 288},
            1812),
    ],
)
def test_jetpack4_rails_without_units(name, rails, total):
    stats = parse_tegrastats_line(lines(name)[0])
    assert stats['power_mw'] == rails
    assert jetson_gpu_section(stats)['power_total_mw'] == total
    assert 'PMIC' in stats['temperatures']  # PMIC@100C is a real (fixed) reading, kept


def test_legacy_tx1_format():
    stats = parse_tegrastats_line(lines('legacy_tx1.txt')[0])
    assert stats['cpu'] == [{'percent': p, 'mhz': 1734} for p in (15, 12, 31, 6)]
    assert (stats['emc_percent'], stats['emc_mhz']) == (2, 1600)
    assert (stats['gpu_percent'], stats['gpu_mhz']) == (41, 76)
    assert 'temperatures' not in stats and 'power_mw' not in stats


@pytest.mark.parametrize('line', (LINES / 'odd_lines.txt').read_text().splitlines())
def test_odd_lines_raise_a_clear_error(line):
    with pytest.raises(TegrastatsParseError, match='no tegrastats statistics'):
        parse_tegrastats_line(line)


def test_partial_line_keeps_what_it_can():
    stats = parse_tegrastats_line('GR3D_FREQ 12%@[918] tj@51.5C CV0@-256C')
    assert stats == {'gpu_percent': 12, 'gpu_mhz': 918, 'temperatures': {'tj': 51.5},
                     'offline_sensors': ['CV0']}
