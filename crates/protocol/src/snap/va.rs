//! SNAP virtual accounts (snap.md §6.2): create (27), inquiry (30), inquiry status
//! (26) and delete (31) as a merchant calls them, and the payment flag (25) lunas
//! sends. The identity triple: `partnerServiceId` is the bank's BIN left-padded with
//! spaces to 8 characters, `customerNo` the rest of the account number, and
//! `virtualAccountNo` the two together. Clients send them padded or trimmed; lunas
//! answers padded.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Money, MoneyIn, validate_money};
use crate::money::Amount;
use crate::pg3::va::{Channel, PaymentSystem, channel};
use crate::validate::{FieldError, ensure, is_digits, is_email, is_http_url, is_printable_ascii, optional, required};

/// The least an open amount (`O`, and the floor of `M` and `N`) may be, except at BNI
/// (ifortepay.md §5.3).
pub const MIN_OPEN_AMOUNT: Amount = Amount::from_sen(1_500_000);

/// `partnerServiceId` as lunas writes it: the BIN left-padded with spaces.
pub fn padded_service_id(bin: &str) -> String {
    format!("{bin:>8}")
}

/// The identity triple as a request carries it. (The fields sit in each request
/// rather than in a flattened struct, so a wrongly typed one is still named.)
pub struct Triple<'a> {
    pub partner_service_id: &'a Option<String>,
    pub customer_no: &'a Option<String>,
    pub virtual_account_no: &'a Option<String>,
}

/// A checked identity, without padding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub service_id: String,
    pub customer_no: String,
}

impl Identity {
    /// The account number a bank transfer names.
    pub fn number(&self) -> String {
        format!("{}{}", self.service_id, self.customer_no)
    }
}

fn service_id(value: &Option<String>) -> Result<Option<String>, FieldError> {
    let Some(id) = optional(value, "partnerServiceId", 8)? else { return Ok(None) };
    let id = id.trim_start();
    ensure(is_digits(id), "partnerServiceId")?;
    Ok(Some(id.to_string()))
}

fn customer_no(value: &Option<String>) -> Result<Option<String>, FieldError> {
    let Some(no) = optional(value, "customerNo", 20)? else { return Ok(None) };
    ensure(is_digits(no), "customerNo")?;
    Ok(Some(no.to_string()))
}

impl Triple<'_> {
    /// All three present and naming the same account.
    pub fn validate(&self) -> Result<Identity, FieldError> {
        let service_id = service_id(self.partner_service_id)?.ok_or_else(|| FieldError::missing("partnerServiceId"))?;
        let customer_no = customer_no(self.customer_no)?.ok_or_else(|| FieldError::missing("customerNo"))?;
        let account = required(self.virtual_account_no, "virtualAccountNo", 28)?;
        let identity = Identity { service_id, customer_no };
        ensure(account.trim_start() == identity.number(), "virtualAccountNo")?;
        Ok(identity)
    }

    /// On create, where the bank may choose: nothing, a `partnerServiceId` alone (the
    /// bank), or the whole triple (the merchant's own number).
    fn validate_optional(&self) -> Result<(Option<String>, Option<String>), FieldError> {
        if self.customer_no.as_deref().is_none_or(str::is_empty)
            && self.virtual_account_no.as_deref().is_none_or(str::is_empty)
        {
            return Ok((service_id(self.partner_service_id)?, None));
        }
        let identity = self.validate()?;
        Ok((Some(identity.service_id), Some(identity.customer_no)))
    }
}

/// `virtualAccountTrxType`. The standard's `L` (maximum, paid once) has no
/// counterpart among iFortepay's VA kinds and is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrxType {
    /// `C`: one payment of exactly `totalAmount`.
    Closed,
    /// `X`: iFortepay's multi-use closed amount; any number of payments of exactly
    /// `totalAmount`.
    MultiClosed,
    /// `O`: one payment of any amount from the channel's minimum.
    Open,
    /// `I`: instalments of any size until they add up to `totalAmount`.
    Partial,
    /// `M`: one payment of at least `totalAmount`.
    Minimum,
    /// `N`: any number of payments of at least `totalAmount`.
    OpenMinimum,
}

impl TrxType {
    const ALL: [TrxType; 6] = [
        TrxType::Closed,
        TrxType::MultiClosed,
        TrxType::Open,
        TrxType::Partial,
        TrxType::Minimum,
        TrxType::OpenMinimum,
    ];

