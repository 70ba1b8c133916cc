"""Outbox group commit: appends share fsyncs, are acknowledged only once committed, and a write
that raises (a bug) loses nothing, with or without the writer thread."""
import sqlite3

from rvm_bridge.outbox.outbox import Outbox
from rvm_bridge.thread_supervisor import ThreadSupervisor


def _ev(i):
    return {'type': 'detection-completed', 'event_id': f'e{i}', 'n': i}


def test_concurrent_appends_share_commits_and_each_returns_committed(tmp_path):
    import threading
    box = Outbox(tmp_path / 'o.db')
    results = []

    def producer(k):
        for i in range(25):
            entry = box.append('ch', 'ev', 'http', {'event_id': f'{k}-{i}'})
            # committed when append returns: another connection sees the row
            db = sqlite3.connect(box.path)
            results.append(db.execute('SELECT 1 FROM outbox WHERE seq=?',
                                      (entry.seq,)).fetchone() is not None)
            db.close()
    threads = [threading.Thread(target=producer, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [True] * 200 and box.depth() == 200
    assert box.stats()['commit_groups'] < 200


def test_appends_that_do_not_wait_are_committed_together_and_acknowledged(tmp_path):
    box = Outbox(tmp_path / 'o.db')
    box.start_writer(ThreadSupervisor(), window_s=0.005)
    acknowledged = []
    results = [box.submit('ch', 'ev', 'http', _ev(i), wait=False, on_done=acknowledged.append)
               for i in range(50)]
    assert box.settle(10.0) and box.backlog() == box.depth() == 50
    assert [r.outcome for r in results] == ['stored'] * 50 and len(acknowledged) == 50
    assert box.stats()['commit_groups'] < 50                  # one producer, shared fsyncs
    db = sqlite3.connect(box.path)                            # committed: another reader sees it
    assert db.execute('SELECT COUNT(*) FROM outbox').fetchone()[0] == 50
    db.close()
    box.submit('ch', 'ev', 'http', _ev(50), wait=False)
    box.close()                                               # what is queued is written first
    box = Outbox(tmp_path / 'o.db')
    assert box.depth() == 51
    box.close()


def _fail_first_write(box):
    """Make the box's first non-empty group write raise (a bug); returns the failed group sizes."""
    real, failed = box._group._write, []

    def write_once_failing(group):
        if group and not failed:
            failed.append(len(group))
            raise RuntimeError('injected fault')
        real(group)
    box._group._write = write_once_failing
    return failed


def test_an_exception_in_the_writer_thread_loses_and_acknowledges_nothing(tmp_path):
    box = Outbox(tmp_path / 'o.db')
    supervisor = ThreadSupervisor()
    failed = _fail_first_write(box)
    box.start_writer(supervisor, window_s=0.005)
    acknowledged = []
    results = [box.submit('ch', 'ev', 'http', _ev(i), wait=False, on_done=acknowledged.append)
               for i in range(20)]
    assert box.settle(10.0)
    assert failed and supervisor.stats()['restarts'] == {'rvm-bridge-outbox': 1}
    assert [r.outcome for r in results] == ['stored'] * 20
    assert acknowledged == results                       # each once, in order, after its commit
    assert [e.event_id for e in box.peek(50)] == [_ev(i)['event_id'] for i in range(20)]
    box.close()


def test_a_write_that_raises_in_the_producers_own_turn_keeps_the_event_queued(tmp_path, caplog):
    """Without a writer thread (outbox_group_ms 0) the producer writes its own group: a write that
    raises (a bug) neither raises into the publisher nor loses the event; the log says it stays
    queued, and the sender's next round (retry_unstored) commits it and acknowledges it once."""
    box = Outbox(tmp_path / 'o.db')
    failed = _fail_first_write(box)
    acknowledged = []
    result = box.submit('ch', 'ev', 'http', _ev(1), on_done=acknowledged.append)
    assert failed == [1] and result.outcome == '' and acknowledged == []
    assert box.stats()['write_bugs'] == 1
    assert 'stays queued' in caplog.text and box.holds(_ev(1)['event_id'])
    box.retry_unstored()
    assert result.outcome == 'stored' and acknowledged == [result] and box.depth() == 1
    box.close()
