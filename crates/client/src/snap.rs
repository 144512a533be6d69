//! SNAP: the B2B access token and the QRIS and virtual-account services, signed as
//! the standard says (ifortepay.md §3).

use std::time::{Duration, Instant};

use lunas_protocol::crypto::{
    RsaPrivateKey, asymmetric_string_to_sign, hmac_sha512_base64, random_digits, symmetric_string_to_sign,
    token_string_to_sign,
};
use lunas_protocol::snap::ErrorResponse;
use lunas_protocol::snap::headers::{
    AUTHORIZATION, CHANNEL_ID, CONTENT_TYPE, X_CLIENT_KEY, X_EXTERNAL_ID, X_PARTNER_ID, X_SIGNATURE, X_TIMESTAMP,
};
use lunas_protocol::snap::qr::{
    CancelQrRequest, CancelQrResponse, GenerateQrRequest, GenerateQrResponse, QueryQrRequest, QueryQrResponse,
    RefundQrRequest, RefundQrResponse,
};
use lunas_protocol::snap::token::{CLIENT_CREDENTIALS, TokenRequest, TokenResponse};
use lunas_protocol::snap::va::{
    CreateVaRequest, DeleteVaResponse, StatusRequest, StatusResponse, UpdateStatusRequest, VaLookupRequest, VaResponse,
};
use reqwest::Method;
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::sync::Mutex;

use crate::error::{Error, Result};
use crate::transport::Transport;

pub const TOKEN_PATH: &str = "/v1.0/access-token/b2b";

/// How service calls are signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signing {
    /// HMAC-SHA512 with the client secret, over a string that includes the B2B
    /// access token (fetched and cached by the client).
    Symmetric,
    /// SHA256withRSA with the merchant's private key, without a token.
    Asymmetric,
}

/// A merchant's SNAP credentials and where to reach the gateway. `Debug` leaves the
/// secret out.
#[derive(Clone)]
pub struct SnapConfig {
    /// Base URL of the access-token endpoint (iFortepay serves it from its own host).
    pub token_base_url: String,
    /// Base URL of the services.
    pub service_base_url: String,
    /// `X-PARTNER-ID` and `X-CLIENT-KEY`.
    pub partner_id: String,
    /// The HMAC key of symmetric signatures.
    pub client_secret: String,
    /// Signs the token request, and service calls under [`Signing::Asymmetric`].
    pub private_key: RsaPrivateKey,
    /// `CHANNEL-ID`.
    pub channel_id: String,
    pub signing: Signing,
    /// Per request, connection included.
    pub timeout: Duration,
    /// A cached token is replaced this long before it expires.
    pub refresh_margin: Duration,
}

impl SnapConfig {
    /// One base URL for the token and the services, symmetric signing, 10 s timeout.
    pub fn new(base_url: &str, partner_id: &str, client_secret: &str, private_key: RsaPrivateKey) -> Self {
        let base = base_url.trim_end_matches('/').to_string();
        Self {
            token_base_url: base.clone(),
            service_base_url: base,
            partner_id: partner_id.to_string(),
            client_secret: client_secret.to_string(),
            private_key,
            channel_id: "95221".to_string(),
            signing: Signing::Symmetric,
            timeout: Duration::from_secs(10),
            refresh_margin: Duration::from_secs(60),
        }
    }
}

impl std::fmt::Debug for SnapConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SnapConfig")
            .field("token_base_url", &self.token_base_url)
            .field("service_base_url", &self.service_base_url)
            .field("partner_id", &self.partner_id)
            .field("client_secret", &"…")
            .field("channel_id", &self.channel_id)
            .field("signing", &self.signing)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

/// The longest a token is kept, whatever `expiresIn` says.
const MAX_TOKEN_LIFETIME: Duration = Duration::from_secs(24 * 3600);

struct CachedToken {
    token: String,
    refresh_at: Instant,
}

/// A SNAP client: one per merchant, shared (it is `Sync`); clones of the HTTP client
/// inside share their connections.
pub struct SnapClient {
    config: SnapConfig,
    transport: Transport,
    /// Held while a token is fetched, so concurrent calls wait for one refresh.
    token: Mutex<Option<CachedToken>>,
}

impl SnapClient {
    pub fn new(config: SnapConfig) -> Result<Self> {
        let transport = Transport::new(config.timeout)?;
        Ok(Self { config, transport, token: Mutex::new(None) })
    }

    /// Replaces how calls are sent (retries, backoff, a custom HTTP client).
    pub fn with_transport(mut self, transport: Transport) -> Self {
        self.transport = transport;
        self
    }

