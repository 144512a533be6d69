//! SNAP: Bank Indonesia's national open-API standard, as iFortepay speaks it.

pub mod codes;
pub mod headers;
pub mod qr;
pub mod token;
pub mod va;

use serde::{Deserialize, Serialize};

pub use codes::{Case, ResponseCode, Service};

use crate::crypto::{hmac_sha512_base64, notification_string_to_sign};
use crate::money::Amount;

/// `{"value":"10000.00","currency":"IDR"}` as received: both parts optional so a
/// missing one is reported by name rather than as a parse failure.
#[serde_with::skip_serializing_none]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
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

/// The headers of a SNAP notification, signed the iFortepay way: HMAC-SHA512 with the
/// merchant's client secret over `notifyUrl:X-VERSION:bodyHash:X-TIMESTAMP`. The
/// gateway sends them; a merchant's tests can forge their own with them.
pub fn notification_headers(
    url: &str,
    body: &[u8],
    partner_id: &str,
    client_secret: &str,
    timestamp: &str,
    external_id: String,
) -> Vec<(&'static str, String)> {
    use headers::{NOTIFICATION_VERSION, X_EXTERNAL_ID, X_PARTNER_ID, X_SIGNATURE, X_TIMESTAMP, X_VERSION};
    let string_to_sign = notification_string_to_sign(url, NOTIFICATION_VERSION, body, timestamp);
    vec![
        (X_TIMESTAMP, timestamp.to_string()),
        (X_SIGNATURE, hmac_sha512_base64(client_secret.as_bytes(), &string_to_sign)),
        (X_VERSION, NOTIFICATION_VERSION.to_string()),
        (X_PARTNER_ID, partner_id.to_string()),
        (X_EXTERNAL_ID, external_id),
    ]
}
