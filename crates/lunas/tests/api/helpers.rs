use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use lunas::app::Gateway;
use lunas::config::{Config, Mode};
use lunas::domain::{Clock, Merchant, NewMerchant, generate_secret};
use lunas::server::Server;
use lunas_protocol::crypto::{
    RsaPrivateKey, asymmetric_string_to_sign, hmac_sha512_base64, symmetric_string_to_sign, token_string_to_sign,
};
use lunas_protocol::pg3::{basic_authorization, request_signature};
use serde_json::{Value, json};
use tokio::net::TcpListener;

/// One RSA key for every test merchant: generating keys is slow.
pub fn merchant_key() -> &'static RsaPrivateKey {
    static KEY: OnceLock<RsaPrivateKey> = OnceLock::new();
    KEY.get_or_init(RsaPrivateKey::generate)
}

pub struct TestApp {
    pub server: Option<Server>,
    pub base: String,
    pub http: reqwest::Client,
    pub clock: Clock,
    pub merchant: Merchant,
    pub other: Merchant,
    pub config: Config,
    _dir: Arc<tempfile::TempDir>,
}

static COUNTER: AtomicU64 = AtomicU64::new(1);

/// A value never used before in this test run.
pub fn unique(prefix: &str) -> String {
    format!("{prefix}{}{}", std::process::id(), COUNTER.fetch_add(1, Ordering::Relaxed))
}

/// The environment variable that points the suite at a PostgreSQL server, e.g.
/// `postgres://postgres@127.0.0.1:5432/postgres`. Unset, every test gets a SQLite file.
pub const POSTGRES_ENV: &str = "LUNAS_TEST_POSTGRES_URL";

/// A database of its own for one test: a new SQLite file in `dir`, or a new database on
/// the PostgreSQL server named by [`POSTGRES_ENV`].
pub async fn fresh_database(dir: &std::path::Path) -> String {
    let Some(server) = std::env::var(POSTGRES_ENV).ok().filter(|url| !url.is_empty()) else {
        return format!("sqlite:{}", dir.join("lunas.db").display());
    };
    let name = format!("lunas_test_{}", uuid::Uuid::new_v4().simple());
    postgres(&server).await.batch_execute(&format!("CREATE DATABASE {name}")).await.expect("create database");
    let (without_query, query) = server.split_once('?').map_or((server.as_str(), ""), |(u, q)| (u, q));
    let (root, _) = without_query.rsplit_once('/').expect("a URL with a database name");
    if query.is_empty() { format!("{root}/{name}") } else { format!("{root}/{name}?{query}") }
}

/// A connection to the PostgreSQL database at `url`.
async fn postgres(url: &str) -> tokio_postgres::Client {
    let (client, connection) =
        tokio_postgres::connect(url, tokio_postgres::NoTls).await.expect("the PostgreSQL server is reachable");
    tokio::spawn(connection);
    client
}

/// Runs a script straight on the database at `url`.
pub async fn execute(url: &str, script: &str) {
    match url.strip_prefix("sqlite:") {
        Some(path) => rusqlite::Connection::open(path).unwrap().execute_batch(script).expect("the script runs"),
        None => postgres(url).await.batch_execute(script).await.expect("the script runs"),
    }
}

/// One integer a query returns, straight from the database at `url`.
pub async fn scalar(url: &str, sql: &str) -> i64 {
    match url.strip_prefix("sqlite:") {
        Some(path) => {
            let conn = rusqlite::Connection::open(path).expect("the SQLite file opens");
            conn.query_row(sql, [], |row| row.get(0)).expect("the query runs")
        }
        None => postgres(url).await.query_one(sql, &[]).await.expect("the query runs").get(0),
    }
}

pub fn test_config(database_url: String) -> Config {
    let mut config = Config { database_url, ..Config::default() };
    config.callbacks.retry_delays_ms = vec![100, 100, 100];
    config.callbacks.poll_interval_ms = 50;
    config.callbacks.request_timeout_ms = 2_000;
    config
}

