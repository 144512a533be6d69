use lunas_protocol::crypto::{RsaPrivateKey, token_string_to_sign};
use serde_json::json;

use crate::helpers::*;

async fn token_call(app: &TestApp, path: &str, headers: &[(&str, String)], body: &str) -> Snap {
    let mut request = app.http.post(format!("{}{path}", app.base)).body(body.to_string());
    for (name, value) in headers {
        request = request.header(*name, value);
    }
    Snap::from(request.send().await.unwrap()).await
}

fn token_headers(app: &TestApp, client_key: &str, key: &RsaPrivateKey) -> Vec<(&'static str, String)> {
    let timestamp = app.now();
    vec![
        ("Content-Type", "application/json".to_string()),
        ("X-TIMESTAMP", timestamp.clone()),
        ("X-CLIENT-KEY", client_key.to_string()),
        ("X-SIGNATURE", key.sign_base64(&token_string_to_sign(client_key, &timestamp))),
    ]
}

const GRANT: &str = r#"{"grantType":"client_credentials","additionalInfo":{}}"#;

#[tokio::test]
async fn issues_a_bearer_token_on_both_paths() {
    let app = TestApp::spawn().await;
    for path in ["/v1.0/access-token/b2b", "/auth/merchants/v1.0/access-token/b2b"] {
        let snap = token_call(&app, path, &token_headers(&app, &app.merchant.partner_id, merchant_key()), GRANT).await;
        snap.expect_message("2007300", "Successful");
        assert_eq!(snap.body["tokenType"], "Bearer");
        assert_eq!(snap.body["expiresIn"], "900");
        assert!(snap.body["accessToken"].as_str().unwrap().len() >= 32);
        assert_eq!(snap.headers["x-client-key"], app.merchant.partner_id.as_str());
    }
}

#[tokio::test]
async fn accepts_the_older_grant_type_spellings() {
    let app = TestApp::spawn().await;
    for body in [r#"{"granttype":"client_credentials"}"#, r#"{"grant_type":"client_credentials"}"#] {
        token_call(
            &app,
            "/v1.0/access-token/b2b",
            &token_headers(&app, &app.merchant.partner_id, merchant_key()),
            body,
        )
        .await
        .expect("2007300");
    }
}

#[tokio::test]
async fn refuses_bad_token_requests_with_snap_codes() {
    let app = TestApp::spawn().await;
    let path = "/v1.0/access-token/b2b";
    let good = || token_headers(&app, &app.merchant.partner_id, merchant_key());

    for missing in ["X-TIMESTAMP", "X-CLIENT-KEY", "X-SIGNATURE"] {
        let headers: Vec<_> = good().into_iter().filter(|(n, _)| *n != missing).collect();
        token_call(&app, path, &headers, GRANT)
            .await
            .expect_message("4007302", &format!("Invalid Mandatory Field {missing}"));
    }

    let wrong_key = RsaPrivateKey::generate();
    token_call(&app, path, &token_headers(&app, &app.merchant.partner_id, &wrong_key), GRANT)
        .await
        .expect_message("4017300", "Unauthorized. Invalid X-SIGNATURE");

    token_call(&app, path, &token_headers(&app, "NOBODY", merchant_key()), GRANT)
        .await
        .expect_message("4017300", "Unauthorized. Unknown X-CLIENT-KEY");

    let mut stale = good();
    let old = lunas_protocol::timestamp::format(app.clock.now_datetime() - time::Duration::minutes(30));
    stale[1].1 = old.clone();
    stale[3].1 = merchant_key().sign_base64(&token_string_to_sign(&app.merchant.partner_id, &old));
    token_call(&app, path, &stale, GRANT).await.expect("4017300");

    let mut garbled = good();
    garbled[1].1 = "23-12-2020 08:10".into();
    token_call(&app, path, &garbled, GRANT).await.expect_message("4007301", "Invalid Field Format X-TIMESTAMP");

    token_call(&app, path, &good(), r#"{"grantType":"password"}"#)
        .await
        .expect_message("4007301", "Invalid Field Format grantType");
    token_call(&app, path, &good(), "{}").await.expect_message("4007302", "Invalid Mandatory Field grantType");
    token_call(&app, path, &good(), "not json").await.expect_message("4007300", "Bad Request");
}

#[tokio::test]
async fn a_token_authorises_hmac_calls_for_its_merchant_only() {
    let app = TestApp::spawn().await;
    let token = app.access_token(&app.merchant).await;
    let path = "/v1.0/qr/qr-mpm-query";
    let body = json!({"originalReferenceNo": "X", "originalPartnerReferenceNo": "Y", "serviceCode": "47"}).to_string();

    // Authenticated and signed: the lookup itself then fails as not found.
    app.send(path, &body, &app.hmac_headers(&app.merchant, &token, path, &body)).await.expect("4045101");

    // The same token presented for another merchant.
    app.send(path, &body, &app.hmac_headers(&app.other, &token, path, &body))
        .await
        .expect_message("4015101", "Invalid Token (B2B)");

    let mut unknown = app.hmac_headers(&app.merchant, "not-a-token", path, &body);
    set_header(&mut unknown, "Authorization", "Bearer not-a-token");
    app.send(path, &body, &unknown).await.expect("4015101");

    let mut basic = app.hmac_headers(&app.merchant, &token, path, &body);
    set_header(&mut basic, "Authorization", &format!("Basic {token}"));
    app.send(path, &body, &basic).await.expect("4015101");

    // Right token, signature made with the wrong secret.
    let mut forged = app.merchant.clone();
    forged.client_secret = "not-the-secret".into();
    app.send(path, &body, &app.hmac_headers(&forged, &token, path, &body))
        .await
        .expect_message("4015100", "Unauthorized. Invalid X-SIGNATURE");

    // Tokens expire after 900 seconds.
    app.clock.advance(time::Duration::seconds(901));
    app.send(path, &body, &app.hmac_headers(&app.merchant, &token, path, &body)).await.expect("4015101");
}

#[tokio::test]
async fn expired_tokens_and_old_request_ids_are_pruned() {
    let app = TestApp::spawn().await;
    app.access_token(&app.merchant).await;
    let qr = app.generate("15000.00", "https://m.example/cb").await;
    app.query(&qr).await.expect("2005100");
    assert_eq!(app.count("access_tokens").await, 1);
    assert_eq!(app.count("request_ids").await, 2);
    assert_eq!(app.store().prune(app.clock.now()).await.unwrap(), 0, "nothing is old yet");
    app.clock.advance(time::Duration::days(3));
    assert_eq!(app.store().prune(app.clock.now()).await.unwrap(), 3);
    assert_eq!((app.count("access_tokens").await, app.count("request_ids").await), (0, 0));
    assert_eq!(app.query(&qr).await.body["latestTransactionStatus"], "07", "payments are kept");
}
