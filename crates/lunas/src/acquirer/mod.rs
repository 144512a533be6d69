//! The acquirer side: whoever issues the payable instrument and reports money
//! received (a QRIS switch, a bank). The sandbox simulator is one implementation; a
//! real connector implements the same trait, and reports payments through
//! [`report_payment`], the one door through which money enters the domain.

mod simulator;

use async_trait::async_trait;

use crate::domain::{Event, Merchant, Payer, Timestamp};
use crate::store::{Applied, PaymentCommand, PaymentRef, Store, StoreResult};
use lunas_protocol::snap::qr::Tip;

pub use simulator::Simulator;

#[derive(Debug, thiserror::Error)]
#[error("acquirer failure: {0}")]
pub struct AcquirerError(pub String);

/// A new dynamic QR to register with the QRIS network.
pub struct QrisOrder<'a> {
    pub merchant: &'a Merchant,
    pub reference_no: &'a str,
    pub amount: i64,
    pub tip: Option<Tip>,
    pub terminal_id: Option<&'a str>,
}

#[async_trait]
pub trait Acquirer: Send + Sync + 'static {
    /// Registers the QR and returns the payload the customer scans.
    async fn issue_qris(&self, order: &QrisOrder<'_>) -> Result<String, AcquirerError>;
}

/// Money received for the payment with `reference_no`, as the acquirer reports it.
pub async fn report_payment(
    store: &dyn Store,
    reference_no: &str,
    amount: i64,
    payer: Payer,
    now: Timestamp,
) -> StoreResult<Applied> {
    store
        .apply(PaymentCommand {
            payment: PaymentRef::Acquirer {
                reference_no: reference_no.to_string(),
            },
            event: Event::Pay { amount, payer },
            request_id: None,
            now,
        })
        .await
}
