//! The embedded default: SQLite in WAL mode with `synchronous=FULL`, so a commit is
//! on disk before the API answers. All writes go through one connection, which makes
//! SQLite's single writer explicit (and lets a later version batch commits).

use std::str::FromStr;
use std::time::Duration;

use anyhow::Context;
use async_trait::async_trait;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteRow, SqliteSynchronous};
use sqlx::{Row, SqliteConnection, SqlitePool};

use super::*;
use crate::domain::{
    AmountRule, Face, Instrument, NoticeKind, Payer, PaymentId, PaymentState, Receipt, Transition, transition,
};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

#[derive(Clone)]
pub struct SqliteStore {
    writer: SqlitePool,
    reader: SqlitePool,
}

impl SqliteStore {
    /// Opens (creating if needed) and migrates the database at `url` (`sqlite:PATH`).
    pub async fn open(url: &str) -> anyhow::Result<Self> {
        let options = SqliteConnectOptions::from_str(url)
            .with_context(|| format!("invalid SQLite URL {url}"))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options.clone())
            .await
            .with_context(|| format!("cannot open {url}"))?;
        MIGRATOR.run(&writer).await.context("migrating the SQLite database")?;
        let reader = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options.read_only(true))
            .await
            .with_context(|| format!("cannot open {url} for reading"))?;
        Ok(Self { writer, reader })
    }

    async fn begin(&self) -> StoreResult<sqlx::Transaction<'static, sqlx::Sqlite>> {
        // IMMEDIATE takes the write lock up front, so another process writing the same
        // file waits in busy_timeout instead of failing mid-transaction.
        Ok(self.writer.begin_with("BEGIN IMMEDIATE").await?)
    }
}

fn merchant_from_row(row: &SqliteRow) -> Result<Merchant, sqlx::Error> {
    Ok(Merchant {
        id: MerchantId(row.try_get("id")?),
        name: row.try_get("name")?,
        partner_id: row.try_get("partner_id")?,
        client_secret: row.try_get("client_secret")?,
        public_key_pem: row.try_get("public_key_pem")?,
        callback_url: row.try_get("callback_url")?,
        secret_unbound_id: row.try_get("secret_unbound_id")?,
        hash_key: row.try_get("hash_key")?,
        created_at: row.try_get("created_at")?,
    })
}

fn decode_json<T: serde::de::DeserializeOwned>(text: &str, what: &str) -> Result<T, sqlx::Error> {
    serde_json::from_str(text).map_err(|e| sqlx::Error::Decode(format!("bad {what} column: {e}").into()))
}

fn encode_json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).expect("domain values always serialise")
}

fn payment_from_row(row: &SqliteRow) -> Result<Payment, sqlx::Error> {
    let id: String = row.try_get("id")?;
    let state: String = row.try_get("state")?;
    let instrument: String = row.try_get("instrument")?;
    let payer: Option<String> = row.try_get("payer")?;
    let face: String = row.try_get("face")?;
    let rule: String = row.try_get("rule")?;
    Ok(Payment {
        id: PaymentId(uuid::Uuid::parse_str(&id).map_err(|e| sqlx::Error::Decode(e.into()))?),
        merchant_id: MerchantId(row.try_get("merchant_id")?),
        reference_no: row.try_get("reference_no")?,
        merchant_reference: row.try_get("merchant_reference")?,
        order_id: row.try_get("order_id")?,
        face: Face::parse(&face).ok_or_else(|| sqlx::Error::Decode(format!("bad face {face}").into()))?,
        fingerprint: row.try_get("fingerprint")?,
        amount: row.try_get("amount")?,
        rule: decode_json::<AmountRule>(&rule, "rule")?,
        multi_use: row.try_get("multi_use")?,
        received: row.try_get("received")?,
        refunded: row.try_get("refunded")?,
        state: PaymentState::parse(&state).ok_or_else(|| sqlx::Error::Decode(format!("bad state {state}").into()))?,
        instrument: decode_json::<Instrument>(&instrument, "instrument")?,
        callback_url: row.try_get("callback_url")?,
        payer: payer.map(|p| decode_json(&p, "payer")).transpose()?,
        created_at: row.try_get("created_at")?,
        expires_at: row.try_get("expires_at")?,
        paid_at: row.try_get("paid_at")?,
        canceled_at: row.try_get("canceled_at")?,
        version: row.try_get("version")?,
    })
}

