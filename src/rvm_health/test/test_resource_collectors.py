"""psutil collectors, nvidia-smi CSV parsing, and detection of missing tools."""
from __future__ import annotations

import os

import pytest

from rvm_health.health_config import HealthConfig
from rvm_health.nvidia_gpu import NvidiaSmiCollector, NvidiaSmiParseError, parse_nvidia_smi_csv
from rvm_health.readings import OK, WARN
from rvm_health.resource_monitor import ResourceMonitor, build_collectors, flatten_values
from rvm_health.system_collectors import (
    CpuCollector, DiskCollector, MemoryCollector, ProcessCollector, UptimeCollector)
from rvm_health.tegrastats import TegrastatsCollector

MISSING = 'rvm-no-such-tool-7f3a'


def test_cpu_and_memory_from_psutil():
    cpu = CpuCollector().sample(0.0)
    assert cpu.ok and cpu.values['count'] == len(cpu.values['per_core']) == os.cpu_count()
    assert all(0.0 <= p <= 100.0 for p in cpu.values['per_core'])
    mem = MemoryCollector().sample(0.0)
    assert mem.ok and 0 < mem.values['used_mb'] < mem.values['total_mb']


def test_disk_reports_existing_paths_and_warns_for_missing(tmp_path):
    reading = DiskCollector([str(tmp_path), str(tmp_path / 'gone')]).sample(0.0)
    assert reading.ok
    assert [d['path'] for d in reading.values['disks']] == [str(tmp_path)]
    assert 0.0 <= reading.values['disks'][0]['percent'] <= 100.0
    assert len(reading.warnings) == 1 and 'gone' in reading.warnings[0]
    none_left = DiskCollector([str(tmp_path / 'gone')]).sample(0.0)
    assert not none_left.ok and 'gone' in none_left.reason


def test_process_rss_by_pattern():
    reading = ProcessCollector(['pytest', MISSING]).sample(0.0)
    procs = {p['pattern']: p for p in reading.values['processes']}
    assert os.getpid() in procs['pytest']['pids'] and procs['pytest']['rss_mb'] > 10
    assert reading.values['not_running'] == [MISSING]


def test_process_table_is_rescanned_only_every_rescan_s(tmp_path):
    import subprocess
    import sys
    marker = f'rvm-health-test-{tmp_path.name}'
    collector = ProcessCollector([marker], rescan_s=10.0)
    assert collector.sample(0.0).values['not_running'] == [marker]
    child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(30)', marker])
    try:
        assert collector.sample(5.0).values['not_running'] == [marker]    # not rescanned yet
        found = collector.sample(10.0).values['processes']
        assert found[0]['pids'] == [child.pid] and found[0]['rss_mb'] > 1
    finally:
        child.kill()
        child.wait()
    # exit noticed without a rescan
    assert collector.sample(11.0).values['not_running'] == [marker]


def test_uptime():
    reading = UptimeCollector(started_at=100.0).sample(112.5)
    assert reading.values['node_uptime_s'] == 12.5 and reading.values['system_uptime_s'] > 0


SMI_OUTPUT = """0, NVIDIA GeForce RTX 3060, 23, 1234, 12288, 45, 35.12
1, NVIDIA A2, [N/A], 10, 15356, 38, [Not Supported]
"""


def test_parse_nvidia_smi_csv():
    devices = parse_nvidia_smi_csv(SMI_OUTPUT)
    assert devices[0] == {
        'index': 0, 'name': 'NVIDIA GeForce RTX 3060', 'load_percent': 23.0,
        'memory_used_mb': 1234.0, 'memory_total_mb': 12288.0, 'temperature_c': 45.0,
        'power_w': 35.12}
    assert devices[1]['load_percent'] is None and devices[1]['power_w'] is None


@pytest.mark.parametrize('text, match', [
    ('', 'no GPU'),
    ('0, GPU, 1, 2\n', 'expected 7 columns'),
    ('0, GPU, busy, 1, 2, 3, 4\n', 'not a number'),
    ('NVIDIA-SMI has failed because it could not communicate with the NVIDIA driver.', 'columns'),
])
def test_bad_nvidia_smi_output(text, match):
    with pytest.raises(NvidiaSmiParseError, match=match):
        parse_nvidia_smi_csv(text)


