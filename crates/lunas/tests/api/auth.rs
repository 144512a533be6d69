use serde_json::json;

use crate::helpers::*;

const PATH: &str = "/v1.0/qr/qr-mpm-generate";

fn generate_body(callback: &str) -> String {
    json!({
        "partnerReferenceNo": unique("INV"),
        "amount": {"value": "15000.00", "currency": "IDR"},
        "additionalInfo": {"callbackUrl": callback},
    })
    .to_string()
}

async fn payment_count(app: &TestApp) -> i64 {
    app.count("payments").await
}

#[tokio::test]
async fn each_missing_header_is_named() {
    let app = TestApp::spawn().await;
    let body = generate_body("https://m.example/cb");
    for name in ["X-TIMESTAMP", "X-SIGNATURE", "X-PARTNER-ID", "X-EXTERNAL-ID", "CHANNEL-ID", "Content-Type"] {
        let headers: Vec<_> =
            app.rsa_headers(&app.merchant, PATH, &body).into_iter().filter(|(n, _)| n != name).collect();
        app.send(PATH, &body, &headers).await.expect_message("4004702", &format!("Invalid Mandatory Field {name}"));
    }
    assert_eq!(payment_count(&app).await, 0, "refused requests change nothing");
}

#[tokio::test]
async fn malformed_headers_are_format_errors() {
    let app = TestApp::spawn().await;
    let body = generate_body("https://m.example/cb");
    let cases = [
        ("X-TIMESTAMP", "2020-12-23 08:10:11".to_string()),
        ("X-EXTERNAL-ID", "1".repeat(37)),
        ("CHANNEL-ID", "QR0044".to_string()),
        ("X-PARTNER-ID", "P".repeat(37)),
        ("Content-Type", "text/plain".to_string()),
    ];
    for (name, value) in cases {
        let mut headers = app.rsa_headers(&app.merchant, PATH, &body);
        set_header(&mut headers, name, &value);
        app.send(PATH, &body, &headers).await.expect_message("4004701", &format!("Invalid Field Format {name}"));
    }
}

#[tokio::test]
async fn stale_or_future_timestamps_are_refused() {
    let app = TestApp::spawn().await;
    let body = generate_body("https://m.example/cb");
    for minutes in [-10, 10] {
        let at = lunas_protocol::timestamp::format(app.clock.now_datetime() + time::Duration::minutes(minutes));
        let signature = merchant_key().sign_base64(&lunas_protocol::crypto::asymmetric_string_to_sign(
            "POST",
            PATH,
            body.as_bytes(),
            &at,
        ));
        let mut headers = app.rsa_headers(&app.merchant, PATH, &body);
        set_header(&mut headers, "X-TIMESTAMP", &at);
        set_header(&mut headers, "X-SIGNATURE", &signature);
        app.send(PATH, &body, &headers)
            .await
            .expect_message("4014700", "Unauthorized. X-TIMESTAMP is outside the accepted window");
    }
}

#[tokio::test]
async fn signatures_are_checked_over_the_raw_body() {
    let app = TestApp::spawn().await;
    let body = generate_body("https://m.example/cb");

    let mut tampered = app.rsa_headers(&app.merchant, PATH, &body);
    let changed = body.replace("15000.00", "15.00");
    app.send(PATH, &changed, &tampered).await.expect_message("4014700", "Unauthorized. Invalid X-SIGNATURE");

    set_header(&mut tampered, "X-SIGNATURE", "bm90IGEgc2lnbmF0dXJl");
    app.send(PATH, &body, &tampered).await.expect("4014700");

    let mut unknown = app.rsa_headers(&app.merchant, PATH, &body);
    set_header(&mut unknown, "X-PARTNER-ID", "NOBODY");
    app.send(PATH, &body, &unknown).await.expect_message("4014700", "Unauthorized. Unknown X-PARTNER-ID");

    // Signed by one merchant, presented as another.
    let mut impostor = app.rsa_headers(&app.merchant, PATH, &body);
    set_header(&mut impostor, "X-PARTNER-ID", &app.other.partner_id);
    let other_key = lunas_protocol::crypto::RsaPrivateKey::generate();
    let sts = lunas_protocol::crypto::asymmetric_string_to_sign("POST", PATH, body.as_bytes(), &impostor[1].1);
    set_header(&mut impostor, "X-SIGNATURE", &other_key.sign_base64(&sts));
    app.send(PATH, &body, &impostor).await.expect("4014700");
    assert_eq!(payment_count(&app).await, 0);
}