impl TestApp {
    pub async fn spawn() -> TestApp {
        Self::spawn_with(|_| {}).await
    }

    pub async fn spawn_with(adjust: impl FnOnce(&mut Config)) -> TestApp {
        let dir = tempfile::tempdir().expect("temp dir");
        let database = fresh_database(dir.path()).await;
        Self::start_with(database, dir, adjust).await
    }

    /// Starts on an existing database.
    pub async fn spawn_on(database: String) -> TestApp {
        Self::start_with(database, tempfile::tempdir().expect("temp dir"), |_| {}).await
    }

    async fn start_with(database: String, dir: tempfile::TempDir, adjust: impl FnOnce(&mut Config)) -> TestApp {
        let mut config = test_config(database);
        adjust(&mut config);
        let clock = Clock::default();
        let server = start(config.clone(), clock.clone()).await;
        let store = &server.gateway.store;
        let merchant = store.insert_merchant(new_merchant("Toko Contoh")).await.expect("merchant");
        let other = store.insert_merchant(new_merchant("Toko Lain")).await.expect("merchant");
        TestApp {
            base: format!("http://{}", server.addr),
            server: Some(server),
            http: reqwest::Client::new(),
            clock,
            merchant,
            other,
            config,
            _dir: Arc::new(dir),
        }
    }

    /// Stops the server and starts a new one on the same database.
    pub async fn restart(&mut self) {
        self.server.take().expect("running").stop().await.expect("clean stop");
        let server = start(self.config.clone(), self.clock.clone()).await;
        self.base = format!("http://{}", server.addr);
        self.server = Some(server);
    }

    /// Counts the rows of `table` straight from the database.
    pub async fn count(&self, table: &str) -> i64 {
        scalar(&self.config.database_url, &format!("SELECT COUNT(*) FROM {table}")).await
    }

    pub fn gateway(&self) -> &Arc<Gateway> {
        &self.server.as_ref().expect("running").gateway
    }

    pub fn store(&self) -> &lunas::store::Store {
        &self.gateway().store
    }

    /// An `X-TIMESTAMP` for now, as a caller's clock reads it (the gateway's may be moved).
    pub fn now(&self) -> String {
        lunas_protocol::timestamp::format(self.clock.wall_now_datetime())
    }

    /// Headers of an asymmetrically signed SNAP call by `merchant`.
    pub fn rsa_headers(&self, merchant: &Merchant, path: &str, body: &str) -> Vec<(String, String)> {
        self.rsa_headers_for("POST", merchant, path, body)
    }

    pub fn rsa_headers_for(&self, method: &str, merchant: &Merchant, path: &str, body: &str) -> Vec<(String, String)> {
        let timestamp = self.now();
        let signature =
            merchant_key().sign_base64(&asymmetric_string_to_sign(method, path, body.as_bytes(), &timestamp));
        base_headers(merchant, timestamp, signature)
    }

    /// A signed SNAP call with another method than POST (SNAP VA's PUT and DELETE).
    pub async fn call_with(&self, method: reqwest::Method, merchant: &Merchant, path: &str, body: &Value) -> Snap {
        let body = body.to_string();
        let mut request = self.http.request(method.clone(), format!("{}{path}", self.base)).body(body.clone());
        for (name, value) in self.rsa_headers_for(method.as_str(), merchant, path, &body) {
            request = request.header(name, value);
        }
        Snap::from(request.send().await.expect("request sent")).await
    }

    /// Headers of a symmetrically signed SNAP call with `token`.
    pub fn hmac_headers(&self, merchant: &Merchant, token: &str, path: &str, body: &str) -> Vec<(String, String)> {
        let timestamp = self.now();
        let sts = symmetric_string_to_sign("POST", path, token, body.as_bytes(), &timestamp);
        let mut headers =
            base_headers(merchant, timestamp, hmac_sha512_base64(merchant.client_secret.as_bytes(), &sts));
        headers.push(("Authorization".into(), format!("Bearer {token}")));
        headers
    }

