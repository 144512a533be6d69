//! A sandbox gateway in this process, on a fresh SQLite file, driven through its
//! router as raw HTTP requests.
//!
//! A request is text: `METHOD PATH`, header lines, a blank line, then the body. So
//! that inputs get past authentication to the parsers behind it, the harness fills
//! placeholders before sending:
//!
//! - `{now}`, `{external-id}` (fresh each time), `{partner-id}`, `{token}` (a SNAP
//!   access token), `{operator}` (the operator token);
//! - `{=name}`: the last string or number a JSON answer carried under `name` (at
//!   the top or one level down), such as `{=referenceNo}` or `{=qrContent}`, so that one input
//!   creates a payment and a later one pays, queries or refunds it;
//! - signatures over the request as it is finally sent: `{hmac}` (SNAP with a
//!   token), `{rsa}` (SNAP without), `{rsa-token}` (the access-token request),
//!   `{basic}` and `{pg3-signature}` (PG3).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use axum::Router;
use axum::body::Body;
use http::{HeaderMap, Method, Request, StatusCode};
use lunas::app::{Gateway, tokens};
use lunas::config::{Config, Mode};
use lunas::domain::{Clock, Merchant, NewMerchant, Timestamp, generate_secret};
use lunas_protocol::crypto::{
    RsaPrivateKey, asymmetric_string_to_sign, hmac_sha512_base64, symmetric_string_to_sign, token_string_to_sign,
};
use lunas_protocol::pg3::{basic_authorization, request_signature};
use serde_json::Value;
use tower::ServiceExt;

/// The answer to one request.
pub struct Answer {
    pub method: Method,
    pub path: String,
    pub status: StatusCode,
    pub body: Vec<u8>,
}

impl Answer {
    /// Panics unless the answer keeps the gateway's promise to any client: no server
    /// error for what it sent, and JSON in its family's shape, SNAP's HTTP status
    /// being the first three digits of its `responseCode`.
    pub fn check(&self) {
        let body = String::from_utf8_lossy(&self.body);
        let (status, path) = (self.status, &self.path);
        assert!(!status.is_server_error(), "{status} for {} {path}: {body}", self.method);
        if self.method == Method::HEAD {
            return;
        }
        let doc = serde_json::from_slice::<Value>(&self.body);
        let field = |name: &str| {
            let doc = doc.as_ref().unwrap_or_else(|e| panic!("{status} {path}: not JSON ({e}): {body}"));
            doc.get(name)
                .and_then(Value::as_str)
                .unwrap_or_else(|| panic!("{status} {path}: no {name}: {body}"))
                .to_string()
        };
        if path.starts_with("/v1.0/") || path.starts_with("/auth/") {
            let code = field("responseCode");
            assert!(code.len() == 7 && code.bytes().all(|b| b.is_ascii_digit()), "responseCode {code:?}");
            assert_eq!(&code[..3], status.as_str(), "SNAP's HTTP status is its code's first digits: {body}");
            assert!(!field("responseMessage").is_empty());
        } else if path == "/va" || path.starts_with("/va/") {
            assert!(!field("response_code").is_empty());
        } else if status.is_client_error() {
            assert!(!field("message").is_empty());
        }
    }
}

pub struct Harness {
    runtime: tokio::runtime::Runtime,
    gateway: Arc<Gateway>,
    router: Router,
    key: RsaPrivateKey,
    operator: String,
    credentials: Mutex<Credentials>,
    captured: Mutex<HashMap<String, String>>,
    counter: AtomicU64,
    _dir: tempfile::TempDir,
}

/// The merchant as the store has it, and a SNAP token of it that is still good:
/// inputs move the sandbox clock (tokens expire by it) and rotate secrets.
struct Credentials {
    merchant: Merchant,
    token: String,
    renew_at: Timestamp,
}

impl Credentials {
    async fn issue(gateway: &Gateway) -> Self {
        let merchant = gateway.store.merchant_by_partner_id(PARTNER_ID).await.expect("the store answers");
        let merchant = merchant.expect("the merchant exists");
        let token = tokens::issue(gateway, &merchant).await.expect("a token");
        let renew_at = gateway.clock.now() + (tokens::TOKEN_TTL_SECS - 60) * 1000;
        Credentials { merchant, token, renew_at }
    }
}

