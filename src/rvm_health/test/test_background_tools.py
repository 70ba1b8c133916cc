"""tegrastats and nvidia-smi run as real subprocesses (small scripts replay recorded output)."""

from __future__ import annotations

import stat
import time
from pathlib import Path

from health_test_support import DATA

from rvm_health.nvidia_gpu import NvidiaSmiCollector
from rvm_health.tegrastats import TegrastatsCollector


def script(path: Path, body: str) -> str:
    path.write_text('#!/bin/sh\n' + body)
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return str(path)


def wait_for(predicate, timeout: float = 5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(0.02)
    raise AssertionError('condition not met in time')


def test_tegrastats_stream_is_read_in_the_background(tmp_path):
    recorded = DATA / 'tegrastats' / 'jetpack6_orin_nano.txt'
    fake = script(tmp_path / 'tegrastats', f'cat "{recorded}"\nexec sleep 30\n')
    collector = TegrastatsCollector(command=fake, interval_ms=100)
    try:
        started = time.monotonic()
        first = collector.sample(time.monotonic())
        assert time.monotonic() - started < 0.5  # starting never waits on the tool
        assert first.ok
        reading = wait_for(
            lambda: (r := collector.sample(time.monotonic())).values.get('gpu_percent') == 96 and r
        )
        assert reading.values['source'] == 'tegrastats'
        assert reading.values['power_total_mw'] == 14210
    finally:
        collector.close()


def test_tegrastats_that_exits_gives_a_failed_reading_with_reason(tmp_path):
    fake = script(
        tmp_path / 'tegrastats', 'echo "Error: Run tegrastats as a root user" >&2\nexit 1\n')
    collector = TegrastatsCollector(command=fake)
    try:
        reading = wait_for(lambda: not (r := collector.sample(time.monotonic())).ok and r)
        assert (
            not reading.ok
            and 'exited with code 1' in reading.reason
            and 'root user' in reading.reason
        )
    finally:
        collector.close()


def test_tegrastats_odd_output_is_a_failed_reading(tmp_path):
    fake = script(tmp_path / 'tegrastats', 'echo "garbage %@@"\nexec sleep 30\n')
    collector = TegrastatsCollector(command=fake)
    try:
        reading = wait_for(lambda: not (r := collector.sample(time.monotonic())).ok and r)
        assert not reading.ok and 'no tegrastats statistics' in reading.reason
    finally:
        collector.close()


def test_nvidia_smi_polled_in_the_background(tmp_path):
    fake = script(
        tmp_path / 'nvidia-smi', 'echo "0, NVIDIA RTX A2000, 57, 2048, 6144, 61, 48.5"\n')
    collector = NvidiaSmiCollector(command=fake, period=0.1)
    try:
        reading = wait_for(
            lambda: (r := collector.sample(time.monotonic())).values.get('devices') and r)
        assert reading.values['devices'][0]['temperature_c'] == 61.0
    finally:
        collector.close()


def test_nvidia_smi_without_driver_is_a_failed_reading(tmp_path):
    fake = script(
        tmp_path / 'nvidia-smi',
        'echo "NVIDIA-SMI has failed because it could not communicate '
        'with the NVIDIA driver." \nexit 9\n',
    )
    collector = NvidiaSmiCollector(command=fake, period=0.1)
    try:
        reading = wait_for(
            lambda: (r := collector.sample(time.monotonic())).reason and not r.ok and r)
        assert 'exited with code 9' in reading.reason
    finally:
        collector.close()
