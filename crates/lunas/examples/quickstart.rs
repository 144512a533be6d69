//! A merchant's first integration, end to end against a running `lunas serve`.
//!
//! ```text
//! cargo run --example quickstart -- keygen merchant          # writes merchant.key and merchant.pub
//! lunas merchant create --name "Toko Contoh" --public-key merchant.pub > merchant.json
//! cargo run --example quickstart -- run merchant.json merchant.key [http://127.0.0.1:8080]
//! ```
//!
//! `run` takes a B2B token, generates a QR, pays it through the sandbox, receives and
//! verifies the signed notification, and shows cancel refused for the paid QR and
//! accepted for an unpaid one.

use std::sync::Arc;

use anyhow::{Context, bail};
use axum::body::Bytes;
use axum::http::HeaderMap;
use lunas_protocol::crypto::{
    RsaPrivateKey, asymmetric_string_to_sign, hmac_sha512_base64, notification_string_to_sign,
    symmetric_string_to_sign, token_string_to_sign, verify_hmac_sha512_base64,
};
use serde_json::{Value, json};
use tokio::sync::mpsc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
        ["keygen", name] => keygen(name),
        ["run", merchant, key] => run(merchant, key, "http://127.0.0.1:8080").await,
        ["run", merchant, key, base] => run(merchant, key, base).await,
        _ => bail!("usage: quickstart keygen NAME | quickstart run MERCHANT_JSON PRIVATE_KEY_PEM [BASE_URL]"),
    }
}

fn keygen(name: &str) -> anyhow::Result<()> {
    let key = RsaPrivateKey::generate();
    std::fs::write(format!("{name}.key"), key.private_key_pem())?;
    std::fs::write(format!("{name}.pub"), key.public_key_pem())?;
    println!("wrote {name}.key (keep it) and {name}.pub (give it to lunas merchant create)");
    Ok(())
}

struct Merchant {
    partner_id: String,
    client_secret: String,
    key: RsaPrivateKey,
    base: String,
    http: reqwest::Client,
}

fn now() -> String {
    lunas_protocol::timestamp::format(time::OffsetDateTime::now_utc())
}

fn external_id() -> String {
    format!("{}", time::OffsetDateTime::now_utc().unix_timestamp_nanos())
}

impl Merchant {
    /// POSTs a SNAP request, signed with HMAC when a token is given, else with RSA.
    async fn snap(&self, path: &str, body: &Value, token: Option<&str>) -> anyhow::Result<Value> {
        let body = body.to_string();
        let timestamp = now();
        let mut request = self
            .http
            .post(format!("{}{path}", self.base))
            .header("Content-Type", "application/json")
            .header("X-TIMESTAMP", &timestamp)
            .header("X-PARTNER-ID", &self.partner_id)
            .header("X-EXTERNAL-ID", external_id())
            .header("CHANNEL-ID", "QR004");
        let signature = match token {
            Some(token) => {
                request = request.header("Authorization", format!("Bearer {token}"));
                let sts = symmetric_string_to_sign("POST", path, token, body.as_bytes(), &timestamp);
                hmac_sha512_base64(self.client_secret.as_bytes(), &sts)
            }
            None => self.key.sign_base64(&asymmetric_string_to_sign("POST", path, body.as_bytes(), &timestamp)),
        };
        let response = request.header("X-SIGNATURE", signature).body(body).send().await?;
        let status = response.status();
        let answer: Value = response.json().await?;
        println!("POST {path} -> HTTP {status} {}", answer["responseCode"]);
        Ok(answer)
    }

