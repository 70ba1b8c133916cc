"""Outbox under faults: one owner per file, real storage faults held and retried, rollbacks."""
import json
import sqlite3
import subprocess
import sys
import textwrap
import time

import pytest

from rvm_bridge.outbox.outbox import Outbox
from rvm_bridge.outbox.lock import OutboxInUse


def _ev(i, pad=0):
    return {'type': 'detection-completed', 'event_id': f'e{i}', 'n': i, 'pad': 'x' * pad}


def _truth(box):
    """(rows, bytes) as the file says."""
    db = sqlite3.connect(box.path)
    try:
        return tuple(db.execute('SELECT COUNT(*), COALESCE(SUM(size), 0) FROM outbox').fetchone())
    finally:
        db.close()


def _wait(predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return predicate()


# -- one owner ------------------------------------------------------------------------------
def test_a_second_process_on_the_same_outbox_is_refused_naming_file_and_pid(tmp_path):
    path = tmp_path / 'o.db'
    box = Outbox(path)
    code = textwrap.dedent(f'''
        from rvm_bridge.outbox.outbox import Outbox
        try:
            Outbox({str(path)!r})
        except Exception as exc:
            print(type(exc).__name__, exc)
    ''')
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, timeout=60)
    assert out.stdout.startswith('OutboxInUse'), out
    assert str(path) in out.stdout and f'pid {__import__("os").getpid()}' in out.stdout
    box.close()
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, timeout=60)
    assert out.stdout == '' and out.returncode == 0, out     # free again once closed


def test_a_second_outbox_in_the_same_process_is_refused_too(tmp_path):
    box = Outbox(tmp_path / 'o.db')
    with pytest.raises(OutboxInUse, match='in use'):
        Outbox(tmp_path / 'o.db')
    box.close()
    Outbox(tmp_path / 'o.db').close()


def test_seq_comes_from_the_file_not_from_a_process_counter(tmp_path):
    path = tmp_path / 'o.db'
    box = Outbox(path)
    box.append('ch', 'ev', 'http', _ev(0))
    # rows written behind this object's back (an older version, a repair tool)
    db = sqlite3.connect(path)
    db.execute("INSERT INTO outbox(seq, event_id, channel, event, transport, payload, size,"
               " created) VALUES(7, 'x7', 'ch', 'ev', 'http', '{}', 2, 0)")
    db.commit()
    db.close()
    box._rows += 1
    box._bytes += 2
    assert box.append('ch', 'ev', 'http', _ev(1)).seq == 8


def test_an_integrity_error_is_logged_counted_and_reported(tmp_path, caplog):
    box = Outbox(tmp_path / 'o.db')
    box.append('ch', 'ev', 'http', _ev(0))
    box._in_db = lambda event_id: False        # the duplicate check misses (a bug): the UNIQUE
    result = box.submit('ch', 'ev', 'http', _ev(0))   # constraint refuses the row
    assert result.outcome == 'refused' and result.entry is None
    assert box.counters['integrity_errors'] == 1 and box.stats()['integrity_errors'] == 1
    assert 'integrity error' in caplog.text and 'e0' in caplog.text
    assert box.depth() == 1 and _truth(box) == (1, box.size_bytes())


# -- storage faults -------------------------------------------------------------------------------
_DISK_FULL_CHILD = textwrap.dedent('''
    import json, resource, signal, sys, time
    from rvm_bridge.outbox.outbox import Outbox
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)   # a write past the limit fails (EFBIG)
    box = Outbox(sys.argv[1])
    box.append('ch', 'ev', 'http', {'event_id': 'first'})
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, hard))
    outcomes = [box.submit('ch', 'ev', 'http', {'event_id': f'e{i}', 'pad': 'x' * 4000}).outcome
                for i in range(40)]
    fault = box.storage_fault()
    held = box.unstored()
    resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))    # space again
    deadline = time.monotonic() + 30
    while box.retry_unstored() and time.monotonic() < deadline:
        time.sleep(0.02)
    ids = [e.event_id for e in box.peek(100)]
    box.close()
    print(json.dumps({'outcomes': outcomes, 'fault': fault, 'held': held, 'ids': ids}))
''')


