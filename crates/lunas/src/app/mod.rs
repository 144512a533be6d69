//! The application layer: one module per use case, between the HTTP faces (which
//! parse and render) and the store (which persists). A use case gathers what the
//! domain needs, asks the state machine, and hands the store a whole decision.

pub mod cache;
pub mod change;
pub mod create;
pub mod deliveries;
pub mod merchants;
pub mod query;
pub mod refund;
pub mod sandbox;
pub mod tokens;

use std::sync::Arc;

use tokio::sync::Notify;

use crate::acquirer::{Acquirer, AcquirerError};
use crate::config::{Config, Mode};
use crate::domain::{Clock, DomainError};
use crate::store::{Store, StoreError};

/// Everything a use case may reach.
pub struct Gateway {
    pub store: Store,
    pub acquirer: Arc<dyn Acquirer>,
    pub config: Arc<Config>,
    pub clock: Clock,
    pub merchants: merchants::Directory,
    pub tokens: tokens::Tokens,
    /// Wakes this instance's delivery worker when a command wrote a notification.
    pub outbox_wake: Arc<Notify>,
    /// The developer tools; `None` in production mode.
    pub sandbox: Option<sandbox::Sandbox>,
}

impl Gateway {
    pub fn new(store: Store, acquirer: Arc<dyn Acquirer>, config: Arc<Config>, clock: Clock) -> Self {
        let merchant_ttl = std::time::Duration::from_millis(config.cache.merchant_ttl_ms);
        let sandbox = (config.mode == Mode::Sandbox).then(|| sandbox::Sandbox::new(&config.sandbox));
        Self {
            store,
            acquirer,
            config,
            clock,
            merchants: merchants::Directory::new(merchant_ttl),
            tokens: tokens::Tokens::default(),
            outbox_wake: Arc::new(Notify::new()),
            sandbox,
        }
    }
}

/// Counts a change that was persisted, by face, kind and what happened, for
/// `lunas_payment_changes_total`.
fn count_change(payment: &crate::domain::Payment, effect: &'static str) {
    let kind = match payment.instrument {
        crate::domain::Instrument::Qris { .. } => "qris",
        crate::domain::Instrument::VirtualAccount(_) => "virtual_account",
    };
    metrics::counter!("lunas_payment_changes_total", "face" => payment.face.as_str(), "kind" => kind, "effect" => effect)
        .increment(1);
}

/// Why a use case failed. Each face maps these once to its own codes.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error(transparent)]
    Domain(#[from] DomainError),
    #[error(transparent)]
    Acquirer(#[from] AcquirerError),
    /// An operator's request that cannot be carried out as asked.
    #[error("{0}")]
    Invalid(String),
    #[error("internal failure: {0:#}")]
    Internal(anyhow::Error),
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Domain(e) => AppError::Domain(e),
            StoreError::Conflict => AppError::Internal(anyhow::anyhow!("a store conflict escaped")),
            StoreError::Internal(e) => AppError::Internal(e),
        }
    }
}

pub type AppResult<T> = Result<T, AppError>;
