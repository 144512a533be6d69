-- Every delivery attempt, as the worker saw it, written with the outcome it records.
CREATE TABLE delivery_attempts (
    outbox_id  BIGINT NOT NULL REFERENCES outbox (id),
    attempt    BIGINT NOT NULL,
    at         BIGINT NOT NULL,
    target_url TEXT   NOT NULL,
    status     BIGINT,
    latency_ms BIGINT NOT NULL,
    response   TEXT,
    error      TEXT,
    PRIMARY KEY (outbox_id, attempt)
);