    pub fn config(&self) -> &SnapConfig {
        &self.config
    }

    /// The B2B access token: the cached one, or a new one when it is about to expire.
    pub async fn access_token(&self) -> Result<String> {
        let mut cached = self.token.lock().await;
        if let Some(token) = cached.as_ref().filter(|t| Instant::now() < t.refresh_at) {
            return Ok(token.token.clone());
        }
        let answer = self.request_token().await?;
        let seconds: u64 = answer.expires_in.trim().parse().map_err(|_| Error::Decode {
            status: 200,
            error: format!("expiresIn is not a number of seconds: {:?}", answer.expires_in),
            body: String::new(),
        })?;
        let lifetime = Duration::from_secs(seconds).min(MAX_TOKEN_LIFETIME);
        let refresh_at = Instant::now() + lifetime.saturating_sub(self.config.refresh_margin.min(lifetime / 2));
        *cached = Some(CachedToken { token: answer.access_token.clone(), refresh_at });
        Ok(answer.access_token)
    }

    /// Asks for a new token, whatever the cache holds.
    pub async fn request_token(&self) -> Result<TokenResponse> {
        let body = serde_json::to_vec(&TokenRequest { grant_type: Some(CLIENT_CREDENTIALS.to_string()) })
            .expect("a token request serialises");
        let url = format!("{}{TOKEN_PATH}", self.config.token_base_url);
        let (status, answer) = self
            .transport
            .exchange(&Method::POST, &url, true, |request| {
                let timestamp = now();
                let signature =
                    self.config.private_key.sign_base64(&token_string_to_sign(&self.config.partner_id, &timestamp));
                request
                    .header(CONTENT_TYPE, "application/json")
                    .header(X_TIMESTAMP, timestamp)
                    .header(X_CLIENT_KEY, &self.config.partner_id)
                    .header(X_SIGNATURE, signature)
                    .body(body.clone())
            })
            .await?;
        decode(status, &answer)
    }

    /// Forgets the cached token (the next call fetches one).
    pub async fn forget_token(&self) {
        *self.token.lock().await = None;
    }

    /// Forgets `refused` if it is still the cached token: of several calls refused
    /// together, the first makes a new token and the others use it.
    async fn forget_refused(&self, refused: &str) {
        let mut cached = self.token.lock().await;
        if cached.as_ref().is_some_and(|t| t.token == refused) {
            *cached = None;
        }
    }

