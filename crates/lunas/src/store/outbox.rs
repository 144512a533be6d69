//! The notification outbox. Rows are written with the payment change they report
//! (see `payments.rs`); here they are leased for delivery, their attempts recorded,
//! and operators list and resend them.

use super::StoreResult;
use super::conn::Conn;
use super::model::{Attempt, AttemptEntry, AttemptResult, Claim, Claimed, Delivery, OutboxDepth, OutboxEntry};
use super::sql::{Dialect, Param, Row, SqlError, params};
use crate::domain::{MerchantId, Timestamp};

/// Leases due rows, at most `$3` in flight per merchant (counting rows other workers
/// hold), `$4` in all. A row in flight was due when claimed, so both scans stay
/// within the due part of the `outbox_pending` index.
const CLAIM_SQLITE: &str = "WITH busy AS (
        SELECT merchant_id, COUNT(*) AS n FROM outbox
        WHERE delivered_at IS NULL AND next_attempt_at <= $1 AND locked_until > $1
        GROUP BY merchant_id),
    ranked AS (
        SELECT o.id, o.next_attempt_at,
               ROW_NUMBER() OVER (PARTITION BY o.merchant_id ORDER BY o.next_attempt_at, o.id) + COALESCE(b.n, 0) AS slot
        FROM outbox o LEFT JOIN busy b ON b.merchant_id = o.merchant_id
        WHERE o.delivered_at IS NULL AND o.next_attempt_at <= $1 AND (o.locked_until IS NULL OR o.locked_until <= $1))
    UPDATE outbox SET locked_until = $2, attempts = attempts + 1
    WHERE id IN (SELECT id FROM ranked WHERE slot <= $3 ORDER BY next_attempt_at, id LIMIT $4)
    RETURNING id, merchant_id, target_url, notice, attempts";

/// The same on PostgreSQL, where instances claim side by side: rows another instance
/// is claiming are skipped, and the lease is checked again on the locked row.
const CLAIM_POSTGRES: &str = "WITH due AS (
        SELECT id, merchant_id, next_attempt_at FROM outbox
        WHERE delivered_at IS NULL AND next_attempt_at <= $1 AND (locked_until IS NULL OR locked_until <= $1)
        FOR UPDATE SKIP LOCKED),
    busy AS (
        SELECT merchant_id, COUNT(*) AS n FROM outbox
        WHERE delivered_at IS NULL AND next_attempt_at <= $1 AND locked_until > $1
        GROUP BY merchant_id),
    ranked AS (
        SELECT d.id, d.next_attempt_at,
               ROW_NUMBER() OVER (PARTITION BY d.merchant_id ORDER BY d.next_attempt_at, d.id) + COALESCE(b.n, 0) AS slot
        FROM due d LEFT JOIN busy b ON b.merchant_id = d.merchant_id)
    UPDATE outbox SET locked_until = $2, attempts = attempts + 1
    WHERE id IN (SELECT id FROM ranked WHERE slot <= $3 ORDER BY next_attempt_at, id LIMIT $4)
      AND (locked_until IS NULL OR locked_until <= $1)
    RETURNING id, merchant_id, target_url, notice, attempts";

/// Each outcome is recorded only by the claim that still holds the lease.
const DELIVERED: &str = "UPDATE outbox SET delivered_at = $1, last_status = $2, last_error = NULL, locked_until = NULL
     WHERE id = $3 AND locked_until = $4";
/// A row whose attempts ran out stays for inspection with no next attempt
/// (`next_attempt_at` at the end of time) until an operator resends it.
const FAILED: &str = "UPDATE outbox SET next_attempt_at = $1, last_status = $2, last_error = $3, locked_until = NULL
     WHERE id = $4 AND locked_until = $5";
const PARKED: &str = "UPDATE outbox SET next_attempt_at = $1, parked_at = $2, last_error = $3, locked_until = NULL
     WHERE id = $4 AND locked_until = $5";
/// Attempts are kept: they number each attempt's `X-EXTERNAL-ID`, and the retry
/// schedule does not start over.
/// A row being sent right now keeps its lease: resending it would send it twice.
const RESEND: &str =
    "UPDATE outbox SET next_attempt_at = $1, locked_until = NULL, parked_at = NULL, delivered_at = NULL
     WHERE id = $2 AND (locked_until IS NULL OR locked_until <= $1)";
