//! A request example for every operation of the OpenAPI document. Each is a valid
//! request; where it names a payment, it names one that need not exist, so the
//! document's own test expects either a success or a documented refusal.

use lunas_protocol::qris::DynamicQris;
use serde_json::{Value, json};

use crate::domain::Amount;

const CALLBACK: &str = "https://merchant.example.com/callbacks/lunas";
pub const REFERENCE_NO: &str = "A120261124000001";
const PARTNER_REFERENCE_NO: &str = "INV20261124001";
const TRX_ID: &str = "TRX20261124001";

fn idr(value: &str) -> Value {
    json!({"value": value, "currency": "IDR"})
}

/// A BRI closed-amount VA: BIN `13033`, padded to 8, then the customer number.
fn va_triple() -> Value {
    json!({
        "partnerServiceId": "   13033",
        "customerNo": "00000000001",
        "virtualAccountNo": "   1303300000000001",
        "trxId": TRX_ID,
    })
}

fn with(mut base: Value, more: Value) -> Value {
    if let (Some(base), Value::Object(more)) = (base.as_object_mut(), more) {
        base.extend(more);
    }
    base
}

pub fn access_token() -> Value {
    json!({"grantType": "client_credentials"})
}

pub fn generate_qr() -> Value {
    json!({
        "partnerReferenceNo": PARTNER_REFERENCE_NO,
        "amount": idr("10000.00"),
        "terminalId": "K01",
        "additionalInfo": {"callbackUrl": CALLBACK},
    })
}

fn original_refs() -> Value {
    json!({"originalReferenceNo": REFERENCE_NO, "originalPartnerReferenceNo": PARTNER_REFERENCE_NO})
}

pub fn query_qr() -> Value {
    with(original_refs(), json!({"serviceCode": "47"}))
}

pub fn cancel_qr() -> Value {
    with(original_refs(), json!({"reason": "Customer canceled the order", "additionalInfo": {"type": "DYNAMIC"}}))
}

pub fn refund_qr() -> Value {
    with(
        original_refs(),
        json!({"partnerRefundNo": "RF20261124001", "refundAmount": idr("10000.00"), "reason": "Goods returned"}),
    )
}

pub fn create_va() -> Value {
    json!({
        "virtualAccountName": "Budi Santoso",
        "virtualAccountEmail": "budi@example.com",
        "trxId": TRX_ID,
        "virtualAccountTrxType": "C",
        "totalAmount": idr("15000.00"),
        "freeTexts": [{"english": "Coffee", "indonesia": "Kopi"}],
        "additionalInfo": {"callbackUrl": CALLBACK, "channel": "BRI"},
    })
}

pub fn inquiry_va() -> Value {
    va_triple()
}

pub fn update_va() -> Value {
    with(va_triple(), json!({"virtualAccountName": "Budi Santoso", "totalAmount": idr("20000.00")}))
}

pub fn update_va_status() -> Value {
    with(va_triple(), json!({"paidStatus": "N"}))
}

pub fn va_status() -> Value {
    let mut triple = va_triple();
    if let Some(fields) = triple.as_object_mut() {
        fields.remove("trxId");
    }
    triple
}

pub fn delete_va() -> Value {
    va_triple()
}

pub fn pg3_create_va() -> Value {
    json!({
        "external_id": "EXT20261124001",
        "order_id": "ORD20261124001",
        "currency": "IDR",
        "payment_method": "BANK_TRANSFER",
        "payment_channel": "BRI",
        "payment_details": {
            "billing_name": "Budi Santoso",
            "payment_system": "CLOSED",
            "is_multi_use": false,
            "amount": 15000,
            "transaction_description": "Pembayaran pesanan",
        },
        "customer_details": {"email": "budi@example.com", "full_name": "Budi Santoso", "phone": "081234567890"},
        "item_details": [{"item_id": "SKU1", "name": "Kopi", "amount": 15000, "qty": 1}],
        "callback_url": CALLBACK,
    })
}

pub fn pg3_lookup_va() -> Value {
    json!({
        "external_id": "EXT20261124001",
        "order_id": "ORD20261124001",
        "transaction_id": "VA20261124000001",
        "payment_method": "BANK_TRANSFER",
        "payment_channel": "BRI",
    })
}

/// A dynamic QRIS as a wallet scans it; the reference label names the payment.
pub fn sandbox_pay_qr() -> Value {
    let qris = DynamicQris {
        acquirer_domain: "ID.CO.LUNAS.WWW".into(),
        merchant_pan: "936000000000000001".into(),
        merchant_id: "MCP2026112400001".into(),
        nmid: "ID1026112400001".into(),
        merchant_criteria: "UMI".into(),
        merchant_category_code: "5812".into(),
        amount: Amount::from_sen(1_000_000),
        tip: None,
        merchant_name: "Toko Budi".into(),
        merchant_city: "Jakarta".into(),
        postal_code: "10110".into(),
        reference_label: REFERENCE_NO.into(),
        terminal_label: Some("K01".into()),
    };
    json!({"qrContent": qris.encode().unwrap_or_default(), "issuer": "SANDBOX WALLET", "customerName": "Budi"})
}

pub fn sandbox_pay_va() -> Value {
    json!({"va_number": "1303300000000001", "amount": "15000", "issuer": "BRI"})
}

pub fn sandbox_pay_reference() -> Value {
    json!({"amount": "10000.00"})
}

pub fn new_merchant() -> Value {
    json!({"name": "Toko Budi", "callback_url": CALLBACK})
}
