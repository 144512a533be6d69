-- Every change of a payment, written in the transaction that made it. Payments
-- created before this migration have history from their next change on.
CREATE TABLE payment_events (
    payment_id TEXT    NOT NULL REFERENCES payments (id),
    version    INTEGER NOT NULL,
    kind       TEXT    NOT NULL,
    amount     INTEGER,
    state      TEXT    NOT NULL,
    at         INTEGER NOT NULL,
    PRIMARY KEY (payment_id, version)
) WITHOUT ROWID;

-- A delivery whose stored notice cannot be sent is parked for an operator.
ALTER TABLE outbox ADD COLUMN parked_at INTEGER;