/// Every undelivered notification of a merchant created in a time range that has been
/// tried at least once.
const RESEND_FAILED: &str = "UPDATE outbox SET next_attempt_at = $1, locked_until = NULL, parked_at = NULL
     WHERE merchant_id = $2 AND created_at >= $3 AND created_at < $4 AND delivered_at IS NULL AND attempts > 0
       AND (locked_until IS NULL OR locked_until <= $1)";
const LIST: &str = "SELECT o.id, p.reference_no, o.target_url, o.attempts, o.delivered_at, o.parked_at, o.last_status,
       o.last_error
     FROM outbox o JOIN payments p ON p.id = o.payment_id
     WHERE ($1 = 0 OR o.delivered_at IS NULL) ORDER BY o.id";
/// The operator's list, newest first: a merchant's or everyone's, undelivered only or
/// all, before a cursor.
const PAGE: &str = "SELECT o.id, p.reference_no, o.target_url, o.attempts, o.delivered_at, o.parked_at,
       o.last_status, o.last_error
     FROM outbox o JOIN payments p ON p.id = o.payment_id
     WHERE (CAST($1 AS BIGINT) IS NULL OR o.merchant_id = $1) AND ($2 = 0 OR o.delivered_at IS NULL)
       AND (CAST($3 AS BIGINT) IS NULL OR o.id < $3)
     ORDER BY o.id DESC LIMIT $4";
const OF_PAYMENT: &str = "SELECT o.id, p.reference_no, o.target_url, o.attempts, o.delivered_at, o.parked_at,
       o.last_status, o.last_error
     FROM outbox o JOIN payments p ON p.id = o.payment_id
     WHERE o.payment_id = $1 ORDER BY o.id";

/// Recorded by the claim that holds the lease, numbered as the claim counted it.
const RECORD_ATTEMPT: &str = "INSERT INTO delivery_attempts (outbox_id, attempt, at, target_url, status, latency_ms,
       response, error)
     SELECT id, attempts, $1, target_url, $2, $3, $4, $5 FROM outbox WHERE id = $6 AND locked_until = $7";
const ATTEMPTS: &str = "SELECT attempt, at, target_url, status, latency_ms, response, error
     FROM delivery_attempts WHERE outbox_id = $1 ORDER BY attempt";

const DEPTH: &str = "SELECT COUNT(*) AS undelivered,
       COALESCE(SUM(CASE WHEN next_attempt_at <= $1 THEN 1 ELSE 0 END), 0) AS due,
       MIN(CASE WHEN next_attempt_at <= $1 THEN next_attempt_at END) AS oldest
     FROM outbox WHERE delivered_at IS NULL";

const NEVER: Timestamp = i64::MAX;

fn count(value: i64) -> u32 {
    u32::try_from(value).unwrap_or(u32::MAX)
}

fn claimed(row: &dyn Row, lease_until: Timestamp) -> Result<Claimed, SqlError> {
    Ok(Claimed {
        id: row.int("id")?,
        merchant_id: MerchantId(row.int("merchant_id")?),
        target_url: row.text("target_url")?,
        notice: row.text("notice")?,
        attempt: count(row.int("attempts")?),
        lease_until,
    })
}

fn entry(row: &dyn Row) -> Result<OutboxEntry, SqlError> {
    Ok(OutboxEntry {
        id: row.int("id")?,
        reference_no: row.text("reference_no")?,
        target_url: row.text("target_url")?,
        attempts: count(row.int("attempts")?),
        delivered: row.opt_int("delivered_at")?.is_some(),
        parked: row.opt_int("parked_at")?.is_some(),
        last_status: row.opt_int("last_status")?.and_then(|s| u16::try_from(s).ok()),
        last_error: row.opt_text("last_error")?,
    })
}

fn attempt_entry(row: &dyn Row) -> Result<AttemptEntry, SqlError> {
    Ok(AttemptEntry {
        attempt: count(row.int("attempt")?),
        at: row.int("at")?,
        target_url: row.text("target_url")?,
        status: row.opt_int("status")?.and_then(|s| u16::try_from(s).ok()),
        latency_ms: row.int("latency_ms")?,
        response: row.opt_text("response")?,
        error: row.opt_text("error")?,
    })
}

