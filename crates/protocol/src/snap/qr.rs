//! QRIS MPM (merchant-presented mode): generate (47), query (51), notify (52),
//! cancel (77) and refund (78). Request types keep every field optional so that
//! validation can name what is missing; response types are exactly what is sent.

use serde::{Deserialize, Serialize};

use super::{Money, MoneyIn, validate_money};
use crate::money::Amount;
use crate::validate::{
    FieldError, ensure, is_alphanumeric, is_digits, is_email, is_http_url, is_printable_ascii, optional, required,
};

/// The only QR type iFortepay cancels.
pub const QR_TYPE_DYNAMIC: &str = "DYNAMIC";

/// `latestTransactionStatus` values for QRIS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QrStatus {
    Success,
    Initiated,
    Refunded,
    Canceled,
    /// iFortepay reports an expired QR as "not found" (07).
    Expired,
}

impl QrStatus {
    pub fn code(self) -> &'static str {
        match self {
            QrStatus::Success => "00",
            QrStatus::Initiated => "01",
            QrStatus::Refunded => "04",
            QrStatus::Canceled => "05",
            QrStatus::Expired => "07",
        }
    }

    pub fn description(self) -> &'static str {
        match self {
            QrStatus::Success => "Success",
            QrStatus::Initiated => "Initiated",
            QrStatus::Refunded => "Refunded",
            QrStatus::Canceled => "Canceled",
            QrStatus::Expired => "Expired",
        }
    }
}

// ---------------------------------------------------------------- generate (47)

#[serde_with::skip_serializing_none]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GenerateQrRequest {
    pub partner_reference_no: Option<String>,
    pub amount: Option<MoneyIn>,
    pub merchant_id: Option<String>,
    pub terminal_id: Option<String>,
    pub validity_period: Option<String>,
    pub additional_info: Option<GenerateAdditionalInfo>,
}

#[serde_with::skip_serializing_none]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GenerateAdditionalInfo {
    pub callback_url: Option<String>,
    pub tip: Option<TipIn>,
    pub customer_detail: Option<CustomerDetailIn>,
    pub item_details: Option<Vec<ItemDetailIn>>,
}

#[serde_with::skip_serializing_none]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Default, Deserialize, Serialize)]
pub struct TipIn {
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub value: Option<String>,
}

#[serde_with::skip_serializing_none]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CustomerDetailIn {
    pub email: Option<String>,
    pub phone: Option<String>,
    pub full_name: Option<String>,
}

#[serde_with::skip_serializing_none]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ItemDetailIn {
    pub item_id: Option<String>,
    pub name: Option<String>,
    pub amount: Option<MoneyIn>,
}

/// How the payer may add a tip (QRIS tag 55).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tip {
    /// `01`: the payer's app asks for a tip.
    PayerEntered,
    /// `02`: a fixed convenience fee, set by the merchant.
    Fixed(Amount),
}

/// A generate request whose fields are all present and well formed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidGenerateQr {
    pub partner_reference_no: String,
    pub amount: Amount,
    pub terminal_id: Option<String>,
    /// The raw `validityPeriod`, checked against the clock by the caller.
    pub validity_period: Option<time::OffsetDateTime>,
    pub callback_url: String,
    pub tip: Option<Tip>,
}

impl GenerateQrRequest {
    pub fn validate(&self) -> Result<ValidGenerateQr, FieldError> {
        let partner_reference_no = required(&self.partner_reference_no, "partnerReferenceNo", 64)?;
        ensure(is_alphanumeric(partner_reference_no), "partnerReferenceNo")?;
        let amount = validate_money(&self.amount, "amount")?;
        optional(&self.merchant_id, "merchantId", 64)?;
        let terminal_id = optional(&self.terminal_id, "terminalId", 16)?;
        if let Some(terminal) = terminal_id {
            // It is written into the QR, whose lengths count bytes.
            ensure(is_printable_ascii(terminal), "terminalId")?;
        }
        let validity_period = optional(&self.validity_period, "validityPeriod", 25)?
            .map(|v| crate::timestamp::parse(v).ok_or_else(|| FieldError::format("validityPeriod")))
            .transpose()?;
        let info = self.additional_info.as_ref().ok_or_else(|| FieldError::missing("additionalInfo.callbackUrl"))?;
        let callback_url = required(&info.callback_url, "additionalInfo.callbackUrl", 1024)?;
        ensure(is_http_url(callback_url), "additionalInfo.callbackUrl")?;
        let tip = info.tip.as_ref().map(TipIn::validate).transpose()?.flatten();
        if let Some(customer) = &info.customer_detail {
            customer.validate()?;
        }
        if let Some(items) = &info.item_details {
            validate_items(items, amount)?;
        }
        Ok(ValidGenerateQr {
            partner_reference_no: partner_reference_no.to_string(),
            amount,
            terminal_id: terminal_id.map(str::to_string),
            validity_period,
            callback_url: callback_url.to_string(),
            tip,
        })
    }
}

