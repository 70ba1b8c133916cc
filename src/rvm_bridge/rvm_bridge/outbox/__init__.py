"""The durable SQLite outbox: schema, lock, group commit, rows, clock, storage faults."""