fn refund_from_row(row: &SqliteRow) -> Result<Refund, sqlx::Error> {
    Ok(Refund {
        refund_no: row.try_get("refund_no")?,
        merchant_refund_no: row.try_get("merchant_refund_no")?,
        fingerprint: row.try_get("fingerprint")?,
        amount: row.try_get("amount")?,
        reason: row.try_get("reason")?,
        created_at: row.try_get("created_at")?,
    })
}

async fn request_id_used(conn: &mut SqliteConnection, request: &RequestId) -> StoreResult<bool> {
    let row = sqlx::query("SELECT 1 FROM request_ids WHERE merchant_id = ? AND day = ? AND request_id = ?")
        .bind(request.merchant_id.0)
        .bind(&request.day)
        .bind(&request.id)
        .fetch_optional(&mut *conn)
        .await?;
    Ok(row.is_some())
}

/// Refuses a merchant reference already used: `DuplicateReference` for the same
/// request, `InconsistentRequest` for another.
async fn check_reference(conn: &mut SqliteConnection, key: &NewPaymentKey<'_>) -> StoreResult<()> {
    let existing = sqlx::query("SELECT fingerprint FROM payments WHERE merchant_id = ? AND merchant_reference = ?")
        .bind(key.merchant_id.0)
        .bind(key.merchant_reference)
        .fetch_optional(&mut *conn)
        .await?;
    match existing {
        None => Ok(()),
        Some(row) => {
            let fingerprint: String = row.try_get("fingerprint")?;
            let same = fingerprint == key.fingerprint;
            Err(if same { DomainError::DuplicateReference } else { DomainError::InconsistentRequest }.into())
        }
    }
}

async fn record_request_id(conn: &mut SqliteConnection, request: &RequestId, now: Timestamp) -> StoreResult<()> {
    let inserted = sqlx::query(
        "INSERT INTO request_ids (merchant_id, day, request_id, created_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
    )
    .bind(request.merchant_id.0)
    .bind(&request.day)
    .bind(&request.id)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    if inserted.rows_affected() == 0 {
        return Err(DomainError::RequestIdReused.into());
    }
    Ok(())
}

async fn find_payment(conn: &mut SqliteConnection, target: &PaymentRef) -> StoreResult<Payment> {
    let query = match target {
        PaymentRef::Merchant { merchant_id, key: MerchantKey::Snap { reference_no, merchant_reference } } => {
            sqlx::query("SELECT * FROM payments WHERE reference_no = ? AND merchant_id = ? AND merchant_reference = ?")
                .bind(reference_no)
                .bind(merchant_id.0)
                .bind(merchant_reference)
        }
        PaymentRef::Merchant { merchant_id, key: MerchantKey::Pg3 { transaction_id, merchant_reference, order_id } } => {
            sqlx::query(
                "SELECT * FROM payments WHERE id = ? AND merchant_id = ? AND merchant_reference = ? AND order_id = ?",
            )
            .bind(transaction_id.0.to_string())
            .bind(merchant_id.0)
            .bind(merchant_reference)
            .bind(order_id)
        }
        PaymentRef::Merchant { merchant_id, key: MerchantKey::Reference(merchant_reference) } => {
            sqlx::query("SELECT * FROM payments WHERE merchant_id = ? AND merchant_reference = ?")
                .bind(merchant_id.0)
                .bind(merchant_reference)
        }
        PaymentRef::Acquirer { reference } => {
            sqlx::query("SELECT * FROM payments WHERE reference_no = ? OR id = ?").bind(reference).bind(reference)
        }
        PaymentRef::VirtualAccount { number, now } => sqlx::query(
            "SELECT p.* FROM va_numbers v JOIN payments p ON p.id = v.payment_id WHERE v.number = ? AND v.live_until > ?",
        )
        .bind(number)
        .bind(*now),
    };
    let row = query.fetch_optional(&mut *conn).await?.ok_or(DomainError::NotFound)?;
    Ok(payment_from_row(&row)?)
}

