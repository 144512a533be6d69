//! Rows to domain values. Enums are stored as their `as_str` spellings, kind data
//! (`rule`, `instrument`, `payer`) as JSON, amounts as sen, times as Unix
//! milliseconds.

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::sql::{Row, SqlError};
use crate::domain::{Amount, Face, Merchant, MerchantId, Payment, PaymentId, PaymentState, Receipt, Refund};

pub fn encode_json<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).expect("domain values always serialise")
}

fn decode_json<T: DeserializeOwned>(text: &str, column: &str) -> Result<T, SqlError> {
    serde_json::from_str(text).map_err(|e| SqlError::Decode(format!("{column}: {e}")))
}

fn decode<T>(parsed: Option<T>, column: &str, text: &str) -> Result<T, SqlError> {
    parsed.ok_or_else(|| SqlError::Decode(format!("{column}: {text:?}")))
}

pub fn amount(row: &dyn Row, column: &str) -> Result<Amount, SqlError> {
    row.int(column).map(Amount::from_sen)
}

pub fn payment_id(text: &str) -> Result<PaymentId, SqlError> {
    uuid::Uuid::parse_str(text).map(PaymentId).map_err(|e| SqlError::Decode(format!("id: {e}")))
}

pub fn payment(row: &dyn Row) -> Result<Payment, SqlError> {
    let state = row.text("state")?;
    let face = row.text("face")?;
    Ok(Payment {
        id: payment_id(&row.text("id")?)?,
        merchant_id: MerchantId(row.int("merchant_id")?),
        reference_no: row.text("reference_no")?,
        merchant_reference: row.text("merchant_reference")?,
        order_id: row.opt_text("order_id")?,
        face: decode(Face::parse(&face), "face", &face)?,
        fingerprint: row.text("fingerprint")?,
        amount: amount(row, "amount")?,
        rule: decode_json(&row.text("rule")?, "rule")?,
        multi_use: row.int("multi_use")? != 0,
        received: amount(row, "received")?,
        refunded: amount(row, "refunded")?,
        state: decode(PaymentState::parse(&state), "state", &state)?,
        instrument: decode_json(&row.text("instrument")?, "instrument")?,
        callback_url: row.text("callback_url")?,
        payer: row.opt_text("payer")?.map(|p| decode_json(&p, "payer")).transpose()?,
        created_at: row.int("created_at")?,
        expires_at: row.int("expires_at")?,
        paid_at: row.opt_int("paid_at")?,
        canceled_at: row.opt_int("canceled_at")?,
        version: row.int("version")?,
    })
}

pub fn receipt(row: &dyn Row) -> Result<Receipt, SqlError> {
    Ok(Receipt {
        amount: amount(row, "amount")?,
        paid_at: row.int("paid_at")?,
        payer: decode_json(&row.text("payer")?, "payer")?,
    })
}

pub fn refund(row: &dyn Row) -> Result<Refund, SqlError> {
    Ok(Refund {
        refund_no: row.text("refund_no")?,
        merchant_refund_no: row.text("merchant_refund_no")?,
        fingerprint: row.text("fingerprint")?,
        amount: amount(row, "amount")?,
        reason: row.opt_text("reason")?,
        created_at: row.int("created_at")?,
    })
}

pub fn merchant(row: &dyn Row) -> Result<Merchant, SqlError> {
    Ok(Merchant {
        id: MerchantId(row.int("id")?),
        name: row.text("name")?,
        partner_id: row.text("partner_id")?,
        client_secret: row.text("client_secret")?,
        public_key_pem: row.opt_text("public_key_pem")?,
        callback_url: row.opt_text("callback_url")?,
        secret_unbound_id: row.text("secret_unbound_id")?,
        hash_key: row.text("hash_key")?,
        created_at: row.int("created_at")?,
    })
}