const PARTNER_ID: &str = "IFP2024067944";

/// The one gateway of this fuzzing process.
pub fn harness() -> &'static Harness {
    static HARNESS: OnceLock<Harness> = OnceLock::new();
    HARNESS.get_or_init(Harness::start)
}

impl Harness {
    fn start() -> Self {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
        let dir = tempfile::tempdir().expect("a temporary directory");
        let operator = generate_secret(40);
        let mut config =
            Config { database_url: format!("sqlite:{}", dir.path().join("fuzz.db").display()), ..Config::default() };
        config.mode = Mode::Sandbox;
        config.operator.token = Some(operator.clone());
        let key = RsaPrivateKey::generate();
        let (gateway, credentials) = runtime.block_on(async {
            let gateway = lunas::server::open(config, Clock::default()).await.expect("the gateway opens");
            let merchant = NewMerchant {
                name: "Toko Fuzz".into(),
                partner_id: PARTNER_ID.into(),
                client_secret: generate_secret(24),
                public_key_pem: Some(key.public_key_pem()),
                callback_url: Some("http://127.0.0.1:9/callback".into()),
                secret_unbound_id: generate_secret(24),
                hash_key: generate_secret(32),
                created_at: 0,
            };
            gateway.store.insert_merchant(merchant).await.expect("the merchant is stored");
            let credentials = Credentials::issue(&gateway).await;
            (gateway, credentials)
        });
        Harness {
            runtime,
            router: lunas::http::router(Arc::clone(&gateway)),
            gateway,
            key,
            operator,
            credentials: Mutex::new(credentials),
            captured: Mutex::default(),
            counter: AtomicU64::new(0),
            _dir: dir,
        }
    }

