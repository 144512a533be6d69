//! PG3 virtual accounts over HTTP: each feature type's whole life, validation, cancel
//! rules, callbacks and their signatures, and authentication failures.

use serde_json::{Value, json};

use crate::helpers::*;

fn create_body(system: &str, multi_use: bool, amount: i64, channel: &str, callback: &str) -> Value {
    json!({
        "external_id": unique("EXT-"),
        "order_id": unique("ORD-"),
        "currency": "IDR",
        "payment_method": "bank_transfer",
        "payment_channel": channel,
        "payment_details": {
            "billing_name": "Budi Santoso",
            "payment_system": system,
            "is_multi_use": multi_use,
            "amount": amount,
            "transaction_description": "Pembayaran pesanan",
        },
        "customer_details": {"email": "budi@example.com", "full_name": "Budi Santoso", "phone": "081234567890"},
        "item_details": [{"item_id": "SKU1", "name": "Kopi", "amount": amount, "qty": 1}],
        "callback_url": callback,
    })
}

fn lookup_body(va: &Value) -> Value {
    json!({
        "external_id": va["external_id"],
        "order_id": va["order_id"],
        "transaction_id": va["transaction_id"],
        "payment_method": "BANK_TRANSFER",
        "payment_channel": va["payment_channel"],
    })
}

async fn create(app: &TestApp, body: &Value) -> Value {
    let (status, va) = app.pg3(&app.merchant, "/va", body).await;
    assert_eq!(status, 200, "{va}");
    assert_eq!(va["response_code"], "00");
    va
}

async fn transfer(app: &TestApp, va: &Value, amount: &str) -> (u16, Value) {
    let (status, body) = app
        .sandbox("/sandbox/va/pay", json!({"va_number": va["payment_details"]["va_number"], "amount": amount}))
        .await;
    (status.as_u16(), body)
}

async fn inquiry(app: &TestApp, va: &Value) -> Value {
    let (status, body) = app.pg3(&app.merchant, "/va/inquiry", &lookup_body(va)).await;
    assert_eq!(status, 200, "{body}");
    body
}

#[tokio::test]
async fn single_closed_amount_is_paid_once() {
    let callback = CallbackServer::start().await;
    let app = TestApp::spawn().await;
    let va = create(&app, &create_body("CLOSED", false, 15_000, "BCA", &callback.url)).await;
    assert_eq!(va["response_message"], "Success");
    assert_eq!(va["transaction_status"], "PENDING");
    assert_eq!(va["payment_method"], "BANK_TRANSFER");
    assert_eq!(va["payment_channel"], "BCA");
    assert_eq!(va["payment_details"]["amount"], 15_000);
    assert_eq!(va["payment_details"]["is_multi_use"], false);
    assert_eq!(va["customer_details"]["email"], "budi@example.com");
    let number = va["payment_details"]["va_number"].as_str().unwrap();
    assert!(number.starts_with("40416") && number.len() == 14, "BCA closed BIN: {number}");
    assert!(uuid::Uuid::parse_str(va["transaction_id"].as_str().unwrap()).is_ok());
    let expires = lunas_protocol::timestamp::parse(va["payment_details"]["expired_time"].as_str().unwrap()).unwrap();
    let lifetime = expires - app.clock.now_datetime();
    assert!(lifetime > time::Duration::hours(23) && lifetime <= time::Duration::hours(24), "24 h default");

    assert_eq!(transfer(&app, &va, "14999").await.0, 422, "a closed amount must match");
    let (status, paid) = transfer(&app, &va, "15000").await;
    assert_eq!((status, paid["status"].as_str()), (200, Some("paid")));
    assert_eq!(transfer(&app, &va, "15000").await.0, 404, "a paid single VA takes no more transfers");

    let received = callback.wait_for(1).await;
    assert!(received[0].verify_pg3(&app.merchant.hash_key), "mcp-signature verifies");
    assert!(!received[0].verify_pg3(&app.other.hash_key));
    let body = received[0].json();
    assert_eq!(body["transaction_status"], "PAID");
    assert_eq!(body["transaction_id"], va["transaction_id"]);
    assert_eq!(body["external_id"], va["external_id"]);
    assert_eq!(body["payment_details"]["paid_amount"], 15_000);
    assert_eq!(body["payment_details"]["va_number"], number);
    assert!(body["payment_details"]["paid_time"].as_str().is_some());

    let status = inquiry(&app, &va).await;
    assert_eq!(status["transaction_status"], "PAID");
    assert_eq!(status["transaction_histories"].as_array().unwrap().len(), 1);
    let (code, refused) = app.pg3(&app.merchant, "/va/cancel", &lookup_body(&va)).await;
    assert_eq!((code, refused["response_code"].as_str()), (409, Some("03")), "{refused}");
}

