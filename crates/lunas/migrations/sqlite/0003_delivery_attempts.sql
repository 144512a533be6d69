-- Every delivery attempt, as the worker saw it, written with the outcome it records.
CREATE TABLE delivery_attempts (
    outbox_id  INTEGER NOT NULL REFERENCES outbox (id),
    attempt    INTEGER NOT NULL,
    at         INTEGER NOT NULL,
    target_url TEXT    NOT NULL,
    status     INTEGER,
    latency_ms INTEGER NOT NULL,
    response   TEXT,
    error      TEXT,
    PRIMARY KEY (outbox_id, attempt)
) WITHOUT ROWID;