#[tokio::test]
async fn pretty_printed_bodies_verify_over_their_minified_form() {
    let app = TestApp::spawn().await;
    let value: serde_json::Value = serde_json::from_str(&generate_body("https://m.example/cb")).unwrap();
    let pretty = serde_json::to_string_pretty(&value).unwrap();
    assert!(pretty.contains('\n'));
    let headers = app.rsa_headers(&app.merchant, PATH, &pretty);
    app.send(PATH, &pretty, &headers).await.expect("2004700");
}

#[tokio::test]
async fn external_id_is_unique_per_merchant_per_day() {
    let app = TestApp::spawn().await;
    let first = generate_body("https://m.example/cb");
    let headers = app.rsa_headers(&app.merchant, PATH, &first);
    let external_id = headers[4].1.clone();
    app.send(PATH, &first, &headers).await.expect("2004700");

    let second = generate_body("https://m.example/cb");
    let mut reused = app.rsa_headers(&app.merchant, PATH, &second);
    set_header(&mut reused, "X-EXTERNAL-ID", &external_id);
    app.send(PATH, &second, &reused).await.expect_message("4094700", "Conflict");
    assert_eq!(payment_count(&app).await, 1, "the conflicting request created nothing");

    // Another merchant may use the same id.
    let mut other = app.rsa_headers(&app.other, PATH, &second);
    set_header(&mut other, "X-EXTERNAL-ID", &external_id);
    app.send(PATH, &second, &other).await.expect("2004700");

    // So may the same merchant on another day.
    app.clock.advance(time::Duration::days(1));
    let third = generate_body("https://m.example/cb");
    let mut tomorrow = app.rsa_headers(&app.merchant, PATH, &third);
    set_header(&mut tomorrow, "X-EXTERNAL-ID", &external_id);
    app.send(PATH, &third, &tomorrow).await.expect("2004700");
}

#[tokio::test]
async fn a_refused_request_does_not_consume_its_external_id() {
    let app = TestApp::spawn().await;
    let bad = json!({"partnerReferenceNo": "A1"}).to_string();
    let headers = app.rsa_headers(&app.merchant, PATH, &bad);
    let external_id = headers[4].1.clone();
    app.send(PATH, &bad, &headers).await.expect("4004702");
    let good = generate_body("https://m.example/cb");
    let mut retry = app.rsa_headers(&app.merchant, PATH, &good);
    set_header(&mut retry, "X-EXTERNAL-ID", &external_id);
    app.send(PATH, &good, &retry).await.expect("2004700");
}

#[tokio::test]
async fn bodies_that_are_not_json_objects_are_bad_requests() {
    let app = TestApp::spawn().await;
    for body in ["", "[]", "{\"partnerReferenceNo\":", "null"] {
        let headers = app.rsa_headers(&app.merchant, PATH, body);
        app.send(PATH, body, &headers).await.expect_message("4004700", "Bad Request");
    }
    let wrong_type = json!({"partnerReferenceNo": 12}).to_string();
    let headers = app.rsa_headers(&app.merchant, PATH, &wrong_type);
    app.send(PATH, &wrong_type, &headers).await.expect_message("4004701", "Invalid Field Format partnerReferenceNo");
}

#[tokio::test]
async fn oversized_bodies_are_refused_before_anything_else() {
    let app = TestApp::spawn().await;
    let body = format!("{{\"pad\":\"{}\"}}", "x".repeat(70 * 1024));
    let headers = app.rsa_headers(&app.merchant, PATH, &body);
    app.send(PATH, &body, &headers).await.expect("4004700");
}

#[tokio::test]
async fn merchants_without_a_public_key_must_use_tokens() {
    let app = TestApp::spawn().await;
    let mut new = new_merchant("No Key");
    new.public_key_pem = None;
    let merchant = app.store().insert_merchant(new).await.unwrap();
    let body = generate_body("https://m.example/cb");
    app.send(PATH, &body, &app.rsa_headers(&merchant, PATH, &body))
        .await
        .expect_message("4014700", "Unauthorized. No public key registered for X-PARTNER-ID");
}

#[tokio::test]
async fn a_request_replayed_across_midnight_still_conflicts() {
    let app = TestApp::spawn().await;
    // Move the clock to 23:58 Jakarta time.
    let now = app.clock.now_datetime().to_offset(lunas_protocol::timestamp::JAKARTA);
    let to_midnight = time::Duration::days(1) - (now - now.replace_time(time::Time::MIDNIGHT));
    app.clock.advance(to_midnight - time::Duration::minutes(2));
    let body = generate_body("https://m.example/cb");
    let headers = app.rsa_headers(&app.merchant, PATH, &body);
    assert!(headers[1].1.contains("T23:58"), "{}", headers[1].1);
    app.send(PATH, &body, &headers).await.expect("2004700");
    // 00:02 the next day: the same signed request, still inside the timestamp window.
    app.clock.advance(time::Duration::minutes(4));
    app.send(PATH, &body, &headers).await.expect("4094700");
}
