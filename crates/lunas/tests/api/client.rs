//! The gateway driven through `lunas-client`, as a Rust merchant backend would: typed
//! calls, cached tokens, refusals with their codes, verified callbacks, and
//! `check-callback` grading a careful and a careless endpoint.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use lunas::domain::Merchant;
use lunas_client::check::{Check, Face, check_callback};
use lunas_client::extract::{VerifiedPg3Callback, VerifiedSnapNotification};
use lunas_client::protocol::snap::qr::{CancelQrRequest, GenerateQrRequest, QueryQrRequest, RefundQrRequest};
use lunas_client::protocol::{pg3, snap};
use lunas_client::verify::CallbackKeys;
use lunas_client::{Error, Pg3Client, Pg3Config, Signing, SnapClient, SnapConfig, Transport};
use reqwest::Method;
use serde_json::{Value, json};
use tokio::sync::mpsc;

use crate::helpers::{TestApp, merchant_key, unique};

fn snap_client(app: &TestApp, merchant: &Merchant) -> SnapClient {
    let config = SnapConfig::new(&app.base, &merchant.partner_id, &merchant.client_secret, merchant_key().clone());
    SnapClient::new(config).unwrap()
}

fn pg3_client(app: &TestApp) -> Pg3Client {
    let m = &app.merchant;
    Pg3Client::new(Pg3Config::new(&app.base, &m.partner_id, &m.secret_unbound_id, &m.hash_key)).unwrap()
}

fn typed<T: serde::de::DeserializeOwned>(value: Value) -> T {
    serde_json::from_value(value).expect("the test's request fits the protocol's type")
}

fn keys(merchant: &Merchant, notify_url: &str) -> CallbackKeys {
    CallbackKeys {
        notify_url: notify_url.to_string(),
        client_secret: merchant.client_secret.clone(),
        hash_key: merchant.hash_key.clone(),
        max_age: Duration::from_secs(300),
    }
}

/// A merchant's endpoint that takes only verified callbacks (through the crate's
/// extractors) and passes their bodies on; others get the extractor's 401.
async fn careful_endpoint(merchant: &Merchant) -> (String, mpsc::UnboundedReceiver<Value>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (sender, received) = mpsc::unbounded_channel();
    let (snap_sender, pg3_sender) = (sender.clone(), sender);
    let app = axum::Router::new()
        .route(
            "/snap",
            axum::routing::post(move |VerifiedSnapNotification(body): VerifiedSnapNotification| async move {
                let _ = snap_sender.send(serde_json::from_slice(&body).unwrap_or_default());
                axum::Json(json!({"responseCode": "2005200", "responseMessage": "Successful"}))
            }),
        )
        .route(
            "/pg3",
            axum::routing::post(move |VerifiedPg3Callback(_, body): VerifiedPg3Callback| async move {
                let _ = pg3_sender.send(serde_json::from_slice(&body).unwrap_or_default());
                StatusCode::OK
            }),
        )
        .with_state(keys(merchant, &format!("{base}/snap")));
    tokio::spawn(async move { axum::serve(listener, app).await });
    (base, received)
}

async fn next(received: &mut mpsc::UnboundedReceiver<Value>) -> Value {
    tokio::time::timeout(Duration::from_secs(10), received.recv()).await.expect("a callback arrives").unwrap()
}

