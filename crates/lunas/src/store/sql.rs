//! One SQL implementation of the store for both backends, through sqlx's `Any` driver.
//! The SQL is portable (`$n` parameters, `ON CONFLICT`, `RETURNING`); what differs per
//! backend is in [`Dialect`]: how a write transaction starts, how the outbox is
//! claimed, the migrations and the connection set-up.
//!
//! - SQLite (the embedded default): WAL with `synchronous=FULL`, so a commit is on disk
//!   before the API answers. Writes go through one connection and take the write lock
//!   up front (`BEGIN IMMEDIATE`), so commands serialise, in one process or several.
//! - PostgreSQL (many instances): a shared pool. Every change is an update guarded by
//!   the version read; a command that loses a race to another instance runs again on
//!   the fresh row, so exactly one wins. Outbox rows are claimed with
//!   `FOR UPDATE SKIP LOCKED`.

use std::time::Duration;

use anyhow::Context;
use async_trait::async_trait;
use sqlx::AnyConnection;
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Row};

use super::*;
use crate::config::DatabaseConfig;
use crate::domain::{
    AmountRule, Face, Instrument, NoticeKind, Payer, PaymentId, PaymentState, Receipt, Transition, transition,
};

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// `X-EXTERNAL-ID`s must be unique within a day; two days covers every time zone
/// and the timestamp window.
const REQUEST_ID_RETENTION_MS: i64 = 2 * 86_400_000;

/// How often a command that lost a race is run again before giving up.
const ATTEMPTS: usize = 8;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

impl Dialect {
    pub fn of(url: &str) -> Option<Self> {
        if url.starts_with("sqlite:") {
            Some(Dialect::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Some(Dialect::Postgres)
        } else {
            None
        }
    }

    fn begin(self) -> &'static str {
        match self {
            // IMMEDIATE takes the write lock up front, so another writer waits in
            // busy_timeout instead of failing mid-transaction.
            Dialect::Sqlite => "BEGIN IMMEDIATE",
            Dialect::Postgres => "BEGIN",
        }
    }

    /// Appended to the read at the start of a write command: PostgreSQL locks the row,
    /// so commands on one payment queue instead of racing; SQLite's transaction
    /// already holds the only write lock.
    fn lock_row(self) -> &'static str {
        match self {
            Dialect::Sqlite => "",
            // Only the payment: a transfer's lookup joins va_numbers, which the winner of
            // a race updates too, and locking both in two orders would deadlock.
            Dialect::Postgres => " FOR UPDATE OF p",
        }
    }

    /// A read that sees one moment across several queries.
    fn begin_read(self) -> &'static str {
        match self {
            Dialect::Sqlite => "BEGIN",
            Dialect::Postgres => "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
        }
    }

    /// PostgreSQL lets each instance's worker skip rows another is claiming.
    fn skip_locked(self) -> &'static str {
        match self {
            Dialect::Sqlite => "",
            Dialect::Postgres => "FOR UPDATE SKIP LOCKED",
        }
    }

    fn migrator(self) -> &'static sqlx::migrate::Migrator {
        match self {
            Dialect::Sqlite => &SQLITE_MIGRATIONS,
            Dialect::Postgres => &POSTGRES_MIGRATIONS,
        }
    }
}

#[derive(Clone)]
pub struct SqlStore {
    dialect: Dialect,
    writer: AnyPool,
    reader: AnyPool,
}

/// `url` with its query string replaced by `query`.
fn with_query(url: &str, query: &str) -> String {
    format!("{}?{query}", url.split('?').next().unwrap_or(url))
}

fn sqlite_pool(max: u32, settings: &DatabaseConfig) -> AnyPoolOptions {
    AnyPoolOptions::new()
        .max_connections(max)
        .acquire_timeout(Duration::from_millis(settings.acquire_timeout_ms))
        .after_connect(|conn, _| {
            Box::pin(async move {
                for pragma in ["PRAGMA synchronous = FULL", "PRAGMA foreign_keys = ON", "PRAGMA busy_timeout = 10000"] {
                    sqlx::query(pragma).execute(&mut *conn).await?;
                }
                Ok(())
            })
        })
}