    pub fn code(self) -> &'static str {
        match self {
            TrxType::Closed => "C",
            TrxType::MultiClosed => "X",
            TrxType::Open => "O",
            TrxType::Partial => "I",
            TrxType::Minimum => "M",
            TrxType::OpenMinimum => "N",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.code() == code)
    }

    /// How the bank treats the amount.
    pub fn payment_system(self) -> PaymentSystem {
        match self {
            TrxType::Closed | TrxType::MultiClosed => PaymentSystem::Closed,
            TrxType::Open | TrxType::Minimum | TrxType::OpenMinimum => PaymentSystem::Open,
            TrxType::Partial => PaymentSystem::Partial,
        }
    }

    /// Whether the VA takes more than one payment.
    pub fn multi_use(self) -> bool {
        matches!(self, TrxType::MultiClosed | TrxType::Partial | TrxType::OpenMinimum)
    }
}

/// The requests that carry the triple.
macro_rules! carries_triple {
    ($($request:ty),*) => {$(
        impl $request {
            pub fn triple(&self) -> Triple<'_> {
                Triple {
                    partner_service_id: &self.partner_service_id,
                    customer_no: &self.customer_no,
                    virtual_account_no: &self.virtual_account_no,
                }
            }
        }
    )*};
}

carries_triple!(CreateVaRequest, VaLookupRequest, StatusRequest, UpdateStatusRequest);

// ---------------------------------------------------------------- create (27)

#[serde_with::skip_serializing_none]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateVaRequest {
    pub partner_service_id: Option<String>,
    pub customer_no: Option<String>,
    pub virtual_account_no: Option<String>,
    pub virtual_account_name: Option<String>,
    pub virtual_account_email: Option<String>,
    pub virtual_account_phone: Option<String>,
    pub trx_id: Option<String>,
    pub total_amount: Option<MoneyIn>,
    pub bill_details: Option<Vec<BillDetail>>,
    pub free_texts: Option<Vec<FreeText>>,
    pub virtual_account_trx_type: Option<String>,
    pub fee_amount: Option<MoneyIn>,
    pub expired_date: Option<String>,
    pub additional_info: Option<CreateVaInfo>,
}

/// `additionalInfo` of create: where to notify, and the bank (a PG3 channel name such
/// as `BCA` or `BRI`).
#[serde_with::skip_serializing_none]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateVaInfo {
    pub callback_url: Option<String>,
    pub channel: Option<String>,
}

/// A line of `freeTexts` (each ≤ 32), or a bill's description (each ≤ 18).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FreeText {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub english: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub indonesia: Option<String>,
}

impl FreeText {
    fn validate(&self, at: &str, max: usize) -> Result<(), FieldError> {
        optional(&self.english, &format!("{at}.english"), max)?;
        optional(&self.indonesia, &format!("{at}.indonesia"), max)?;
        Ok(())
    }
}

/// A line of `billDetails`, kept and echoed.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BillDetail {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bill_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bill_no: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bill_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bill_short_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bill_description: Option<FreeText>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bill_sub_company: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bill_amount: Option<Money>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub additional_info: Option<Value>,
}

impl BillDetail {
    fn validate(&self, at: &str) -> Result<(), FieldError> {
        let field = |name: &str| format!("{at}.{name}");
        optional(&self.bill_code, &field("billCode"), 2)?;
        optional(&self.bill_no, &field("billNo"), 18)?;
        optional(&self.bill_name, &field("billName"), 20)?;
        optional(&self.bill_short_name, &field("billShortName"), 10)?;
        if let Some(description) = &self.bill_description {
            description.validate(&field("billDescription"), 18)?;
        }
        optional(&self.bill_sub_company, &field("billSubCompany"), 5)?;
        if let Some(amount) = &self.bill_amount {
            ensure(Amount::parse_snap(&amount.value).is_some(), &field("billAmount.value"))?;
            ensure(amount.currency == crate::money::IDR, &field("billAmount.currency"))?;
        }
        Ok(())
    }
}

/// What lunas keeps of a create beyond amount and number: the merchant's own fields,
/// and the padded `partnerServiceId` the VA was opened under.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VaEcho {
    #[serde(flatten)]
    pub fields: EchoOut,
    pub partner_service_id: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ValidCreateVa {
    /// The BIN the merchant named, trimmed.
    pub service_id: Option<String>,
    /// The merchant's own `customerNo`, for a number it chooses.
    pub customer_no: Option<String>,
    pub name: String,
    pub trx_id: String,
    pub trx_type: TrxType,
    /// `totalAmount`, whole rupiah; absent only for `O`. The bank's minimum is checked
    /// where the bank is known.
    pub amount: Option<Amount>,
    pub fee: Option<Amount>,
    pub expired_date: Option<time::OffsetDateTime>,
    pub callback_url: Option<String>,
    pub channel: Option<&'static Channel>,
    pub echo: EchoOut,
}