/// Writes what the state machine decided: the new state and totals (guarded by the
/// version read), the receipt of a payment, and the release of a finished virtual
/// account's number. Returns the payment as it now stands.
async fn write_transition(
    conn: &mut SqliteConnection,
    before: &Payment,
    event: &Event,
    (next, received, refunded): (PaymentState, i64, i64),
    now: Timestamp,
) -> StoreResult<Payment> {
    let mut after = before.clone();
    (after.state, after.received, after.refunded) = (next, received, refunded);
    after.version += 1;
    match event {
        Event::Pay { payer, .. } => {
            after.paid_at = Some(now);
            after.payer = Some(payer.clone());
        }
        Event::Cancel => after.canceled_at = Some(now),
        Event::Expire => after.expires_at = after.expires_at.min(now),
        Event::Refund { .. } => {}
    }
    let updated = sqlx::query(
        "UPDATE payments SET state = ?, received = ?, refunded = ?, payer = ?, paid_at = ?, canceled_at = ?,
                            expires_at = ?, version = version + 1
         WHERE id = ? AND version = ?",
    )
    .bind(after.state.as_str())
    .bind(after.received)
    .bind(after.refunded)
    .bind(after.payer.as_ref().map(encode_json))
    .bind(after.paid_at)
    .bind(after.canceled_at)
    .bind(after.expires_at)
    .bind(before.id.0.to_string())
    .bind(before.version)
    .execute(&mut *conn)
    .await?;
    if updated.rows_affected() != 1 {
        return Err(anyhow::anyhow!("payment {} changed underneath a locked transaction", before.reference_no).into());
    }
    if let Event::Pay { amount, payer } = event {
        sqlx::query("INSERT INTO receipts (payment_id, amount, paid_at, payer) VALUES (?, ?, ?, ?)")
            .bind(after.id.0.to_string())
            .bind(*amount)
            .bind(now)
            .bind(encode_json(payer))
            .execute(&mut *conn)
            .await?;
    }
    if let Some(va) = after.virtual_account().filter(|_| after.state != PaymentState::Pending) {
        sqlx::query("UPDATE va_numbers SET live_until = MIN(live_until, ?) WHERE number = ? AND payment_id = ?")
            .bind(now)
            .bind(&va.number)
            .bind(after.id.0.to_string())
            .execute(&mut *conn)
            .await?;
    }
    Ok(after)
}

/// Claims a virtual-account number unless a live virtual account holds it.
async fn claim_number(conn: &mut SqliteConnection, payment: &Payment, number: &str) -> StoreResult<()> {
    let claimed = sqlx::query(
        "INSERT INTO va_numbers (number, payment_id, live_until) VALUES (?, ?, ?)
         ON CONFLICT (number) DO UPDATE SET payment_id = excluded.payment_id, live_until = excluded.live_until
         WHERE va_numbers.live_until <= ?",
    )
    .bind(number)
    .bind(payment.id.0.to_string())
    .bind(payment.expires_at)
    .bind(payment.created_at)
    .execute(&mut *conn)
    .await?;
    if claimed.rows_affected() == 0 {
        return Err(DomainError::NumberInUse.into());
    }
    Ok(())
}

async fn enqueue(conn: &mut SqliteConnection, notice: &Notice, now: Timestamp) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO outbox (merchant_id, payment_id, target_url, notice, next_attempt_at, created_at)
         VALUES (?, ?, ?, ?, ?, ?)",
    )
    .bind(notice.payment.merchant_id.0)
    .bind(notice.payment.id.0.to_string())
    .bind(&notice.payment.callback_url)
    .bind(encode_json(notice))
    .bind(now)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

#[async_trait]
impl Store for SqliteStore {
    async fn create_merchant(&self, m: NewMerchant) -> StoreResult<Merchant> {
        let row = sqlx::query(
            "INSERT INTO merchants (name, partner_id, client_secret, public_key_pem, callback_url, secret_unbound_id, hash_key, created_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING *",
        )
        .bind(&m.name)
        .bind(&m.partner_id)
        .bind(&m.client_secret)
        .bind(&m.public_key_pem)
        .bind(&m.callback_url)
        .bind(&m.secret_unbound_id)
        .bind(&m.hash_key)
        .bind(m.created_at)
        .fetch_one(&self.writer)
        .await?;
        Ok(merchant_from_row(&row)?)
    }

