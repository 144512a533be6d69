//! SNAP: Bank Indonesia's national open-API standard, as iFortepay speaks it.

pub mod codes;
pub mod headers;
pub mod qr;
pub mod token;
pub mod va;

use serde::{Deserialize, Serialize};

pub use codes::{Case, ResponseCode, Service};

use crate::money::Amount;

/// `{"value":"10000.00","currency":"IDR"}` as received: both parts optional so a
/// missing one is reported by name rather than as a parse failure.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, Deserialize)]
pub struct MoneyIn {
    pub value: Option<String>,
    pub currency: Option<String>,
}

/// `{"value":"10000.00","currency":"IDR"}` as sent.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Money {
    pub value: String,
    pub currency: String,
}

impl Money {
    pub fn idr(amount: Amount) -> Self {
        Self { value: amount.to_string(), currency: crate::money::IDR.to_string() }
    }
}

/// Checks a mandatory money object and returns its amount.
pub fn validate_money(money: &Option<MoneyIn>, field: &str) -> Result<Amount, crate::validate::FieldError> {
    use crate::validate::{FieldError, ensure, required};
    let Some(money) = money else {
        return Err(FieldError::missing(field));
    };
    let value = required(&money.value, &format!("{field}.value"), 19)?;
    let currency = required(&money.currency, &format!("{field}.currency"), 3)?;
    ensure(currency == crate::money::IDR, &format!("{field}.currency"))?;
    Amount::parse_snap(value).ok_or_else(|| FieldError::format(format!("{field}.value")))
}

/// The body of every SNAP answer that is not a success.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorResponse {
    pub response_code: String,
    pub response_message: String,
}