/// `trxId`: the merchant's id of the VA, printable ASCII.
fn trx_id(value: &Option<String>) -> Result<String, FieldError> {
    let id = required(value, "trxId", 64)?;
    ensure(is_printable_ascii(id) && !id.contains(' '), "trxId")?;
    Ok(id.to_string())
}

impl CreateVaRequest {
    /// `trxId` alone, checked: update looks the VA up by it before the rest is read.
    pub fn checked_trx_id(&self) -> Result<String, FieldError> {
        trx_id(&self.trx_id)
    }

    /// `default_type` stands in for an absent `virtualAccountTrxType`: `C` on create,
    /// the VA's own type on update.
    pub fn validate(&self, default_type: TrxType) -> Result<ValidCreateVa, FieldError> {
        let (service_id, customer_no) = self.triple().validate_optional()?;
        let name = required(&self.virtual_account_name, "virtualAccountName", 255)?.to_string();
        let email = optional(&self.virtual_account_email, "virtualAccountEmail", 255)?;
        if let Some(email) = email {
            ensure(is_email(email), "virtualAccountEmail")?;
        }
        let phone = optional(&self.virtual_account_phone, "virtualAccountPhone", 30)?;
        if let Some(phone) = phone {
            ensure(is_digits(phone.trim_start_matches('+')), "virtualAccountPhone")?;
        }
        let trx_id = trx_id(&self.trx_id)?;
        let trx_type = match optional(&self.virtual_account_trx_type, "virtualAccountTrxType", 1)? {
            None => default_type,
            Some(code) => TrxType::parse(code).ok_or_else(|| FieldError::format("virtualAccountTrxType"))?,
        };
        let amount = match (&self.total_amount, trx_type) {
            (None, TrxType::Open) => None,
            (money, _) => Some(validate_money(money, "totalAmount")?),
        };
        // Banks move whole rupiah.
        if let Some(amount) = amount {
            ensure(amount.is_positive() && amount.is_whole_rupiah(), "totalAmount.value")?;
        }
        let bills = self.bill_details.as_deref().unwrap_or_default();
        ensure(bills.len() <= 24, "billDetails")?;
        for (i, bill) in bills.iter().enumerate() {
            bill.validate(&format!("billDetails[{i}]"))?;
        }
        let texts = self.free_texts.as_deref().unwrap_or_default();
        ensure(texts.len() <= 25, "freeTexts")?;
        for (i, text) in texts.iter().enumerate() {
            text.validate(&format!("freeTexts[{i}]"), 32)?;
        }
        let fee = self.fee_amount.as_ref().map(|_| validate_money(&self.fee_amount, "feeAmount")).transpose()?;
        let expired_date = optional(&self.expired_date, "expiredDate", 25)?
            .map(|t| crate::timestamp::parse(t).ok_or_else(|| FieldError::format("expiredDate")))
            .transpose()?;
        let info = self.additional_info.as_ref();
        let callback_url = optional(&info.and_then(|i| i.callback_url.clone()), "additionalInfo.callbackUrl", 1024)?
            .map(str::to_string);
        if let Some(url) = &callback_url {
            ensure(is_http_url(url), "additionalInfo.callbackUrl")?;
        }
        let channel = optional(&info.and_then(|i| i.channel.clone()), "additionalInfo.channel", 16)?
            .map(|name| channel(name).ok_or_else(|| FieldError::format("additionalInfo.channel")))
            .transpose()?;
        let echo = EchoOut {
            virtual_account_email: email.map(str::to_string),
            virtual_account_phone: phone.map(str::to_string),
            bill_details: self.bill_details.clone(),
            free_texts: self.free_texts.clone(),
            virtual_account_trx_type: trx_type.code().to_string(),
        };
        Ok(ValidCreateVa {
            service_id,
            customer_no,
            name,
            trx_id,
            trx_type,
            amount,
            fee,
            expired_date,
            callback_url,
            channel,
            echo,
        })
    }
}

// ---------------------------------------------------------------- lookups (30, 31, 26)

/// Inquiry VA (30) and delete VA (31): the triple, and `trxId` (mandatory for 30).
#[serde_with::skip_serializing_none]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VaLookupRequest {
    pub partner_service_id: Option<String>,
    pub customer_no: Option<String>,
    pub virtual_account_no: Option<String>,
    pub trx_id: Option<String>,
    pub additional_info: Option<Value>,
}