    async fn list_merchants(&self) -> StoreResult<Vec<Merchant>> {
        let rows = sqlx::query("SELECT * FROM merchants ORDER BY id").fetch_all(&self.reader).await?;
        Ok(rows.iter().map(merchant_from_row).collect::<Result<_, _>>()?)
    }

    async fn merchant_by_partner_id(&self, partner_id: &str) -> StoreResult<Option<Merchant>> {
        let row = sqlx::query("SELECT * FROM merchants WHERE partner_id = ?")
            .bind(partner_id)
            .fetch_optional(&self.reader)
            .await?;
        Ok(row.as_ref().map(merchant_from_row).transpose()?)
    }

    async fn merchant(&self, id: MerchantId) -> StoreResult<Option<Merchant>> {
        let row = sqlx::query("SELECT * FROM merchants WHERE id = ?").bind(id.0).fetch_optional(&self.reader).await?;
        Ok(row.as_ref().map(merchant_from_row).transpose()?)
    }

    async fn save_access_token(
        &self,
        token_hash: &str,
        merchant_id: MerchantId,
        expires_at: Timestamp,
    ) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        // Expired tokens are useless; clearing them here keeps the table small.
        sqlx::query("DELETE FROM access_tokens WHERE expires_at < ?")
            .bind(expires_at - 86_400_000)
            .execute(&mut *tx)
            .await?;
        sqlx::query("INSERT INTO access_tokens (token_hash, merchant_id, expires_at) VALUES (?, ?, ?)")
            .bind(token_hash)
            .bind(merchant_id.0)
            .bind(expires_at)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn merchant_for_token(&self, token_hash: &str, now: Timestamp) -> StoreResult<Option<MerchantId>> {
        let row = sqlx::query("SELECT merchant_id FROM access_tokens WHERE token_hash = ? AND expires_at > ?")
            .bind(token_hash)
            .bind(now)
            .fetch_optional(&self.reader)
            .await?;
        Ok(row.map(|r| r.try_get("merchant_id").map(MerchantId)).transpose()?)
    }

    async fn check_new_payment(&self, key: NewPaymentKey<'_>, request_id: Option<&RequestId>) -> StoreResult<()> {
        let mut conn = self.reader.acquire().await?;
        if let Some(request_id) = request_id
            && request_id_used(&mut conn, request_id).await?
        {
            return Err(DomainError::RequestIdReused.into());
        }
        check_reference(&mut conn, &key).await
    }

    async fn create_payment(&self, p: Payment, request_id: Option<RequestId>) -> StoreResult<Payment> {
        let mut tx = self.begin().await?;
        if let Some(request_id) = &request_id {
            record_request_id(&mut tx, request_id, p.created_at).await?;
        }
        check_reference(&mut tx, &NewPaymentKey::of(&p)).await?;
        sqlx::query(
            "INSERT INTO payments (id, merchant_id, reference_no, merchant_reference, order_id, face, fingerprint, amount,
                                   rule, multi_use, received, refunded, state, instrument, callback_url, payer,
                                   created_at, expires_at, paid_at, canceled_at, version)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(p.id.0.to_string())
        .bind(p.merchant_id.0)
        .bind(&p.reference_no)
        .bind(&p.merchant_reference)
        .bind(&p.order_id)
        .bind(p.face.as_str())
        .bind(&p.fingerprint)
        .bind(p.amount)
        .bind(encode_json(&p.rule))
        .bind(p.multi_use)
        .bind(p.received)
        .bind(p.refunded)
        .bind(p.state.as_str())
        .bind(encode_json(&p.instrument))
        .bind(&p.callback_url)
        .bind(p.payer.as_ref().map(encode_json))
        .bind(p.created_at)
        .bind(p.expires_at)
        .bind(p.paid_at)
        .bind(p.canceled_at)
        .bind(p.version)
        .execute(&mut *tx)
        .await?;
        if let Some(va) = p.virtual_account() {
            claim_number(&mut tx, &p, &va.number).await?;
        }
        tx.commit().await?;
        Ok(p)
    }

    async fn payment(&self, target: PaymentRef) -> StoreResult<Payment> {
        let mut conn = self.reader.acquire().await?;
        find_payment(&mut conn, &target).await
    }

