//! PG3: iFortepay's own virtual-account API, with Basic auth and `x-req-signature`
//! (ifortepay.md §4).

use std::time::Duration;

use lunas_protocol::pg3::va::{CancelVaResponse, CreateVaRequest, VaLookupRequest, VaResponse};
use lunas_protocol::pg3::{ErrorResponse, VERSION, X_REQ_SIGNATURE, X_VERSION, basic_authorization, request_signature};
use reqwest::Method;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{Error, Result};
use crate::transport::Transport;

/// A merchant's PG3 credentials and where to reach the gateway. `Debug` leaves the
/// secrets out.
#[derive(Clone)]
pub struct Pg3Config {
    pub base_url: String,
    /// The Basic user (lunas' `partner_id`).
    pub merchant_id: String,
    /// The Basic password.
    pub secret_unbound_id: String,
    /// Keys `x-req-signature` and the callbacks' `mcp-signature`.
    pub hash_key: String,
    pub timeout: Duration,
}

impl Pg3Config {
    pub fn new(base_url: &str, merchant_id: &str, secret_unbound_id: &str, hash_key: &str) -> Self {
        Self {
            base_url: base_url.trim_end_matches('/').to_string(),
            merchant_id: merchant_id.to_string(),
            secret_unbound_id: secret_unbound_id.to_string(),
            hash_key: hash_key.to_string(),
            timeout: Duration::from_secs(10),
        }
    }
}

impl std::fmt::Debug for Pg3Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pg3Config")
            .field("base_url", &self.base_url)
            .field("merchant_id", &self.merchant_id)
            .field("secret_unbound_id", &"…")
            .field("hash_key", &"…")
            .field("timeout", &self.timeout)
            .finish()
    }
}

pub struct Pg3Client {
    config: Pg3Config,
    transport: Transport,
}

impl Pg3Client {
    pub fn new(config: Pg3Config) -> Result<Self> {
        let transport = Transport::new(config.timeout)?;
        Ok(Self { config, transport })
    }

    pub fn with_transport(mut self, transport: Transport) -> Self {
        self.transport = transport;
        self
    }

    /// Any PG3 endpoint: `request` serialised and signed over its `external_id` and
    /// `order_id`; `safe` calls (inquiries) are retried after a transient failure.
    pub async fn call<Req: Serialize, Res: DeserializeOwned>(
        &self,
        path: &str,
        request: &Req,
        safe: bool,
    ) -> Result<Res> {
        let body = serde_json::to_vec(request).map_err(|e| Error::Config(format!("request: {e}")))?;
        let (status, answer) = self.send(path, &body, safe).await?;
        decode(status, &answer)
    }

    /// Sends `body` as it is, signed over the `external_id` and `order_id` it holds.
    pub async fn send(&self, path: &str, body: &[u8], safe: bool) -> Result<(u16, Vec<u8>)> {
        let ids: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
        let id = |name: &str| {
            ids.get(name)
                .and_then(|v| v.as_str())
                .ok_or_else(|| Error::Config(format!("the body has no {name} to sign")))
        };
        let signature = request_signature(&self.config.hash_key, id("external_id")?, id("order_id")?);
        let authorization = basic_authorization(&self.config.merchant_id, &self.config.secret_unbound_id);
        let url = format!("{}{path}", self.config.base_url);
        self.transport
            .exchange(&Method::POST, &url, safe, |request| {
                request
                    .header("Content-Type", "application/json")
                    .header("Authorization", &authorization)
                    .header(X_VERSION, VERSION)
                    .header(X_REQ_SIGNATURE, &signature)
                    .body(body.to_vec())
            })
            .await
    }

    /// Create a virtual account.
    pub async fn va_create(&self, request: &CreateVaRequest) -> Result<VaResponse> {
        self.call("/va", request, false).await
    }

    /// A virtual account with its payments; retried after a transient failure.
    pub async fn va_inquiry(&self, request: &VaLookupRequest) -> Result<VaResponse> {
        self.call("/va/inquiry", request, true).await
    }

    /// Cancel an unpaid virtual account.
    pub async fn va_cancel(&self, request: &VaLookupRequest) -> Result<CancelVaResponse> {
        self.call("/va/cancel", request, false).await
    }
}

/// The answer when HTTP and `response_code` say success (`00`), the refusal otherwise.
fn decode<T: DeserializeOwned>(status: u16, body: &[u8]) -> Result<T> {
    let text = || String::from_utf8_lossy(body).into_owned();
    let refusal = serde_json::from_slice::<ErrorResponse>(body);
    match refusal {
        Ok(e) if status != 200 || e.response_code != "00" => {
            Err(Error::Pg3 { status, code: e.response_code, message: e.response_message })
        }
        _ => serde_json::from_slice(body).map_err(|e| Error::Decode { status, error: e.to_string(), body: text() }),
    }
}
