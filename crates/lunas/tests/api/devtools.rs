//! The sandbox's developer tools: the request log with its signature explanations,
//! the clock, failures on demand, and the dashboard's files; none in production.

use lunas_protocol::crypto::{hmac_sha512_base64, sha256_hex};
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::*;

const TOKEN: &str = "operator-token-for-the-tests-0123456789";

fn with_token(config: &mut lunas::config::Config) {
    config.operator.token = Some(TOKEN.to_string());
}

async fn operator(app: &TestApp, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
    let mut request = app.http.request(method, format!("{}{path}", app.base)).bearer_auth(TOKEN);
    if let Some(body) = body {
        request = request.header("Content-Type", "application/json").body(body.to_string());
    }
    let response = request.send().await.expect("sent");
    let status = response.status().as_u16();
    (status, serde_json::from_str(&response.text().await.unwrap()).unwrap_or(Value::Null))
}

async fn get(app: &TestApp, path: &str) -> Value {
    let (status, body) = operator(app, Method::GET, path, None).await;
    assert_eq!(status, 200, "{path}: {body}");
    body
}

/// The newest logged call to `path`, in full.
async fn logged(app: &TestApp, path: &str) -> Value {
    let list = get(app, "/operator/v1/requests?limit=500").await;
    let entry = list["requests"].as_array().unwrap().iter().find(|r| r["path"] == path).expect("logged").clone();
    get(app, &format!("/operator/v1/requests/{}", entry["id"])).await
}

#[tokio::test]
async fn a_refused_signature_is_logged_with_what_lunas_signed_and_the_mistake() {
    let app = TestApp::spawn_with(with_token).await;
    let token = app.access_token(&app.merchant).await;
    let qr = app.generate("10000.00", "https://merchant.test/cb").await;
    let path = "/v1.0/qr/qr-mpm-query";
    // Signed over the body as it is sent, pretty-printed: the classic SNAP mistake.
    let body = serde_json::to_string_pretty(&json!({
        "originalReferenceNo": qr.body["referenceNo"], "serviceCode": "47",
    }))
    .unwrap();
    let timestamp = app.now();
    let sts = format!("POST:{path}:{token}:{}:{timestamp}", sha256_hex(body.as_bytes()));
    let mut headers = app.hmac_headers(&app.merchant, &token, path, &body);
    set_header(&mut headers, "X-TIMESTAMP", &timestamp);
    set_header(&mut headers, "X-SIGNATURE", &hmac_sha512_base64(app.merchant.client_secret.as_bytes(), &sts));
    app.send(path, &body, &headers).await.expect("4015100");

    let entry = logged(&app, path).await;
    assert_eq!((entry["status"].as_u64(), entry["signature_refused"].as_bool()), (Some(401), Some(true)));
    assert_eq!(entry["partner_id"], app.merchant.partner_id.as_str());
    assert_eq!(entry["body"], body.as_str(), "the body as it came");
    let e = &entry["explanation"];
    assert!(e["finding"].as_str().unwrap().contains("hashed as sent"), "{e}");
    let minified = json!({"originalReferenceNo": qr.body["referenceNo"], "serviceCode": "47"}).to_string();
    assert_eq!(e["minified_body"], minified.as_str());
    assert_eq!(e["body_hash"], sha256_hex(minified.as_bytes()).as_str());
    let masked = format!("{}…", &token[..6]);
    assert_eq!(e["string_to_sign"], format!("POST:{path}:{masked}:{}:{timestamp}", sha256_hex(minified.as_bytes())));

    // Credentials and signatures are masked, in headers and in the token's answer.
    let text = entry.to_string();
    assert!(!text.contains(&token) && !text.contains(&app.merchant.client_secret), "{text}");
    let header = |name: &str| {
        entry["headers"].as_array().unwrap().iter().find(|h| h["name"] == name).map(|h| h["value"].clone())
    };
    assert_eq!(header("authorization"), Some(json!(format!("Bearer {masked}"))));
    assert!(header("x-signature").unwrap().as_str().unwrap().ends_with('…'));
    let issued = logged(&app, "/v1.0/access-token/b2b").await;
    assert!(!issued.to_string().contains(&token), "the token answer is masked: {issued}");
    assert_eq!(issued["status"], 200);

    // Filters: by merchant and by failure; an unknown entry is a JSON 404.
    let failed = get(&app, &format!("/operator/v1/requests?failed=true&merchant={}", app.merchant.partner_id)).await;
    assert!(failed["requests"].as_array().unwrap().iter().all(|r| r["status"].as_u64() >= Some(400)));
    assert_eq!(failed["requests"].as_array().unwrap().len(), 1);
    let (status, missing) = operator(&app, Method::GET, "/operator/v1/requests/999999", None).await;
    assert_eq!((status, missing["error"].as_str()), (404, Some("not_found")));
}