impl VaLookupRequest {
    /// The account and, when given, `trxId`.
    pub fn validate(&self, trx_id_required: bool) -> Result<(Identity, Option<String>), FieldError> {
        let identity = self.triple().validate()?;
        let trx_id = match (&self.trx_id, trx_id_required) {
            (None, false) => None,
            (value, _) => Some(trx_id(value)?),
        };
        Ok((identity, trx_id))
    }
}

/// Update status VA (29): the triple, `trxId` and `paidStatus`.
#[serde_with::skip_serializing_none]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateStatusRequest {
    pub partner_service_id: Option<String>,
    pub customer_no: Option<String>,
    pub virtual_account_no: Option<String>,
    pub trx_id: Option<String>,
    pub paid_status: Option<String>,
    pub additional_info: Option<Value>,
}

impl UpdateStatusRequest {
    /// The account, `trxId`, and whether the merchant calls the VA paid (`Y`) or not (`N`).
    pub fn validate(&self) -> Result<(Identity, String, bool), FieldError> {
        let identity = self.triple().validate()?;
        let trx_id = trx_id(&self.trx_id)?;
        let paid = match required(&self.paid_status, "paidStatus", 1)? {
            "Y" => true,
            "N" => false,
            _ => return Err(FieldError::format("paidStatus")),
        };
        Ok((identity, trx_id, paid))
    }
}

/// Inquiry status (26).
#[serde_with::skip_serializing_none]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusRequest {
    pub partner_service_id: Option<String>,
    pub customer_no: Option<String>,
    pub virtual_account_no: Option<String>,
    pub inquiry_request_id: Option<String>,
    pub payment_request_id: Option<String>,
    pub additional_info: Option<Value>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidStatus {
    pub identity: Identity,
    pub inquiry_request_id: Option<String>,
    pub payment_request_id: Option<String>,
}

impl StatusRequest {
    pub fn validate(&self) -> Result<ValidStatus, FieldError> {
        Ok(ValidStatus {
            identity: self.triple().validate()?,
            inquiry_request_id: optional(&self.inquiry_request_id, "inquiryRequestId", 128)?.map(str::to_string),
            payment_request_id: optional(&self.payment_request_id, "paymentRequestId", 128)?.map(str::to_string),
        })
    }
}

// ---------------------------------------------------------------- answers

/// The identity triple as lunas writes it.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IdentityOut {
    pub partner_service_id: String,
    pub customer_no: String,
    pub virtual_account_no: String,
}

impl IdentityOut {
    /// The triple of account `number` opened under the padded `partner_service_id`.
    pub fn new(partner_service_id: &str, number: &str) -> Self {
        let bin = partner_service_id.trim_start();
        let customer_no = number.strip_prefix(bin).unwrap_or(number);
        Self {
            partner_service_id: partner_service_id.to_string(),
            customer_no: customer_no.to_string(),
            virtual_account_no: format!("{partner_service_id}{customer_no}"),
        }
    }
}

/// `virtualAccountData` of create, inquiry and delete.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VaData {
    #[serde(flatten)]
    pub identity: IdentityOut,
    pub virtual_account_name: String,
    pub trx_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total_amount: Option<Money>,
    pub expired_date: String,
    /// When money last came in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payment_date: Option<String>,
    #[serde(flatten)]
    pub echo: EchoOut,
    pub additional_info: VaInfo,
}

/// The merchant's own fields, as it sent them.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EchoOut {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub virtual_account_email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub virtual_account_phone: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bill_details: Option<Vec<BillDetail>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub free_texts: Option<Vec<FreeText>>,
    pub virtual_account_trx_type: String,
}

/// lunas's additions: the bank, the state and what was paid so far.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VaInfo {
    pub channel: String,
    /// `ACTIVE`, `PAID`, `EXPIRED`, `DELETED`, `REFUNDED`.
    pub virtual_account_status: String,
    pub paid_amount: Money,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VaResponse {
    pub response_code: String,
    pub response_message: String,
    pub virtual_account_data: VaData,
}

/// `virtualAccountData` of delete: the triple and `trxId`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeletedVa {
    #[serde(flatten)]
    pub identity: IdentityOut,
    pub trx_id: String,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeleteVaResponse {
    pub response_code: String,
    pub response_message: String,
    pub virtual_account_data: DeletedVa,
}