def test_missing_tools_are_absent_with_reason():
    smi = NvidiaSmiCollector(command=MISSING).sample(0.0)
    assert not smi.present and f'{MISSING} not found' in smi.reason
    teg = TegrastatsCollector(command=MISSING).sample(0.0)
    assert not teg.present and f'{MISSING} not found' in teg.reason


def _diag(monitor: ResourceMonitor, title: str) -> dict:
    monitor.sample(0.0)
    return next(d for d in monitor.diagnostics('hw') if d['name'] == f'rvm_health: {title}')


def test_auto_mode_missing_sources_are_ok_not_present(tmp_path):
    config = HealthConfig(
        tegrastats_command=MISSING, nvidia_smi_command=MISSING, thermal_root=str(tmp_path))
    monitor = ResourceMonitor(build_collectors(config, 0.0))
    jetson = _diag(monitor, 'Jetson GPU/EMC/power')
    assert jetson['level'] == OK and jetson['message'].startswith('not present')
    notes = dict((text.split(':')[0], level) for level, text in monitor.startup_notes())
    assert notes['Jetson GPU/EMC/power'] == OK
    # a configured sensor root that has no zones is a warning: temperatures were expected
    assert _diag(monitor, 'Temperatures')['level'] == WARN
    monitor.close()


def test_requested_but_missing_tools_warn_with_reason():
    config = HealthConfig(jetson_source='tegrastats', tegrastats_command=MISSING,
                          nvidia_source='nvidia-smi', nvidia_smi_command=MISSING)
    monitor = ResourceMonitor(build_collectors(config, 0.0))
    for title in ('Jetson GPU/EMC/power', 'NVIDIA GPU'):
        diag = _diag(monitor, title)
        assert diag['level'] == WARN and f'{MISSING} not found on PATH' in diag['message']
    monitor.close()


def test_sources_off_are_not_built():
    config = HealthConfig(jetson_source='off', nvidia_source='off')
    names = [slot.collector.name for slot in build_collectors(config, 0.0)]
    assert 'jetson' not in names and 'nvidia' not in names


def test_a_collector_that_raises_becomes_a_warn_not_a_crash():
    class Broken:
        name = 'broken'

        def sample(self, now):
            raise RuntimeError('sensor driver exploded')

        def close(self):
            pass

    from rvm_health.resource_monitor import CollectorSlot
    monitor = ResourceMonitor([CollectorSlot(Broken(), title='Broken')])
    diag = _diag(monitor, 'Broken')
    assert diag['level'] == WARN and 'sensor driver exploded' in diag['message']


def test_a_new_sample_period_reaches_the_nvidia_smi_poller():
    """ros2 param set sample_period: the poller on its own thread follows, not only the core."""
    from rvm_health.background import PeriodicCommand
    from rvm_health.health_core import HealthCore
    from rvm_health.resource_monitor import CollectorSlot
    runner = PeriodicCommand(['nvidia-smi'], period=1.0)          # never started here
    monitor = ResourceMonitor([CollectorSlot(NvidiaSmiCollector(runner=runner), title='GPU')])
    core = HealthCore(HealthConfig(sample_period=1.0), resources=monitor)
    core.apply_config(HealthConfig(sample_period=5.0))
    assert runner.period == 5.0 and core.config.sample_period == 5.0
    core.apply_config(HealthConfig(sample_period=0.2))
    assert runner.period == 1.0        # nvidia-smi is never polled faster than once a second


def test_flatten_values_for_diagnostic_key_values():
    flat = flatten_values({'disks': [{'path': '/', 'percent': 4.0}], 'cpu': [1, None],
                           'power_mw': {'VDD_IN': 5}, 'gpu': None})
    assert flat == {'disks[/].path': '/', 'disks[/].percent': '4.0', 'cpu': '1, off',
                    'power_mw.VDD_IN': '5', 'gpu': ''}


def test_jtop_stats_mapping():
    from rvm_health.jtop_collector import jtop_stats_section
    stats = {'time': 'x', 'GPU': 42.0, 'Temp cpu': 51.2, 'Temp gpu': -256, 'Power TOT': 7421,
             'Power VDD_CPU_GPU_CV': 2210, 'RAM': 0.4}
    assert jtop_stats_section(stats) == {
        'source': 'jtop', 'gpu_percent': 42.0, 'temperatures': {'cpu': 51.2},
        'offline_sensors': ['gpu'], 'power_mw': {'TOT': 7421, 'VDD_CPU_GPU_CV': 2210},
        'power_total_mw': 7421}
