//! SNAP: Bank Indonesia's national open-API standard, as iFortepay speaks it.

pub mod codes;
pub mod headers;
pub mod qr;
pub mod token;

use serde::{Deserialize, Serialize};

pub use codes::{Case, ResponseCode, Service};

/// `{"value":"10000.00","currency":"IDR"}` as received: both parts optional so a
/// missing one is reported by name rather than as a parse failure.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct MoneyIn {
    pub value: Option<String>,
    pub currency: Option<String>,
}

/// `{"value":"10000.00","currency":"IDR"}` as sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Money {
    pub value: String,
    pub currency: String,
}

impl Money {
    pub fn idr(sen: i64) -> Self {
        Self { value: crate::money::format_snap_amount(sen), currency: crate::money::IDR.to_string() }
    }
}

/// Checks a mandatory money object and returns its amount in sen.
pub fn validate_money(money: &Option<MoneyIn>, field: &str) -> Result<i64, crate::validate::FieldError> {
    use crate::validate::{FieldError, ensure, required};
    let Some(money) = money else {
        return Err(FieldError::missing(field));
    };
    let value = required(&money.value, &format!("{field}.value"), 19)?;
    let currency = required(&money.currency, &format!("{field}.currency"), 3)?;
    ensure(currency == crate::money::IDR, &format!("{field}.currency"))?;
    crate::money::parse_snap_amount(value).ok_or_else(|| FieldError::format(format!("{field}.value")))
}

/// The body of every SNAP answer that is not a success.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorResponse {
    pub response_code: String,
    pub response_message: String,
}