impl TipIn {
    fn validate(&self) -> Result<Option<Tip>, FieldError> {
        match optional(&self.kind, "additionalInfo.tip.type", 2)? {
            None => Ok(None),
            Some("01") => Ok(Some(Tip::PayerEntered)),
            Some("02") => {
                let value = required(&self.value, "additionalInfo.tip.value", 19)?;
                Amount::parse_snap(value)
                    // The fee is written into QR tag 56, which holds at most 13 characters.
                    .filter(|fee| fee.is_positive() && fee.to_qris().len() <= 13)
                    .map(|fee| Some(Tip::Fixed(fee)))
                    .ok_or_else(|| FieldError::format("additionalInfo.tip.value"))
            }
            Some(_) => Err(FieldError::format("additionalInfo.tip.type")),
        }
    }
}

impl CustomerDetailIn {
    fn validate(&self) -> Result<(), FieldError> {
        if let Some(email) = optional(&self.email, "additionalInfo.customerDetail.email", 255)? {
            ensure(is_email(email), "additionalInfo.customerDetail.email")?;
        }
        if let Some(phone) = optional(&self.phone, "additionalInfo.customerDetail.phone", 30)? {
            ensure(is_digits(phone), "additionalInfo.customerDetail.phone")?;
        }
        optional(&self.full_name, "additionalInfo.customerDetail.fullName", 100)?;
        Ok(())
    }
}

/// Item lines are optional, but when they carry amounts those must add up to the
/// QR amount.
fn validate_items(items: &[ItemDetailIn], amount: Amount) -> Result<(), FieldError> {
    let mut total = Some(Amount::ZERO);
    for (i, item) in items.iter().enumerate() {
        let path = format!("additionalInfo.itemDetails[{i}]");
        optional(&item.item_id, &format!("{path}.itemId"), 25)?;
        optional(&item.name, &format!("{path}.name"), 150)?;
        match &item.amount {
            Some(_) => {
                let line = validate_money(&item.amount, &format!("{path}.amount"))?;
                total = total.and_then(|t| t.checked_add(line));
            }
            None => total = None,
        }
    }
    match total {
        Some(sum) if sum != amount && !items.is_empty() => Err(FieldError::format("additionalInfo.itemDetails")),
        _ => Ok(()),
    }
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GenerateQrResponse {
    pub response_code: String,
    pub response_message: String,
    pub reference_no: String,
    pub partner_reference_no: String,
    pub qr_content: String,
    pub qr_image: String,
    pub merchant_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub terminal_id: Option<String>,
    pub additional_info: GenerateResponseInfo,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GenerateResponseInfo {
    /// When the QR stops being payable (ISO-8601, Jakarta time).
    pub validity_period: String,
}

// ---------------------------------------------------------------- query (51)

#[serde_with::skip_serializing_none]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct QueryQrRequest {
    pub original_reference_no: Option<String>,
    pub original_partner_reference_no: Option<String>,
    pub service_code: Option<String>,
}

/// The pair that identifies a QR transaction in query, cancel and refund.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OriginalRefs {
    pub reference_no: String,
    pub partner_reference_no: String,
}

impl QueryQrRequest {
    pub fn validate(&self) -> Result<OriginalRefs, FieldError> {
        let refs = original_refs(&self.original_reference_no, &self.original_partner_reference_no)?;
        let service = required(&self.service_code, "serviceCode", 2)?;
        ensure(service == "47", "serviceCode")?;
        Ok(refs)
    }
}

/// A reference of at most 64 printable ASCII characters.
fn identifier<'a>(value: &'a Option<String>, field: &str) -> Result<&'a str, FieldError> {
    let id = required(value, field, 64)?;
    ensure(is_printable_ascii(id), field)?;
    Ok(id)
}

fn original_refs(
    reference_no: &Option<String>,
    partner_reference_no: &Option<String>,
) -> Result<OriginalRefs, FieldError> {
    let partner = identifier(partner_reference_no, "originalPartnerReferenceNo")?;
    let reference = identifier(reference_no, "originalReferenceNo")?;
    Ok(OriginalRefs { reference_no: reference.to_string(), partner_reference_no: partner.to_string() })
}

/// A QR transaction's status as query (51) and notify (52) both report it.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QrStatusReport {
    pub original_reference_no: String,
    pub original_partner_reference_no: String,
    /// The original transaction's service: `47`.
    pub service_code: String,
    pub latest_transaction_status: String,
    pub transaction_status_desc: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub paid_time: Option<String>,
    pub amount: Money,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub terminal_id: Option<String>,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QueryQrResponse {
    pub response_code: String,
    pub response_message: String,
    #[serde(flatten)]
    pub status: QrStatusReport,
    pub additional_info: StatusInfo,
}

