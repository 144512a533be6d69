//! Pre-signed requests. Every record is a complete HTTP/1.1 request, unique (its own
//! reference and X-EXTERNAL-ID) and signed as a merchant's client would sign it, so
//! the load generator only replays bytes.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use lunas_protocol::crypto::{hmac_sha512_base64, symmetric_string_to_sign};
use lunas_protocol::pg3::{basic_authorization, request_signature};
use serde::Deserialize;
use serde_json::{Value, json};

/// The credentials `lunas merchant create` prints.
#[derive(Debug, Clone, Deserialize)]
pub struct Merchant {
    pub partner_id: String,
    pub client_secret: String,
    pub secret_unbound_id: String,
    pub hash_key: String,
}

/// A QR payment as generate answered it.
pub struct Qr {
    pub partner_reference_no: String,
    pub reference_no: String,
}

/// A virtual account as PG3 create answered it.
pub struct Va {
    pub external_id: String,
    pub order_id: String,
    pub transaction_id: String,
}

/// The SNAP side of a run: whose requests, with which token, and a counter that keeps
/// every X-EXTERNAL-ID unique.
pub struct Signer {
    pub merchant: Merchant,
    pub token: String,
    /// Digits that make this run's identifiers differ from any earlier run's.
    pub tag: String,
    pub callback_url: String,
    counter: u64,
}

pub const GENERATE: &str = "/v1.0/qr/qr-mpm-generate";
pub const QUERY: &str = "/v1.0/qr/qr-mpm-query";
pub const CANCEL: &str = "/v1.0/qr/qr-mpm-cancel";
pub const SNAP_VA_CREATE: &str = "/v1.0/transfer-va/create-va";
pub const SNAP_VA_DELETE: &str = "/v1.0/transfer-va/delete-va";
pub const VA_CREATE: &str = "/va";
pub const VA_CANCEL: &str = "/va/cancel";
/// The bench's VA channel: BRI leaves seven random digits per merchant, room for
/// millions of live accounts (BCA's five would run out at 100,000).
const VA_CHANNEL: &str = "BRI";

impl Signer {
    pub fn new(merchant: Merchant, token: String, tag: String, callback_url: String) -> Self {
        Self { merchant, token, tag, callback_url, counter: 0 }
    }

    fn next_id(&mut self) -> String {
        self.counter += 1;
        format!("{}{:09}", self.tag, self.counter)
    }

    fn snap(&mut self, path: &str, body: &Value) -> Vec<u8> {
        let body = body.to_string();
        let timestamp = lunas_protocol::timestamp::format(time::OffsetDateTime::now_utc());
        let sts = symmetric_string_to_sign("POST", path, &self.token, body.as_bytes(), &timestamp);
        let signature = hmac_sha512_base64(self.merchant.client_secret.as_bytes(), &sts);
        let headers = [
            ("X-TIMESTAMP", timestamp),
            ("X-SIGNATURE", signature),
            ("X-PARTNER-ID", self.merchant.partner_id.clone()),
            ("X-EXTERNAL-ID", self.next_id()),
            ("CHANNEL-ID", "95221".to_string()),
            ("Authorization", format!("Bearer {}", self.token)),
        ];
        raw(path, &headers, &body)
    }

    fn pg3(&self, path: &str, body: &Value) -> Vec<u8> {
        let text = |k: &str| body[k].as_str().unwrap_or_default().to_string();
        let headers = [
            ("Authorization", basic_authorization(&self.merchant.partner_id, &self.merchant.secret_unbound_id)),
            ("x-req-signature", request_signature(&self.merchant.hash_key, &text("external_id"), &text("order_id"))),
            ("x-version", "v3".to_string()),
        ];
        raw(path, &headers, &body.to_string())
    }

    pub fn generate(&mut self) -> Vec<u8> {
        let body = json!({
            "partnerReferenceNo": format!("B{}", self.next_id()),
            "amount": {"value": "10000.00", "currency": "IDR"},
            "additionalInfo": {"callbackUrl": self.callback_url},
        });
        self.snap(GENERATE, &body)
    }

    pub fn query(&mut self, qr: &Qr) -> Vec<u8> {
        let body = json!({
            "originalReferenceNo": qr.reference_no,
            "originalPartnerReferenceNo": qr.partner_reference_no,
            "serviceCode": "47",
        });
        self.snap(QUERY, &body)
    }

    pub fn cancel(&mut self, qr: &Qr) -> Vec<u8> {
        let body = json!({
            "originalReferenceNo": qr.reference_no,
            "originalPartnerReferenceNo": qr.partner_reference_no,
            "reason": "benchmark",
            "additionalInfo": {"type": "DYNAMIC"},
        });
        self.snap(CANCEL, &body)
    }