    /// Any SNAP service: `request` serialised, signed, sent to `path`; the answer
    /// decoded on success, the gateway's code and message on a refusal. `safe`
    /// calls (queries) are retried after a transient failure.
    pub async fn call<Req: Serialize, Res: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        request: &Req,
        safe: bool,
    ) -> Result<Res> {
        let body = serde_json::to_vec(request).map_err(|e| Error::Config(format!("request: {e}")))?;
        let (status, answer) = self.send(method, path, &body, safe).await?;
        decode(status, &answer)
    }

    /// Sends `body` as it is (the signature covers its minified form) and returns
    /// the HTTP status and the answer's bytes. A refused token is fetched again once.
    pub async fn send(&self, method: Method, path: &str, body: &[u8], safe: bool) -> Result<(u16, Vec<u8>)> {
        let token = match self.config.signing {
            Signing::Symmetric => Some(self.access_token().await?),
            Signing::Asymmetric => None,
        };
        let first = self.send_with(&method, path, body, safe, token.as_deref()).await?;
        match token {
            Some(refused) if is_invalid_token(&first) => {
                self.forget_refused(&refused).await;
                let token = self.access_token().await?;
                self.send_with(&method, path, body, safe, Some(&token)).await
            }
            _ => Ok(first),
        }
    }

    async fn send_with(
        &self,
        method: &Method,
        path: &str,
        body: &[u8],
        safe: bool,
        token: Option<&str>,
    ) -> Result<(u16, Vec<u8>)> {
        let url = format!("{}{path}", self.config.service_base_url);
        // The signature covers the path and query as the gateway sees them, base
        // path included.
        let parsed = reqwest::Url::parse(&url).map_err(|e| Error::Config(format!("{url}: {e}")))?;
        let signed_path = match parsed.query() {
            Some(query) => format!("{}?{query}", parsed.path()),
            None => parsed.path().to_string(),
        };
        self.transport
            .exchange(method, &url, safe, |request| {
                let timestamp = now();
                let verb = method.as_str();
                let mut request = request
                    .header(CONTENT_TYPE, "application/json")
                    .header(X_TIMESTAMP, &timestamp)
                    .header(X_PARTNER_ID, &self.config.partner_id)
                    .header(X_EXTERNAL_ID, random_digits(18))
                    .header(CHANNEL_ID, &self.config.channel_id);
                let signature = match token {
                    Some(token) => {
                        request = request.header(AUTHORIZATION, format!("Bearer {token}"));
                        let sts = symmetric_string_to_sign(verb, &signed_path, token, body, &timestamp);
                        hmac_sha512_base64(self.config.client_secret.as_bytes(), &sts)
                    }
                    None => self.config.private_key.sign_base64(&asymmetric_string_to_sign(
                        verb,
                        &signed_path,
                        body,
                        &timestamp,
                    )),
                };
                request.header(X_SIGNATURE, signature).body(body.to_vec())
            })
            .await
    }

    /// Generate a dynamic QRIS (service 47).
    pub async fn qr_generate(&self, request: &GenerateQrRequest) -> Result<GenerateQrResponse> {
        self.call(Method::POST, "/v1.0/qr/qr-mpm-generate", request, false).await
    }

    /// Query a QRIS payment (51); retried after a transient failure.
    pub async fn qr_query(&self, request: &QueryQrRequest) -> Result<QueryQrResponse> {
        self.call(Method::POST, "/v1.0/qr/qr-mpm-query", request, true).await
    }

    /// Cancel an unpaid QRIS (77).
    pub async fn qr_cancel(&self, request: &CancelQrRequest) -> Result<CancelQrResponse> {
        self.call(Method::POST, "/v1.0/qr/qr-mpm-cancel", request, false).await
    }

    /// Refund a paid QRIS (78).
    pub async fn qr_refund(&self, request: &RefundQrRequest) -> Result<RefundQrResponse> {
        self.call(Method::POST, "/v1.0/qr/qr-mpm-refund", request, false).await
    }

    /// Create a virtual account (27).
    pub async fn va_create(&self, request: &CreateVaRequest) -> Result<VaResponse> {
        self.call(Method::POST, "/v1.0/transfer-va/create-va", request, false).await
    }

    /// Change an unpaid virtual account's terms (28).
    pub async fn va_update(&self, request: &CreateVaRequest) -> Result<VaResponse> {
        self.call(Method::PUT, "/v1.0/transfer-va/update-va", request, false).await
    }

    /// Mark a virtual account paid or closed (29).
    pub async fn va_update_status(&self, request: &UpdateStatusRequest) -> Result<VaResponse> {
        self.call(Method::PUT, "/v1.0/transfer-va/update-status", request, false).await
    }

    /// Inquire a virtual account (30); retried after a transient failure.
    pub async fn va_inquiry(&self, request: &VaLookupRequest) -> Result<VaResponse> {
        self.call(Method::POST, "/v1.0/transfer-va/inquiry-va", request, true).await
    }

    /// A virtual account's payment status (26); retried after a transient failure.
    pub async fn va_status(&self, request: &StatusRequest) -> Result<StatusResponse> {
        self.call(Method::POST, "/v1.0/transfer-va/status", request, true).await
    }

    /// Delete an unpaid virtual account (31).
    pub async fn va_delete(&self, request: &VaLookupRequest) -> Result<DeleteVaResponse> {
        self.call(Method::DELETE, "/v1.0/transfer-va/delete-va", request, false).await
    }
}

/// `X-TIMESTAMP` for now.
fn now() -> String {
    lunas_protocol::timestamp::format(time::OffsetDateTime::now_utc())
}

/// A `401xx01`: the token was refused (expired early, or revoked).
fn is_invalid_token((status, body): &(u16, Vec<u8>)) -> bool {
    *status == 401 && serde_json::from_slice::<ErrorResponse>(body).is_ok_and(|e| e.response_code.ends_with("01"))
}

/// The answer on a `2xx` code, the gateway's refusal otherwise.
fn decode<T: DeserializeOwned>(status: u16, body: &[u8]) -> Result<T> {
    let text = || String::from_utf8_lossy(body).into_owned();
    if (200..300).contains(&status) {
        return serde_json::from_slice(body).map_err(|e| Error::Decode { status, error: e.to_string(), body: text() });
    }
    match serde_json::from_slice::<ErrorResponse>(body) {
        Ok(e) => Err(Error::Snap { status, code: e.response_code, message: e.response_message }),
        Err(e) => Err(Error::Decode { status, error: e.to_string(), body: text() }),
    }
}