#[tokio::test]
async fn a_qris_payment_runs_through_the_crate_and_its_notification_verifies() {
    let app = TestApp::spawn().await;
    let (endpoint, mut received) = careful_endpoint(&app.merchant).await;
    let snap = snap_client(&app, &app.merchant);

    let generate = |amount: &str| -> GenerateQrRequest {
        typed(json!({
            "partnerReferenceNo": unique("INV"),
            "amount": {"value": amount, "currency": "IDR"},
            "additionalInfo": {"callbackUrl": format!("{endpoint}/snap")},
        }))
    };
    let qr = snap.qr_generate(&generate("15000.00")).await.unwrap();
    assert_eq!(qr.response_code, "2004700");
    app.sandbox("/sandbox/qris/pay", json!({"qrContent": qr.qr_content})).await;

    // The notification reached a handler that checks it with the crate.
    let notification = next(&mut received).await;
    assert_eq!(notification["originalReferenceNo"], qr.reference_no.as_str());
    let refs = json!({"originalReferenceNo": qr.reference_no, "originalPartnerReferenceNo": qr.partner_reference_no});
    let mut query = refs.clone();
    query["serviceCode"] = json!("47");
    let query: QueryQrRequest = typed(query);
    assert_eq!(snap.qr_query(&query).await.unwrap().status.latest_transaction_status, "00");
    // A query string is signed too, as the gateway sees the path.
    let traced: snap::qr::QueryQrResponse =
        snap.call(Method::POST, "/v1.0/qr/qr-mpm-query?trace=1", &query, true).await.unwrap();
    assert_eq!(traced.status.original_reference_no, qr.reference_no);

    // A refusal carries SNAP's code and message.
    let cancel = |refs: &Value| -> CancelQrRequest {
        let mut body = refs.clone();
        body["reason"] = json!("customer left");
        body["additionalInfo"] = json!({"type": "DYNAMIC"});
        typed(body)
    };
    match snap.qr_cancel(&cancel(&refs)).await {
        Err(Error::Snap { status, code, .. }) => assert_eq!((status, &code[..3]), (405, "405"), "{code}"),
        other => panic!("a paid QR cannot be canceled: {other:?}"),
    }
    let mut refund = refs.clone();
    refund["partnerRefundNo"] = json!(unique("RF"));
    refund["refundAmount"] = json!({"value": "5000.00", "currency": "IDR"});
    let refunded = snap.qr_refund(&typed::<RefundQrRequest>(refund)).await.unwrap();
    assert_eq!(refunded.refund_amount.value, "5000.00");

    // An unpaid QR is canceled, signed with RSA and no token this time.
    let mut config = snap.config().clone();
    config.signing = Signing::Asymmetric;
    let rsa = SnapClient::new(config).unwrap();
    let unpaid = rsa.qr_generate(&generate("2000.00")).await.unwrap();
    let refs =
        json!({"originalReferenceNo": unpaid.reference_no, "originalPartnerReferenceNo": unpaid.partner_reference_no});
    assert_eq!(rsa.qr_cancel(&cancel(&refs)).await.unwrap().response_code, "2007700");
}

#[tokio::test]
async fn concurrent_calls_share_one_token() {
    let app = TestApp::spawn().await;
    let snap = Arc::new(snap_client(&app, &app.merchant));
    let calls = (0..8).map(|_| {
        let snap = Arc::clone(&snap);
        tokio::spawn(async move { snap.access_token().await.unwrap() })
    });
    let tokens: Vec<String> = futures_util::future::join_all(calls).await.into_iter().map(Result::unwrap).collect();
    assert!(tokens.iter().all(|t| t == &tokens[0]), "one refresh for all: {tokens:?}");
    // Tokens are random, so a second fetch would differ: the cache holds.
    assert_eq!(snap.access_token().await.unwrap(), tokens[0]);
    snap.forget_token().await;
    assert_ne!(snap.access_token().await.unwrap(), tokens[0]);
    // Secrets stay out of debug output.
    let shown = format!("{:?} {:?}", snap.config(), keys(&app.merchant, "https://m.example"));
    assert!(!shown.contains(&app.merchant.client_secret) && !shown.contains(&app.merchant.hash_key), "{shown}");
}