    pub fn snap_va_create(&mut self) -> Vec<u8> {
        let body = json!({
            "virtualAccountName": "Budi Santoso",
            "trxId": format!("T{}", self.next_id()),
            "totalAmount": {"value": "10000.00", "currency": "IDR"},
            "virtualAccountTrxType": "C",
            "additionalInfo": {"callbackUrl": self.callback_url, "channel": VA_CHANNEL},
        });
        self.snap(SNAP_VA_CREATE, &body)
    }

    /// Deletes a SNAP VA as create answered it (its `virtualAccountData`).
    pub fn snap_va_delete(&mut self, va: &Value) -> Vec<u8> {
        let body = json!({
            "partnerServiceId": va["partnerServiceId"],
            "customerNo": va["customerNo"],
            "virtualAccountNo": va["virtualAccountNo"],
            "trxId": va["trxId"],
        });
        self.snap(SNAP_VA_DELETE, &body)
    }

    pub fn va_create(&mut self) -> Vec<u8> {
        let id = self.next_id();
        let body = json!({
            "external_id": format!("E{id}"),
            "order_id": format!("O{id}"),
            "currency": "IDR",
            "payment_method": "bank_transfer",
            "payment_channel": VA_CHANNEL,
            "callback_url": self.callback_url,
            "payment_details": {
                "billing_name": "Budi Santoso",
                "payment_system": "CLOSED",
                "is_multi_use": false,
                "amount": 10000,
                "transaction_description": "benchmark",
            },
            "customer_details": {"email": "budi@example.com", "full_name": "Budi Santoso", "phone": "081234567890"},
        });
        self.pg3(VA_CREATE, &body)
    }

    pub fn va_cancel(&self, va: &Va) -> Vec<u8> {
        let body = json!({
            "external_id": va.external_id,
            "order_id": va.order_id,
            "transaction_id": va.transaction_id,
            "payment_method": "BANK_TRANSFER",
            "payment_channel": VA_CHANNEL,
        });
        self.pg3(VA_CANCEL, &body)
    }
}

fn raw(path: &str, headers: &[(&str, String)], body: &str) -> Vec<u8> {
    let mut out = format!("POST {path} HTTP/1.1\r\nHost: lunas\r\nContent-Type: application/json\r\n");
    for (name, value) in headers {
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    out.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
    out.into_bytes()
}

/// Records spread over one file per load-generator thread (`<prefix>.<k>`), so each
/// thread reads only its own share.
pub struct RequestFile {
    pub prefix: PathBuf,
    files: Vec<BufWriter<File>>,
    pub count: usize,
}

impl RequestFile {
    pub fn create(prefix: &Path, threads: usize) -> anyhow::Result<Self> {
        let files = (0..threads)
            .map(|k| Ok(BufWriter::new(File::create(format!("{}.{k}", prefix.display()))?)))
            .collect::<anyhow::Result<_>>()?;
        Ok(Self { prefix: prefix.to_path_buf(), files, count: 0 })
    }

    pub fn push(&mut self, record: &[u8]) -> anyhow::Result<()> {
        let threads = self.files.len();
        let file = &mut self.files[self.count % threads];
        file.write_all(record)?;
        file.write_all(b"\0")?;
        self.count += 1;
        Ok(())
    }

    pub fn finish(mut self) -> anyhow::Result<Written> {
        for file in &mut self.files {
            file.flush()?;
        }
        Ok(Written { prefix: self.prefix, count: self.count })
    }
}

/// A finished request file.
pub struct Written {
    pub prefix: PathBuf,
    pub count: usize,
}

/// The successful answers a run captured (`<prefix>.<k>` files of "status body" lines).
pub fn captured(prefix: &Path, threads: usize) -> anyhow::Result<Vec<Value>> {
    let mut bodies = Vec::new();
    for k in 0..threads {
        let text = std::fs::read_to_string(format!("{}.{k}", prefix.display()))?;
        for line in text.lines() {
            if let Some(("200", body)) = line.split_once(' ') {
                bodies.push(serde_json::from_str(body)?);
            }
        }
    }
    Ok(bodies)
}

pub fn qrs(bodies: &[Value]) -> Vec<Qr> {
    let text = |b: &Value, k: &str| b[k].as_str().unwrap_or_default().to_string();
    bodies
        .iter()
        .map(|b| Qr { partner_reference_no: text(b, "partnerReferenceNo"), reference_no: text(b, "referenceNo") })
        .collect()
}

pub fn vas(bodies: &[Value]) -> Vec<Va> {
    let text = |b: &Value, k: &str| b[k].as_str().unwrap_or_default().to_string();
    bodies
        .iter()
        .map(|b| Va {
            external_id: text(b, "external_id"),
            order_id: text(b, "order_id"),
            transaction_id: text(b, "transaction_id"),
        })
        .collect()
}
