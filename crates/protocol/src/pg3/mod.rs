//! PG3: iFortepay's own payment-gateway API (snake_case JSON, Basic auth plus
//! `x-req-signature`, two-digit `response_code`).

pub mod va;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::{Deserialize, Serialize};

use crate::crypto::sha256_hex;

/// Header names as iFortepay documents them.
pub const X_REQ_SIGNATURE: &str = "x-req-signature";
pub const X_VERSION: &str = "x-version";
pub const MCP_SIGNATURE: &str = "mcp-signature";
/// The only `x-version` PG3 speaks.
pub const VERSION: &str = "v3";

/// `x-req-signature`: lower-case hex SHA-256 of `hash_key + external_id + order_id`.
pub fn request_signature(hash_key: &str, external_id: &str, order_id: &str) -> String {
    sha256_hex(format!("{hash_key}{external_id}{order_id}").as_bytes())
}

/// `mcp-signature` on callbacks: SHA-256 of `transaction_id + x-req-signature`, plus the
/// sub-merchant id for sub-merchants.
pub fn callback_signature(transaction_id: &str, request_signature: &str, sub_merchant_id: Option<&str>) -> String {
    sha256_hex(format!("{transaction_id}{request_signature}{}", sub_merchant_id.unwrap_or("")).as_bytes())
}

/// The ids a callback's `mcp-signature` covers, as its body carries them.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct SignedIds {
    pub transaction_id: String,
    pub external_id: String,
    pub order_id: String,
}

impl SignedIds {
    pub fn from_body(body: &[u8]) -> Result<Self, serde_json::Error> {
        serde_json::from_slice(body)
    }

    /// The `mcp-signature` of a callback with these ids.
    pub fn callback_signature(&self, hash_key: &str) -> String {
        callback_signature(&self.transaction_id, &request_signature(hash_key, &self.external_id, &self.order_id), None)
    }
}

/// `Basic base64(merchant_id:secret_unbound_id)`.
pub fn basic_authorization(merchant_id: &str, secret_unbound_id: &str) -> String {
    format!("Basic {}", BASE64.encode(format!("{merchant_id}:{secret_unbound_id}")))
}

/// Splits a Basic `Authorization` header into user and password.
pub fn parse_basic_authorization(header: &str) -> Option<(String, String)> {
    let (scheme, encoded) = header.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("Basic") {
        return None;
    }
    let decoded = String::from_utf8(BASE64.decode(encoded.trim()).ok()?).ok()?;
    let (user, password) = decoded.split_once(':')?;
    Some((user.to_string(), password.to_string()))
}

/// `response_code` values (ifortepay.md §7.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    Success,
    RequestParameterError,
    FailedRequest,
    UnauthorizedMerchant,
    SystemError,
}

impl Code {
    pub fn as_str(self) -> &'static str {
        match self {
            Code::Success => "00",
            Code::RequestParameterError => "01",
            Code::FailedRequest => "03",
            Code::UnauthorizedMerchant => "04",
            Code::SystemError => "98",
        }
    }

    pub fn message(self) -> &'static str {
        match self {
            Code::Success => "Success",
            Code::RequestParameterError => "Request Parameter Error",
            Code::FailedRequest => "Failed Request",
            Code::UnauthorizedMerchant => "Unauthorized Merchant",
            Code::SystemError => "System Error",
        }
    }
}

/// The body of every PG3 failure.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = pg3::ErrorResponse))]
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ErrorResponse {
    pub response_code: String,
    pub response_message: String,
}

/// The method iFortepay's VA pages use; both spellings they show are accepted.
pub const BANK_TRANSFER: &str = "BANK_TRANSFER";

#[cfg(test)]
mod tests {
    use super::*;

    /// ifortepay.md §3.1–§3.2.
    #[test]
    fn known_answers() {
        let signature = request_signature("myhashkey", "39482906889734", "13499387088062");
        assert_eq!(signature, "4286cfa5b6e72acdc2411a17a4a64500d447186cb5418d5019247147b877eb7c");
        assert_eq!(
            basic_authorization("MCP2021110228", "secret-unbound"),
            "Basic TUNQMjAyMTExMDIyODpzZWNyZXQtdW5ib3VuZA=="
        );
        assert_eq!(
            callback_signature("604b987e-8e51-4470-9a18-6d8b58b45472", &signature, None),
            "8216e39c73e61c809c600a9272f10eb629507f69823c3399d19357ae73df577f"
        );
    }

    #[test]
    fn basic_parsing() {
        assert_eq!(
            parse_basic_authorization("Basic TUNQMjAyMTExMDIyODpzZWNyZXQtdW5ib3VuZA=="),
            Some(("MCP2021110228".into(), "secret-unbound".into()))
        );
        assert_eq!(
            parse_basic_authorization("basic TUNQMjAyMTExMDIyODpzZWNyZXQtdW5ib3VuZA=="),
            Some(("MCP2021110228".into(), "secret-unbound".into()))
        );
        for bad in ["Bearer abc", "Basic !!!", "Basic bm9jb2xvbg==", "Basic", ""] {
            assert_eq!(parse_basic_authorization(bad), None, "{bad}");
        }
    }
}