#[tokio::test]
async fn a_snap_virtual_account_and_a_pg3_one_run_through_the_crate() {
    let app = TestApp::spawn().await;
    let (endpoint, mut received) = careful_endpoint(&app.merchant).await;
    let snap = snap_client(&app, &app.merchant);

    let va = snap
        .va_create(&typed(json!({
            "virtualAccountName": "Budi Santoso",
            "trxId": unique("TRX"),
            "virtualAccountTrxType": "C",
            "totalAmount": {"value": "15000.00", "currency": "IDR"},
            "additionalInfo": {"callbackUrl": format!("{endpoint}/snap"), "channel": "BRI"},
        })))
        .await
        .unwrap()
        .virtual_account_data;
    let lookup = json!({
        "partnerServiceId": va.identity.partner_service_id,
        "customerNo": va.identity.customer_no,
        "virtualAccountNo": va.identity.virtual_account_no,
        "trxId": va.trx_id,
    });
    let found = snap.va_inquiry(&typed(lookup.clone())).await.unwrap();
    assert_eq!(found.virtual_account_data.trx_id, va.trx_id);
    let number = va.identity.virtual_account_no.trim();
    app.sandbox("/sandbox/va/pay", json!({"va_number": number, "amount": "15000"})).await;
    assert_eq!(next(&mut received).await["virtualAccountNo"], va.identity.virtual_account_no.as_str());
    let mut status = lookup.clone();
    status["inquiryRequestId"] = json!(unique("INQ"));
    let status: snap::va::StatusRequest = typed(status);
    assert!(snap.va_status(&status).await.is_ok());
    // Paid: it cannot be deleted, and the refusal says so in SNAP's terms.
    let refused = snap.va_delete(&typed(lookup)).await.unwrap_err();
    assert_eq!(refused.code().map(|c| &c[..3]), Some("404"), "{refused}");

    let pg3 = pg3_client(&app);
    let created = pg3
        .va_create(&typed::<pg3::va::CreateVaRequest>(json!({
            "external_id": unique("EXT-"),
            "order_id": unique("ORD-"),
            "currency": "IDR",
            "payment_method": "bank_transfer",
            "payment_channel": "BCA",
            "payment_details": {"billing_name": "Budi", "payment_system": "CLOSED", "amount": 20000, "transaction_description": "Kopi"},
            "customer_details": {"email": "budi@example.com", "full_name": "Budi Santoso", "phone": "081234567890"},
            "callback_url": format!("{endpoint}/pg3"),
        })))
        .await
        .unwrap();
    assert_eq!(created.response_code, "00");
    let lookup: pg3::va::VaLookupRequest = typed(json!({
        "external_id": created.va.external_id,
        "order_id": created.va.order_id,
        "transaction_id": created.va.transaction_id,
        "payment_method": "BANK_TRANSFER",
        "payment_channel": "BCA",
    }));
    let number = created.va.payment_details.va_number.clone();
    app.sandbox("/sandbox/va/pay", json!({"va_number": number, "amount": "20000"})).await;
    assert_eq!(next(&mut received).await["transaction_id"], created.va.transaction_id.as_str());
    assert_eq!(pg3.va_inquiry(&lookup).await.unwrap().va.transaction_status, "PAID");
    let refused = pg3.va_cancel(&lookup).await.unwrap_err();
    assert!(matches!(refused, Error::Pg3 { .. }), "{refused}");
}

/// A gateway that fails twice with 503, then answers like lunas; counts requests.
async fn flaky_gateway() -> (String, Arc<AtomicU32>) {
    let count = Arc::new(AtomicU32::new(0));
    let answer = |State(count): State<Arc<AtomicU32>>| async move {
        if count.fetch_add(1, Ordering::SeqCst) < 2 {
            return (
                StatusCode::SERVICE_UNAVAILABLE,
                axum::Json(json!({"responseCode": "5030000", "responseMessage": "down"})),
            );
        }
        (StatusCode::OK, axum::Json(json!({"responseCode": "2000000", "responseMessage": "Successful"})))
    };
    let app = axum::Router::new().fallback(answer).with_state(Arc::clone(&count));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (base, count)
}

