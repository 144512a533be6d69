//! PG3 virtual accounts: create (`POST /va`), inquiry (`POST /va/inquiry`), cancel
//! (`POST /va/cancel`) and the payment callback.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::money::Amount;
use crate::validate::{FieldError, ensure, is_digits, is_email, is_http_url, optional, required};

/// `payment_system`: how a VA takes money.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaymentSystem {
    Closed,
    Open,
    Partial,
}

impl PaymentSystem {
    pub fn as_str(self) -> &'static str {
        match self {
            PaymentSystem::Closed => "CLOSED",
            PaymentSystem::Open => "OPEN",
            PaymentSystem::Partial => "PARTIAL",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        [PaymentSystem::Closed, PaymentSystem::Open, PaymentSystem::Partial]
            .into_iter()
            .find(|s| s.as_str().eq_ignore_ascii_case(text))
    }
}

/// A bank channel and the payment systems it offers (ifortepay.md §9).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Channel {
    pub name: &'static str,
    pub partial: bool,
    /// Open amounts below Rp 10,000 are allowed (BNI).
    pub small_open_amounts: bool,
}

pub const CHANNELS: &[Channel] = &[
    Channel { name: "BCA", partial: true, small_open_amounts: false },
    Channel { name: "BCA-POLYTRON", partial: true, small_open_amounts: false },
    Channel { name: "BCA-MCP", partial: true, small_open_amounts: false },
    Channel { name: "BCA-MOLA", partial: true, small_open_amounts: false },
    Channel { name: "BRI", partial: true, small_open_amounts: false },
    Channel { name: "MANDIRI", partial: false, small_open_amounts: false },
    Channel { name: "BNI", partial: true, small_open_amounts: true },
    Channel { name: "PERMATA", partial: false, small_open_amounts: false },
    Channel { name: "CIMB", partial: true, small_open_amounts: false },
    Channel { name: "BSI", partial: false, small_open_amounts: false },
    Channel { name: "BNC", partial: false, small_open_amounts: false },
    Channel { name: "BNC-BLIBLI", partial: false, small_open_amounts: false },
    Channel { name: "FINPAY", partial: false, small_open_amounts: false },
];

pub fn channel(name: &str) -> Option<&'static Channel> {
    CHANNELS.iter().find(|c| c.name.eq_ignore_ascii_case(name))
}

/// iFortepay's staging bank identification numbers (SNAP's `partnerServiceId`) and
/// how many digits follow them, by bank and payment system (ifortepay.md §9). FINPAY,
/// absent from the table, gets a made-up one.
pub fn bank_identification(channel: &str, system: PaymentSystem) -> (&'static str, usize) {
    let bank = channel.split('-').next().unwrap_or(channel).to_ascii_uppercase();
    match (bank.as_str(), system) {
        ("BCA", PaymentSystem::Closed) => ("40416", 9),
        ("BCA", PaymentSystem::Partial) => ("40415", 9),
        ("BCA", PaymentSystem::Open) => ("40414", 9),
        ("BRI", PaymentSystem::Open) => ("13045", 11),
        ("BRI", _) => ("13033", 11),
        ("MANDIRI", PaymentSystem::Open) => ("89795", 14),
        ("MANDIRI", _) => ("89169", 14),
        ("BNI", _) => ("7136", 12),
        ("PERMATA", _) => ("7888", 12),
        ("CIMB", _) => ("1419", 12),
        ("BNC", _) => ("90100049", 14),
        ("BSI", _) => ("1310", 12),
        _ => ("88908", 11),
    }
}

/// Smallest VA amount (Rp 10,000), and BNI's for open amounts (Rp 1).
pub const MIN_AMOUNT: Amount = Amount::from_sen(1_000_000);
pub const MIN_AMOUNT_BNI_OPEN: Amount = Amount::from_sen(100);
/// `Numeric(13)`.
const MAX_AMOUNT_DIGITS: usize = 13;