impl SqlStore {
    /// Opens (creating if needed) and migrates the database at `url`: `sqlite:PATH` or
    /// `postgres://…`.
    pub async fn open(url: &str, settings: &DatabaseConfig) -> anyhow::Result<Self> {
        sqlx::any::install_default_drivers();
        let dialect = Dialect::of(url).with_context(|| format!("unsupported database URL {url:?}"))?;
        let store = match dialect {
            Dialect::Sqlite => {
                let writer_url = with_query(url, "mode=rwc");
                let writer = sqlite_pool(1, settings)
                    .connect(&writer_url)
                    .await
                    .with_context(|| format!("cannot open {url}"))?;
                sqlx::query("PRAGMA journal_mode = WAL").execute(&writer).await?;
                dialect.migrator().run(&writer).await.context("migrating the database")?;
                let reader_url = with_query(url, "mode=ro");
                let reader = sqlite_pool(4, settings)
                    .connect(&reader_url)
                    .await
                    .with_context(|| format!("cannot open {url} for reading"))?;
                SqlStore { dialect, writer, reader }
            }
            Dialect::Postgres => {
                let pool = AnyPoolOptions::new()
                    .max_connections(settings.max_connections)
                    .acquire_timeout(Duration::from_millis(settings.acquire_timeout_ms))
                    .connect(url)
                    .await
                    .context("cannot connect to PostgreSQL")?;
                dialect.migrator().run(&pool).await.context("migrating the database")?;
                SqlStore { dialect, writer: pool.clone(), reader: pool }
            }
        };
        Ok(store)
    }

    async fn begin(&self) -> StoreResult<sqlx::Transaction<'static, sqlx::Any>> {
        Ok(self.writer.begin_with(self.dialect.begin()).await?)
    }

    async fn create_payment_once(&self, p: &Payment, request_id: Option<&RequestId>) -> Attempt<Payment> {
        let mut tx = self.begin().await?;
        if let Some(request_id) = request_id {
            record_request_id(&mut tx, request_id, p.created_at).await?;
        }
        check_reference(&mut tx, &NewPaymentKey::of(p)).await?;
        let inserted = sqlx::query(
            "INSERT INTO payments (id, merchant_id, reference_no, merchant_reference, order_id, face, fingerprint, amount,
                                   rule, multi_use, received, refunded, state, instrument, callback_url, payer,
                                   created_at, expires_at, paid_at, canceled_at, version)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)",
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
        .bind(i64::from(p.multi_use))
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
        .await;
        // Another instance inserting the same reference first: the next attempt's
        // check_reference tells a retry from a different request.
        if lost_race(inserted)?.is_none() {
            return Ok(None);
        }
        if let Some(va) = p.virtual_account() {
            claim_number(&mut tx, p, &va.number).await?;
        }
        tx.commit().await?;
        Ok(Some(p.clone()))
    }

    async fn apply_once(&self, command: &PaymentCommand) -> Attempt<Applied> {
        let mut tx = self.begin().await?;
        if let Some(request_id) = &command.request_id {
            record_request_id(&mut tx, request_id, command.now).await?;
        }
        let before = find_payment(&mut tx, &command.payment, self.dialect.lock_row()).await?;
        let (next, received, refunded, notify) = match transition(&before, &command.event, command.now)? {
            Transition::Unchanged => {
                tx.commit().await?;
                return Ok(Some(Applied { payment: before }));
            }
            Transition::Changed { next, received, refunded, notify } => (next, received, refunded, notify),
        };
        let totals = (next, received, refunded);
        let Some(after) = write_transition(&mut tx, &before, &command.event, totals, command.now).await? else {
            return Ok(None);
        };
        if let Some(kind) = notify {
            enqueue(&mut tx, &Notice { kind, payment: after.clone(), refund: None }, command.now).await?;
        }
        tx.commit().await?;
        Ok(Some(Applied { payment: after }))
    }

    async fn refund_once(&self, c: &RefundCommand) -> Attempt<Refunded> {
        let mut tx = self.begin().await?;
        record_request_id(&mut tx, &c.request_id, c.now).await?;
        let before = find_payment(&mut tx, &c.payment, self.dialect.lock_row()).await?;
        let existing = sqlx::query("SELECT * FROM refunds WHERE merchant_id = $1 AND merchant_refund_no = $2")
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
            return Ok(Some(Refunded { payment: before, refund }));
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
            refund_no: c.refund_no.clone(),
            merchant_refund_no: c.merchant_refund_no.clone(),
            fingerprint: c.fingerprint.clone(),
            amount,
            reason: c.reason.clone(),
            created_at: c.now,
        };
        let Some(after) = write_transition(&mut tx, &before, &event, (next, received, refunded), c.now).await? else {
            return Ok(None);
        };
        let inserted = sqlx::query(
            "INSERT INTO refunds (refund_no, payment_id, merchant_id, merchant_refund_no, fingerprint, amount, reason, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
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
        .await;
        if lost_race(inserted)?.is_none() {
            return Ok(None);
        }
        let notice =
            Notice { kind: NoticeKind::Refunded { amount }, payment: after.clone(), refund: Some(refund.clone()) };
        enqueue(&mut tx, &notice, c.now).await?;
        tx.commit().await?;
        Ok(Some(Refunded { payment: after, refund }))
    }
}