    async fn token(&self) -> anyhow::Result<String> {
        let timestamp = now();
        let answer: Value = self
            .http
            .post(format!("{}/v1.0/access-token/b2b", self.base))
            .header("Content-Type", "application/json")
            .header("X-TIMESTAMP", &timestamp)
            .header("X-CLIENT-KEY", &self.partner_id)
            .header("X-SIGNATURE", self.key.sign_base64(&token_string_to_sign(&self.partner_id, &timestamp)))
            .body(r#"{"grantType":"client_credentials"}"#)
            .send()
            .await?
            .json()
            .await?;
        println!("access token -> {}", answer["responseCode"]);
        answer["accessToken"].as_str().map(str::to_string).context("no accessToken in the answer")
    }

    async fn generate(&self, callback_url: &str, token: Option<&str>) -> anyhow::Result<Value> {
        let body = json!({
            "partnerReferenceNo": format!("INV{}", external_id()),
            "amount": {"value": "15000.00", "currency": "IDR"},
            "additionalInfo": {"callbackUrl": callback_url},
        });
        let qr = self.snap("/v1.0/qr/qr-mpm-generate", &body, token).await?;
        if qr["responseCode"] != "2004700" {
            bail!("generate failed: {qr}");
        }
        Ok(qr)
    }

    async fn cancel(&self, qr: &Value) -> anyhow::Result<Value> {
        let body = json!({
            "originalPartnerReferenceNo": qr["partnerReferenceNo"],
            "originalReferenceNo": qr["referenceNo"],
            "reason": "customer left",
            "additionalInfo": {"type": "DYNAMIC"},
        });
        self.snap("/v1.0/qr/qr-mpm-cancel", &body, None).await
    }
}

/// The merchant's notification endpoint: verifies each notification and passes it on.
async fn callback_receiver(client_secret: String) -> anyhow::Result<(String, mpsc::Receiver<Value>)> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/notify", listener.local_addr()?);
    let (tx, rx) = mpsc::channel(8);
    let verify_url = url.clone();
    let secret = Arc::new(client_secret);
    let app = axum::Router::new().route(
        "/notify",
        axum::routing::post(move |headers: HeaderMap, body: Bytes| {
            let (tx, secret, url) = (tx.clone(), Arc::clone(&secret), verify_url.clone());
            async move {
                let header = |n: &str| headers.get(n).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
                let sts = notification_string_to_sign(&url, &header("X-VERSION"), &body, &header("X-TIMESTAMP"));
                let valid = verify_hmac_sha512_base64(secret.as_bytes(), &sts, &header("X-SIGNATURE"));
                println!("notification received, X-SIGNATURE valid: {valid}");
                if let Ok(value) = serde_json::from_slice::<Value>(&body) {
                    let _ = tx.send(value).await;
                }
                r#"{"responseCode":"2005200","responseMessage":"Successful"}"#
            }
        }),
    );
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok((url, rx))
}

async fn run(merchant_json: &str, key_path: &str, base: &str) -> anyhow::Result<()> {
    let created: Value = serde_json::from_str(&std::fs::read_to_string(merchant_json)?)?;
    let merchant = Merchant {
        partner_id: created["partner_id"].as_str().context("partner_id")?.to_string(),
        client_secret: created["client_secret"].as_str().context("client_secret")?.to_string(),
        key: RsaPrivateKey::from_pem(&std::fs::read_to_string(key_path)?)?,
        base: base.trim_end_matches('/').to_string(),
        http: reqwest::Client::new(),
    };
    let (callback_url, mut notifications) = callback_receiver(merchant.client_secret.clone()).await?;

    let token = merchant.token().await?;
    let qr = merchant.generate(&callback_url, Some(&token)).await?;
    println!("QR {} for Rp 15.000:\n{}", qr["referenceNo"], qr["qrContent"].as_str().unwrap_or(""));

    let paid: Value = merchant
        .http
        .post(format!("{}/sandbox/qris/pay", merchant.base))
        .header("Content-Type", "application/json")
        .body(json!({"qrContent": qr["qrContent"]}).to_string())
        .send()
        .await?
        .json()
        .await?;
    println!("sandbox wallet paid it: {paid}");

    let notification = tokio::time::timeout(std::time::Duration::from_secs(15), notifications.recv())
        .await
        .context("no notification within 15 s")?
        .context("receiver closed")?;
    println!("notification: latestTransactionStatus {}", notification["latestTransactionStatus"]);

    let refused = merchant.cancel(&qr).await?;
    println!("cancel of the paid QR: {} {}", refused["responseCode"], refused["responseMessage"]);

    let unpaid = merchant.generate(&callback_url, None).await?;
    let canceled = merchant.cancel(&unpaid).await?;
    println!("cancel of an unpaid QR: {} at {}", canceled["responseCode"], canceled["cancelTime"]);
    Ok(())
}