/// Reads a PG3 number: a JSON integer or a string of digits, at most `max_digits`.
pub fn numeric(value: &Option<Value>, field: &str, max_digits: usize) -> Result<Option<i64>, FieldError> {
    let digits = match value {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Number(n)) => match n.as_i64() {
            Some(v) if v >= 0 => v.to_string(),
            _ => return Err(FieldError::format(field)),
        },
        Some(Value::String(s)) if s.is_empty() => return Ok(None),
        Some(Value::String(s)) => s.clone(),
        Some(_) => return Err(FieldError::format(field)),
    };
    ensure(is_digits(&digits) && digits.len() <= max_digits, field)?;
    digits.parse().map(Some).map_err(|_| FieldError::format(field))
}

fn identifier(value: &Option<String>, field: &str, max: usize) -> Result<String, FieldError> {
    let v = required(value, field, max)?;
    ensure(v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'), field)?;
    Ok(v.to_string())
}

fn payment_method(value: &Option<String>) -> Result<(), FieldError> {
    let method = required(value, "payment_method", 25)?;
    ensure(method.eq_ignore_ascii_case(super::BANK_TRANSFER), "payment_method")
}

fn known_channel(value: &Option<String>) -> Result<&'static Channel, FieldError> {
    let name = required(value, "payment_channel", 50)?;
    channel(name).ok_or_else(|| FieldError::format("payment_channel"))
}

// ---------------------------------------------------------------- create

#[serde_with::skip_serializing_none]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = pg3::CreateVaRequest))]
#[derive(Debug, Default, Deserialize, Serialize)]
pub struct CreateVaRequest {
    pub external_id: Option<String>,
    pub order_id: Option<String>,
    pub currency: Option<String>,
    pub payment_method: Option<String>,
    pub payment_channel: Option<String>,
    pub payment_details: Option<PaymentDetailsIn>,
    pub customer_details: Option<CustomerIn>,
    pub item_details: Option<Vec<ItemIn>>,
    pub billing_address: Option<AddressIn>,
    pub shipping_address: Option<AddressIn>,
    pub payment_options: Option<serde_json::Map<String, Value>>,
    pub additional_data: Option<String>,
    pub callback_url: Option<String>,
}

#[serde_with::skip_serializing_none]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = pg3::PaymentDetailsIn))]
#[derive(Debug, Default, Deserialize, Serialize)]
pub struct PaymentDetailsIn {
    pub billing_name: Option<String>,
    pub va_number: Option<String>,
    pub payment_system: Option<String>,
    pub is_multi_use: Option<bool>,
    pub amount: Option<Value>,
    pub expired_time: Option<String>,
    pub transaction_description: Option<String>,
    pub is_customer_paying_fee: Option<bool>,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = pg3::CustomerIn))]
#[derive(Debug, Default, Deserialize, Serialize, Clone, PartialEq, Eq)]
pub struct CustomerIn {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub full_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
}

#[serde_with::skip_serializing_none]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = pg3::ItemIn))]
#[derive(Debug, Default, Deserialize, Serialize)]
pub struct ItemIn {
    pub item_id: Option<String>,
    pub name: Option<String>,
    pub amount: Option<Value>,
    pub qty: Option<Value>,
    pub description: Option<String>,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = pg3::AddressIn))]
#[derive(Debug, Default, Deserialize, Serialize, Clone, PartialEq, Eq)]
pub struct AddressIn {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub full_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub postal_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
}

/// An item line as echoed back.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = pg3::Item))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Item {
    pub item_id: String,
    pub name: String,
    pub amount: i64,
    pub qty: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// What the merchant said about the order, echoed in inquiries and callbacks.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = pg3::OrderEcho))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderEcho {
    pub customer_details: CustomerIn,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub item_details: Option<Vec<Item>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub billing_address: Option<AddressIn>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shipping_address: Option<AddressIn>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payment_options: Option<serde_json::Map<String, Value>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub additional_data: Option<String>,
    pub is_customer_paying_fee: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidCreateVa {
    pub external_id: String,
    pub order_id: String,
    pub channel: &'static Channel,
    pub billing_name: String,
    /// The free digits of a static VA.
    pub va_number: Option<String>,
    pub payment_system: PaymentSystem,
    pub is_multi_use: bool,
    /// Whole rupiah; zero for open amounts.
    pub amount: Amount,
    pub expired_time: Option<time::OffsetDateTime>,
    pub description: String,
    pub callback_url: Option<String>,
    pub order: OrderEcho,
}

