"""Outbox: order, seq persistence across restarts, bounds with counted policies, dead letters."""
import threading

import pytest

from rvm_bridge.outbox import Outbox


def _ev(i):
    return {'type': 'detection-completed', 'event_id': f'e{i}', 'n': i}


def test_append_peek_confirm_in_seq_order(tmp_path):
    box = Outbox(tmp_path / 'o.db')
    entries = [box.append('ch', 'ev', 'http', _ev(i)) for i in range(5)]
    assert [e.seq for e in entries] == [1, 2, 3, 4, 5]
    assert [e.event_id for e in box.peek(3)] == ['e0', 'e1', 'e2']
    assert box.confirm([1, 2]) == 2
    assert [e.seq for e in box.peek(10)] == [3, 4, 5]
    assert box.depth() == 3
    assert '"seq":3' in box.peek(1)[0].payload


def test_producer_event_id_is_kept_and_missing_one_is_generated(tmp_path):
    box = Outbox(tmp_path / 'o.db')
    payload = {'type': 'x'}
    entry = box.append('ch', 'ev', 'http', payload)
    assert entry.event_id == payload['event_id'] and len(entry.event_id) == 36
    assert box.append('ch', 'ev', 'http', _ev(7)).event_id == 'e7'
    assert box.append('ch', 'ev', 'http', _ev(7)) is None  # same id twice: not queued twice
    assert box.depth() == 2


def test_survives_restart_and_seq_never_goes_back(tmp_path):
    path = tmp_path / 'o.db'
    box = Outbox(path)
    for i in range(4):
        box.append('ch', 'ev', 'http', _ev(i))
    box.confirm([1, 2, 3, 4])       # all delivered: table empty, counter must still hold
    box.append('ch', 'ev', 'http', _ev(10))
    box.close()
    box = Outbox(path)
    assert [e.event_id for e in box.peek(10)] == ['e10']
    assert box.append('ch', 'ev', 'http', _ev(11)).seq == 6


def test_drop_oldest_moves_to_dead_letter_and_counts(tmp_path):
    box = Outbox(tmp_path / 'o.db', max_rows=3, policy='drop_oldest')
    for i in range(5):
        box.append('ch', 'ev', 'http', _ev(i))
    assert [e.event_id for e in box.peek(10)] == ['e2', 'e3', 'e4']
    assert box.counters['dropped_overflow'] == 2
    assert {d['event_id']: d['reason'] for d in box.dead_letters()} == {'e0': 'overflow', 'e1': 'overflow'}


def test_reject_new_refuses_and_counts(tmp_path, caplog):
    box = Outbox(tmp_path / 'o.db', max_rows=2, policy='reject_new')
    assert box.append('ch', 'ev', 'http', _ev(0))
    assert box.append('ch', 'ev', 'http', _ev(1))
    assert box.append('ch', 'ev', 'http', _ev(2)) is None
    assert box.counters['rejected'] == 1
    assert 'outbox full' in caplog.text
    assert [e.event_id for e in box.peek(10)] == ['e0', 'e1']


def test_byte_bound(tmp_path):
    box = Outbox(tmp_path / 'o.db', max_bytes=300, policy='drop_oldest')
    for i in range(6):
        box.append('ch', 'ev', 'http', {**_ev(i), 'pad': 'x' * 80})
    assert box.size_bytes() <= 300
    assert box.depth() < 6 and box.counters['dropped_overflow'] == 6 - box.depth()


def test_age_bound_expires_to_dead_letter(tmp_path):
    now = [1000.0]
    box = Outbox(tmp_path / 'o.db', max_age_s=60, clock=lambda: now[0])
    box.append('ch', 'ev', 'http', _ev(0))
    now[0] = 1050.0
    box.append('ch', 'ev', 'http', _ev(1))
    now[0] = 1070.0
    assert box.oldest_age() == pytest.approx(70.0)
    assert box.expire() == 1
    assert [e.event_id for e in box.peek(10)] == ['e1']
    assert box.dead_letters()[0]['reason'] == 'expired'


def test_encode_none_dead_letters(tmp_path):
    box = Outbox(tmp_path / 'o.db')
    assert box.append('ch', 'ev', 'http', _ev(0), encode=lambda p: None) is None
    assert box.depth() == 0 and box.dead_letters()[0]['reason'] == 'oversized'


def test_concurrent_appends_keep_unique_increasing_seq(tmp_path):
    box = Outbox(tmp_path / 'o.db')

    def worker(k):
        for i in range(50):
            box.append('ch', 'ev', 'http', {'event_id': f'{k}-{i}'})
    threads = [threading.Thread(target=worker, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seqs = [e.seq for e in box.peek(1000)]
    assert seqs == sorted(seqs) and len(set(seqs)) == 200
    per_producer = [int(e.event_id.split('-')[1]) for e in box.peek(1000) if e.event_id.startswith('2-')]
    assert per_producer == list(range(50))


def test_unknown_policy_is_an_error(tmp_path):
    with pytest.raises(ValueError, match='policy'):
        Outbox(tmp_path / 'o.db', policy='drop_everything')