    pub async fn send(&self, path: &str, body: &str, headers: &[(String, String)]) -> Snap {
        let mut request = self.http.post(format!("{}{path}", self.base)).body(body.to_string());
        for (name, value) in headers {
            request = request.header(name.as_str(), value.as_str());
        }
        Snap::from(request.send().await.expect("request sent")).await
    }

    /// A signed call by the main merchant.
    pub async fn call(&self, path: &str, body: &Value) -> Snap {
        self.call_as(&self.merchant, path, body).await
    }

    pub async fn call_as(&self, merchant: &Merchant, path: &str, body: &Value) -> Snap {
        let body = body.to_string();
        self.send(path, &body, &self.rsa_headers(merchant, path, &body)).await
    }

    pub async fn access_token(&self, merchant: &Merchant) -> String {
        let timestamp = self.now();
        let signature = merchant_key().sign_base64(&token_string_to_sign(&merchant.partner_id, &timestamp));
        let response = self
            .http
            .post(format!("{}/v1.0/access-token/b2b", self.base))
            .header("Content-Type", "application/json")
            .header("X-TIMESTAMP", timestamp)
            .header("X-CLIENT-KEY", &merchant.partner_id)
            .header("X-SIGNATURE", signature)
            .body(r#"{"grantType":"client_credentials"}"#)
            .send()
            .await
            .expect("token request");
        let snap = Snap::from(response).await;
        snap.expect("2007300");
        snap.body["accessToken"].as_str().expect("token").to_string()
    }

    /// Generates a QR for `amount` (a SNAP money string) and returns the response.
    pub async fn generate(&self, amount: &str, callback_url: &str) -> Snap {
        self.generate_as(&self.merchant, amount, callback_url).await
    }

    pub async fn generate_as(&self, merchant: &Merchant, amount: &str, callback_url: &str) -> Snap {
        let body = json!({
            "partnerReferenceNo": unique("INV"),
            "amount": {"value": amount, "currency": "IDR"},
            "additionalInfo": {"callbackUrl": callback_url},
        });
        let snap = self.call_as(merchant, "/v1.0/qr/qr-mpm-generate", &body).await;
        snap.expect("2004700");
        snap
    }

    pub async fn sandbox(&self, path: &str, body: Value) -> (StatusCode, Value) {
        let response = self
            .http
            .post(format!("{}{path}", self.base))
            .header("Content-Type", "application/json")
            .body(body.to_string())
            .send()
            .await
            .expect("sandbox call");
        let status = StatusCode::from_u16(response.status().as_u16()).expect("status");
        let text = response.text().await.expect("body");
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    pub async fn pay(&self, qr: &Snap) -> (StatusCode, Value) {
        self.sandbox("/sandbox/qris/pay", json!({"qrContent": qr.body["qrContent"]})).await
    }

    pub async fn query(&self, qr: &Snap) -> Snap {
        self.call(
            "/v1.0/qr/qr-mpm-query",
            &json!({
                "originalReferenceNo": qr.body["referenceNo"],
                "originalPartnerReferenceNo": qr.body["partnerReferenceNo"],
                "serviceCode": "47",
            }),
        )
        .await
    }

    /// PG3 headers for `body` signed by `merchant`.
    pub fn pg3_headers(&self, merchant: &Merchant, body: &Value) -> Vec<(String, String)> {
        let text = |k: &str| body[k].as_str().unwrap_or("").to_string();
        vec![
            ("Content-Type".into(), "application/json".into()),
            ("Authorization".into(), basic_authorization(&merchant.partner_id, &merchant.secret_unbound_id)),
            ("x-req-signature".into(), request_signature(&merchant.hash_key, &text("external_id"), &text("order_id"))),
            ("x-version".into(), "v3".into()),
        ]
    }

    /// A PG3 call; returns the HTTP status and the JSON body.
    pub async fn pg3_send(&self, path: &str, body: &str, headers: &[(String, String)]) -> (u16, Value) {
        let mut request = self.http.post(format!("{}{path}", self.base)).body(body.to_string());
        for (name, value) in headers {
            request = request.header(name.as_str(), value.as_str());
        }
        let response = request.send().await.expect("request sent");
        let status = response.status().as_u16();
        let text = response.text().await.expect("body");
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    pub async fn pg3(&self, merchant: &Merchant, path: &str, body: &Value) -> (u16, Value) {
        self.pg3_send(path, &body.to_string(), &self.pg3_headers(merchant, body)).await
    }

    pub async fn cancel(&self, qr: &Snap) -> Snap {
        self.call("/v1.0/qr/qr-mpm-cancel", &cancel_body(qr)).await
    }
}

/// A refund of `qr`; `amount` `None` refunds the remainder.
pub fn refund_body(qr: &Snap, refund_no: &str, amount: Option<&str>) -> Value {
    let mut body = json!({
        "originalPartnerReferenceNo": qr.body["partnerReferenceNo"],
        "originalReferenceNo": qr.body["referenceNo"],
        "partnerRefundNo": refund_no,
        "reason": "customer request",
    });
    if let Some(amount) = amount {
        body["refundAmount"] = json!({"value": amount, "currency": "IDR"});
    }
    body
}

pub fn cancel_body(qr: &Snap) -> Value {
    json!({
        "originalPartnerReferenceNo": qr.body["partnerReferenceNo"],
        "originalReferenceNo": qr.body["referenceNo"],
        "reason": "cancel reason",
        "additionalInfo": {"type": "DYNAMIC"},
    })
}

fn base_headers(merchant: &Merchant, timestamp: String, signature: String) -> Vec<(String, String)> {
    vec![
        ("Content-Type".into(), "application/json".into()),
        ("X-TIMESTAMP".into(), timestamp),
        ("X-SIGNATURE".into(), signature),
        ("X-PARTNER-ID".into(), merchant.partner_id.clone()),
        ("X-EXTERNAL-ID".into(), unique("")),
        ("CHANNEL-ID".into(), "QR004".into()),
    ]
}

pub fn set_header(headers: &mut Vec<(String, String)>, name: &str, value: &str) {
    headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
    headers.push((name.to_string(), value.to_string()));
}

pub fn new_merchant(name: &str) -> NewMerchant {
    NewMerchant {
        name: name.to_string(),
        partner_id: unique("IFP"),
        client_secret: generate_secret(24),
        public_key_pem: Some(merchant_key().public_key_pem()),
        callback_url: None,
        secret_unbound_id: generate_secret(24),
        hash_key: generate_secret(32),
        created_at: 0,
    }
}

async fn start(config: Config, clock: Clock) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("port 0");
    Server::start(config, listener, clock).await.expect("the server starts")
}

/// A SNAP answer.
#[derive(Debug)]
pub struct Snap {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
    pub raw: String,
}

impl Snap {
    pub async fn from(response: reqwest::Response) -> Snap {
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let raw = response.text().await.expect("body");
        let body = serde_json::from_str(&raw).unwrap_or(Value::Null);
        Snap { status, headers, body, raw }
    }

    pub fn code(&self) -> &str {
        self.body["responseCode"].as_str().unwrap_or("")
    }

    pub fn message(&self) -> &str {
        self.body["responseMessage"].as_str().unwrap_or("")
    }

    /// Asserts the response code, and that the HTTP status is its first three digits.
    pub fn expect(&self, code: &str) -> &Self {
        assert_eq!(self.code(), code, "unexpected answer: {}", self.raw);
        assert_eq!(self.status.to_string(), code[..3], "HTTP status must equal the code's first digits");
        assert!(self.headers.contains_key("x-timestamp"), "SNAP answers carry X-TIMESTAMP");
        self
    }

    pub fn expect_message(&self, code: &str, message: &str) -> &Self {
        self.expect(code);
        assert_eq!(self.message(), message, "{}", self.raw);
        self
    }
}

/// A notification as the merchant's server received it.
#[derive(Debug, Clone)]
pub struct Received {
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Received {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("notification is JSON")
    }

    /// Checks `X-SIGNATURE` as a merchant would, with lunas-client (ifortepay.md
    /// §3.6). Any age is accepted: tests move the gateway's clock.
    pub fn verify(&self, url: &str, client_secret: &str) -> bool {
        let keys = callback_keys(url, client_secret, "");
        self.headers.get("X-VERSION").is_some_and(|v| v == "v1")
            && lunas_client::verify::verify_snap_notification(&self.headers, &self.body, &keys).is_ok()
    }

    /// Checks `mcp-signature` as a PG3 merchant would (ifortepay.md §3.2).
    pub fn verify_pg3(&self, hash_key: &str) -> bool {
        lunas_client::verify::verify_pg3_callback(&self.headers, &self.body, &callback_keys("", "", hash_key)).is_ok()
    }
}

fn callback_keys(notify_url: &str, client_secret: &str, hash_key: &str) -> lunas_client::verify::CallbackKeys {
    lunas_client::verify::CallbackKeys {
        notify_url: notify_url.to_string(),
        client_secret: client_secret.to_string(),
        hash_key: hash_key.to_string(),
        max_age: Duration::from_secs(10 * 366 * 24 * 3600),
    }
}

#[derive(Default)]
struct CallbackState {
    received: Mutex<Vec<Received>>,
    /// Statuses to answer, in order; 200 once empty.
    script: Mutex<VecDeque<u16>>,
    arrived: tokio::sync::Notify,
    /// How long each answer takes.
    delay: Duration,
}

/// A merchant's callback endpoint.
pub struct CallbackServer {
    pub url: String,
    state: Arc<CallbackState>,
}

impl CallbackServer {
    pub async fn start() -> CallbackServer {
        Self::answering(&[]).await
    }

    /// Answers with `statuses` first, then 200.
    pub async fn answering(statuses: &[u16]) -> CallbackServer {
        Self::serve(statuses, Duration::ZERO).await
    }

    /// Answers 200, each after `delay`.
    pub async fn slow(delay: Duration) -> CallbackServer {
        Self::serve(&[], delay).await
    }

    async fn serve(statuses: &[u16], delay: Duration) -> CallbackServer {
        let state = Arc::new(CallbackState { delay, ..CallbackState::default() });
        state.script.lock().expect("lock").extend(statuses);
        let app = axum::Router::new().route("/notify", axum::routing::post(receive)).with_state(Arc::clone(&state));
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("port 0");
        let url = format!("http://{}/notify", listener.local_addr().expect("addr"));
        tokio::spawn(async move { axum::serve(listener, app).await });
        CallbackServer { url, state }
    }

    pub fn received(&self) -> Vec<Received> {
        self.state.received.lock().expect("lock").clone()
    }

    /// Waits until `count` notifications arrived (at most 10 s).
    pub async fn wait_for(&self, count: usize) -> Vec<Received> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let arrived = self.state.arrived.notified();
            let received = self.received();
            if received.len() >= count {
                return received;
            }
            if tokio::time::timeout_at(deadline, arrived).await.is_err() {
                panic!("expected {count} notifications, got {}", self.received().len());
            }
        }
    }
}

async fn receive(State(state): State<Arc<CallbackState>>, headers: HeaderMap, body: axum::body::Bytes) -> StatusCode {
    state.received.lock().expect("lock").push(Received { headers, body: body.to_vec() });
    let status = state.script.lock().expect("lock").pop_front().unwrap_or(200);
    state.arrived.notify_waiters();
    tokio::time::sleep(state.delay).await;
    StatusCode::from_u16(status).expect("status")
}

/// Production mode, for the tests that need it.
pub fn production(config: &mut Config) {
    config.mode = Mode::Production;
}