#[tokio::test]
async fn multi_use_closed_amount_takes_many_payments_until_cancelled() {
    let callback = CallbackServer::start().await;
    let app = TestApp::spawn().await;
    let va = create(&app, &create_body("CLOSED", true, 20_000, "BRI", &callback.url)).await;
    let expires = lunas_protocol::timestamp::parse(va["payment_details"]["expired_time"].as_str().unwrap()).unwrap();
    assert!(expires - app.clock.now_datetime() > time::Duration::days(3_000), "multi-use defaults to 10 years");
    for _ in 0..7 {
        assert_eq!(transfer(&app, &va, "20000").await.0, 200);
    }
    assert_eq!(transfer(&app, &va, "20001").await.0, 422);
    callback.wait_for(7).await;
    let status = inquiry(&app, &va).await;
    assert_eq!(status["transaction_status"], "PENDING");
    assert_eq!(status["payment_details"]["total_paid_amount"], 140_000);
    let histories = status["transaction_histories"].as_array().unwrap();
    assert_eq!(histories.len(), 5, "only the latest five");
    assert!(histories.iter().all(|h| h["transaction_status"] == "PAID" && h["amount"] == 20_000));

    let (code, canceled) = app.pg3(&app.merchant, "/va/cancel", &lookup_body(&va)).await;
    assert_eq!((code, canceled["transaction_status"].as_str()), (200, Some("CANCELED")));
    assert_eq!(transfer(&app, &va, "20000").await.0, 404, "a cancelled VA takes no transfer");
    assert_eq!(inquiry(&app, &va).await["transaction_status"], "CANCELED");
    assert_eq!(callback.received().len(), 7);
}

#[tokio::test]
async fn open_amount_takes_anything_from_the_minimum() {
    let callback = CallbackServer::start().await;
    let app = TestApp::spawn().await;
    let va = create(&app, &create_body("OPEN", true, 0, "MANDIRI", &callback.url)).await;
    assert!(va["payment_details"]["va_number"].as_str().unwrap().starts_with("89795"));
    assert_eq!(va["payment_details"]["amount"], 0);
    assert_eq!(transfer(&app, &va, "9999").await.0, 422, "below Rp 10,000");
    assert_eq!(transfer(&app, &va, "12345").await.0, 200);
    assert_eq!(transfer(&app, &va, "1000000").await.0, 200);
    let received = callback.wait_for(2).await;
    assert!(received.iter().all(|r| r.verify_pg3(&app.merchant.hash_key)));
    assert_eq!(received[1].json()["payment_details"]["total_paid_amount"], 1_012_345);
    assert_eq!(inquiry(&app, &va).await["transaction_status"], "PENDING");
    let (code, _) = app.pg3(&app.merchant, "/va/cancel", &lookup_body(&va)).await;
    assert_eq!(code, 200);
    assert_eq!(transfer(&app, &va, "50000").await.0, 404);

    // BNI takes smaller open amounts.
    let bni = create(&app, &create_body("OPEN", true, 0, "BNI", &callback.url)).await;
    assert_eq!(transfer(&app, &bni, "500").await.0, 200);
}