/// Status details beyond the standard fields, shared by query and notify.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusInfo {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refunded_amount: Option<Money>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cancel_time: Option<String>,
}

// ---------------------------------------------------------------- cancel (77)

#[serde_with::skip_serializing_none]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CancelQrRequest {
    pub original_partner_reference_no: Option<String>,
    pub original_reference_no: Option<String>,
    pub reason: Option<String>,
    pub additional_info: Option<QrTypeInfo>,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct QrTypeInfo {
    #[serde(rename = "type")]
    pub kind: Option<String>,
}

impl CancelQrRequest {
    pub fn validate(&self) -> Result<OriginalRefs, FieldError> {
        let refs = original_refs(&self.original_reference_no, &self.original_partner_reference_no)?;
        required(&self.reason, "reason", 256)?;
        let info = self.additional_info.as_ref().ok_or_else(|| FieldError::missing("additionalInfo"))?;
        let kind = required(&info.kind, "additionalInfo.type", 16)?;
        ensure(kind == QR_TYPE_DYNAMIC, "additionalInfo.type")?;
        Ok(refs)
    }
}

/// Field for field the seed page's success response.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CancelQrResponse {
    pub response_code: String,
    pub response_message: String,
    pub original_partner_reference_no: String,
    pub original_reference_no: String,
    pub cancel_time: String,
    pub additional_info: QrTypeInfo,
}

// ---------------------------------------------------------------- refund (78)

#[serde_with::skip_serializing_none]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RefundQrRequest {
    pub original_partner_reference_no: Option<String>,
    pub original_reference_no: Option<String>,
    pub partner_refund_no: Option<String>,
    pub refund_amount: Option<MoneyIn>,
    pub reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidRefund {
    pub partner_reference_no: String,
    /// Optional in SNAP's refund; when given it must match too.
    pub reference_no: Option<String>,
    pub partner_refund_no: String,
    /// `None` refunds everything not yet refunded.
    pub amount: Option<Amount>,
    pub reason: Option<String>,
}

