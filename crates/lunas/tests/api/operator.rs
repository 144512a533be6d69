//! The operator API: off without a token, never open without it, and enough to say
//! what happened to a payment and its notifications.

use serde_json::Value;

use crate::helpers::*;

const TOKEN: &str = "operator-token-for-the-tests-0123456789";

async fn get(app: &TestApp, path: &str, token: Option<&str>) -> (u16, Value) {
    let mut request = app.http.get(format!("{}{path}", app.base));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("sent");
    let status = response.status().as_u16();
    (status, serde_json::from_str(&response.text().await.unwrap()).unwrap_or(Value::Null))
}

fn with_token(config: &mut lunas::config::Config) {
    config.operator.token = Some(TOKEN.to_string());
}

#[tokio::test]
async fn without_a_token_configured_the_api_is_off() {
    let app = TestApp::spawn().await;
    let (status, body) = get(&app, "/operator/v1/merchants", Some(TOKEN)).await;
    assert_eq!((status, body["error"].as_str()), (404, Some("not_found")));
    // In production without a token, /metrics is off too; the sandbox serves it open.
    let production = TestApp::spawn_with(production).await;
    let (status, _) = get(&production, "/metrics", None).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn every_call_needs_the_token_and_no_secret_is_shown() {
    let app = TestApp::spawn_with(|c| {
        with_token(c);
        production(c);
    })
    .await;
    for token in [None, Some("wrong"), Some(&TOKEN[..TOKEN.len() - 1])] {
        let (status, body) = get(&app, "/operator/v1/merchants", token).await;
        assert_eq!((status, body["error"].as_str()), (401, Some("unauthorized")), "{token:?}");
        let (status, _) = get(&app, "/metrics", token).await;
        assert_eq!(status, 401, "/metrics is behind the token: {token:?}");
    }
    let scrape = app.http.get(format!("{}/metrics", app.base)).header("Authorization", format!("bearer {TOKEN}"));
    assert_eq!(scrape.send().await.unwrap().status(), 200, "the scheme is case-insensitive");
    let (status, body) = get(&app, "/operator/v1/merchants", Some(TOKEN)).await;
    assert_eq!(status, 200);
    let partners: Vec<_> = body["merchants"].as_array().unwrap().iter().map(|m| m["partner_id"].clone()).collect();
    assert!(partners.contains(&app.merchant.partner_id.clone().into()), "{body}");
    let text = body.to_string();
    for secret in [&app.merchant.client_secret, &app.merchant.secret_unbound_id, &app.merchant.hash_key] {
        assert!(!text.contains(secret.as_str()), "a secret leaked: {text}");
    }
}

#[tokio::test]
async fn a_payment_shows_its_history_receipts_and_every_delivery_attempt() {
    let callback = CallbackServer::answering(&[500]).await;
    let app = TestApp::spawn_with(|c| {
        with_token(c);
        c.callbacks.retry_delays_ms = vec![50];
    })
    .await;
    let qr = app.generate("15000.00", &callback.url).await;
    app.pay(&qr).await;
    callback.wait_for(2).await;

    let reference = qr.body["referenceNo"].as_str().unwrap();
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(5);
    let record = loop {
        let (status, record) = get(&app, &format!("/operator/v1/payments/{reference}"), Some(TOKEN)).await;
        assert_eq!(status, 200, "{record}");
        if record["deliveries"][0]["delivered"] == true {
            break record;
        }
        assert!(tokio::time::Instant::now() < deadline, "{record}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    assert_eq!(record["state"], "paid");
    assert_eq!(record["amount"], "15000.00");
    let kinds: Vec<_> = record["history"].as_array().unwrap().iter().map(|h| h["kind"].clone()).collect();
    assert_eq!(kinds, ["created", "paid"]);
    assert_eq!(record["receipts"].as_array().unwrap().len(), 1);
    let attempts = record["deliveries"][0]["attempts"].as_array().unwrap();
    let statuses: Vec<_> = attempts.iter().map(|a| a["status"].clone()).collect();
    assert_eq!(statuses, [500, 200]);

    // The same by id; the attempts on their own; a delivered one sent once more.
    let id = record["id"].as_str().unwrap();
    let (status, by_id) = get(&app, &format!("/operator/v1/payments/{id}"), Some(TOKEN)).await;
    assert_eq!((status, &by_id["reference_no"]), (200, &record["reference_no"]));
    let delivery = record["deliveries"][0]["id"].as_i64().unwrap();
    let (status, listed) = get(&app, &format!("/operator/v1/deliveries/{delivery}/attempts"), Some(TOKEN)).await;
    assert_eq!((status, listed["attempts"].as_array().unwrap().len()), (200, 2));
    let resend = app
        .http
        .post(format!("{}/operator/v1/deliveries/{delivery}/resend", app.base))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(resend.status(), 200);
    callback.wait_for(3).await;
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let (_, listed) = get(&app, &format!("/operator/v1/deliveries/{delivery}/attempts"), Some(TOKEN)).await;
        if listed["attempts"].as_array().unwrap().len() == 3 {
            assert_eq!(listed["attempts"][2]["status"], 200);
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "{listed}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let (status, missing) = get(&app, "/operator/v1/payments/NOPE", Some(TOKEN)).await;
    assert_eq!((status, missing["error"].as_str()), (404, Some("not_found")));
    let (status, bad) = get(&app, "/operator/v1/deliveries/x/attempts", Some(TOKEN)).await;
    assert_eq!((status, bad["error"].as_str()), (400, Some("bad_request")));
}

async fn post(app: &TestApp, path: &str, body: &str) -> (u16, Value) {
    let response = app
        .http
        .post(format!("{}{path}", app.base))
        .bearer_auth(TOKEN)
        .header("Content-Type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .expect("sent");
    let status = response.status().as_u16();
    (status, serde_json::from_str(&response.text().await.unwrap()).unwrap_or(Value::Null))
}

#[tokio::test]
async fn merchants_are_created_and_their_secrets_rotated_through_the_api() {
    let app = TestApp::spawn_with(with_token).await;
    let (status, created) = post(&app, "/operator/v1/merchants", r#"{"name":"Toko Baru"}"#).await;
    assert_eq!(status, 201, "{created}");
    assert!(created["client_secret"].as_str().is_some_and(|s| s.len() >= 32), "{created}");
    let (status, bad) = post(&app, "/operator/v1/merchants", r#"{"name":""}"#).await;
    assert_eq!((status, bad["error"].as_str()), (400, Some("bad_request")));

    // PG3 Basic auth with the old secret_unbound_id stops working; the new one works.
    let inquiry = serde_json::json!({
        "external_id": "E1", "order_id": "O1", "transaction_id": uuid::Uuid::new_v4().to_string(),
        "payment_method": "BANK_TRANSFER", "payment_channel": "BRI",
    });
    let (status, _) = app.pg3(&app.merchant, "/va/inquiry", &inquiry).await;
    assert_eq!(status, 404, "authenticated, and no such VA");
    let path = format!("/operator/v1/merchants/{}/rotate", app.merchant.partner_id);
    let (status, rotated) = post(&app, &path, "").await;
    assert_eq!(status, 200, "{rotated}");
    assert_ne!(rotated["secret_unbound_id"].as_str(), Some(app.merchant.secret_unbound_id.as_str()));
    let (status, _) = app.pg3(&app.merchant, "/va/inquiry", &inquiry).await;
    assert_eq!(status, 401, "the old secret no longer works");
    let mut renewed = app.merchant.clone();
    renewed.secret_unbound_id = rotated["secret_unbound_id"].as_str().unwrap().to_string();
    renewed.hash_key = rotated["hash_key"].as_str().unwrap().to_string();
    let (status, _) = app.pg3(&renewed, "/va/inquiry", &inquiry).await;
    assert_eq!(status, 404, "the new one does");
    let (status, _) = post(&app, "/operator/v1/merchants/NOPE/rotate", "").await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn payments_are_listed_newest_first_with_filters_and_a_cursor() {
    let callback = CallbackServer::start().await;
    let app = TestApp::spawn_with(with_token).await;
    let mut references = Vec::new();
    for _ in 0..3 {
        references.push(app.generate("15000.00", &callback.url).await.body["referenceNo"].clone());
    }
    let paid = app.generate("15000.00", &callback.url).await;
    app.pay(&paid).await;
    let other = app.generate_as(&app.other, "15000.00", &callback.url).await;
    let va = serde_json::json!({
        "external_id": unique("EXT"), "order_id": unique("ORD"), "currency": "IDR",
        "payment_method": "bank_transfer", "payment_channel": "BRI",
        "payment_details": {"billing_name": "Budi", "payment_system": "CLOSED", "amount": 15000,
                            "transaction_description": "Kopi"},
        "customer_details": {"email": "budi@example.com", "full_name": "Budi"},
        "callback_url": callback.url,
    });
    let (status, _) = app.pg3(&app.merchant, "/va", &va).await;
    assert_eq!(status, 200);

    let list = |query: String| {
        let app = &app;
        async move {
            let (status, body) = get(app, &format!("/operator/v1/payments?{query}"), Some(TOKEN)).await;
            assert_eq!(status, 200, "{query}: {body}");
            body
        }
    };
    // Every payment, two a page, newest first.
    let (mut seen, mut cursor) = (Vec::new(), String::new());
    loop {
        assert!(seen.len() <= 6, "the cursor does not advance: {seen:?}");
        let page = list(format!("limit=2{cursor}")).await;
        seen.extend(page["payments"].as_array().unwrap().iter().map(|p| p["id"].as_str().unwrap().to_string()));
        match page["next_cursor"].as_str() {
            Some(next) => cursor = format!("&cursor={next}"),
            None => break,
        }
    }
    assert_eq!(seen.len(), 6, "{seen:?}");
    assert!(seen.windows(2).all(|w| w[0] > w[1]), "newest first: {seen:?}");

    let count = |query: &str| {
        let query = query.to_string();
        let list = &list;
        async move { list(query).await["payments"].as_array().unwrap().len() }
    };
    let merchant = &app.merchant.partner_id;
    assert_eq!(count(&format!("merchant={merchant}")).await, 5);
    assert_eq!(count(&format!("merchant={}", app.other.partner_id)).await, 1);
    assert_eq!(count("kind=virtual_account").await, 1);
    assert_eq!(count("face=pg3").await, 1);
    assert_eq!(count("state=paid").await, 1);
    assert_eq!(count(&format!("merchant={merchant}&kind=qris&state=pending")).await, 3);
    let reference = other.body["partnerReferenceNo"].as_str().unwrap();
    assert_eq!(count(&format!("reference={reference}")).await, 1);
    assert_eq!(count(&format!("reference={}", references[0].as_str().unwrap())).await, 1);
    let later = lunas_protocol::timestamp::format(app.clock.now_datetime() + time::Duration::minutes(1));
    let later = later.replace('+', "%2B");
    assert_eq!(count(&format!("from={later}")).await, 0);
    assert_eq!(count(&format!("until={later}")).await, 6);

    for (query, status) in [("state=lost", 400), ("kind=card", 400), ("from=yesterday", 400), ("merchant=NOPE", 404)] {
        let (got, body) = get(&app, &format!("/operator/v1/payments?{query}"), Some(TOKEN)).await;
        assert_eq!(got, status, "{query}: {body}");
        assert!(body["error"].is_string(), "{query}: {body}");
    }
}

#[tokio::test]
async fn deliveries_are_listed_newest_first_by_merchant_and_state() {
    let callback = CallbackServer::start().await;
    let app = TestApp::spawn_with(with_token).await;
    let mine_qr = app.generate("15000.00", &callback.url).await;
    app.pay(&mine_qr).await;
    let theirs = app.generate_as(&app.other, "15000.00", &callback.url).await;
    app.pay(&theirs).await;
    callback.wait_for(2).await;

    let ids = |body: &Value| -> Vec<i64> {
        body["deliveries"].as_array().unwrap().iter().map(|d| d["id"].as_i64().unwrap()).collect()
    };
    let (status, all) = get(&app, "/operator/v1/deliveries", Some(TOKEN)).await;
    assert_eq!(status, 200, "{all}");
    let all_ids = ids(&all);
    assert_eq!(all_ids.len(), 2);
    assert!(all_ids[0] > all_ids[1], "newest first");
    let path = format!("/operator/v1/deliveries?merchant={}", app.merchant.partner_id);
    let (_, mine) = get(&app, &path, Some(TOKEN)).await;
    assert_eq!(ids(&mine).len(), 1);
    assert_eq!(mine["deliveries"][0]["reference_no"], mine_qr.body["referenceNo"]);
    let (_, first) = get(&app, "/operator/v1/deliveries?limit=1", Some(TOKEN)).await;
    let next = first["next_cursor"].as_i64().expect("a next page");
    let (_, second) = get(&app, &format!("/operator/v1/deliveries?limit=1&cursor={next}"), Some(TOKEN)).await;
    assert_eq!([ids(&first), ids(&second)].concat(), all_ids);
    // Once both are delivered, none is undelivered.
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let (_, pending) = get(&app, "/operator/v1/deliveries?undelivered=true", Some(TOKEN)).await;
        if ids(&pending).is_empty() {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "{pending}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let (status, _) = get(&app, "/operator/v1/deliveries?merchant=NOPE", Some(TOKEN)).await;
    assert_eq!(status, 404);
}