/// A command's outcome, or a sign that it lost a race and must run again.
type Attempt<T> = StoreResult<Option<T>>;

/// Runs `once` until it does not lose a race (at most [`ATTEMPTS`] times).
async fn retrying<T, F, Fut>(mut once: F) -> StoreResult<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Attempt<T>>,
{
    for _ in 0..ATTEMPTS {
        match once().await {
            Ok(Some(done)) => return Ok(done),
            Ok(None) => {}
            // PostgreSQL may still abort one side of a race (deadlock, serialization).
            Err(StoreError::Internal(e)) if is_transient(&e) => {}
            Err(e) => return Err(e),
        }
    }
    Err(anyhow::anyhow!("a command lost {ATTEMPTS} races in a row").into())
}

/// PostgreSQL's deadlock and serialization-failure codes: the transaction was rolled
/// back and may simply run again.
fn is_transient(error: &anyhow::Error) -> bool {
    match error.downcast_ref::<sqlx::Error>() {
        Some(sqlx::Error::Database(e)) => matches!(e.code().as_deref(), Some("40P01" | "40001")),
        _ => false,
    }
}

/// A unique-index violation means another instance got there first: run again.
fn lost_race<T>(result: Result<T, sqlx::Error>) -> Attempt<T> {
    match result {
        Ok(value) => Ok(Some(value)),
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => Ok(None),
        Err(e) => Err(e.into()),
    }
}