#[tokio::test]
async fn partial_payments_add_up_until_paid() {
    let callback = CallbackServer::start().await;
    let app = TestApp::spawn().await;
    let va = create(&app, &create_body("PARTIAL", false, 30_000, "CIMB", &callback.url)).await;
    assert_eq!(va["payment_details"]["is_multi_use"], true, "instalments are many payments");
    assert_eq!(transfer(&app, &va, "10000").await.0, 200);
    assert_eq!(inquiry(&app, &va).await["transaction_status"], "PENDING");
    assert_eq!(transfer(&app, &va, "25000").await.0, 422, "more than the remainder");
    let (status, paid) = transfer(&app, &va, "20000").await;
    assert_eq!((status, paid["status"].as_str()), (200, Some("paid")));
    assert_eq!(transfer(&app, &va, "1").await.0, 404, "a fully paid VA is closed");
    let received = callback.wait_for(2).await;
    assert_eq!(received[0].json()["payment_details"]["paid_amount"], 10_000);
    assert_eq!(received[1].json()["payment_details"]["total_paid_amount"], 30_000);
    let status = inquiry(&app, &va).await;
    assert_eq!(status["transaction_status"], "PAID");
    assert_eq!(status["transaction_histories"][0]["amount"], 20_000, "newest first");

    // Not every bank offers partial payments.
    let (code, body) =
        app.pg3(&app.merchant, "/va", &create_body("PARTIAL", false, 30_000, "MANDIRI", &callback.url)).await;
    assert_eq!((code, body["response_message"].as_str()), (400, Some("payment_details.payment_system is invalid")));
}

#[tokio::test]
async fn cancel_answers_as_the_seed_page_shows() {
    let app = TestApp::spawn().await;
    let va = create(&app, &create_body("CLOSED", false, 15_000, "BCA-POLYTRON", "https://m.example/cb")).await;
    let seed = format!(
        "{{\n\"external_id\":\"{}\",\n\"order_id\":\"{}\",\n\"transaction_id\":\"{}\",\n\"payment_method\":\"BANK_TRANSFER\",\n\"payment_channel\":\"BCA-POLYTRON\"\n}}",
        va["external_id"].as_str().unwrap(),
        va["order_id"].as_str().unwrap(),
        va["transaction_id"].as_str().unwrap()
    );
    let value: Value = serde_json::from_str(&seed).unwrap();
    let (status, body) = app.pg3_send("/va/cancel", &seed, &app.pg3_headers(&app.merchant, &value)).await;
    assert_eq!(status, 200, "{body}");
    let expected = json!({
        "transaction_id": va["transaction_id"],
        "external_id": va["external_id"],
        "order_id": va["order_id"],
        "payment_method": "BANK_TRANSFER",
        "payment_channel": "BCA-POLYTRON",
        "transaction_status": "CANCELED",
        "response_code": "00",
    });
    assert_eq!(body, expected);
    // Again: the same answer, no second change.
    let (status, again) = app.pg3_send("/va/cancel", &seed, &app.pg3_headers(&app.merchant, &value)).await;
    assert_eq!((status, &again), (200, &expected));
    assert_eq!(inquiry(&app, &va).await["transaction_status"], "CANCELED");
}

#[tokio::test]
async fn expired_vas_cannot_be_cancelled_or_paid() {
    let app = TestApp::spawn().await;
    let va = create(&app, &create_body("CLOSED", false, 15_000, "PERMATA", "https://m.example/cb")).await;
    app.clock.advance(time::Duration::hours(25));
    assert_eq!(inquiry(&app, &va).await["transaction_status"], "EXPIRED");
    let (code, body) = app.pg3(&app.merchant, "/va/cancel", &lookup_body(&va)).await;
    assert_eq!(
        (code, body["response_code"].as_str(), body["response_message"].as_str()),
        (409, Some("03"), Some("transaction is expired"))
    );
    assert_eq!(transfer(&app, &va, "15000").await.0, 404);
}