impl CreateVaRequest {
    pub fn validate(&self) -> Result<ValidCreateVa, FieldError> {
        let external_id = identifier(&self.external_id, "external_id", 64)?;
        let order_id = identifier(&self.order_id, "order_id", 25)?;
        let currency = required(&self.currency, "currency", 3)?;
        ensure(currency == crate::money::IDR, "currency")?;
        payment_method(&self.payment_method)?;
        let channel = known_channel(&self.payment_channel)?;
        let details = self.payment_details.as_ref().ok_or_else(|| FieldError::missing("payment_details"))?;
        let billing_name = required(&details.billing_name, "payment_details.billing_name", 100)?.to_string();
        let va_number = optional(&details.va_number, "payment_details.va_number", 12)?;
        if let Some(number) = va_number {
            ensure(is_digits(number), "payment_details.va_number")?;
        }
        let payment_system = match optional(&details.payment_system, "payment_details.payment_system", 16)? {
            None => PaymentSystem::Closed,
            Some(text) => {
                PaymentSystem::parse(text).ok_or_else(|| FieldError::format("payment_details.payment_system"))?
            }
        };
        ensure(payment_system != PaymentSystem::Partial || channel.partial, "payment_details.payment_system")?;
        let amount = numeric(&details.amount, "payment_details.amount", MAX_AMOUNT_DIGITS)?;
        let amount = match (payment_system, amount) {
            (PaymentSystem::Open, None | Some(0)) => Amount::ZERO,
            (PaymentSystem::Open, Some(_)) => return Err(FieldError::format("payment_details.amount")),
            (_, None) => return Err(FieldError::missing("payment_details.amount")),
            (_, Some(rupiah)) => {
                // At most 13 digits, so it always fits in sen.
                let amount = Amount::from_rupiah(rupiah).ok_or_else(|| FieldError::format("payment_details.amount"))?;
                ensure(amount >= MIN_AMOUNT, "payment_details.amount")?;
                amount
            }
        };
        let expired_time = optional(&details.expired_time, "payment_details.expired_time", 35)?
            .map(|t| crate::timestamp::parse(t).ok_or_else(|| FieldError::format("payment_details.expired_time")))
            .transpose()?;
        let description =
            required(&details.transaction_description, "payment_details.transaction_description", 100)?.to_string();

        let customer = self.customer_details.as_ref().ok_or_else(|| FieldError::missing("customer_details"))?;
        let email = required(&customer.email, "customer_details.email", 255)?;
        ensure(is_email(email), "customer_details.email")?;
        required(&customer.full_name, "customer_details.full_name", 100)?;
        if let Some(phone) = optional(&customer.phone, "customer_details.phone", 18)? {
            ensure(is_digits(phone) && (8..=15).contains(&phone.len()), "customer_details.phone")?;
        }
        let items = self
            .item_details
            .as_ref()
            .map(|items| items.iter().enumerate().map(|(i, item)| item.validate(i)).collect::<Result<Vec<_>, _>>())
            .transpose()?;
        for (address, field) in
            [(&self.billing_address, "billing_address"), (&self.shipping_address, "shipping_address")]
        {
            if let Some(address) = address {
                address.validate(field)?;
            }
        }
        let additional_data = optional(&self.additional_data, "additional_data", 1024)?.map(str::to_string);
        let callback_url = optional(&self.callback_url, "callback_url", 1024)?;
        if let Some(url) = callback_url {
            ensure(is_http_url(url), "callback_url")?;
        }
        Ok(ValidCreateVa {
            external_id,
            order_id,
            channel,
            billing_name,
            va_number: va_number.map(str::to_string),
            payment_system,
            is_multi_use: details.is_multi_use.unwrap_or(false),
            amount,
            expired_time,
            description,
            callback_url: callback_url.map(str::to_string),
            order: OrderEcho {
                customer_details: customer.clone(),
                item_details: items,
                billing_address: self.billing_address.clone(),
                shipping_address: self.shipping_address.clone(),
                payment_options: self.payment_options.clone(),
                additional_data,
                is_customer_paying_fee: details.is_customer_paying_fee.unwrap_or(false),
            },
        })
    }
}