fn merchant_from_row(row: &AnyRow) -> Result<Merchant, sqlx::Error> {
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

fn payment_from_row(row: &AnyRow) -> Result<Payment, sqlx::Error> {
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
        multi_use: row.try_get::<i64, _>("multi_use")? != 0,
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

fn refund_from_row(row: &AnyRow) -> Result<Refund, sqlx::Error> {
    Ok(Refund {
        refund_no: row.try_get("refund_no")?,
        merchant_refund_no: row.try_get("merchant_refund_no")?,
        fingerprint: row.try_get("fingerprint")?,
        amount: row.try_get("amount")?,
        reason: row.try_get("reason")?,
        created_at: row.try_get("created_at")?,
    })
}

async fn request_id_used(conn: &mut AnyConnection, request: &RequestId) -> StoreResult<bool> {
    let row = sqlx::query("SELECT 1 FROM request_ids WHERE merchant_id = $1 AND day = $2 AND request_id = $3")
        .bind(request.merchant_id.0)
        .bind(&request.day)
        .bind(&request.id)
        .fetch_optional(&mut *conn)
        .await?;
    Ok(row.is_some())
}

/// Refuses a merchant reference already used: `DuplicateReference` for the same
/// request, `InconsistentRequest` for another.
async fn check_reference(conn: &mut AnyConnection, key: &NewPaymentKey<'_>) -> StoreResult<()> {
    let existing = sqlx::query(
        "SELECT fingerprint FROM payments WHERE merchant_id = $1 AND face = $2 AND merchant_reference = $3",
    )
    .bind(key.merchant_id.0)
    .bind(key.face.as_str())
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

async fn record_request_id(conn: &mut AnyConnection, request: &RequestId, now: Timestamp) -> StoreResult<()> {
    let inserted = sqlx::query(
        "INSERT INTO request_ids (merchant_id, day, request_id, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
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

/// A bound value of a lookup.
enum Arg<'a> {
    Text(&'a str),
    Int(i64),
}

/// Finds the payment `target` names; `lock` is [`Dialect::lock_row`] in a write
/// command and empty in a read.
async fn find_payment(conn: &mut AnyConnection, target: &PaymentRef, lock: &str) -> StoreResult<Payment> {
    let transaction_id;
    let (sql, args) = match target {
        PaymentRef::Merchant { merchant_id, face, key } => {
            let (m, f) = (Arg::Int(merchant_id.0), Arg::Text(face.as_str()));
            match key {
                MerchantKey::Snap { reference_no, merchant_reference } => (
                    "SELECT p.* FROM payments p WHERE p.merchant_id = $1 AND p.face = $2 AND p.reference_no = $3
                       AND p.merchant_reference = $4",
                    vec![m, f, Arg::Text(reference_no), Arg::Text(merchant_reference)],
                ),
                MerchantKey::Pg3 { transaction_id: id, merchant_reference, order_id } => {
                    transaction_id = id.0.to_string();
                    (
                        "SELECT p.* FROM payments p WHERE p.merchant_id = $1 AND p.face = $2 AND p.id = $3
                           AND p.merchant_reference = $4 AND p.order_id = $5",
                        vec![m, f, Arg::Text(&transaction_id), Arg::Text(merchant_reference), Arg::Text(order_id)],
                    )
                }
                MerchantKey::Reference(merchant_reference) => (
                    "SELECT p.* FROM payments p WHERE p.merchant_id = $1 AND p.face = $2 AND p.merchant_reference = $3",
                    vec![m, f, Arg::Text(merchant_reference)],
                ),
            }
        }
        PaymentRef::Acquirer { reference } => {
            ("SELECT p.* FROM payments p WHERE p.reference_no = $1 OR p.id = $1", vec![Arg::Text(reference)])
        }
        // A number belongs to a VA that still takes money; a transfer racing the VA's
        // end sees it gone, whichever instance it reaches.
        PaymentRef::VirtualAccount { number, now } => (
            "SELECT p.* FROM va_numbers v JOIN payments p ON p.id = v.payment_id
             WHERE v.number = $1 AND v.live_until > $2 AND p.state = 'pending'",
            vec![Arg::Text(number), Arg::Int(*now)],
        ),
    };
    // Both parts are this module's constants.
    let mut query = sqlx::query(sqlx::AssertSqlSafe(format!("{sql}{lock}")));
    for arg in args {
        query = match arg {
            Arg::Text(text) => query.bind(text),
            Arg::Int(int) => query.bind(int),
        };
    }
    let row = query.fetch_optional(&mut *conn).await?.ok_or(DomainError::NotFound)?;
    Ok(payment_from_row(&row)?)
}

/// Writes what the state machine decided: the new state and totals (guarded by the
/// version read), the receipt of a payment, and the release of a finished virtual
/// account's number. Returns the payment as it now stands, or `None` when another
/// transaction changed it since it was read.
async fn write_transition(
    conn: &mut AnyConnection,
    before: &Payment,
    event: &Event,
    (next, received, refunded): (PaymentState, i64, i64),
    now: Timestamp,
) -> Attempt<Payment> {
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
        "UPDATE payments SET state = $1, received = $2, refunded = $3, payer = $4, paid_at = $5, canceled_at = $6,
                            expires_at = $7, version = version + 1
         WHERE id = $8 AND version = $9",
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
        return Ok(None);
    }
    if let Event::Pay { amount, payer } = event {
        sqlx::query("INSERT INTO receipts (payment_id, amount, paid_at, payer) VALUES ($1, $2, $3, $4)")
            .bind(after.id.0.to_string())
            .bind(*amount)
            .bind(now)
            .bind(encode_json(payer))
            .execute(&mut *conn)
            .await?;
    }
    if let Some(va) = after.virtual_account().filter(|_| after.state != PaymentState::Pending) {
        sqlx::query(
            "UPDATE va_numbers SET live_until = CASE WHEN live_until < $1 THEN live_until ELSE $1 END
             WHERE number = $2 AND payment_id = $3",
        )
        .bind(now)
        .bind(&va.number)
        .bind(after.id.0.to_string())
        .execute(&mut *conn)
        .await?;
    }
    Ok(Some(after))
}

/// Claims a virtual-account number unless a live virtual account holds it.
async fn claim_number(conn: &mut AnyConnection, payment: &Payment, number: &str) -> StoreResult<()> {
    let claimed = sqlx::query(
        "INSERT INTO va_numbers (number, payment_id, live_until) VALUES ($1, $2, $3)
         ON CONFLICT (number) DO UPDATE SET payment_id = excluded.payment_id, live_until = excluded.live_until
         WHERE va_numbers.live_until <= $4",
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

async fn enqueue(conn: &mut AnyConnection, notice: &Notice, now: Timestamp) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO outbox (merchant_id, payment_id, target_url, notice, next_attempt_at, created_at)
         VALUES ($1, $2, $3, $4, $5, $6)",
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
impl Store for SqlStore {
    async fn create_merchant(&self, m: NewMerchant) -> StoreResult<Merchant> {
        let row = sqlx::query(
            "INSERT INTO merchants (name, partner_id, client_secret, public_key_pem, callback_url, secret_unbound_id, hash_key, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING *",
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
        let row = sqlx::query("SELECT * FROM merchants WHERE partner_id = $1")
            .bind(partner_id)
            .fetch_optional(&self.reader)
            .await?;
        Ok(row.as_ref().map(merchant_from_row).transpose()?)
    }

    async fn merchant(&self, id: MerchantId) -> StoreResult<Option<Merchant>> {
        let row = sqlx::query("SELECT * FROM merchants WHERE id = $1").bind(id.0).fetch_optional(&self.reader).await?;
        Ok(row.as_ref().map(merchant_from_row).transpose()?)
    }

    async fn save_access_token(
        &self,
        token_hash: &str,
        merchant_id: MerchantId,
        expires_at: Timestamp,
    ) -> StoreResult<()> {
        sqlx::query("INSERT INTO access_tokens (token_hash, merchant_id, expires_at) VALUES ($1, $2, $3)")
            .bind(token_hash)
            .bind(merchant_id.0)
            .bind(expires_at)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    async fn prune(&self, now: Timestamp) -> StoreResult<u64> {
        let mut tx = self.begin().await?;
        let tokens = sqlx::query("DELETE FROM access_tokens WHERE expires_at < $1").bind(now).execute(&mut *tx).await?;
        let ids = sqlx::query("DELETE FROM request_ids WHERE created_at < $1")
            .bind(now - REQUEST_ID_RETENTION_MS)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(tokens.rows_affected() + ids.rows_affected())
    }

    async fn merchant_for_token(&self, token_hash: &str, now: Timestamp) -> StoreResult<Option<MerchantId>> {
        let row = sqlx::query("SELECT merchant_id FROM access_tokens WHERE token_hash = $1 AND expires_at > $2")
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
        retrying(|| self.create_payment_once(&p, request_id.as_ref())).await
    }

    async fn payment(&self, target: PaymentRef) -> StoreResult<Payment> {
        let mut conn = self.reader.acquire().await?;
        find_payment(&mut conn, &target, "").await
    }

    async fn payment_history(&self, target: PaymentRef, limit: u32) -> StoreResult<(Payment, Vec<Receipt>)> {
        let mut tx = self.reader.begin_with(self.dialect.begin_read()).await?;
        let payment = find_payment(&mut tx, &target, "").await?;
        let rows =
            sqlx::query("SELECT amount, paid_at, payer FROM receipts WHERE payment_id = $1 ORDER BY id DESC LIMIT $2")
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
        let payment = find_payment(&mut tx, &target, "").await?;
        tx.commit().await?;
        Ok(payment)
    }

    async fn apply(&self, command: PaymentCommand) -> StoreResult<Applied> {
        retrying(|| self.apply_once(&command)).await
    }

    async fn refund(&self, command: RefundCommand) -> StoreResult<Refunded> {
        retrying(|| self.refund_once(&command)).await
    }

    async fn claim_deliveries(&self, now: Timestamp, lease_until: Timestamp, limit: u32) -> StoreResult<Vec<Delivery>> {
        let mut tx = self.begin().await?;
        // Both parts are this module's constants.
        let claim = format!(
            "UPDATE outbox SET locked_until = $1
             WHERE id IN (SELECT id FROM outbox
                          WHERE delivered_at IS NULL AND next_attempt_at <= $2
                            AND (locked_until IS NULL OR locked_until <= $2)
                          ORDER BY next_attempt_at LIMIT $3 {})
             RETURNING id, merchant_id, target_url, notice, attempts",
            self.dialect.skip_locked()
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(claim))
            .bind(lease_until)
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
                    lease_until,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(StoreError::from)
    }

    async fn finish_delivery(&self, delivery: &Delivery, result: AttemptResult, now: Timestamp) -> StoreResult<()> {
        let query = match &result {
            AttemptResult::Delivered { status } => sqlx::query(
                "UPDATE outbox SET attempts = attempts + 1, delivered_at = $1, last_status = $2, last_error = NULL,
                                   locked_until = NULL WHERE id = $3 AND locked_until = $4",
            )
            .bind(now)
            .bind(i64::from(*status))
            .bind(delivery.id)
            .bind(delivery.lease_until),
            AttemptResult::Failed { status, error, retry_at } => sqlx::query(
                // A row whose attempts ran out stays for inspection with no next attempt
                // (next_attempt_at far in the future) until an operator resends it.
                "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = $1, last_status = $2, last_error = $3,
                                   locked_until = NULL WHERE id = $4 AND locked_until = $5",
            )
            .bind(retry_at.unwrap_or(i64::MAX))
            .bind(status.map(i64::from))
            .bind(error)
            .bind(delivery.id)
            .bind(delivery.lease_until),
        };
        if query.execute(&self.writer).await?.rows_affected() == 0 {
            tracing::warn!(delivery = delivery.id, "lost the lease while sending; the newer claim records its attempt");
        }
        Ok(())
    }

    async fn list_outbox(&self, undelivered_only: bool) -> StoreResult<Vec<OutboxEntry>> {
        let rows = sqlx::query(
            "SELECT o.id, p.reference_no, o.target_url, o.attempts, o.delivered_at, o.last_status, o.last_error
             FROM outbox o JOIN payments p ON p.id = o.payment_id
             WHERE ($1 = 0 OR o.delivered_at IS NULL) ORDER BY o.id",
        )
        .bind(i64::from(undelivered_only))
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
            "UPDATE outbox SET next_attempt_at = $1, locked_until = NULL WHERE id = $2 AND delivered_at IS NULL",
        )
        .bind(now)
        .bind(id)
        .execute(&self.writer)
        .await?;
        Ok(updated.rows_affected() == 1)
    }
}