#[tokio::test]
async fn external_id_is_idempotent_per_merchant() {
    let app = TestApp::spawn().await;
    let body = create_body("CLOSED", false, 15_000, "BSI", "https://m.example/cb");
    let first = create(&app, &body).await;
    let again = create(&app, &body).await;
    assert_eq!(first, again, "a repeat answers with the same VA");
    let mut different = body.clone();
    different["payment_details"]["amount"] = json!(16_000);
    let (code, refused) = app.pg3(&app.merchant, "/va", &different).await;
    assert_eq!((code, refused["response_code"].as_str()), (409, Some("01")), "{refused}");
    // Another merchant's external ids are its own.
    let (code, _) = app.pg3(&app.other, "/va", &body).await;
    assert_eq!(code, 200);
}

#[tokio::test]
async fn static_numbers_are_unique_among_live_vas() {
    let app = TestApp::spawn().await;
    let mut body = create_body("CLOSED", false, 15_000, "BNI", "https://m.example/cb");
    body["payment_details"]["va_number"] = json!("123456");
    let va = create(&app, &body).await;
    // BNI's BIN, the merchant's four digits, then the merchant's own eight.
    assert_eq!(va["payment_details"]["va_number"], "7136000100123456");
    let mut twin = body.clone();
    twin["external_id"] = json!(unique("EXT-"));
    let (code, refused) = app.pg3(&app.merchant, "/va", &twin).await;
    assert_eq!(
        (code, refused["response_message"].as_str()),
        (409, Some("payment_details.va_number is already in use"))
    );
    app.pg3(&app.merchant, "/va/cancel", &lookup_body(&va)).await;
    let reused = create(&app, &twin).await;
    assert_eq!(reused["payment_details"]["va_number"], "7136000100123456", "free again once cancelled");
    // Another merchant's same digits land in its own range.
    let (code, theirs) = app.pg3(&app.other, "/va", &twin).await;
    assert_eq!((code, theirs["payment_details"]["va_number"].as_str()), (200, Some("7136000200123456")));

    let mut too_long = create_body("CLOSED", false, 15_000, "BCA", "https://m.example/cb");
    too_long["payment_details"]["va_number"] = json!("1234567890");
    let (code, _) = app.pg3(&app.merchant, "/va", &too_long).await;
    assert_eq!(code, 400, "BCA numbers leave 5 digits to the merchant");
}

#[tokio::test]
async fn callback_url_falls_back_to_the_merchants() {
    let callback = CallbackServer::start().await;
    let app = TestApp::spawn().await;
    let mut body = create_body("CLOSED", false, 15_000, "BCA", "");
    body.as_object_mut().unwrap().remove("callback_url");
    let (code, refused) = app.pg3(&app.merchant, "/va", &body).await;
    assert_eq!((code, refused["response_message"].as_str()), (400, Some("callback_url is required")));

    let mut new = new_merchant("Dengan Callback");
    new.callback_url = Some(callback.url.clone());
    let merchant = app.store().insert_merchant(new).await.unwrap();
    let (code, va) = app.pg3(&merchant, "/va", &body).await;
    assert_eq!(code, 200, "{va}");
    transfer(&app, &va, "15000").await;
    assert!(callback.wait_for(1).await[0].verify_pg3(&merchant.hash_key));
}

