-- Times are Unix milliseconds (UTC); amounts are integer sen.

CREATE TABLE merchants (
    id                INTEGER PRIMARY KEY,
    name              TEXT    NOT NULL,
    partner_id        TEXT    NOT NULL UNIQUE,
    client_secret     TEXT    NOT NULL,
    public_key_pem    TEXT,
    callback_url      TEXT,
    secret_unbound_id TEXT    NOT NULL,
    hash_key          TEXT    NOT NULL,
    created_at        INTEGER NOT NULL
);

-- Only a hash of each token is kept.
CREATE TABLE access_tokens (
    token_hash  TEXT    PRIMARY KEY,
    merchant_id INTEGER NOT NULL REFERENCES merchants (id),
    expires_at  INTEGER NOT NULL
);

-- SNAP X-EXTERNAL-ID: unique per merchant per (Jakarta) day.
CREATE TABLE request_ids (
    merchant_id INTEGER NOT NULL REFERENCES merchants (id),
    day         TEXT    NOT NULL,
    request_id  TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (merchant_id, day, request_id)
) WITHOUT ROWID;

CREATE TABLE payments (
    id                 TEXT    PRIMARY KEY,
    merchant_id        INTEGER NOT NULL REFERENCES merchants (id),
    reference_no       TEXT    NOT NULL UNIQUE,
    merchant_reference TEXT    NOT NULL,
    order_id           TEXT,
    face               TEXT    NOT NULL,
    fingerprint        TEXT    NOT NULL,
    amount             INTEGER NOT NULL CHECK (amount >= 0),
    rule               TEXT    NOT NULL,
    multi_use          INTEGER NOT NULL,
    received           INTEGER NOT NULL CHECK (received >= 0),
    refunded           INTEGER NOT NULL CHECK (refunded >= 0 AND refunded <= received),
    state              TEXT    NOT NULL,
    instrument         TEXT    NOT NULL,
    callback_url       TEXT    NOT NULL,
    payer              TEXT,
    created_at         INTEGER NOT NULL,
    expires_at         INTEGER NOT NULL,
    paid_at            INTEGER,
    canceled_at        INTEGER,
    version            INTEGER NOT NULL,
    UNIQUE (merchant_id, face, merchant_reference)
);

-- Every payment received (a VA may receive many), newest last.
CREATE TABLE receipts (
    id         INTEGER PRIMARY KEY,
    payment_id TEXT    NOT NULL REFERENCES payments (id),
    amount     INTEGER NOT NULL CHECK (amount > 0),
    paid_at    INTEGER NOT NULL,
    payer      TEXT    NOT NULL
);

CREATE INDEX receipts_by_payment ON receipts (payment_id, id);

-- Which payment holds a virtual-account number, and until when. A number is free again
-- once live_until has passed (expiry) or been pulled forward (paid, canceled).
CREATE TABLE va_numbers (
    number     TEXT    PRIMARY KEY,
    payment_id TEXT    NOT NULL REFERENCES payments (id),
    live_until INTEGER NOT NULL
);

CREATE TABLE refunds (
    refund_no          TEXT    PRIMARY KEY,
    payment_id         TEXT    NOT NULL REFERENCES payments (id),
    merchant_id        INTEGER NOT NULL REFERENCES merchants (id),
    merchant_refund_no TEXT    NOT NULL,
    fingerprint        TEXT    NOT NULL,
    amount             INTEGER NOT NULL CHECK (amount > 0),
    reason             TEXT,
    created_at         INTEGER NOT NULL,
    UNIQUE (merchant_id, merchant_refund_no)
);

-- Merchant notifications, written in the same transaction as the change they report.
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    merchant_id     INTEGER NOT NULL REFERENCES merchants (id),
    payment_id      TEXT    NOT NULL REFERENCES payments (id),
    target_url      TEXT    NOT NULL,
    notice          TEXT    NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    locked_until    INTEGER,
    delivered_at    INTEGER,
    last_status     INTEGER,
    last_error      TEXT,
    created_at      INTEGER NOT NULL
);

CREATE INDEX outbox_pending ON outbox (next_attempt_at) WHERE delivered_at IS NULL;