    async fn payment_history(&self, target: PaymentRef, limit: u32) -> StoreResult<(Payment, Vec<Receipt>)> {
        let mut tx = self.reader.begin().await?;
        let payment = find_payment(&mut tx, &target).await?;
        let rows =
            sqlx::query("SELECT amount, paid_at, payer FROM receipts WHERE payment_id = ? ORDER BY id DESC LIMIT ?")
                .bind(payment.id.0.to_string())
                .bind(i64::from(limit))
                .fetch_all(&mut *tx)
                .await?;
        let receipts = rows
            .iter()
            .map(|row| {
                let payer: String = row.try_get("payer")?;
                Ok(Receipt {
                    amount: row.try_get("amount")?,
                    paid_at: row.try_get("paid_at")?,
                    payer: decode_json::<Payer>(&payer, "payer")?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()?;
        tx.commit().await?;
        Ok((payment, receipts))
    }

    async fn query_payment(&self, target: PaymentRef, request_id: RequestId, now: Timestamp) -> StoreResult<Payment> {
        let mut tx = self.begin().await?;
        record_request_id(&mut tx, &request_id, now).await?;
        let payment = find_payment(&mut tx, &target).await?;
        tx.commit().await?;
        Ok(payment)
    }

    async fn apply(&self, command: PaymentCommand) -> StoreResult<Applied> {
        let mut tx = self.begin().await?;
        if let Some(request_id) = &command.request_id {
            record_request_id(&mut tx, request_id, command.now).await?;
        }
        let before = find_payment(&mut tx, &command.payment).await?;
        let (next, received, refunded, notify) = match transition(&before, &command.event, command.now)? {
            Transition::Unchanged => {
                tx.commit().await?;
                return Ok(Applied { payment: before });
            }
            Transition::Changed { next, received, refunded, notify } => (next, received, refunded, notify),
        };
        let after = write_transition(&mut tx, &before, &command.event, (next, received, refunded), command.now).await?;
        if let Some(kind) = notify {
            enqueue(&mut tx, &Notice { kind, payment: after.clone(), refund: None }, command.now).await?;
        }
        tx.commit().await?;
        Ok(Applied { payment: after })
    }

    async fn refund(&self, c: RefundCommand) -> StoreResult<Refunded> {
        let mut tx = self.begin().await?;
        record_request_id(&mut tx, &c.request_id, c.now).await?;
        let before = find_payment(&mut tx, &c.payment).await?;
        let existing = sqlx::query("SELECT * FROM refunds WHERE merchant_id = ? AND merchant_refund_no = ?")
            .bind(before.merchant_id.0)
            .bind(&c.merchant_refund_no)
            .fetch_optional(&mut *tx)
            .await?;
        if let Some(row) = existing {
            let refund = refund_from_row(&row)?;
            let payment_id: String = row.try_get("payment_id")?;
            if refund.fingerprint != c.fingerprint || payment_id != before.id.0.to_string() {
                return Err(DomainError::InconsistentRequest.into());
            }
            // A retry: the request id is recorded, the refund is not repeated.
            tx.commit().await?;
            return Ok(Refunded { payment: before, refund });
        }
        let event = Event::Refund { amount: c.amount };
        let (next, received, refunded) = match transition(&before, &event, c.now)? {
            Transition::Changed { next, received, refunded, .. } => (next, received, refunded),
            Transition::Unchanged => {
                return Err(anyhow::anyhow!("a refund left {} unchanged", before.reference_no).into());
            }
        };
        let amount = refunded - before.refunded;
        let refund = Refund {
            refund_no: c.refund_no,
            merchant_refund_no: c.merchant_refund_no,
            fingerprint: c.fingerprint,
            amount,
            reason: c.reason,
            created_at: c.now,
        };
        let after = write_transition(&mut tx, &before, &event, (next, received, refunded), c.now).await?;
        sqlx::query(
            "INSERT INTO refunds (refund_no, payment_id, merchant_id, merchant_refund_no, fingerprint, amount, reason, created_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&refund.refund_no)
        .bind(after.id.0.to_string())
        .bind(after.merchant_id.0)
        .bind(&refund.merchant_refund_no)
        .bind(&refund.fingerprint)
        .bind(refund.amount)
        .bind(&refund.reason)
        .bind(refund.created_at)
        .execute(&mut *tx)
        .await?;
        let notice =
            Notice { kind: NoticeKind::Refunded { amount }, payment: after.clone(), refund: Some(refund.clone()) };
        enqueue(&mut tx, &notice, c.now).await?;
        tx.commit().await?;
        Ok(Refunded { payment: after, refund })
    }

    async fn claim_deliveries(&self, now: Timestamp, lease_until: Timestamp, limit: u32) -> StoreResult<Vec<Delivery>> {
        let mut tx = self.begin().await?;
        let rows = sqlx::query(
            "UPDATE outbox SET locked_until = ?
             WHERE id IN (SELECT id FROM outbox
                          WHERE delivered_at IS NULL AND next_attempt_at <= ?
                            AND (locked_until IS NULL OR locked_until <= ?)
                          ORDER BY next_attempt_at LIMIT ?)
             RETURNING id, merchant_id, target_url, notice, attempts",
        )
        .bind(lease_until)
        .bind(now)
        .bind(now)
        .bind(i64::from(limit))
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        rows.iter()
            .map(|row| {
                let notice: String = row.try_get("notice")?;
                let attempts: i64 = row.try_get("attempts")?;
                Ok(Delivery {
                    id: row.try_get("id")?,
                    merchant_id: MerchantId(row.try_get("merchant_id")?),
                    target_url: row.try_get("target_url")?,
                    notice: decode_json(&notice, "notice")?,
                    attempts: u32::try_from(attempts).unwrap_or(u32::MAX),
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(StoreError::from)
    }

    async fn finish_delivery(&self, id: i64, result: AttemptResult, now: Timestamp) -> StoreResult<()> {
        let query = match &result {
            AttemptResult::Delivered { status } => sqlx::query(
                "UPDATE outbox SET attempts = attempts + 1, delivered_at = ?, last_status = ?, last_error = NULL,
                                   locked_until = NULL WHERE id = ?",
            )
            .bind(now)
            .bind(i64::from(*status))
            .bind(id),
            AttemptResult::Failed { status, error, retry_at } => sqlx::query(
                // A row whose attempts ran out stays for inspection with no next attempt
                // (next_attempt_at far in the future) until an operator resends it.
                "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?, last_status = ?, last_error = ?,
                                   locked_until = NULL WHERE id = ?",
            )
            .bind(retry_at.unwrap_or(i64::MAX))
            .bind(status.map(i64::from))
            .bind(error)
            .bind(id),
        };
        query.execute(&self.writer).await?;
        Ok(())
    }

    async fn list_outbox(&self, undelivered_only: bool) -> StoreResult<Vec<OutboxEntry>> {
        let rows = sqlx::query(
            "SELECT o.id, p.reference_no, o.target_url, o.attempts, o.delivered_at, o.last_status, o.last_error
             FROM outbox o JOIN payments p ON p.id = o.payment_id
             WHERE (? = 0 OR o.delivered_at IS NULL) ORDER BY o.id",
        )
        .bind(undelivered_only)
        .fetch_all(&self.reader)
        .await?;
        rows.iter()
            .map(|row| {
                let attempts: i64 = row.try_get("attempts")?;
                let delivered_at: Option<i64> = row.try_get("delivered_at")?;
                let last_status: Option<i64> = row.try_get("last_status")?;
                Ok(OutboxEntry {
                    id: row.try_get("id")?,
                    reference_no: row.try_get("reference_no")?,
                    target_url: row.try_get("target_url")?,
                    attempts: u32::try_from(attempts).unwrap_or(u32::MAX),
                    delivered: delivered_at.is_some(),
                    last_status: last_status.and_then(|s| u16::try_from(s).ok()),
                    last_error: row.try_get("last_error")?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(StoreError::from)
    }

    async fn resend(&self, id: i64, now: Timestamp) -> StoreResult<bool> {
        let updated = sqlx::query(
            // Attempts are kept (they number each attempt's X-EXTERNAL-ID): a resend is one
            // more attempt, with no retries after it.
            "UPDATE outbox SET next_attempt_at = ?, locked_until = NULL WHERE id = ? AND delivered_at IS NULL",
        )
        .bind(now)
        .bind(id)
        .execute(&self.writer)
        .await?;
        Ok(updated.rows_affected() == 1)
    }
}