impl Conn<'_> {
    pub fn claim_deliveries(&mut self, claim: Claim) -> StoreResult<Vec<Claimed>> {
        let sql = match self.dialect() {
            Dialect::Sqlite => CLAIM_SQLITE,
            Dialect::Postgres => CLAIM_POSTGRES,
        };
        let args = params![claim.now, claim.lease_until, i64::from(claim.per_merchant), i64::from(claim.limit)];
        Ok(self.sql.query_all(sql, &args, |row| claimed(row, claim.lease_until))?)
    }

    /// Records an attempt and its outcome; `false` when the lease was lost meanwhile
    /// (a resend, or another worker after expiry), and the newer claim records its own.
    pub fn finish_delivery(
        &mut self,
        delivery: &Claimed,
        result: &AttemptResult,
        attempt: &Attempt,
        now: Timestamp,
    ) -> StoreResult<bool> {
        let (id, lease) = (delivery.id, delivery.lease_until);
        let status = |s: Option<u16>| s.map(i64::from);
        let (seen, error) = match result {
            AttemptResult::Delivered { status } => (Some(*status), None),
            AttemptResult::Failed { status, error, .. } => (*status, Some(error.as_str())),
            AttemptResult::Parked { error } => (None, Some(error.as_str())),
        };
        let record =
            params![attempt.at, status(seen), attempt.latency_ms, attempt.response.as_deref(), error, id, lease];
        self.sql.execute(RECORD_ATTEMPT, &record)?;
        let (sql, args): (&'static str, Vec<Param<'_>>) = match result {
            AttemptResult::Delivered { status: s } => (DELIVERED, params![now, i64::from(*s), id, lease].to_vec()),
            AttemptResult::Failed { status: s, error, retry_at } => {
                (FAILED, params![retry_at.unwrap_or(NEVER), status(*s), error, id, lease].to_vec())
            }
            AttemptResult::Parked { error } => (PARKED, params![NEVER, now, error, id, lease].to_vec()),
        };
        Ok(self.sql.execute(sql, &args)? == 1)
    }

    /// Makes a delivery due now again: one whose attempts ran out, one that was
    /// parked, or one delivered already (the merchant gets it once more); `false`
    /// when there is no such row, or an attempt is under way.
    pub fn resend(&mut self, id: i64, now: Timestamp) -> StoreResult<bool> {
        Ok(self.sql.execute(RESEND, &params![now, id])? == 1)
    }

    pub fn outbox_depth(&mut self, now: Timestamp) -> StoreResult<OutboxDepth> {
        let depth = self.sql.query_opt(DEPTH, &params![now], |row| {
            Ok(OutboxDepth {
                undelivered: row.int("undelivered")?,
                due: row.int("due")?,
                oldest_due_age_ms: row.opt_int("oldest")?.map_or(0, |oldest| now.saturating_sub(oldest)),
            })
        })?;
        Ok(depth.unwrap_or_default())
    }

    pub fn attempts(&mut self, outbox_id: i64) -> StoreResult<Vec<AttemptEntry>> {
        Ok(self.sql.query_all(ATTEMPTS, &params![outbox_id], attempt_entry)?)
    }

    /// Makes a merchant's failed deliveries created in `[from, until)` due now; returns
    /// how many.
    pub fn resend_failed(
        &mut self,
        merchant: MerchantId,
        from: Timestamp,
        until: Timestamp,
        now: Timestamp,
    ) -> StoreResult<u64> {
        Ok(self.sql.execute(RESEND_FAILED, &params![now, merchant.0, from, until])?)
    }

    pub fn outbox_page(
        &mut self,
        merchant: Option<MerchantId>,
        undelivered_only: bool,
        before: Option<i64>,
        limit: u32,
    ) -> StoreResult<Vec<OutboxEntry>> {
        let args = params![merchant.map(|m| m.0), i64::from(undelivered_only), before, i64::from(limit)];
        Ok(self.sql.query_all(PAGE, &args, entry)?)
    }

    /// A payment's notifications, each with its attempts.
    pub fn deliveries_of(&mut self, payment: &str) -> StoreResult<Vec<Delivery>> {
        let entries = self.sql.query_all(OF_PAYMENT, &params![payment], entry)?;
        entries.into_iter().map(|entry| Ok(Delivery { attempts: self.attempts(entry.id)?, entry })).collect()
    }

    pub fn outbox(&mut self, undelivered_only: bool) -> StoreResult<Vec<OutboxEntry>> {
        Ok(self.sql.query_all(LIST, &params![i64::from(undelivered_only)], entry)?)
    }
}