    /// The credentials to sign with, renewed when the token is about to expire or
    /// `stale` (a request may have rotated the merchant's secrets).
    fn credentials(&self, stale: bool) -> std::sync::MutexGuard<'_, Credentials> {
        let mut credentials = self.credentials.lock().expect("not poisoned");
        if stale || self.gateway.clock.now() >= credentials.renew_at {
            *credentials = self.runtime.block_on(Credentials::issue(&self.gateway));
        }
        credentials
    }

    /// Sends one raw request; `None` when it is not one an HTTP server would pass on.
    pub fn send(&self, raw: &[u8]) -> Option<Answer> {
        let request = self.build(raw)?;
        let (method, path) = (request.method().clone(), request.uri().path().to_string());
        let (status, body) = self.runtime.block_on(async {
            let response = self.router.clone().oneshot(request).await.expect("the router is infallible");
            let status = response.status();
            let body = axum::body::to_bytes(response.into_body(), usize::MAX).await.expect("the body streams");
            (status, body.to_vec())
        });
        self.capture(&body);
        if path.ends_with("/rotate") {
            drop(self.credentials(true));
        }
        Some(Answer { method, path, status, body })
    }

    fn build(&self, raw: &[u8]) -> Option<Request<Body>> {
        let split = raw.windows(2).position(|w| w == b"\n\n").unwrap_or(raw.len());
        let head = std::str::from_utf8(&raw[..split]).ok()?;
        let body = raw.get(split + 2..).unwrap_or_default();
        let body = std::str::from_utf8(body).map_or_else(|_| body.to_vec(), |text| self.fill(text).into_bytes());
        let mut lines = head.lines();
        let (method, path) = lines.next()?.split_once(' ')?;
        let method = Method::from_bytes(method.as_bytes()).ok()?;
        let path = self.fill(path);
        let headers = crate::headers(self.fill(&lines.collect::<Vec<_>>().join("\n")).as_bytes());
        let headers = self.sign(headers, &method, &path, &body);
        let mut request = Request::builder().method(method).uri(path).body(Body::from(body)).ok()?;
        *request.headers_mut() = headers;
        Some(request)
    }

    /// Fills every placeholder but the signatures, which cover the result.
    fn fill(&self, text: &str) -> String {
        if !text.contains('{') {
            return text.to_string();
        }
        let mut out = text
            .replace("{now}", &lunas_protocol::timestamp::format(self.gateway.clock.wall_now_datetime()))
            .replace("{partner-id}", PARTNER_ID)
            .replace("{token}", &self.credentials(false).token)
            .replace("{operator}", &self.operator);
        while out.contains("{external-id}") {
            let id = self.counter.fetch_add(1, Ordering::Relaxed).to_string();
            out = out.replacen("{external-id}", &id, 1);
        }
        let captured = self.captured.lock().expect("not poisoned");
        for (name, value) in captured.iter() {
            out = out.replace(&format!("{{={name}}}"), value);
        }
        out
    }

    fn sign(&self, mut headers: HeaderMap, method: &Method, path: &str, body: &[u8]) -> HeaderMap {
        let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
        let (timestamp, client_key) = (text("x-timestamp"), text("x-client-key"));
        let token = text("authorization").strip_prefix("Bearer ").unwrap_or("").to_string();
        let ids: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
        let id = |name: &str| ids.get(name).and_then(Value::as_str).unwrap_or("").to_string();
        let credentials = self.credentials(false);
        let m = &credentials.merchant;
        for value in headers.values_mut() {
            let signed = match value.as_bytes() {
                b"{hmac}" => hmac_sha512_base64(
                    m.client_secret.as_bytes(),
                    &symmetric_string_to_sign(method.as_str(), path, &token, body, &timestamp),
                ),
                b"{rsa}" => self.key.sign_base64(&asymmetric_string_to_sign(method.as_str(), path, body, &timestamp)),
                b"{rsa-token}" => self.key.sign_base64(&token_string_to_sign(&client_key, &timestamp)),
                b"{basic}" => basic_authorization(&m.partner_id, &m.secret_unbound_id),
                b"{pg3-signature}" => request_signature(&m.hash_key, &id("external_id"), &id("order_id")),
                _ => continue,
            };
            *value = signed.parse().expect("signatures are header-safe");
        }
        headers
    }

    /// Remembers the strings an answer carries, for `{=name}`.
    fn capture(&self, body: &[u8]) {
        let Ok(Value::Object(doc)) = serde_json::from_slice::<Value>(body) else { return };
        let mut captured = self.captured.lock().expect("not poisoned");
        let nested = doc.values().filter_map(Value::as_object).flat_map(|o| o.iter());
        for (name, value) in doc.iter().chain(nested) {
            let text = match value {
                Value::String(text) if !text.is_empty() && text.len() <= 512 => text.clone(),
                Value::Number(number) => number.to_string(),
                _ => continue,
            };
            captured.insert(name.clone(), text);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The seeds are a merchant's day, in order: each gets past authentication and
    /// validation to a success, so the fuzzer starts from the use cases, not the doors.
    #[test]
    fn the_seeds_succeed_in_order() {
        let seeds = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("seeds/gateway");
        let day = [
            "token",
            "generate_qr",
            "generate_qr_rsa",
            "query_qr",
            "sandbox_pay_qr",
            "refund_qr",
            "operator_payment",
            "generate_qr",
            "cancel_qr",
            "generate_qr",
            "sandbox_pay_reference",
            "generate_qr",
            "sandbox_expire",
            "create_va",
            "inquiry_va",
            "update_va",
            "va_status",
            "update_status",
            "create_va",
            "delete_va",
            "pg3_create",
            "pg3_inquiry",
            "sandbox_pay_va",
            "pg3_create",
            "pg3_cancel",
            "sandbox_clock",
            "sandbox_clock_reset",
            "sandbox_fail",
            "operator_payments",
            "operator_deliveries",
            "operator_requests",
            "operator_merchant",
            "operator_rotate",
            "generate_qr",
            "pg3_create",
        ];
        let mut files: Vec<_> = std::fs::read_dir(&seeds)
            .expect("the seeds are there")
            .map(|entry| entry.expect("a directory entry").file_name().into_string().expect("UTF-8 names"))
            .collect();
        files.sort();
        let mut listed: Vec<_> = day.iter().map(|name| name.to_string()).collect();
        listed.sort();
        listed.dedup();
        assert_eq!(files, listed, "every gateway seed is part of the day");
        for name in day {
            let raw = std::fs::read(seeds.join(name)).expect("the seed exists");
            let answer = harness().send(&raw).expect("a seed is a request");
            answer.check();
            let body = String::from_utf8_lossy(&answer.body);
            assert!(answer.status.is_success(), "{name}: {} {body}", answer.status);
        }
    }
}
