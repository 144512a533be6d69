-- Every change of a payment, written in the transaction that made it. Payments
-- created before this migration have history from their next change on.
CREATE TABLE payment_events (
    payment_id TEXT   NOT NULL REFERENCES payments (id),
    version    BIGINT NOT NULL,
    kind       TEXT   NOT NULL,
    amount     BIGINT,
    state      TEXT   NOT NULL,
    at         BIGINT NOT NULL,
    PRIMARY KEY (payment_id, version)
);

-- A delivery whose stored notice cannot be sent is parked for an operator.
ALTER TABLE outbox ADD COLUMN parked_at BIGINT;
