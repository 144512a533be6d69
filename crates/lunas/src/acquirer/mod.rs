//! The acquirer side: whoever issues the payable instrument and reports money
//! received (a QRIS switch, a bank). The sandbox simulator is one implementation; a
//! real connector implements the same trait, and reports payments through
//! [`crate::app::change::report_payment`], the one door through which money enters.

mod simulator;

use async_trait::async_trait;

use lunas_protocol::snap::qr::Tip;

use crate::domain::{Amount, AmountRule, Merchant};

pub use simulator::Simulator;

#[derive(Debug, thiserror::Error)]
pub enum AcquirerError {
    /// The merchant asked for a virtual-account number the bank cannot give.
    #[error("the requested virtual-account number does not fit the bank's format")]
    InvalidNumber,
    /// Every number drawn was held by a live virtual account.
    #[error("no free virtual-account number")]
    NoFreeNumber,
    #[error("acquirer failure: {0}")]
    Failure(String),
}

/// A new dynamic QR to register with the QRIS network.
pub struct QrisOrder<'a> {
    pub merchant: &'a Merchant,
    pub reference_no: &'a str,
    pub amount: Amount,
    pub tip: Option<Tip>,
    pub terminal_id: Option<&'a str>,
}

/// A new virtual account to open at a bank.
pub struct VaOrder<'a> {
    pub merchant: &'a Merchant,
    /// The channel name, e.g. `BCA` or `BCA-POLYTRON`.
    pub channel: &'a str,
    pub rule: AmountRule,
    /// The merchant's own number for a static VA; the bank chooses otherwise.
    pub requested: Option<Requested>,
}

/// A number a merchant asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Requested {
    /// PG3's `va_number`: digits the bank places after the merchant's own.
    Digits(String),
    /// SNAP's `customerNo`: everything after the bank's BIN, the merchant's digits
    /// included.
    CustomerNo(String),
}

#[async_trait]
pub trait Acquirer: Send + Sync + 'static {
    /// Registers the QR and returns the payload the customer scans.
    async fn issue_qris(&self, order: &QrisOrder<'_>) -> Result<String, AcquirerError>;

    /// Returns a virtual-account number for the order. The store decides whether the
    /// number is free; a generated number that is taken is asked for again.
    async fn issue_virtual_account(&self, order: &VaOrder<'_>) -> Result<String, AcquirerError>;
}
