"""The outbox file's SQLite schema: its tables, its pragmas and the upgrade of older files.

:func:`open_outbox_db` opens (or creates) the file in WAL mode with ``synchronous=FULL``, so a
committed row survives a power loss, and adds what files from older versions lack
(``created_tick``).  What the rows mean, ``seq`` and the counters belong to
:class:`~rvm_bridge.outbox.outbox.Outbox`.
"""
from __future__ import annotations

import sqlite3
from pathlib import Path

BUSY_WAIT_S = 0.25

SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id TEXT NOT NULL UNIQUE,
    channel TEXT NOT NULL,
    event TEXT NOT NULL,
    transport TEXT NOT NULL,
    payload TEXT NOT NULL,
    size INTEGER NOT NULL,
    created REAL NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    created_tick REAL
);
CREATE TABLE IF NOT EXISTS dead_letter (
    seq INTEGER PRIMARY KEY,
    event_id TEXT NOT NULL,
    channel TEXT NOT NULL,
    event TEXT NOT NULL,
    payload TEXT NOT NULL,
    reason TEXT NOT NULL,
    at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS delivered (event_id TEXT PRIMARY KEY, seq INTEGER NOT NULL);
"""


def open_outbox_db(path: str) -> sqlite3.Connection:
    """Open (or create, folder included) the outbox file at ``path``; ``:memory:`` works too."""
    if path != ':memory:':
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    # a database locked by another connection fails after BUSY_WAIT_S (held in memory, retried)
    # instead of blocking the producer for sqlite3's default 5 s
    db = sqlite3.connect(path, timeout=BUSY_WAIT_S, check_same_thread=False, isolation_level=None)
    db.execute('PRAGMA journal_mode=WAL')
    db.execute('PRAGMA synchronous=FULL')   # an acknowledged append survives a power loss
    db.executescript(SCHEMA)
    if 'created_tick' not in {r[1] for r in db.execute('PRAGMA table_info(outbox)')}:
        db.execute('ALTER TABLE outbox ADD COLUMN created_tick REAL')   # older files
    return db