impl ItemIn {
    fn validate(&self, index: usize) -> Result<Item, FieldError> {
        let field = |name: &str| format!("item_details[{index}].{name}");
        Ok(Item {
            item_id: required(&self.item_id, &field("item_id"), 25)?.to_string(),
            name: required(&self.name, &field("name"), 100)?.to_string(),
            amount: numeric(&self.amount, &field("amount"), MAX_AMOUNT_DIGITS)?
                .ok_or_else(|| FieldError::missing(field("amount")))?,
            qty: match numeric(&self.qty, &field("qty"), 5)? {
                None => return Err(FieldError::missing(field("qty"))),
                Some(0) => return Err(FieldError::format(field("qty"))),
                Some(qty) => qty,
            },
            description: optional(&self.description, &field("description"), 100)?.map(str::to_string),
        })
    }
}

impl AddressIn {
    fn validate(&self, prefix: &str) -> Result<(), FieldError> {
        let fields = [
            (&self.full_name, "full_name", 100),
            (&self.phone, "phone", 18),
            (&self.address, "address", 150),
            (&self.city, "city", 50),
            (&self.postal_code, "postal_code", 10),
            (&self.country, "country", 100),
        ];
        for (value, name, max) in fields {
            optional(value, &format!("{prefix}.{name}"), max)?;
        }
        Ok(())
    }
}

// ---------------------------------------------------------------- inquiry and cancel

/// The body of `/va/inquiry` and `/va/cancel`.
#[serde_with::skip_serializing_none]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = pg3::VaLookupRequest))]
#[derive(Debug, Default, Deserialize, Serialize)]
pub struct VaLookupRequest {
    pub external_id: Option<String>,
    pub order_id: Option<String>,
    pub transaction_id: Option<String>,
    pub payment_method: Option<String>,
    pub payment_channel: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidLookup {
    pub external_id: String,
    pub order_id: String,
    /// Lower-case UUID.
    pub transaction_id: String,
    pub channel: &'static Channel,
}

/// `8-4-4-4-12` hex digits, the shape of `transaction_id`.
pub fn is_uuid(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() == 5
        && parts.iter().zip([8, 4, 4, 4, 12]).all(|(p, n)| p.len() == n && p.bytes().all(|b| b.is_ascii_hexdigit()))
}

impl VaLookupRequest {
    pub fn validate(&self) -> Result<ValidLookup, FieldError> {
        let external_id = identifier(&self.external_id, "external_id", 64)?;
        let order_id = identifier(&self.order_id, "order_id", 25)?;
        let transaction_id = required(&self.transaction_id, "transaction_id", 36)?;
        ensure(is_uuid(transaction_id), "transaction_id")?;
        payment_method(&self.payment_method)?;
        let channel = known_channel(&self.payment_channel)?;
        Ok(ValidLookup { external_id, order_id, transaction_id: transaction_id.to_ascii_lowercase(), channel })
    }
}

// ---------------------------------------------------------------- responses

/// `transaction_status` values lunas writes.
pub mod status {
    pub const PENDING: &str = "PENDING";
    pub const PAID: &str = "PAID";
    pub const CANCELED: &str = "CANCELED";
    pub const EXPIRED: &str = "EXPIRED";
    pub const REFUNDED: &str = "REFUNDED";
}

/// A VA as create, inquiry and the callback describe it.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = pg3::VaBody))]
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct VaBody {
    pub transaction_id: String,
    pub external_id: String,
    pub order_id: String,
    pub reference_id: String,
    pub currency: String,
    pub payment_method: String,
    pub payment_channel: String,
    pub payment_system: String,
    pub transaction_status: String,
    pub transaction_time: String,
    pub payment_details: PaymentDetailsOut,
    #[serde(flatten)]
    pub order: OrderEcho,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = pg3::PaymentDetailsOut))]
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PaymentDetailsOut {
    pub billing_name: String,
    pub va_number: String,
    pub payment_system: String,
    pub is_multi_use: bool,
    /// The VA's amount: the closed amount, the partial total, 0 when open.
    pub amount: i64,
    pub total_amount: i64,
    /// Money received so far.
    pub total_paid_amount: i64,
    /// This payment (callbacks only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub paid_amount: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub paid_time: Option<String>,
    pub expired_time: String,
    pub transaction_description: String,
}

