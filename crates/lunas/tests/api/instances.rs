//! Two `lunas serve` processes on one database (a PostgreSQL database when the suite
//! runs on PostgreSQL, one SQLite file otherwise): a client cancels through one while
//! the sandbox pays through the other, many times over. Every transaction ends in one
//! state, both answers agree with it, and each payment's notification arrives once.

use std::collections::HashMap;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use lunas::domain::{Merchant, MerchantId};
use lunas_protocol::crypto::{
    asymmetric_string_to_sign, hmac_sha512_base64, symmetric_string_to_sign, token_string_to_sign,
};
use serde_json::{Value, json};

use crate::helpers::*;

/// A `lunas serve` child process, stopped when dropped.
struct Instance {
    child: Child,
    base: String,
}

impl Drop for Instance {
    fn drop(&mut self) {
        let _ = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).stderr(Stdio::null()).status();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

async fn start(database: &str, config: &std::path::Path) -> Instance {
    let port = free_port();
    let child = Command::new(env!("CARGO_BIN_EXE_lunas"))
        .args(["serve", "--listen", &format!("127.0.0.1:{port}"), "--database", database])
        .arg("--config")
        .arg(config)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("lunas starts");
    let instance = Instance { child, base: format!("http://127.0.0.1:{port}") };
    let http = reqwest::Client::new();
    for _ in 0..200 {
        if http.get(format!("{}/healthz", instance.base)).send().await.is_ok_and(|r| r.status().is_success()) {
            return instance;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("lunas did not come up on port {port}");
}

struct Client {
    http: reqwest::Client,
    merchant: Merchant,
}

impl Client {
    async fn snap(&self, instance: &Instance, path: &str, body: &Value) -> Value {
        self.try_snap(instance, path, body, None).await.expect("SNAP call")
    }

    /// A SNAP call signed with RSA, or with HMAC when given an access token; `None`
    /// when no answer came (the instance died).
    async fn try_snap(&self, instance: &Instance, path: &str, body: &Value, token: Option<&str>) -> Option<Value> {
        let body = body.to_string();
        let timestamp = lunas_protocol::timestamp::format(time::OffsetDateTime::now_utc());
        let mut request = self.http.post(format!("{}{path}", instance.base));
        let signature = match token {
            None => merchant_key().sign_base64(&asymmetric_string_to_sign("POST", path, body.as_bytes(), &timestamp)),
            Some(token) => {
                request = request.header("Authorization", format!("Bearer {token}"));
                let sts = symmetric_string_to_sign("POST", path, token, body.as_bytes(), &timestamp);
                hmac_sha512_base64(self.merchant.client_secret.as_bytes(), &sts)
            }
        };
        let response = request
            .header("Content-Type", "application/json")
            .header("X-TIMESTAMP", timestamp)
            .header("X-SIGNATURE", signature)
            .header("X-PARTNER-ID", &self.merchant.partner_id)
            .header("X-EXTERNAL-ID", unique(""))
            .header("CHANNEL-ID", "QR004")
            .body(body)
            .send()
            .await
            .ok()?;
        response.json().await.ok()
    }

    async fn token(&self, instance: &Instance) -> String {
        let timestamp = lunas_protocol::timestamp::format(time::OffsetDateTime::now_utc());
        let signature = merchant_key().sign_base64(&token_string_to_sign(&self.merchant.partner_id, &timestamp));
        let answer: Value = self
            .http
            .post(format!("{}/v1.0/access-token/b2b", instance.base))
            .header("Content-Type", "application/json")
            .header("X-TIMESTAMP", timestamp)
            .header("X-CLIENT-KEY", &self.merchant.partner_id)
            .header("X-SIGNATURE", signature)
            .body(r#"{"grantType":"client_credentials"}"#)
            .send()
            .await
            .expect("token request")
            .json()
            .await
            .expect("token JSON");
        answer["accessToken"].as_str().expect("a token").to_string()
    }

    async fn generate_qr(&self, instance: &Instance, callback_url: &str) -> Value {
        let body = json!({
            "partnerReferenceNo": unique("INV"),
            "amount": {"value": "15000.00", "currency": "IDR"},
            "additionalInfo": {"callbackUrl": callback_url},
        });
        let qr = self.snap(instance, "/v1.0/qr/qr-mpm-generate", &body).await;
        assert_eq!(qr["responseCode"], "2004700", "{qr}");
        qr
    }

    async fn sandbox(&self, instance: &Instance, path: &str, body: &Value) -> u16 {
        let response = self
            .http
            .post(format!("{}{path}", instance.base))
            .header("Content-Type", "application/json")
            .body(body.to_string())
            .send()
            .await
            .expect("sandbox call");
        response.status().as_u16()
    }

    async fn pg3(&self, instance: &Instance, path: &str, body: &Value) -> (u16, Value) {
        let text = |k: &str| body[k].as_str().unwrap_or("").to_string();
        let response = self
            .http
            .post(format!("{}{path}", instance.base))
            .header("Content-Type", "application/json")
            .header(
                "Authorization",
                lunas_protocol::pg3::basic_authorization(&self.merchant.partner_id, &self.merchant.secret_unbound_id),
            )
            .header(
                "x-req-signature",
                lunas_protocol::pg3::request_signature(
                    &self.merchant.hash_key,
                    &text("external_id"),
                    &text("order_id"),
                ),
            )
            .header("x-version", "v3")
            .body(body.to_string())
            .send()
            .await
            .expect("PG3 call");
        let status = response.status().as_u16();
        (status, response.json().await.expect("PG3 JSON"))
    }
}

fn merchant_from_cli(database: &str, key: &std::path::Path, callback: &str) -> Merchant {
    let output = Command::new(env!("CARGO_BIN_EXE_lunas"))
        .args(["merchant", "create", "--name", "Dua Instans", "--database", database, "--callback-url", callback])
        .arg("--public-key")
        .arg(key)
        .output()
        .expect("merchant create runs");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let created: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let text = |k: &str| created[k].as_str().expect(k).to_string();
    Merchant {
        id: MerchantId(0),
        name: text("name"),
        partner_id: text("partner_id"),
        client_secret: text("client_secret"),
        public_key_pem: None,
        callback_url: None,
        secret_unbound_id: text("secret_unbound_id"),
        hash_key: text("hash_key"),
        created_at: 0,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_agree_on_every_race() {
    let dir = tempfile::tempdir().unwrap();
    let database = fresh_database(dir.path()).await;
    let key = dir.path().join("merchant.pub");
    std::fs::write(&key, merchant_key().public_key_pem()).unwrap();
    let config = dir.path().join("lunas.toml");
    std::fs::write(&config, "[callbacks]\npoll_interval_ms = 50\nretry_delays_ms = [200, 200, 200]\n").unwrap();
    let callback = CallbackServer::start().await;
    let client = Client { http: reqwest::Client::new(), merchant: merchant_from_cli(&database, &key, &callback.url) };
    // Start one first so the migrations run once, then the other.
    let a = start(&database, &config).await;
    let b = start(&database, &config).await;

    let mut paid = Vec::new();
    for round in 0..15 {
        // QRIS: cancel through A, the wallet pays through B.
        let qr = client.generate_qr(&a, &callback.url).await;
        let cancel = json!({
            "originalPartnerReferenceNo": qr["partnerReferenceNo"],
            "originalReferenceNo": qr["referenceNo"],
            "reason": "race",
            "additionalInfo": {"type": "DYNAMIC"},
        });
        let pay = json!({"qrContent": qr["qrContent"]});
        let (canceled, paid_status) = tokio::join!(
            client.snap(&a, "/v1.0/qr/qr-mpm-cancel", &cancel),
            client.sandbox(&b, "/sandbox/qris/pay", &pay)
        );
        let query = json!({
            "originalReferenceNo": qr["referenceNo"],
            "originalPartnerReferenceNo": qr["partnerReferenceNo"],
            "serviceCode": "47",
        });
        // Both instances see the same final state.
        let (seen_a, seen_b) = tokio::join!(
            client.snap(&a, "/v1.0/qr/qr-mpm-query", &query),
            client.snap(&b, "/v1.0/qr/qr-mpm-query", &query)
        );
        assert_eq!(seen_a["latestTransactionStatus"], seen_b["latestTransactionStatus"]);
        match (canceled["responseCode"].as_str(), paid_status) {
            (Some("2007700"), 409) => assert_eq!(seen_a["latestTransactionStatus"], "05", "round {round}"),
            (Some("4057701"), 200) => {
                assert_eq!(seen_a["latestTransactionStatus"], "00", "round {round}");
                paid.push(qr["referenceNo"].as_str().unwrap().to_string());
            }
            other => panic!("round {round}: not exactly one winner: {other:?} {canceled}"),
        }

        // A virtual account: cancel through B, the bank transfers through A.
        let create = json!({
            "external_id": unique("EXT-"),
            "order_id": unique("ORD-"),
            "currency": "IDR",
            "payment_method": "BANK_TRANSFER",
            "payment_channel": "BRI",
            "payment_details": {"billing_name": "Budi", "amount": 20000, "transaction_description": "race"},
            "customer_details": {"email": "budi@example.com", "full_name": "Budi"},
        });
        let (status, va) = client.pg3(&a, "/va", &create).await;
        assert_eq!(status, 200, "{va}");
        let lookup = json!({
            "external_id": va["external_id"],
            "order_id": va["order_id"],
            "transaction_id": va["transaction_id"],
            "payment_method": "BANK_TRANSFER",
            "payment_channel": "BRI",
        });
        let transfer = json!({"va_number": va["payment_details"]["va_number"], "amount": "20000"});
        let ((cancel_status, _), transfer_status) =
            tokio::join!(client.pg3(&b, "/va/cancel", &lookup), client.sandbox(&a, "/sandbox/va/pay", &transfer));
        let (_, seen) = client.pg3(&b, "/va/inquiry", &lookup).await;
        match (cancel_status, transfer_status) {
            (200, 404) => assert_eq!(seen["transaction_status"], "CANCELED", "round {round}"),
            (409, 200) => {
                assert_eq!(seen["transaction_status"], "PAID", "round {round}");
                paid.push(va["transaction_id"].as_str().unwrap().to_string());
            }
            other => panic!("round {round}: not exactly one winner: {other:?}"),
        }
    }

    // Each payment that won is notified exactly once, by whichever instance claimed it.
    callback.wait_for(paid.len()).await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    let mut seen: HashMap<String, usize> = HashMap::new();
    for received in callback.received() {
        let body = received.json();
        let id = body["originalReferenceNo"].as_str().or(body["transaction_id"].as_str()).unwrap().to_string();
        *seen.entry(id).or_default() += 1;
    }
    assert_eq!(seen.len(), paid.len(), "one notification per payment");
    assert!(paid.iter().all(|id| seen.get(id) == Some(&1)), "{seen:?}");
    eprintln!("{} of 30 races went to the payment", paid.len());

    // A token one instance issued works on the other (which caches it after one read).
    let token = client.token(&a).await;
    let qr = client.generate_qr(&a, &callback.url).await;
    let query = json!({
        "originalReferenceNo": qr["referenceNo"],
        "originalPartnerReferenceNo": qr["partnerReferenceNo"],
        "serviceCode": "47",
    });
    for _ in 0..2 {
        let seen = client.try_snap(&b, "/v1.0/qr/qr-mpm-query", &query, Some(&token)).await.unwrap();
        assert_eq!(seen["responseCode"], "2005100", "{seen}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crashed_instance_leaves_its_deliveries_to_the_others() {
    let dir = tempfile::tempdir().unwrap();
    let database = fresh_database(dir.path()).await;
    let key = dir.path().join("merchant.pub");
    std::fs::write(&key, merchant_key().public_key_pem()).unwrap();
    let config = dir.path().join("lunas.toml");
    std::fs::write(
        &config,
        "[callbacks]\npoll_interval_ms = 50\nrequest_timeout_ms = 5000\nlease_ms = 6000\nretry_delays_ms = [100]\n",
    )
    .unwrap();
    // The merchant is slow, so A is still waiting for its answer when it dies.
    let callback = CallbackServer::slow(Duration::from_secs(3)).await;
    let client = Client { http: reqwest::Client::new(), merchant: merchant_from_cli(&database, &key, &callback.url) };
    let mut a = start(&database, &config).await;
    let qr = client.generate_qr(&a, &callback.url).await;
    assert_eq!(client.sandbox(&a, "/sandbox/qris/pay", &json!({"qrContent": qr["qrContent"]})).await, 200);
    callback.wait_for(1).await;
    a.child.kill().expect("SIGKILL");
    let _ = a.child.wait();

    // B starts afterwards and takes the delivery over once A's lease has run out.
    let _b = start(&database, &config).await;
    let received = callback.wait_for(2).await;
    assert_eq!(received[0].body, received[1].body, "the same notification, sent again");
    assert_ne!(received[0].headers["x-external-id"], received[1].headers["x-external-id"], "a new id per attempt");
    let read_outbox = || {
        let output = Command::new(env!("CARGO_BIN_EXE_lunas"))
            .args(["outbox", "list", "--all", "--database", &database])
            .output()
            .expect("outbox list");
        String::from_utf8_lossy(&output.stdout).to_string()
    };
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let mut listing = read_outbox();
    while !listing.contains("\"delivered\":true") && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(200)).await;
        listing = read_outbox();
    }
    assert!(listing.contains("\"delivered\":true"), "{listing}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_cancels_survive_kill_9() {
    use futures_util::StreamExt;

    let dir = tempfile::tempdir().unwrap();
    let database = fresh_database(dir.path()).await;
    let key = dir.path().join("merchant.pub");
    std::fs::write(&key, merchant_key().public_key_pem()).unwrap();
    let config = dir.path().join("lunas.toml");
    std::fs::write(&config, "").unwrap();
    let callback = "http://127.0.0.1:9/unused";
    let client = Client { http: reqwest::Client::new(), merchant: merchant_from_cli(&database, &key, callback) };
    let a = start(&database, &config).await;
    let qrs: Vec<Value> = futures_util::stream::iter(0..300)
        .map(|_| client.generate_qr(&a, callback))
        .buffer_unordered(16)
        .collect()
        .await;

    // Cancel them all, 32 at a time, and kill the server mid-way without warning.
    let acknowledged = std::sync::Mutex::new(Vec::new());
    futures_util::stream::iter(&qrs)
        .map(|qr| async {
            let cancel = json!({
                "originalPartnerReferenceNo": qr["partnerReferenceNo"],
                "originalReferenceNo": qr["referenceNo"],
                "reason": "crash",
                "additionalInfo": {"type": "DYNAMIC"},
            });
            let answer = client.try_snap(&a, "/v1.0/qr/qr-mpm-cancel", &cancel, None).await;
            if answer.is_some_and(|a| a["responseCode"] == "2007700") {
                let mut done = acknowledged.lock().unwrap();
                done.push(qr.clone());
                if done.len() == 100 {
                    let _ = Command::new("kill").args(["-KILL", &a.child.id().to_string()]).status();
                }
            }
        })
        .buffer_unordered(32)
        .collect::<Vec<()>>()
        .await;
    let acknowledged = acknowledged.into_inner().unwrap();
    assert!((100..300).contains(&acknowledged.len()), "killed mid-way: {} acknowledged", acknowledged.len());

    // Whatever was acknowledged is on disk; the rest is pending or canceled, nothing else.
    let b = start(&database, &config).await;
    let status = |qr: &Value| {
        let query = json!({
            "originalReferenceNo": qr["referenceNo"],
            "originalPartnerReferenceNo": qr["partnerReferenceNo"],
            "serviceCode": "47",
        });
        let (client, b) = (&client, &b);
        async move { client.snap(b, "/v1.0/qr/qr-mpm-query", &query).await["latestTransactionStatus"].clone() }
    };
    for qr in &acknowledged {
        assert_eq!(status(qr).await, "05", "an acknowledged cancel was lost: {}", qr["referenceNo"]);
    }
    for qr in &qrs {
        let seen = status(qr).await;
        assert!(seen == "01" || seen == "05", "{seen}");
    }
    eprintln!("{} of 300 cancels acknowledged before kill -9", acknowledged.len());
}