#[tokio::test]
async fn only_calls_that_are_safe_to_repeat_are_retried() {
    let mut transport = Transport::new(Duration::from_secs(5)).unwrap();
    transport.backoff = Duration::from_millis(10);
    let client = |base: &str| {
        let mut config = SnapConfig::new(base, "IFP1", "secret", merchant_key().clone());
        config.signing = Signing::Asymmetric;
        SnapClient::new(config).unwrap().with_transport(transport.clone())
    };
    let (base, count) = flaky_gateway().await;
    let answer: Value = client(&base).call(Method::POST, "/v1.0/qr/qr-mpm-query", &json!({}), true).await.unwrap();
    assert_eq!((answer["responseCode"].as_str(), count.load(Ordering::SeqCst)), (Some("2000000"), 3));

    let (base, count) = flaky_gateway().await;
    let refused = client(&base).call::<_, Value>(Method::POST, "/v1.0/qr/qr-mpm-generate", &json!({}), false).await;
    match refused {
        Err(Error::Snap { status: 503, code, .. }) => assert_eq!(code, "5030000"),
        other => panic!("a create is sent once: {other:?}"),
    }
    assert_eq!(count.load(Ordering::SeqCst), 1);
}

/// An endpoint that acknowledges anything: what check-callback exists to catch.
async fn careless_endpoint() -> String {
    let app = axum::Router::new().fallback(|| async { StatusCode::OK });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/notify", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

#[tokio::test]
async fn check_callback_passes_a_careful_endpoint_and_fails_a_careless_one() {
    let app = TestApp::spawn().await;
    let merchant = &app.merchant;
    let (careful, _received) = careful_endpoint(merchant).await;
    for (face, path) in [(Face::Snap, "snap"), (Face::Pg3, "pg3")] {
        let url = format!("{careful}/{path}");
        let check = Check {
            url: url.clone(),
            face,
            partner_id: merchant.partner_id.clone(),
            keys: keys(merchant, &url),
            timeout: Duration::from_secs(5),
        };
        let report = check_callback(&check).await;
        assert!(report.passed(), "{report}");

        let careless = Check { url: careless_endpoint().await, ..check };
        let report = check_callback(&careless).await;
        assert!(!report.passed(), "{report}");
        let failed: Vec<_> = report.verdicts.iter().filter(|v| !v.passed).map(|v| v.case).collect();
        assert!(failed.iter().all(|case| !case.contains("genuine") && !case.contains("again")), "{report}");
        assert!(failed.len() >= 3, "every forgery is caught: {report}");
    }
}

/// `lunas client …` with credentials from a file and the environment; the JSON
/// answer on standard output.
async fn run_client(dir: &std::path::Path, app: &TestApp, args: &[&str]) -> (bool, Value) {
    let (dir, base) = (dir.to_path_buf(), app.base.clone());
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    let output = tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_lunas"))
            .args(&args)
            .env("LUNAS_URL", base)
            .env("LUNAS_CREDENTIALS", dir.join("merchant.json"))
            .env("LUNAS_PRIVATE_KEY", dir.join("merchant.key"))
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    // Not JSON (a report, an error): the text of both streams.
    let text = || Value::String(format!("{stdout}{}", String::from_utf8_lossy(&output.stderr)));
    let json = serde_json::from_str(&stdout).unwrap_or_else(|_| text());
    (output.status.success(), json)
}

#[tokio::test(flavor = "multi_thread")]
async fn the_command_line_client_runs_the_sandbox_flows_by_hand() {
    let app = TestApp::spawn().await;
    let dir = tempfile::tempdir().unwrap();
    let m = &app.merchant;
    let credentials = json!({
        "partner_id": m.partner_id, "client_secret": m.client_secret,
        "secret_unbound_id": m.secret_unbound_id, "hash_key": m.hash_key,
    });
    std::fs::write(dir.path().join("merchant.json"), credentials.to_string()).unwrap();
    std::fs::write(dir.path().join("merchant.key"), merchant_key().private_key_pem()).unwrap();
    let run = |args: &'static [&'static str]| run_client(dir.path(), &app, args);

    let (ok, token) = run(&["client", "token"]).await;
    assert!(ok && token["responseCode"] == "2007300", "{token}");

    // QRIS: generate, pay as the customer, query.
    let callback = crate::helpers::CallbackServer::start().await.url;
    let generate = json!({
        "partnerReferenceNo": unique("INV"),
        "amount": {"value": "12000.00", "currency": "IDR"},
        "additionalInfo": {"callbackUrl": callback},
    })
    .to_string();
    let args = ["client", "snap", "/v1.0/qr/qr-mpm-generate", generate.as_str()];
    let (ok, qr) = run_client(dir.path(), &app, &args).await;
    assert!(ok && qr["responseCode"] == "2004700", "{qr}");
    let content = qr["qrContent"].as_str().unwrap();
    let (ok, paid) = run_client(dir.path(), &app, &["client", "pay-qr", content]).await;
    assert!(ok && paid["status"] == "paid", "{paid}");
    let query = json!({
        "originalReferenceNo": qr["referenceNo"],
        "originalPartnerReferenceNo": qr["partnerReferenceNo"],
        "serviceCode": "47",
    })
    .to_string();
    let (ok, status) = run_client(dir.path(), &app, &["client", "snap", "/v1.0/qr/qr-mpm-query", &query]).await;
    assert!(ok && status["latestTransactionStatus"] == "00", "{status}");

    // PG3: create a VA, transfer to it, inquire.
    let create = json!({
        "external_id": unique("EXT-"), "order_id": unique("ORD-"), "currency": "IDR",
        "payment_method": "bank_transfer", "payment_channel": "BCA",
        "payment_details": {"billing_name": "Budi", "payment_system": "CLOSED", "amount": 30000, "transaction_description": "Kopi"},
        "customer_details": {"email": "budi@example.com", "full_name": "Budi Santoso", "phone": "081234567890"},
        "callback_url": callback,
    });
    let (ok, va) = run_client(dir.path(), &app, &["client", "pg3", "/va", &create.to_string()]).await;
    assert!(ok && va["response_code"] == "00", "{va}");
    let number = va["payment_details"]["va_number"].as_str().unwrap();
    let (ok, paid) = run_client(dir.path(), &app, &["client", "pay-va", number, "30000"]).await;
    assert!(ok && paid["status"] == "paid", "{paid}");
    let lookup = json!({
        "external_id": va["external_id"], "order_id": va["order_id"], "transaction_id": va["transaction_id"],
        "payment_method": "BANK_TRANSFER", "payment_channel": "BCA",
    });
    let (ok, found) = run_client(dir.path(), &app, &["client", "pg3", "/va/inquiry", &lookup.to_string()]).await;
    assert!(ok && found["transaction_status"] == "PAID", "{found}");

    // A refusal is printed and fails the command.
    let (ok, refused) = run_client(dir.path(), &app, &["client", "pg3", "/va/cancel", &lookup.to_string()]).await;
    assert!(!ok && refused["response_code"].is_string(), "{refused}");

    // check-callback: a careful endpoint passes, a careless one fails the command.
    let (careful, _received) = careful_endpoint(m).await;
    let url = format!("{careful}/snap");
    let (ok, report) = run_client(dir.path(), &app, &["check-callback", &url]).await;
    assert!(ok, "{report}");
    let careless = careless_endpoint().await;
    let (ok, report) = run_client(dir.path(), &app, &["check-callback", &careless]).await;
    assert!(!ok && report.as_str().is_some_and(|r| r.contains("FAIL")), "{report}");
    let url = format!("{careful}/pg3");
    let (ok, report) = run_client(dir.path(), &app, &["check-callback", "--face", "pg3", &url]).await;
    assert!(ok, "{report}");
}