/// Create and inquiry answers: the VA with the envelope fields.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = pg3::VaResponse))]
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct VaResponse {
    pub response_code: String,
    pub response_message: String,
    #[serde(flatten)]
    pub va: VaBody,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transaction_histories: Option<Vec<History>>,
}

/// One received payment, newest first, at most five.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = pg3::History))]
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct History {
    pub transaction_status: String,
    pub amount: i64,
    pub paid_time: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference_id: Option<String>,
}

/// Field for field the seed page's cancel answer.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = pg3::CancelVaResponse))]
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CancelVaResponse {
    pub transaction_id: String,
    pub external_id: String,
    pub order_id: String,
    pub payment_method: String,
    pub payment_channel: String,
    pub transaction_status: String,
    pub response_code: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn virtual_account_numbers_follow_the_bin_table() {
        assert_eq!(bank_identification("BCA-POLYTRON", PaymentSystem::Open), ("40414", 9));
        assert_eq!(bank_identification("bri", PaymentSystem::Partial), ("13033", 11));
        assert_eq!(bank_identification("BNC-BLIBLI", PaymentSystem::Closed), ("90100049", 14));
    }
    use crate::validate::{Problem, parse_body};

    const GOOD: &str = r#"{"external_id":"EXT-1","order_id":"ORD-1","currency":"IDR","payment_method":"bank_transfer",
        "payment_channel":"bca","payment_details":{"billing_name":"Budi","amount":15000,"transaction_description":"Order 1"},
        "customer_details":{"email":"budi@example.com","full_name":"Budi","phone":"081234567890"}}"#;

    fn check(body: &str) -> Result<ValidCreateVa, FieldError> {
        parse_body::<CreateVaRequest>(body.as_bytes()).expect("parses").validate()
    }

    #[test]
    fn accepts_both_spellings_and_defaults() {
        let valid = check(GOOD).unwrap();
        assert_eq!(valid.channel.name, "BCA");
        assert_eq!(valid.payment_system, PaymentSystem::Closed);
        assert!(!valid.is_multi_use);
        assert_eq!(valid.amount, Amount::from_sen(1_500_000));
        let upper = GOOD.replace("bank_transfer", "BANK_TRANSFER").replace("\"bca\"", "\"BCA\"");
        assert!(check(&upper).is_ok());
        assert_eq!(check(&GOOD.replace("15000", "\"15000\"")).unwrap().amount, Amount::from_sen(1_500_000));
    }

    /// Found by fuzzing (fuzz/seeds/requests/closed-amount-zero): a closed VA of
    /// amount 0 was refused as missing its amount, which it carries; 0 stands for
    /// "none" in an open VA only.
    #[test]
    fn a_closed_amount_of_zero_is_malformed_not_missing() {
        for zero in ["0", "\"0\""] {
            let err = check(&GOOD.replace("15000", zero)).unwrap_err();
            assert_eq!(err, FieldError::format("payment_details.amount"), "{zero}");
        }
        let open = GOOD.replace("\"amount\":15000", "\"amount\":0,\"payment_system\":\"OPEN\"");
        assert_eq!(check(&open).unwrap().amount, Amount::ZERO);
    }

    #[test]
    fn names_each_bad_field() {
        let cases = [
            (GOOD.replace("\"external_id\":\"EXT-1\",", ""), "external_id", Problem::Missing),
            (GOOD.replace("EXT-1", "EXT_1"), "external_id", Problem::Format),
            (GOOD.replace("ORD-1", &"1".repeat(26)), "order_id", Problem::Format),
            (GOOD.replace("\"IDR\"", "\"USD\""), "currency", Problem::Format),
            (GOOD.replace("bank_transfer", "wallet"), "payment_method", Problem::Format),
            (GOOD.replace("\"bca\"", "\"XYZ\""), "payment_channel", Problem::Format),
            (GOOD.replace("\"amount\":15000,", ""), "payment_details.amount", Problem::Missing),
            (GOOD.replace("15000", "9999"), "payment_details.amount", Problem::Format),
            (GOOD.replace("15000", "15000.5"), "payment_details.amount", Problem::Format),
            (GOOD.replace("15000", "12345678901234"), "payment_details.amount", Problem::Format),
            (
                GOOD.replace("\"amount\":15000", "\"amount\":15000,\"payment_system\":\"INSTALLMENT\""),
                "payment_details.payment_system",
                Problem::Format,
            ),
            (
                GOOD.replace("\"amount\":15000", "\"amount\":15000,\"payment_system\":\"open\""),
                "payment_details.amount",
                Problem::Format,
            ),
            (
                GOOD.replace("\"bca\"", "\"MANDIRI\"")
                    .replace("\"amount\":15000", "\"amount\":15000,\"payment_system\":\"PARTIAL\""),
                "payment_details.payment_system",
                Problem::Format,
            ),
            (
                GOOD.replace("\"amount\":15000", "\"amount\":15000,\"va_number\":\"12ab\""),
                "payment_details.va_number",
                Problem::Format,
            ),
            (
                GOOD.replace("\"amount\":15000", "\"amount\":15000,\"expired_time\":\"tomorrow\""),
                "payment_details.expired_time",
                Problem::Format,
            ),
            (GOOD.replace("budi@example.com", "budi"), "customer_details.email", Problem::Format),
            (GOOD.replace("081234567890", "0812"), "customer_details.phone", Problem::Format),
            (GOOD.replace("\"full_name\":\"Budi\",", ""), "customer_details.full_name", Problem::Missing),
            (GOOD.replace("\"Order 1\"", "\"\""), "payment_details.transaction_description", Problem::Missing),
            (
                GOOD.replace("}}", "},\"item_details\":[{\"item_id\":\"A\",\"name\":\"N\",\"amount\":1}]}"),
                "item_details[0].qty",
                Problem::Missing,
            ),
            (GOOD.replace("}}", "},\"callback_url\":\"nope\"}"), "callback_url", Problem::Format),
            (
                GOOD.replace("}}", &format!("}},\"billing_address\":{{\"city\":\"{}\"}}}}", "c".repeat(51))),
                "billing_address.city",
                Problem::Format,
            ),
        ];
        for (body, field, problem) in cases {
            let err = check(&body).unwrap_err();
            assert_eq!((err.field.as_str(), err.problem), (field, problem), "{body}");
        }
    }

    #[test]
    fn open_amounts_are_zero() {
        let open = GOOD.replace("\"amount\":15000", "\"amount\":0,\"payment_system\":\"OPEN\",\"is_multi_use\":true");
        let valid = check(&open).unwrap();
        assert_eq!((valid.payment_system, valid.amount, valid.is_multi_use), (PaymentSystem::Open, Amount::ZERO, true));
    }

    #[test]
    fn lookup_requires_a_uuid() {
        let body = r#"{"external_id":"39482906889734","order_id":"13499387088062","transaction_id":"604b987e-8e51-4470-9a18-6d8b58b45472","payment_method":"BANK_TRANSFER","payment_channel":"BCA-POLYTRON"}"#;
        let valid = parse_body::<VaLookupRequest>(body.as_bytes()).unwrap().validate().unwrap();
        assert_eq!(valid.channel.name, "BCA-POLYTRON");
        let bad = body.replace("604b987e-8e51", "604b987e8e51");
        assert_eq!(
            parse_body::<VaLookupRequest>(bad.as_bytes()).unwrap().validate().unwrap_err(),
            FieldError::format("transaction_id")
        );
    }

    #[test]
    fn cancel_response_matches_the_seed() {
        let response = CancelVaResponse {
            transaction_id: "604b987e-8e51-4470-9a18-6d8b58b45472".into(),
            external_id: "39482906889734".into(),
            order_id: "13499387088062".into(),
            payment_method: "BANK_TRANSFER".into(),
            payment_channel: "BCA-POLYTRON".into(),
            transaction_status: status::CANCELED.into(),
            response_code: "00".into(),
        };
        assert_eq!(
            serde_json::to_string(&response).unwrap(),
            r#"{"transaction_id":"604b987e-8e51-4470-9a18-6d8b58b45472","external_id":"39482906889734","order_id":"13499387088062","payment_method":"BANK_TRANSFER","payment_channel":"BCA-POLYTRON","transaction_status":"CANCELED","response_code":"00"}"#
        );
    }
}
