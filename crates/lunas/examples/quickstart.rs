//! A merchant's first integration, end to end against a running `lunas serve`,
//! through the `lunas-client` crate.
//!
//! ```text
//! cargo run --example quickstart -- keygen merchant          # writes merchant.key and merchant.pub
//! lunas merchant create --name "Toko Contoh" --public-key merchant.pub > merchant.json
//! cargo run --example quickstart -- run merchant.json merchant.key [http://127.0.0.1:8080]
//! ```
//!
//! `run` takes a B2B token, generates a QR, pays it through the sandbox, receives the
//! notification on an endpoint that accepts only genuine ones, and shows cancel
//! refused for the paid QR and accepted for an unpaid one.

use std::time::Duration;

use anyhow::{Context, bail};
use lunas_client::extract::VerifiedSnapNotification;
use lunas_client::protocol::crypto::RsaPrivateKey;
use lunas_client::protocol::snap::MoneyIn;
use lunas_client::protocol::snap::qr::{
    CancelQrRequest, GenerateAdditionalInfo, GenerateQrRequest, GenerateQrResponse, QrTypeInfo,
};
use lunas_client::verify::CallbackKeys;
use lunas_client::{Signing, SnapClient, SnapConfig};
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

/// The merchant's notification endpoint: the extractor lets only genuine
/// notifications through (others get 401), and they are passed on.
async fn callback_receiver(client_secret: &str) -> anyhow::Result<(String, mpsc::Receiver<Value>)> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/notify", listener.local_addr()?);
    let keys = CallbackKeys {
        notify_url: url.clone(),
        client_secret: client_secret.to_string(),
        hash_key: String::new(),
        max_age: Duration::from_secs(300),
    };
    let (tx, rx) = mpsc::channel(8);
    let app = axum::Router::new()
        .route(
            "/notify",
            axum::routing::post(move |VerifiedSnapNotification(body): VerifiedSnapNotification| async move {
                println!("notification received, X-SIGNATURE verified");
                if let Ok(value) = serde_json::from_slice::<Value>(&body) {
                    let _ = tx.send(value).await;
                }
                r#"{"responseCode":"2005200","responseMessage":"Successful"}"#
            }),
        )
        .with_state(keys);
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok((url, rx))
}

fn generate(callback_url: &str) -> GenerateQrRequest {
    GenerateQrRequest {
        partner_reference_no: Some(format!("INV{}", time::OffsetDateTime::now_utc().unix_timestamp_nanos())),
        amount: Some(MoneyIn { value: Some("15000.00".into()), currency: Some("IDR".into()) }),
        additional_info: Some(GenerateAdditionalInfo { callback_url: Some(callback_url.into()), ..Default::default() }),
        ..Default::default()
    }
}

fn cancel(qr: &GenerateQrResponse) -> CancelQrRequest {
    CancelQrRequest {
        original_partner_reference_no: Some(qr.partner_reference_no.clone()),
        original_reference_no: Some(qr.reference_no.clone()),
        reason: Some("customer left".into()),
        additional_info: Some(QrTypeInfo { kind: Some("DYNAMIC".into()) }),
    }
}

async fn run(merchant_json: &str, key_path: &str, base: &str) -> anyhow::Result<()> {
    let created: Value = serde_json::from_str(&std::fs::read_to_string(merchant_json)?)?;
    let field =
        |name: &str| created[name].as_str().map(str::to_string).with_context(|| format!("{name} in {merchant_json}"));
    let key = RsaPrivateKey::from_pem(&std::fs::read_to_string(key_path)?)?;
    let config = SnapConfig::new(base, &field("partner_id")?, &field("client_secret")?, key);
    let snap = SnapClient::new(config.clone())?;
    let (callback_url, mut notifications) = callback_receiver(&config.client_secret).await?;

    let token: String = snap.access_token().await?.chars().take(8).collect();
    println!("access token: {token}…");
    let qr = snap.qr_generate(&generate(&callback_url)).await?;
    println!("QR {} for Rp 15.000:\n{}", qr.reference_no, qr.qr_content);

    let paid: Value = reqwest::Client::new()
        .post(format!("{}/sandbox/qris/pay", config.service_base_url))
        .json(&json!({"qrContent": qr.qr_content}))
        .send()
        .await?
        .json()
        .await?;
    println!("sandbox wallet paid it: {paid}");

    let notification = tokio::time::timeout(Duration::from_secs(15), notifications.recv())
        .await
        .context("no notification within 15 s")?
        .context("receiver closed")?;
    println!("notification: latestTransactionStatus {}", notification["latestTransactionStatus"]);

    match snap.qr_cancel(&cancel(&qr)).await {
        Err(refused) => println!("cancel of the paid QR: {refused}"),
        Ok(answer) => bail!("a paid QR was canceled: {answer:?}"),
    }

    // Signature type 2 (RSA, no token) works for services too.
    let rsa = SnapClient::new(SnapConfig { signing: Signing::Asymmetric, ..config })?;
    let unpaid = rsa.qr_generate(&generate(&callback_url)).await?;
    let canceled = rsa.qr_cancel(&cancel(&unpaid)).await?;
    println!("cancel of an unpaid QR: {} at {}", canceled.response_code, canceled.cancel_time);
    Ok(())
}
