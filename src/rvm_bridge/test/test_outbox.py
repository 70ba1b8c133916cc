"""Outbox: order, seq persistence across restarts, bounds with counted policies, dead letters."""
import threading

import pytest

from rvm_bridge.outbox.outbox import Outbox


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
    assert box.depth() == 2 and box.counters['duplicates'] == 1
    assert box.append('ch', 'ev', 'http', _ev(8)).seq == 3  # a duplicate does not use up a seq
    box.confirm_ids(['e8'])
    box.close()
    box = Outbox(tmp_path / 'o.db')
    # already delivered, re-published after a restart
    assert box.append('ch', 'ev', 'http', _ev(8)) is None


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
    assert {d['event_id']: d['reason'] for d in box.dead_letters()} == {
        'e0': 'overflow', 'e1': 'overflow'}


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


def test_age_rule_uses_the_outbox_clock_not_the_wall_clock(tmp_path):
    wall, mono = [1000.0], [50.0]
    box = Outbox(tmp_path / 'o.db', max_age_s=60, clock=lambda: wall[0], monotonic=lambda: mono[0])
    box.append('ch', 'ev', 'http', _ev(0))
    wall[0] += 86400.0 * 365                  # NTP / timezone sync steps the wall clock by a year
    assert box.expire() == 0 and box.depth() == 1
    mono[0] += 50.0
    box.append('ch', 'ev', 'http', _ev(1))
    mono[0] += 20.0
    assert box.oldest_age() == pytest.approx(70.0)
    assert box.expire() == 1
    assert [e.event_id for e in box.peek(10)] == ['e1']
    assert box.dead_letters()[0]['reason'].startswith('expired')


def test_outbox_clock_continues_across_restarts(tmp_path):
    mono = [0.0]
    box = Outbox(tmp_path / 'o.db', max_age_s=100, monotonic=lambda: mono[0])
    box.append('ch', 'ev', 'http', _ev(0))
    mono[0] = 80.0
    box.close()
    mono[0] = 5.0                             # a reboot: the monotonic clock starts again
    box = Outbox(tmp_path / 'o.db', max_age_s=100, monotonic=lambda: mono[0])
    assert box.oldest_age() == pytest.approx(80.0)
    mono[0] = 30.0
    assert box.expire() == 1


def test_rules_are_off_by_default_and_attempts_rule_is_explicit(tmp_path):
    box = Outbox(tmp_path / 'o.db')
    box.append('ch', 'ev', 'http', _ev(0))
    for _ in range(1000):
        box.mark_attempt([1])
    assert box.expire() == 0 and box.depth() == 1
    box = Outbox(tmp_path / 'o2.db', max_attempts=3)
    box.append('ch', 'ev', 'http', _ev(0))
    box.append('ch', 'ev', 'http', _ev(1))
    box.mark_attempt([1])
    assert box.expire() == 0
    box.mark_attempt([1])
    box.mark_attempt([1])
    assert box.expire() == 1 and [e.event_id for e in box.peek(10)] == ['e1']
    assert box.dead_letter_reasons() == {'max_attempts=3 reached': 1}


def test_encode_none_keeps_the_event_whole_never_dead_letters(tmp_path):
    box = Outbox(tmp_path / 'o.db')
    assert box.append('ch', 'ev', 'http', _ev(0), encode=lambda p: None).seq == 1
    assert box.depth() == 1 and box.dead_letters() == []


def test_outbox_id_is_made_once_and_sent_in_every_envelope(tmp_path):
    box = Outbox(tmp_path / 'o.db')
    outbox_id = box.outbox_id
    payload = _ev(0)
    box.append('ch', 'ev', 'http', payload)
    assert payload['outbox_id'] == outbox_id and len(outbox_id) == 36
    box.close()
    box = Outbox(tmp_path / 'o.db')
    assert box.outbox_id == outbox_id and Outbox(tmp_path / 'other.db').outbox_id != outbox_id
    assert f'"outbox_id":"{outbox_id}"' in box.peek(1)[0].payload


def test_confirm_by_event_id_and_replace_payload(tmp_path):
    box = Outbox(tmp_path / 'o.db')
    for i in range(3):
        box.append('ch', 'ev', 'http', _ev(i))
    assert box.confirm_ids(['e1', 'nope']) == [2]
    box.replace_payload(1, '{"short":1}')
    assert box.peek(1)[0].payload == '{"short":1}' and box.size_bytes() == 11 + box.peek(2)[1].size
    assert box.counters['confirmed'] == 1 and box.counters['retrimmed'] == 1


def test_durable_writes_use_synchronous_full(tmp_path):
    box = Outbox(tmp_path / 'o.db')
    assert box._db.execute('PRAGMA synchronous').fetchone()[0] == 2    # FULL


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
    per_producer = [
        int(e.event_id.split('-')[1]) for e in box.peek(1000) if e.event_id.startswith('2-')]
    assert per_producer == list(range(50))


def test_unknown_policy_is_an_error(tmp_path):
    with pytest.raises(ValueError, match='policy'):
        Outbox(tmp_path / 'o.db', policy='drop_everything')
