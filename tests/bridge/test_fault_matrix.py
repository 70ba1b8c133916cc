"""The fault matrix (bench/fault_matrix.py --quick): 0 lost and 0 falsely confirmed in every row.

Real Soketi, the stored-ack receiver playing MyRVM, faults injected in front of them; short fault
durations here (seconds), the full ones in ``python bench/fault_matrix.py``.
"""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / 'bench'))

import fault_matrix  # noqa: E402


@pytest.mark.parametrize('name', [name for name, _, _ in fault_matrix.SCENARIOS])
def test_fault_row_loses_nothing_and_confirms_nothing_falsely(name, monkeypatch):
    # the matrix sets its own; restored afterwards
    monkeypatch.setenv('RVM_BRIDGE_TOKEN', 'x')
    monkeypatch.setenv(fault_matrix.SECRET_ENV, 'x')
    row = fault_matrix.run_one(name, quick=True)
    if row.note.startswith('not run:'):
        pytest.skip(row.note)                   # e.g. the tmpfs of the disk-full row needs root
    print('\n' + fault_matrix.table([row]))
    assert row.items > 0
    assert row.lost == 0 and row.falsely_confirmed == 0, row
    assert row.stored == row.items and row.recovery_to_last_ack_s is not None, row
    if name == 'thread_exceptions':            # every thread given an exception was restarted
        for thread in ('rvm-bridge-sender', 'rvm-pusher-socket', 'rvm-pusher-auth',
                       'rvm-bridge-jobs', 'rvm-bridge-outbox'):
            assert f"'{thread}': 1" in row.note, row