def _run_child(path):
    out = subprocess.run([sys.executable, '-c', _DISK_FULL_CHILD, str(path)],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_a_file_size_limit_holds_events_in_memory_and_stores_them_once_lifted(tmp_path):
    # RLIMIT_FSIZE: the write past the limit fails with EFBIG, which SQLite reports as
    # "disk I/O error" (SQLITE_IOERR_WRITE); a full file system (ENOSPC) is the next test
    result = _run_child(tmp_path / 'o.db')
    assert result['fault'] == 'I/O error', result['fault']
    assert 'unstored' in result['outcomes'] and result['held'] > 0
    assert set(result['outcomes']) <= {'stored', 'unstored'}
    # every event stored once the limit was lifted, in publish order
    assert result['ids'] == ['first'] + [f'e{i}' for i in range(40)]


@pytest.fixture
def small_tmpfs(tmp_path):
    """A 512 KiB tmpfs (a real full file system: ENOSPC); needs root and mount."""
    import os
    import shutil
    mount = tmp_path / 'small'
    mount.mkdir()
    if os.geteuid() != 0 or not shutil.which('mount'):
        pytest.skip('mounting a small tmpfs needs root (the file-size-limit test runs anyway)')
    made = subprocess.run(['mount', '-t', 'tmpfs', '-o', 'size=512k', 'tmpfs', str(mount)],
                          capture_output=True, text=True)
    if made.returncode != 0:
        pytest.skip(f'tmpfs mount refused here: {made.stderr.strip()}')
    yield mount
    subprocess.run(['umount', str(mount)], check=True)


def test_a_full_file_system_reads_disk_full_and_loses_nothing(small_tmpfs):
    filler = small_tmpfs / 'filler'
    code = textwrap.dedent(f'''
        import json, os, time
        from rvm_bridge.outbox.outbox import Outbox
        box = Outbox({str(small_tmpfs / 'o.db')!r})
        box.append('ch', 'ev', 'http', {{'event_id': 'first'}})
        fd = os.open({str(filler)!r}, os.O_WRONLY | os.O_CREAT)   # the rest of the disk taken
        try:
            while True:
                os.write(fd, b'x' * 4096)
        except OSError:
            os.close(fd)
        outcomes = [box.submit('ch', 'ev', 'http', {{'event_id': f'e{{i}}', 'pad': 'x' * 4000}}
                               ).outcome for i in range(20)]
        fault, held = box.storage_fault(), box.unstored()
        os.unlink({str(filler)!r})                        # space again
        deadline = time.monotonic() + 30
        while box.retry_unstored() and time.monotonic() < deadline:
            time.sleep(0.02)
        ids = [e.event_id for e in box.peek(100)]
        box.close()
        print(json.dumps({{'outcomes': outcomes, 'fault': fault, 'held': held, 'ids': ids}}))
    ''')
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert result['fault'] == 'disk full' and result['held'] > 0, result
    assert result['ids'] == ['first'] + [f'e{i}' for i in range(20)]


def test_a_read_only_outbox_file_is_a_clear_error_at_start(tmp_path):
    import os
    if os.geteuid() == 0:
        pytest.skip('root writes read-only files (the query_only test below runs anyway)')
    path = tmp_path / 'o.db'
    Outbox(path).close()
    path.chmod(0o444)
    with pytest.raises(Exception, match=r'outbox .*o\.db.*read-only'):
        Outbox(path)


def test_a_file_that_turns_read_only_holds_events_and_stores_them_after(tmp_path, caplog):
    box = Outbox(tmp_path / 'o.db')
    box.append('ch', 'ev', 'http', _ev(0))
    box._db.execute('PRAGMA query_only=ON')          # SQLite refuses every write from now on
    result = box.submit('ch', 'ev', 'http', _ev(1))
    assert result.outcome == 'unstored' and box.storage_fault() == 'read-only'
    assert box.stats()['storage'] == 'read-only' and box.stats()['unstored'] == 1
    assert 'cannot store events (read-only)' in caplog.text
    assert box.holds('e1')
    box._db.execute('PRAGMA query_only=OFF')
    assert _wait(lambda: box.retry_unstored() == 0)
    assert [e.event_id for e in box.peek(10)] == ['e0', 'e1'] and box.storage_fault() == ''


def test_a_locked_database_holds_events_and_stores_them_once_released(tmp_path):
    box = Outbox(tmp_path / 'o.db')
    other = sqlite3.connect(tmp_path / 'o.db', isolation_level=None)
    other.execute('BEGIN EXCLUSIVE')                  # e.g. an operator's sqlite3 shell
    try:
        outcomes = [box.submit('ch', 'ev', 'http', _ev(i)).outcome for i in range(3)]
        assert outcomes[0] == 'unstored' and box.storage_fault() == 'locked'
        assert box.unstored() == 3 and box.depth() == 0
    finally:
        other.execute('ROLLBACK')
        other.close()
    assert _wait(lambda: box.retry_unstored() == 0)
    assert [e.event_id for e in box.peek(10)] == ['e0', 'e1', 'e2']
    assert box.submit('ch', 'ev', 'http', _ev(3)).outcome == 'stored'


def test_a_full_memory_buffer_refuses_loudly_never_silently(tmp_path, caplog):
    box = Outbox(tmp_path / 'o.db', max_unstored=2)
    box._db.execute('PRAGMA query_only=ON')
    outcomes = [box.submit('ch', 'ev', 'http', _ev(i)).outcome for i in range(3)]
    assert outcomes == ['unstored', 'unstored', 'lost']
    assert box.counters['lost_unstored'] == 1 and 'event e2 (ch ev) LOST' in caplog.text


class _Failing:
    """The outbox's connection, failing its ``fail_at``-th SQL call with a storage error."""

    def __init__(self, db, fail_at):
        self._db, self.calls, self.fail_at = db, 0, fail_at

    def _tick(self, sql):
        self.calls += 1
        if self.calls == self.fail_at and sql.split()[0] not in ('ROLLBACK',):
            raise sqlite3.OperationalError('disk I/O error')

    def execute(self, sql, *args):
        self._tick(sql)
        return self._db.execute(sql, *args)

    def executemany(self, sql, *args):
        self._tick(sql)
        return self._db.executemany(sql, *args)

    def __getattr__(self, name):
        return getattr(self._db, name)


def _operations(box):
    """Every writing call of the outbox once (the sender's and the producer's)."""
    box.append('ch', 'ev', 'http', _ev(10, pad=50))
    box.mark_attempt([1])
    box.replace_payload(2, '{"short":1}')
    box.confirm([1])
    box.confirm_ids(['e3'])
    box.dead_letter(4, 'test')
    box.expire()
    box.append('ch', 'ev', 'http', _ev(11, pad=70))


def test_an_error_on_any_sql_call_rolls_back_and_leaves_the_outbox_usable(tmp_path):
    clean = Outbox(tmp_path / 'count.db', max_attempts=5)
    for i in range(5):
        clean.append('ch', 'ev', 'http', _ev(i, pad=i * 10))
    probe = _Failing(clean._db, 0)
    clean._db = probe
    _operations(clean)
    total = probe.calls
    clean._db = probe._db
    clean.close()
    assert total > 20
    for fail_at in range(1, total + 1):
        path = tmp_path / f'o{fail_at}.db'
        box = Outbox(path, max_attempts=5)
        for i in range(5):
            box.append('ch', 'ev', 'http', _ev(i, pad=i * 10))
        box._db = _Failing(box._db, fail_at)
        for step in (lambda: _operations(box),):
            try:
                step()
            except sqlite3.OperationalError:
                pass                      # a reader/confirmer may see the error; nothing stuck
        box._db = box._db._db
        assert not box._db.in_transaction, fail_at
        assert (box.depth(), box.size_bytes()) == _truth(box), fail_at     # no counter drift
        assert box.submit('ch', 'ev', 'http', _ev(99)).outcome in ('stored', 'unstored'), fail_at
        assert _wait(lambda: box.retry_unstored() == 0), fail_at
        assert 'e99' in {e.event_id for e in box.peek(100)}, fail_at
        assert (box.depth(), box.size_bytes()) == _truth(box), fail_at
        box.close()


# -- bounds -------------------------------------------------------------------------------------
def test_drop_oldest_with_one_oversize_event_keeps_the_queue(tmp_path, caplog):
    box = Outbox(tmp_path / 'o.db', max_bytes=2000, policy='drop_oldest')
    for i in range(5):
        box.append('ch', 'ev', 'http', _ev(i, pad=100))
    result = box.submit('ch', 'ev', 'http', _ev(9, pad=5000))
    assert result.outcome == 'dead_lettered'
    assert [e.event_id for e in box.peek(10)] == [f'e{i}' for i in range(5)]
    assert [d['event_id'] for d in box.dead_letters()] == ['e9']
    assert box.dead_letters()[0]['reason'].startswith('larger than outbox max_bytes')
    assert box.counters['dropped_overflow'] == 0 and box.counters['oversize'] == 1


def test_rows_and_bytes_do_not_drift_after_a_rolled_back_overflow(tmp_path):
    box = Outbox(tmp_path / 'o.db', max_rows=3, policy='drop_oldest')
    for i in range(3):
        box.append('ch', 'ev', 'http', _ev(i))
    real = box._db
    box._db = _Failing(real, 0)

    def fail_on_insert(sql, *args):       # overflow moved a row, then the insert fails
        if sql.startswith('INSERT INTO outbox'):
            raise sqlite3.OperationalError('database or disk is full')
        return real.execute(sql, *args)
    box._db.execute = fail_on_insert
    assert box.submit('ch', 'ev', 'http', _ev(3)).outcome == 'unstored'
    box._db = real
    assert (box.depth(), box.size_bytes()) == _truth(box) == (3, box.size_bytes())
    assert box.counters['dropped_overflow'] == 0 and box.counters['dead_lettered'] == 0