/// English and Indonesian, as SNAP gives reasons.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reason {
    pub english: String,
    pub indonesia: String,
}

/// `virtualAccountData` of inquiry status (26).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentStatus {
    pub payment_flag_reason: Reason,
    #[serde(flatten)]
    pub identity: IdentityOut,
    pub inquiry_request_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payment_request_id: Option<String>,
    pub paid_amount: Money,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total_amount: Option<Money>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trx_date_time: Option<String>,
    /// `00` once money was received, `01` otherwise.
    pub payment_flag_status: String,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusResponse {
    pub response_code: String,
    pub response_message: String,
    pub virtual_account_data: PaymentStatus,
}

/// The payment flag (25) lunas sends for each payment into a SNAP-created VA.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentNotification {
    #[serde(flatten)]
    pub identity: IdentityOut,
    pub virtual_account_name: String,
    pub trx_id: String,
    /// Unique per payment: the VA's reference and the payment's time.
    pub payment_request_id: String,
    pub paid_amount: Money,
    /// Everything the VA received so far, this payment included.
    pub cumulative_payment_amount: Money,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total_amount: Option<Money>,
    pub trx_date_time: String,
    pub reference_no: String,
    pub flag_advise: String,
    pub additional_info: VaInfo,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn identity(psid: &str, customer: &str, account: &str) -> VaLookupRequest {
        VaLookupRequest {
            partner_service_id: Some(psid.into()),
            customer_no: Some(customer.into()),
            virtual_account_no: Some(account.into()),
            ..VaLookupRequest::default()
        }
    }

    #[test]
    fn padded_and_trimmed_spellings_name_the_same_account() {
        let expected = Identity { service_id: "13033".into(), customer_no: "00011234567".into() };
        for (psid, account) in [
            ("   13033", "   1303300011234567"),
            ("13033", "1303300011234567"),
            ("  13033", "  1303300011234567"),
            ("   13033", "1303300011234567"),
        ] {
            assert_eq!(
                identity(psid, "00011234567", account).triple().validate().unwrap(),
                expected,
                "{psid:?} {account:?}"
            );
        }
        assert_eq!(padded_service_id("13033"), "   13033");
        let out = IdentityOut::new("   13033", "1303300011234567");
        assert_eq!((out.customer_no.as_str(), out.virtual_account_no.as_str()), ("00011234567", "   1303300011234567"));
    }

    #[test]
    fn the_triple_must_agree_and_be_digits() {
        let field = |i: VaLookupRequest| i.triple().validate().unwrap_err().field;
        assert_eq!(field(identity("13033", "0001", "130330002")), "virtualAccountNo");
        assert_eq!(field(identity("1303A", "0001", "1303A0001")), "partnerServiceId");
        assert_eq!(field(identity("123456789", "0001", "1234567890001")), "partnerServiceId");
        assert_eq!(field(identity("13033", "00-1", "1303300-1")), "customerNo");
        assert_eq!(
            field(VaLookupRequest { customer_no: Some("1".into()), ..VaLookupRequest::default() }),
            "partnerServiceId"
        );
    }

    fn create(body: serde_json::Value) -> Result<ValidCreateVa, FieldError> {
        serde_json::from_value::<CreateVaRequest>(body).unwrap().validate(TrxType::Closed)
    }

    #[test]
    fn create_defaults_to_a_closed_amount_and_lets_the_bank_choose() {
        let valid = create(serde_json::json!({
            "virtualAccountName": "Budi", "trxId": "INV-1",
            "totalAmount": {"value": "15000.00", "currency": "IDR"},
        }))
        .unwrap();
        assert_eq!((valid.trx_type, valid.service_id, valid.customer_no), (TrxType::Closed, None, None));
        assert_eq!(valid.amount, Amount::from_rupiah(15_000));
    }

    #[test]
    fn create_names_the_failing_field() {
        let base = serde_json::json!({
            "virtualAccountName": "Budi", "trxId": "INV-1",
            "totalAmount": {"value": "15000.00", "currency": "IDR"},
        });
        let with = |key: &str, value: serde_json::Value| {
            let mut body = base.clone();
            body[key] = value;
            create(body).unwrap_err().field
        };
        assert_eq!(with("virtualAccountName", serde_json::Value::Null), "virtualAccountName");
        assert_eq!(with("trxId", "has space".into()), "trxId");
        assert_eq!(with("trxId", "T".repeat(65).into()), "trxId");
        assert_eq!(with("virtualAccountName", "N".repeat(256).into()), "virtualAccountName");
        assert_eq!(with("virtualAccountPhone", "0812-345".into()), "virtualAccountPhone");
        assert_eq!(with("virtualAccountPhone", "6".repeat(31).into()), "virtualAccountPhone");
        assert_eq!(with("expiredDate", "2026-11-24T10:00:00+07:00:00".into()), "expiredDate");
        let long = "1".repeat(21);
        let mut triple = base.clone();
        triple["partnerServiceId"] = "13033".into();
        triple["customerNo"] = long.clone().into();
        triple["virtualAccountNo"] = format!("13033{long}").into();
        assert_eq!(create(triple).unwrap_err().field, "customerNo");
        assert_eq!(with("feeAmount", serde_json::json!({"value": "1.5", "currency": "IDR"})), "feeAmount.value");
        assert_eq!(with("virtualAccountTrxType", "L".into()), "virtualAccountTrxType");
        assert_eq!(
            with("totalAmount", serde_json::json!({"value": "15000.50", "currency": "IDR"})),
            "totalAmount.value"
        );
        assert_eq!(with("totalAmount", serde_json::json!({"value": "0.00", "currency": "IDR"})), "totalAmount.value");
        assert_eq!(
            with("totalAmount", serde_json::json!({"value": "15000.00", "currency": "USD"})),
            "totalAmount.currency"
        );
        assert_eq!(with("totalAmount", serde_json::Value::Null), "totalAmount");
        assert_eq!(with("expiredDate", "tomorrow".into()), "expiredDate");
        assert_eq!(with("virtualAccountEmail", "budi".into()), "virtualAccountEmail");
        assert_eq!(with("additionalInfo", serde_json::json!({"channel": "NOPE"})), "additionalInfo.channel");
        assert_eq!(with("additionalInfo", serde_json::json!({"callbackUrl": "ftp://x"})), "additionalInfo.callbackUrl");
        assert_eq!(with("freeTexts", serde_json::json!(vec![serde_json::json!({}); 26])), "freeTexts");
        assert_eq!(with("freeTexts", serde_json::json!([{"english": "x".repeat(33)}])), "freeTexts[0].english");
        assert_eq!(with("billDetails", serde_json::json!([{"billNo": "1".repeat(19)}])), "billDetails[0].billNo");
        assert_eq!(
            with("billDetails", serde_json::json!([{}, {"billDescription": {"indonesia": "x".repeat(19)}}])),
            "billDetails[1].billDescription.indonesia"
        );
        assert_eq!(
            with("billDetails", serde_json::json!([{"billAmount": {"value": "1.5", "currency": "IDR"}}])),
            "billDetails[0].billAmount.value"
        );
    }

    #[test]
    fn update_checks_trx_id_first() {
        let request = CreateVaRequest { trx_id: Some("T 1".into()), ..CreateVaRequest::default() };
        assert_eq!(request.checked_trx_id().unwrap_err(), FieldError::format("trxId"));
        let request = CreateVaRequest::default();
        assert_eq!(request.checked_trx_id().unwrap_err(), FieldError::missing("trxId"));
        let request = CreateVaRequest { trx_id: Some("INV-1".into()), ..CreateVaRequest::default() };
        assert_eq!(request.checked_trx_id().unwrap(), "INV-1");
    }

    #[test]
    fn a_wrongly_typed_identity_field_is_named() {
        let body = br#"{"partnerServiceId":13033,"customerNo":"1","virtualAccountNo":"130331","trxId":"T"}"#;
        let err = crate::validate::parse_body::<VaLookupRequest>(body).unwrap_err();
        assert_eq!(err, crate::validate::BodyError::Field(FieldError::format("partnerServiceId")));
    }

    #[test]
    fn open_amounts_need_no_total_and_types_map_to_kinds() {
        let valid =
            create(serde_json::json!({"virtualAccountName": "Budi", "trxId": "1", "virtualAccountTrxType": "O"}))
                .unwrap();
        assert_eq!((valid.amount, valid.trx_type.payment_system()), (None, PaymentSystem::Open));
        let kinds: Vec<(bool, PaymentSystem)> =
            TrxType::ALL.iter().map(|t| (t.multi_use(), t.payment_system())).collect();
        assert_eq!(
            kinds,
            [
                (false, PaymentSystem::Closed),
                (true, PaymentSystem::Closed),
                (false, PaymentSystem::Open),
                (true, PaymentSystem::Partial),
                (false, PaymentSystem::Open),
                (true, PaymentSystem::Open),
            ]
        );
    }
}