impl RefundQrRequest {
    pub fn validate(&self) -> Result<ValidRefund, FieldError> {
        let partner_reference_no = identifier(&self.original_partner_reference_no, "originalPartnerReferenceNo")?;
        let reference_no = optional(&self.original_reference_no, "originalReferenceNo", 64)?;
        if let Some(reference) = reference_no {
            ensure(is_printable_ascii(reference), "originalReferenceNo")?;
        }
        let partner_refund_no = identifier(&self.partner_refund_no, "partnerRefundNo")?;
        let amount = match &self.refund_amount {
            None => None,
            Some(_) => {
                let amount = validate_money(&self.refund_amount, "refundAmount")?;
                ensure(amount.is_positive(), "refundAmount.value")?;
                Some(amount)
            }
        };
        let reason = optional(&self.reason, "reason", 256)?;
        Ok(ValidRefund {
            partner_reference_no: partner_reference_no.to_string(),
            reference_no: reference_no.map(str::to_string),
            partner_refund_no: partner_refund_no.to_string(),
            amount,
            reason: reason.map(str::to_string),
        })
    }
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RefundQrResponse {
    pub response_code: String,
    pub response_message: String,
    pub original_partner_reference_no: String,
    pub original_reference_no: String,
    pub refund_no: String,
    pub partner_refund_no: String,
    pub refund_amount: Money,
    pub refund_time: String,
}

// ---------------------------------------------------------------- notify (52)

/// The payment notification lunas sends to `additionalInfo.callbackUrl`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QrNotification {
    pub response_code: String,
    pub response_message: String,
    #[serde(flatten)]
    pub status: QrStatusReport,
    pub additional_info: NotificationInfo,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NotificationInfo {
    pub merchant_id: String,
    pub payment_channel: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retrieval_reference_no: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refund_no: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub partner_refund_no: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refund_amount: Option<Money>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refunded_amount: Option<Money>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refund_time: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::{Problem, parse_body};

    fn generate(body: &str) -> Result<ValidGenerateQr, FieldError> {
        parse_body::<GenerateQrRequest>(body.as_bytes()).expect("parses").validate()
    }

    const GOOD: &str = r#"{"partnerReferenceNo":"INV001","amount":{"value":"15000.00","currency":"IDR"},"additionalInfo":{"callbackUrl":"https://m.example/cb"}}"#;

    #[test]
    fn references_are_printable_ascii() {
        let refund = |no: &str| {
            let body = serde_json::json!({"originalPartnerReferenceNo": "INV1", "partnerRefundNo": no});
            serde_json::from_value::<RefundQrRequest>(body).unwrap().validate()
        };
        assert!(refund("RF-2026/001 A").is_ok());
        for bad in ["RF\u{7}1", "RFé", "RF\t1"] {
            assert_eq!(refund(bad).unwrap_err(), FieldError::format("partnerRefundNo"), "{bad:?}");
        }
        let query = serde_json::json!({"originalReferenceNo": "R\u{0}", "originalPartnerReferenceNo": "P", "serviceCode": "47"});
        let err = serde_json::from_value::<QueryQrRequest>(query).unwrap().validate().unwrap_err();
        assert_eq!(err, FieldError::format("originalReferenceNo"));
    }

    #[test]
    fn generate_accepts_the_minimum() {
        let valid = generate(GOOD).unwrap();
        assert_eq!(valid.amount, Amount::from_sen(1_500_000));
        assert_eq!(valid.callback_url, "https://m.example/cb");
    }

    #[test]
    fn generate_names_each_bad_field() {
        let cases = [
            (
                r#"{"amount":{"value":"1.00","currency":"IDR"},"additionalInfo":{"callbackUrl":"https://m/cb"}}"#,
                "partnerReferenceNo",
                Problem::Missing,
            ),
            (&GOOD.replace("INV001", "INV-001"), "partnerReferenceNo", Problem::Format),
            (&GOOD.replace("INV001", &"A".repeat(65)), "partnerReferenceNo", Problem::Format),
            (&GOOD.replace("15000.00", "15000"), "amount.value", Problem::Format),
            (&GOOD.replace("\"IDR\"", "\"USD\""), "amount.currency", Problem::Format),
            (&GOOD.replace(r#","currency":"IDR""#, ""), "amount.currency", Problem::Missing),
            (&GOOD.replace("https://m.example/cb", "m.example"), "additionalInfo.callbackUrl", Problem::Format),
            (
                r#"{"partnerReferenceNo":"A1","amount":{"value":"1.00","currency":"IDR"}}"#,
                "additionalInfo.callbackUrl",
                Problem::Missing,
            ),
            (&GOOD.replace("}}", r#","tip":{"type":"03"}}}"#), "additionalInfo.tip.type", Problem::Format),
            (&GOOD.replace("}}", r#","tip":{"type":"02"}}}"#), "additionalInfo.tip.value", Problem::Missing),
            (
                &GOOD.replace("}}", r#","customerDetail":{"email":"nope"}}}"#),
                "additionalInfo.customerDetail.email",
                Problem::Format,
            ),
            (
                &GOOD.replace("}}", r#","itemDetails":[{"itemId":"a","amount":{"value":"1.00","currency":"IDR"}}]}}"#),
                "additionalInfo.itemDetails",
                Problem::Format,
            ),
            (
                &GOOD.replace(r#""partnerReferenceNo""#, r#""validityPeriod":"tomorrow","partnerReferenceNo""#),
                "validityPeriod",
                Problem::Format,
            ),
        ];
        for (body, field, problem) in cases {
            let err = generate(body).unwrap_err();
            assert_eq!((err.field.as_str(), err.problem), (field, problem), "{body}");
        }
    }

    #[test]
    fn cancel_requires_the_dynamic_type() {
        let body = r#"{"originalPartnerReferenceNo":"2020102900000000000001","originalReferenceNo":"2020102977770000000009","reason":"cancel reason","additionalInfo":{"type":"DYNAMIC"}}"#;
        let req: CancelQrRequest = parse_body(body.as_bytes()).unwrap();
        assert_eq!(req.validate().unwrap().reference_no, "2020102977770000000009");
        let req: CancelQrRequest = parse_body(body.replace("DYNAMIC", "STATIC").as_bytes()).unwrap();
        assert_eq!(req.validate().unwrap_err(), FieldError::format("additionalInfo.type"));
        let req: CancelQrRequest = parse_body(body.replace(r#""reason":"cancel reason","#, "").as_bytes()).unwrap();
        assert_eq!(req.validate().unwrap_err(), FieldError::missing("reason"));
    }

    #[test]
    fn cancel_response_serialises_in_the_seed_order() {
        let response = CancelQrResponse {
            response_code: "2007700".into(),
            response_message: crate::snap::codes::PROCESSED_SUCCESSFULLY.into(),
            original_partner_reference_no: "2020102900000000000001".into(),
            original_reference_no: "2020102977770000000009".into(),
            cancel_time: "2020-10-20T17:56:57+07:00".into(),
            additional_info: QrTypeInfo { kind: Some(QR_TYPE_DYNAMIC.into()) },
        };
        assert_eq!(
            serde_json::to_string(&response).unwrap(),
            r#"{"responseCode":"2007700","responseMessage":"Request has been processed successfully","originalPartnerReferenceNo":"2020102900000000000001","originalReferenceNo":"2020102977770000000009","cancelTime":"2020-10-20T17:56:57+07:00","additionalInfo":{"type":"DYNAMIC"}}"#
        );
    }
}