#[tokio::test]
async fn every_field_rule_answers_01_naming_the_field() {
    let app = TestApp::spawn().await;
    let base = || create_body("CLOSED", false, 15_000, "BCA", "https://m.example/cb");
    type Mutation = fn(&mut Value);
    let cases: Vec<(Mutation, &str)> = vec![
        (|b| b["order_id"] = json!("ORD_1"), "order_id is invalid"),
        (|b| b["currency"] = json!("USD"), "currency is invalid"),
        (|b| b["payment_method"] = json!("wallet"), "payment_method is invalid"),
        (|b| b["payment_channel"] = json!("ABC"), "payment_channel is invalid"),
        (
            |b| {
                b.as_object_mut().unwrap().remove("payment_details");
            },
            "payment_details is required",
        ),
        (|b| b["payment_details"]["amount"] = json!(5_000), "payment_details.amount is invalid"),
        (|b| b["payment_details"]["amount"] = json!("15k"), "payment_details.amount is invalid"),
        (|b| b["payment_details"]["is_multi_use"] = json!("yes"), "payment_details.is_multi_use is invalid"),
        (|b| b["payment_details"]["billing_name"] = json!("B".repeat(101)), "payment_details.billing_name is invalid"),
        (
            |b| b["payment_details"]["expired_time"] = json!("2020-01-01T00:00:00.000+07:00"),
            "payment_details.expired_time is invalid",
        ),
        (|b| b["customer_details"]["email"] = json!("not-an-email"), "customer_details.email is invalid"),
        (|b| b["customer_details"]["phone"] = json!("12"), "customer_details.phone is invalid"),
        (
            |b| {
                b["customer_details"].as_object_mut().unwrap().remove("full_name");
            },
            "customer_details.full_name is required",
        ),
        (|b| b["item_details"][0]["qty"] = json!(0), "item_details[0].qty is invalid"),
        (|b| b["callback_url"] = json!("ftp://x"), "callback_url is invalid"),
    ];
    for (mutate, message) in cases {
        let mut body = base();
        mutate(&mut body);
        let (code, answer) = app.pg3(&app.merchant, "/va", &body).await;
        assert_eq!(
            (code, answer["response_code"].as_str(), answer["response_message"].as_str()),
            (400, Some("01"), Some(message)),
            "{body}"
        );
    }
    // FINPAY lives at most a day and at least ten minutes.
    let mut finpay = create_body("CLOSED", false, 15_000, "FINPAY", "https://m.example/cb");
    let in_minutes =
        |m: i64| lunas_protocol::timestamp::format_millis(app.clock.now_datetime() + time::Duration::minutes(m));
    finpay["payment_details"]["expired_time"] = json!(in_minutes(5));
    assert_eq!(app.pg3(&app.merchant, "/va", &finpay).await.0, 400);
    finpay["payment_details"]["expired_time"] = json!(in_minutes(60));
    assert_eq!(app.pg3(&app.merchant, "/va", &finpay).await.0, 200);
}

#[tokio::test]
async fn authentication_failures_answer_04() {
    let app = TestApp::spawn().await;
    let body = create_body("CLOSED", false, 15_000, "BCA", "https://m.example/cb");
    let text = body.to_string();
    let good = app.pg3_headers(&app.merchant, &body);
    let with = |name: &str, value: Option<&str>| {
        let mut headers = good.clone();
        headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        if let Some(value) = value {
            headers.push((name.to_string(), value.to_string()));
        }
        headers
    };
    let wrong_secret = lunas_protocol::pg3::basic_authorization(&app.merchant.partner_id, "wrong");
    let other_merchant =
        lunas_protocol::pg3::basic_authorization(&app.other.partner_id, &app.merchant.secret_unbound_id);
    let other_key = lunas_protocol::pg3::request_signature(
        &app.other.hash_key,
        body["external_id"].as_str().unwrap(),
        body["order_id"].as_str().unwrap(),
    );
    let cases = [
        (with("Authorization", None), 401, "04", "Authorization is invalid"),
        (with("Authorization", Some(&wrong_secret)), 401, "04", "Authorization is invalid"),
        (with("Authorization", Some(&other_merchant)), 401, "04", "Authorization is invalid"),
        (with("Authorization", Some("Bearer abc")), 401, "04", "Authorization is invalid"),
        (with("x-req-signature", None), 401, "04", "x-req-signature is required"),
        (with("x-req-signature", Some(&other_key)), 401, "04", "x-req-signature is invalid"),
        (with("x-version", None), 400, "01", "x-version is required"),
        (with("x-version", Some("v2")), 400, "01", "x-version is invalid"),
        (with("Content-Type", Some("text/plain")), 400, "01", "Content-Type is invalid"),
    ];
    for (headers, status, code, message) in cases {
        let (got, answer) = app.pg3_send("/va", &text, &headers).await;
        assert_eq!(
            (got, answer["response_code"].as_str(), answer["response_message"].as_str()),
            (status, Some(code), Some(message))
        );
    }
    let (got, answer) = app.pg3_send("/va", "{not json", &good).await;
    assert_eq!((got, answer["response_code"].as_str()), (400, Some("01")));
    // Nothing was created by any of them.
    let (got, _) = app.pg3(&app.merchant, "/va", &body).await;
    assert_eq!(got, 200);
}

