//! Durable storage. The primitives are written once ([`Conn`], over any [`sql::Sql`]
//! connection); each backend supplies a connection and a way to run work on it:
//!
//! - `sqlite`: a writer thread that commits queued commands in groups, and readers;
//! - `postgres`: connection threads that write optimistically and lock when racing.
//!
//! Business commands come from the application layer as a closure that loads what it
//! needs and returns a [`Decision`]; the store persists exactly the decision, all or
//! nothing, and answers only once it is durable. It decides nothing itself.

mod conn;
mod merchants;
mod migrate;
mod model;
mod outbox;
mod payments;
mod postgres;
mod rows;
mod sql;
mod sqlite;

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use anyhow::Context;
use tokio::sync::oneshot;

pub use conn::{Conn, Loader};
pub use model::*;
pub use sql::Dialect;

use crate::config::DatabaseConfig;
use crate::domain::{DomainError, Merchant, MerchantId, NewMerchant, Payment, Receipt, Timestamp};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(transparent)]
    Domain(#[from] DomainError),
    /// Another writer changed what a command read; it runs again and never escapes
    /// the store.
    #[error("lost a race to another writer")]
    Conflict,
    #[error("storage failure: {0:#}")]
    Internal(#[from] anyhow::Error),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// Work for one connection: a command, a write or a read. It may run more than once
/// (after a lost race) and keeps its output until [`Job::finish`].
pub(crate) trait Job: Send {
    /// When the job was queued, so one that waited too long can be refused unrun.
    fn queued_at(&self) -> Instant;
    fn run(&mut self, conn: &mut Conn<'_>) -> StoreResult<()>;
    /// Answers the caller, once the work is durable or has failed.
    fn finish(self: Box<Self>, outcome: StoreResult<()>);
}

struct Work<T, F> {
    queued_at: Instant,
    work: F,
    output: Option<T>,
    reply: oneshot::Sender<StoreResult<T>>,
}

impl<T, F> Job for Work<T, F>
where
    T: Send,
    F: FnMut(&mut Conn<'_>) -> StoreResult<T> + Send,
{
    fn queued_at(&self) -> Instant {
        self.queued_at
    }

    fn run(&mut self, conn: &mut Conn<'_>) -> StoreResult<()> {
        self.output = Some((self.work)(conn)?);
        Ok(())
    }

    fn finish(mut self: Box<Self>, outcome: StoreResult<()>) {
        let answer =
            outcome.and_then(|()| self.output.take().context("a job finished without output").map_err(Into::into));
        // The caller may have gone away (a dropped request); the work stands.
        let _ = self.reply.send(answer);
    }
}

/// Refuses a job that waited longer than `patience` for its connection.
fn stale(job: &dyn Job, patience: Duration) -> Option<StoreError> {
    (job.queued_at().elapsed() > patience)
        .then(|| StoreError::Internal(anyhow::anyhow!("the database is overloaded: a job waited over {patience:?}")))
}

/// How a job runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Read,
    /// Reads that must see one moment.
    Snapshot,
    Write,
}

enum Engine {
    Sqlite(sqlite::Engine),
    Postgres(postgres::Engine),
}

#[derive(Clone)]
pub struct Store {
    engine: Arc<Engine>,
}

/// Runs blocking set-up on a thread of its own, outside the async runtime (the
/// `postgres` client must not block a runtime thread).
async fn off_runtime<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = oneshot::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.await.expect("the set-up thread answers")
}

impl Store {
    /// Opens (creating if needed) and migrates the database at `url`: `sqlite:PATH` or
    /// `postgres://…`.
    pub async fn open(url: &str, settings: &DatabaseConfig, now: Timestamp) -> anyhow::Result<Store> {
        let dialect = Dialect::of(url).with_context(|| format!("unsupported database URL {url:?}"))?;
        let (url, settings) = (url.to_string(), settings.clone());
        let engine = off_runtime(move || match dialect {
            Dialect::Sqlite => sqlite::Engine::open(&url, &settings, now).map(Engine::Sqlite),
            Dialect::Postgres => postgres::Engine::open(&url, &settings, now).map(Engine::Postgres),
        })
        .await?;
        Ok(Store { engine: Arc::new(engine) })
    }

    /// SQLite's group commit so far: (commits, commands answered by them). `None`
    /// on PostgreSQL, where every command commits on its own.
    pub fn commit_stats(&self) -> Option<(u64, u64)> {
        match &*self.engine {
            Engine::Sqlite(engine) => {
                let stats = engine.stats();
                Some((stats.commits.load(Ordering::Relaxed), stats.jobs.load(Ordering::Relaxed)))
            }
            Engine::Postgres(_) => None,
        }
    }

    async fn submit<T, F>(&self, mode: Mode, work: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnMut(&mut Conn<'_>) -> StoreResult<T> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let job = Box::new(Work { queued_at: Instant::now(), work, output: None, reply });
        match (&*self.engine, mode) {
            (Engine::Sqlite(engine), Mode::Write) => engine.write(job),
            (Engine::Sqlite(engine), Mode::Read | Mode::Snapshot) => engine.read(job),
            (Engine::Postgres(engine), Mode::Read) => engine.submit(postgres::Mode::Read, job),
            (Engine::Postgres(engine), Mode::Snapshot) => engine.submit(postgres::Mode::Snapshot, job),
            (Engine::Postgres(engine), Mode::Write) => engine.submit(postgres::Mode::Write, job),
        }
        answer.await.map_err(|_| StoreError::Internal(anyhow::anyhow!("the store dropped a job")))?
    }

    /// Runs a business command: `decide` loads what it needs and returns what to
    /// persist and what to answer. It runs again if it lost a race, so it must only
    /// decide, never act.
    pub async fn command<T, F>(&self, mut decide: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnMut(&mut Loader<'_, '_>) -> StoreResult<Decision<T>> + Send + 'static,
    {
        self.submit(Mode::Write, move |conn| {
            let decision = decide(&mut conn.loader())?;
            conn.apply(&decision.changes)?;
            Ok(decision.output)
        })
        .await
    }

    /// What a command naming `request_id` and `by` would load, without writing.
    pub async fn peek(&self, request_id: Option<RequestId>, by: PaymentRef) -> StoreResult<Loaded> {
        self.submit(Mode::Read, move |c| {
            c.load(&Need { request_id: request_id.as_ref(), payment: Some(&by), ..Need::default() })
        })
        .await
    }

    pub async fn payment(&self, by: PaymentRef) -> StoreResult<Option<Payment>> {
        self.submit(Mode::Read, move |c| c.payment(&by)).await
    }

    /// A payment and its latest `limit` receipts, newest first, as of one moment.
    pub async fn payment_with_receipts(
        &self,
        by: PaymentRef,
        limit: u32,
    ) -> StoreResult<Option<(Payment, Vec<Receipt>)>> {
        self.submit(Mode::Snapshot, move |c| {
            let Some(payment) = c.payment(&by)? else { return Ok(None) };
            let receipts = c.receipts(payment.id, limit)?;
            Ok(Some((payment, receipts)))
        })
        .await
    }

    pub async fn list_payments(&self, filter: PaymentFilter) -> StoreResult<Vec<Payment>> {
        self.submit(Mode::Read, move |c| c.list_payments(&filter)).await
    }

    /// A payment with its history, receipts, refunds and notifications, as of one
    /// moment.
    pub async fn payment_record(&self, by: PaymentRef) -> StoreResult<Option<PaymentRecord>> {
        self.submit(Mode::Snapshot, move |c| {
            let Some(payment) = c.payment(&by)? else { return Ok(None) };
            Ok(Some(PaymentRecord {
                history: c.history(payment.id)?,
                receipts: c.receipts(payment.id, u32::MAX)?,
                refunds: c.refunds(payment.id)?,
                deliveries: c.deliveries_of(&payment.id.to_string())?,
                payment,
            }))
        })
        .await
    }

    pub async fn insert_merchant(&self, merchant: NewMerchant) -> StoreResult<Merchant> {
        self.submit(Mode::Write, move |c| c.insert_merchant(&merchant)).await
    }

    pub async fn rotate_secrets(&self, partner_id: &str, secrets: Secrets) -> StoreResult<Option<Merchant>> {
        let partner_id = partner_id.to_string();
        self.submit(Mode::Write, move |c| c.rotate_secrets(&partner_id, &secrets)).await
    }

    pub async fn merchant_by_partner_id(&self, partner_id: &str) -> StoreResult<Option<Merchant>> {
        let partner_id = partner_id.to_string();
        self.submit(Mode::Read, move |c| c.merchant_by_partner_id(&partner_id)).await
    }

    pub async fn merchant(&self, id: MerchantId) -> StoreResult<Option<Merchant>> {
        self.submit(Mode::Read, move |c| c.merchant(id)).await
    }

    pub async fn merchants(&self) -> StoreResult<Vec<Merchant>> {
        self.submit(Mode::Read, |c| c.merchants()).await
    }

    pub async fn insert_token(
        &self,
        token_hash: String,
        merchant: MerchantId,
        expires_at: Timestamp,
    ) -> StoreResult<()> {
        self.submit(Mode::Write, move |c| c.insert_token(&token_hash, merchant, expires_at)).await
    }

    pub async fn token(&self, token_hash: String) -> StoreResult<Option<(MerchantId, Timestamp)>> {
        self.submit(Mode::Read, move |c| c.token(&token_hash)).await
    }

    /// Ids of up to `limit` payments still pending past their expiry.
    pub async fn due_expiries(&self, now: Timestamp, limit: u32) -> StoreResult<Vec<String>> {
        self.submit(Mode::Read, move |c| c.due_expiries(now, limit)).await
    }

    pub async fn prune(&self, now: Timestamp) -> StoreResult<u64> {
        self.submit(Mode::Write, move |c| c.prune(now)).await
    }

    pub async fn claim_deliveries(&self, claim: Claim) -> StoreResult<Vec<Claimed>> {
        self.submit(Mode::Write, move |c| c.claim_deliveries(claim)).await
    }

    pub async fn finish_delivery(
        &self,
        delivery: Claimed,
        result: AttemptResult,
        attempt: Attempt,
        now: Timestamp,
    ) -> StoreResult<bool> {
        self.submit(Mode::Write, move |c| c.finish_delivery(&delivery, &result, &attempt, now)).await
    }

    pub async fn outbox_depth(&self, now: Timestamp) -> StoreResult<OutboxDepth> {
        self.submit(Mode::Read, move |c| c.outbox_depth(now)).await
    }

    /// Every recorded attempt of one delivery, oldest first.
    pub async fn attempts(&self, outbox_id: i64) -> StoreResult<Vec<AttemptEntry>> {
        self.submit(Mode::Read, move |c| c.attempts(outbox_id)).await
    }

    pub async fn resend(&self, id: i64, now: Timestamp) -> StoreResult<bool> {
        self.submit(Mode::Write, move |c| c.resend(id, now)).await
    }

    pub async fn resend_failed(
        &self,
        merchant: MerchantId,
        from: Timestamp,
        until: Timestamp,
        now: Timestamp,
    ) -> StoreResult<u64> {
        self.submit(Mode::Write, move |c| c.resend_failed(merchant, from, until, now)).await
    }

    /// Notifications newest first, a page at a time (`before`: the last id seen).
    pub async fn outbox_page(
        &self,
        merchant: Option<MerchantId>,
        undelivered_only: bool,
        before: Option<i64>,
        limit: u32,
    ) -> StoreResult<Vec<OutboxEntry>> {
        self.submit(Mode::Read, move |c| c.outbox_page(merchant, undelivered_only, before, limit)).await
    }

    pub async fn outbox(&self, undelivered_only: bool) -> StoreResult<Vec<OutboxEntry>> {
        self.submit(Mode::Read, move |c| c.outbox(undelivered_only)).await
    }
}