#[tokio::test]
async fn pg3_and_token_refusals_are_explained_too() {
    let app = TestApp::spawn_with(with_token).await;
    let body = json!({"external_id": unique("EXT"), "order_id": unique("ORD"), "amount": 10000});
    let mut headers = app.pg3_headers(&app.merchant, &body);
    let swapped = lunas_protocol::pg3::request_signature(
        &app.merchant.hash_key,
        body["order_id"].as_str().unwrap(),
        body["external_id"].as_str().unwrap(),
    );
    set_header(&mut headers, "x-req-signature", &swapped);
    let (status, _) = app.pg3_send("/va", &body.to_string(), &headers).await;
    assert_eq!(status, 401);
    let entry = logged(&app, "/va").await;
    assert!(entry["explanation"]["finding"].as_str().unwrap().contains("swapped"), "{entry}");
    assert!(!entry.to_string().contains(&app.merchant.hash_key), "the hash key is never shown");
    assert!(!entry.to_string().contains(&app.merchant.secret_unbound_id));

    let timestamp = app.now();
    let signature = merchant_key().sign_base64(&format!("{}:{timestamp}", app.merchant.partner_id));
    let response = app
        .http
        .post(format!("{}/v1.0/access-token/b2b", app.base))
        .header("Content-Type", "application/json")
        .header("X-TIMESTAMP", &timestamp)
        .header("X-CLIENT-KEY", &app.merchant.partner_id)
        .header("X-SIGNATURE", signature)
        .body(r#"{"grantType":"client_credentials"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    let entry = logged(&app, "/v1.0/access-token/b2b").await;
    assert!(entry["explanation"]["finding"].as_str().unwrap().contains("joined with ':'"), "{entry}");
    assert_eq!(entry["explanation"]["string_to_sign"], format!("{}|{timestamp}", app.merchant.partner_id));
}

#[tokio::test]
async fn the_clock_moves_expiry_and_retries_and_the_history_shows_it() {
    let app = TestApp::spawn().await;
    let qr = app.generate("10000.00", "https://merchant.test/cb").await;
    let (status, clock) = app.sandbox("/sandbox/clock/advance", json!({"seconds": 3600})).await;
    assert_eq!(status, 200, "{clock}");
    assert_eq!(clock["skew_seconds"], 3600.0);
    assert_eq!(clock["moves"].as_array().unwrap().len(), 1);
    // The QR's validity ran out at the new time, and its history records that at once.
    assert_eq!(app.query(&qr).await.expect("2005100").body["latestTransactionStatus"], "07");
    let record = lunas::app::query::record(app.gateway(), qr.body["referenceNo"].as_str().unwrap()).await.unwrap();
    let expired = record.history.iter().find(|h| h.kind == "expired").expect("expiry recorded");
    assert!(expired.at >= app.clock.now() - 60_000, "recorded at the moved time");
    // Tokens follow the same clock: one issued now is stale 16 minutes later.
    let token = app.access_token(&app.merchant).await;
    app.sandbox("/sandbox/clock/advance", json!({"seconds": 960})).await;
    let body = json!({"originalReferenceNo": qr.body["referenceNo"], "serviceCode": "47"}).to_string();
    let headers = app.hmac_headers(&app.merchant, &token, "/v1.0/qr/qr-mpm-query", &body);
    app.send("/v1.0/qr/qr-mpm-query", &body, &headers).await.expect("4015101");
    // Back to real time; bad moves are refused and change nothing.
    let (_, clock) = app.sandbox("/sandbox/clock/reset", json!({})).await;
    assert_eq!((clock["skew_seconds"].as_f64(), clock["moves"].as_array().unwrap().len()), (Some(0.0), 3));
    for bad in [json!({"seconds": 0}), json!({"seconds": -5}), json!({"seconds": 40_000_000}), json!({"by": 1})] {
        let (status, answer) = app.sandbox("/sandbox/clock/advance", bad.clone()).await;
        assert_eq!(status, 400, "{bad}: {answer}");
    }
    assert_eq!(app.clock.sandbox_shift_ms(), 0);
}

/// Found reviewing what fuzzing found (times past the year 9999 panic when written):
/// moves of a year each, repeated, would carry business time there.
#[tokio::test]
async fn the_sandbox_clock_goes_at_most_a_hundred_years_ahead() {
    let app = TestApp::spawn().await;
    let year = json!({"seconds": 366 * 24 * 3600});
    for _ in 0..100 {
        let (status, answer) = app.sandbox("/sandbox/clock/advance", year.clone()).await;
        assert_eq!(status, 200, "{answer}");
    }
    let shift = app.clock.sandbox_shift_ms();
    let (status, answer) = app.sandbox("/sandbox/clock/advance", json!({"seconds": 1})).await;
    assert_eq!(status, 400, "{answer}");
    assert!(answer["message"].as_str().unwrap().contains("100 years"), "{answer}");
    assert_eq!(app.clock.sandbox_shift_ms(), shift, "a refused move changes nothing");
    let (status, _) = app.sandbox("/sandbox/clock/reset", json!({})).await;
    assert_eq!((status.as_u16(), app.clock.sandbox_shift_ms()), (200, 0));
}

#[tokio::test]
async fn forced_failures_make_the_next_deliveries_fail_and_retry() {
    let app = TestApp::spawn_with(|c| c.callbacks.retry_delays_ms = vec![50, 50, 50]).await;
    let callback = CallbackServer::start().await;
    let (status, answer) = app
        .sandbox(&format!("/sandbox/merchants/{}/fail-deliveries", app.merchant.partner_id), json!({"count": 2}))
        .await;
    assert_eq!((status.as_u16(), answer["failures_left"].as_u64()), (200, Some(2)), "{answer}");
    let qr = app.generate("10000.00", &callback.url).await;
    app.pay(&qr).await;
    // Sent three times: two counted as failed although the merchant said 200, then delivered.
    callback.wait_for(3).await;
    let entry = wait_delivered(&app).await;
    let attempts = app.store().attempts(entry.id).await.unwrap();
    let errors: Vec<_> = attempts.iter().map(|a| a.error.clone().unwrap_or_default()).collect();
    assert_eq!(attempts.len(), 3, "{errors:?}");
    assert!(errors[..2].iter().all(|e| e.contains("sandbox")), "{errors:?}");
    assert!(attempts[2].error.is_none());
    let (status, _) = app.sandbox("/sandbox/merchants/NOBODY/fail-deliveries", json!({"count": 1})).await;
    assert_eq!(status, 404);
}

async fn wait_delivered(app: &TestApp) -> lunas::store::OutboxEntry {
    for _ in 0..100 {
        if let Some(entry) = app.store().outbox(false).await.unwrap().into_iter().find(|e| e.delivered) {
            return entry;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("not delivered");
}

#[tokio::test]
async fn the_dashboard_is_served_from_the_binary_where_the_operator_api_is() {
    let app = TestApp::spawn_with(with_token).await;
    for (file, kind) in [("", "text/html"), ("app.js", "text/javascript"), ("app.css", "text/css")] {
        let response = app.http.get(format!("{}/dashboard/{file}", app.base)).send().await.unwrap();
        assert_eq!(response.status(), 200, "{file}");
        let content_type = response.headers()["content-type"].to_str().unwrap().to_string();
        assert!(content_type.starts_with(kind), "{file}: {content_type}");
        assert!(response.headers().contains_key("content-security-policy"));
        assert!(!response.text().await.unwrap().is_empty());
    }
    let info = get(&app, "/operator/v1/info").await;
    assert_eq!(info["mode"], "sandbox");
    // Without the operator API there is nothing for it to show.
    let off = TestApp::spawn().await;
    let response = off.http.get(format!("{}/dashboard/", off.base)).send().await.unwrap();
    assert_eq!(response.status(), 404);
}

#[tokio::test]
async fn production_has_no_request_log_clock_or_failures() {
    let app = TestApp::spawn_with(|c| {
        with_token(c);
        production(c);
    })
    .await;
    assert!(app.gateway().sandbox.is_none(), "no sandbox tools at all");
    // A refused call is not kept anywhere, and none of the tools answer.
    app.send("/v1.0/qr/qr-mpm-query", "{}", &app.rsa_headers(&app.merchant, "/v1.0/x", "{}")).await.expect("4015100");
    let (status, _) = operator(&app, Method::GET, "/operator/v1/requests", None).await;
    assert_eq!(status, 404);
    for path in ["/sandbox/clock/advance", "/sandbox/clock/reset", "/sandbox/merchants/X/fail-deliveries"] {
        let (status, _) = app.sandbox(path, json!({"seconds": 60})).await;
        assert_eq!(status, 404, "{path}");
    }
    assert_eq!(app.clock.sandbox_shift_ms(), 0);
    let info = get(&app, "/operator/v1/info").await;
    assert_eq!(info["mode"], "production");
}