#[tokio::test]
async fn one_merchant_cannot_see_or_touch_anothers_va() {
    let app = TestApp::spawn().await;
    let va = create(&app, &create_body("CLOSED", false, 15_000, "BCA", "https://m.example/cb")).await;
    for path in ["/va/inquiry", "/va/cancel"] {
        let (code, body) = app.pg3(&app.other, path, &lookup_body(&va)).await;
        assert_eq!(
            (code, body["response_code"].as_str(), body["response_message"].as_str()),
            (404, Some("01"), Some("transaction_id not found"))
        );
    }
    let mut wrong_channel = lookup_body(&va);
    wrong_channel["payment_channel"] = json!("BRI");
    assert_eq!(app.pg3(&app.merchant, "/va/inquiry", &wrong_channel).await.0, 404);
    let mut wrong_order = lookup_body(&va);
    wrong_order["order_id"] = json!("OTHER");
    assert_eq!(app.pg3(&app.merchant, "/va/cancel", &wrong_order).await.0, 404);
    assert_eq!(inquiry(&app, &va).await["transaction_status"], "PENDING");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_racing_a_bank_transfer_has_one_winner() {
    let callback = CallbackServer::start().await;
    let app = TestApp::spawn().await;
    let mut transfers_won = 0;
    for _ in 0..20 {
        let va = create(&app, &create_body("CLOSED", false, 15_000, "BCA", &callback.url)).await;
        let lookup = lookup_body(&va);
        let ((cancel_code, cancel), (transfer_code, _)) =
            tokio::join!(app.pg3(&app.merchant, "/va/cancel", &lookup), transfer(&app, &va, "15000"));
        let canceled = cancel_code == 200;
        let paid = transfer_code == 200;
        assert!(canceled ^ paid, "exactly one wins: cancel {cancel} / transfer {transfer_code}");
        let status = inquiry(&app, &va).await;
        if paid {
            transfers_won += 1;
            assert_eq!(cancel["response_code"], "03");
            assert_eq!(status["transaction_status"], "PAID");
        } else {
            assert_eq!(transfer_code, 404);
            assert_eq!(status["transaction_status"], "CANCELED");
        }
    }
    callback.wait_for(transfers_won).await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(callback.received().len(), transfers_won, "one callback per accepted transfer");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_busy_virtual_account_takes_every_concurrent_transfer() {
    let callback = CallbackServer::start().await;
    let app = TestApp::spawn().await;
    let va = create(&app, &create_body("OPEN", true, 0, "BCA", &callback.url)).await;
    let transfers: Vec<_> = (0..40).map(|_| transfer(&app, &va, "10000")).collect();
    let statuses: Vec<u16> =
        futures_util::future::join_all(transfers).await.into_iter().map(|(status, _)| status).collect();
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
    let status = inquiry(&app, &va).await;
    assert_eq!(status["payment_details"]["total_paid_amount"], 400_000, "every transfer counted once");
    callback.wait_for(40).await;
}

#[tokio::test]
async fn transfers_are_whole_rupiah() {
    let callback = CallbackServer::start().await;
    let app = TestApp::spawn().await;
    let va = create(&app, &create_body("PARTIAL", false, 30_000, "BCA", &callback.url)).await;
    let (status, body) = transfer(&app, &va, "0.99").await;
    assert_eq!((status, body["error"].as_str()), (422, Some("amount_not_accepted")));
    assert_eq!(transfer(&app, &va, "10000.50").await.0, 422);
    assert_eq!(inquiry(&app, &va).await["payment_details"]["total_paid_amount"], 0, "refused transfers change nothing");
}

#[tokio::test]
async fn snap_and_pg3_payments_are_separate() {
    let app = TestApp::spawn().await;
    let va = create(&app, &create_body("CLOSED", false, 15_000, "BCA", "https://m.example/cb")).await;
    transfer(&app, &va, "15000").await;
    let refs = json!({
        "originalReferenceNo": va["reference_id"],
        "originalPartnerReferenceNo": va["external_id"],
        "serviceCode": "47",
    });
    app.call("/v1.0/qr/qr-mpm-query", &refs).await.expect("4045101");
    let refund = json!({
        "originalReferenceNo": va["reference_id"],
        "originalPartnerReferenceNo": va["external_id"],
        "partnerRefundNo": "RF1",
        "refundAmount": {"value": "15000.00", "currency": "IDR"},
    });
    app.call("/v1.0/qr/qr-mpm-refund", &refund).await.expect("4047801");
    // A QR's partnerReferenceNo and a VA's external_id live in separate namespaces.
    let qr = app.generate("15000.00", "https://m.example/cb").await;
    let mut same_reference = create_body("CLOSED", false, 15_000, "BCA", "https://m.example/cb");
    same_reference["external_id"] = qr.body["partnerReferenceNo"].clone();
    let (code, _) = app.pg3(&app.merchant, "/va", &same_reference).await;
    assert_eq!(code, 200);
    let lookup = json!({
        "external_id": qr.body["partnerReferenceNo"],
        "order_id": "X",
        "transaction_id": "00000000-0000-0000-0000-000000000000",
        "payment_method": "BANK_TRANSFER",
        "payment_channel": "BCA",
    });
    assert_eq!(app.pg3(&app.merchant, "/va/cancel", &lookup).await.0, 404);
    assert_eq!(app.query(&qr).await.body["latestTransactionStatus"], "01");
}

/// A bank that always draws the same number: after the first VA holds it, every
/// draw is taken, and the create fails as "no free number" without storing anything.
#[tokio::test]
async fn a_bank_with_no_free_number_refuses_without_storing() {
    use std::sync::Arc;

    use lunas::acquirer::{Acquirer, AcquirerError, QrisOrder, VaOrder};
    use lunas::app::create::{Created, Order, VaSpec, virtual_account};
    use lunas::app::{AppError, Gateway};
    use lunas::domain::{Amount, AmountRule, Face};

    struct OneNumber;
    #[async_trait::async_trait]
    impl Acquirer for OneNumber {
        async fn issue_qris(&self, _: &QrisOrder<'_>) -> Result<String, AcquirerError> {
            Err(AcquirerError::Failure("no QRIS here".into()))
        }
        async fn issue_virtual_account(&self, _: &VaOrder<'_>) -> Result<String, AcquirerError> {
            Ok("1303300011234567".into())
        }
    }

    let app = TestApp::spawn().await;
    let live = app.gateway();
    let gw = Gateway::new(live.store.clone(), Arc::new(OneNumber), live.config.clone(), live.clock.clone());
    let merchant = lunas::app::merchants::by_partner_id(&gw, &app.merchant.partner_id).await.unwrap().unwrap();
    let order = |reference: &str| Order {
        merchant: merchant.clone(),
        face: Face::Pg3,
        merchant_reference: reference.to_string(),
        order_id: Some(reference.to_string()),
        fingerprint: reference.to_string(),
        request_id: None,
        amount: Amount::from_rupiah(10_000).unwrap(),
        rule: AmountRule::Exact,
        multi_use: false,
        callback_url: "http://127.0.0.1:9/cb".into(),
        expires_at: gw.clock.now() + 3_600_000,
    };
    let spec = || VaSpec {
        channel: "BRI",
        billing_name: "Budi".into(),
        description: "Kopi".into(),
        order: json!({}),
        requested_number: None,
    };
    let first = virtual_account(&gw, order("EXT-ONE"), spec()).await.expect("the first VA opens");
    assert!(matches!(first, Created::New(_)));
    let before = app.count("payments").await;
    let second = virtual_account(&gw, order("EXT-TWO"), spec()).await;
    assert!(matches!(second, Err(AppError::Acquirer(AcquirerError::NoFreeNumber))), "{second:?}");
    assert_eq!(app.count("payments").await, before);
}
