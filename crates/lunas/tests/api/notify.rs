use std::sync::Arc;

use serde_json::json;
use tokio::sync::Semaphore;

use crate::helpers::*;

#[tokio::test]
async fn paying_sends_a_signed_notification() {
    let callback = CallbackServer::start().await;
    let app = TestApp::spawn().await;
    let qr = app.generate("15000.00", &callback.url).await;
    let (status, paid) = app
        .sandbox(
            "/sandbox/qris/pay",
            json!({
                "qrContent": qr.body["qrContent"], "issuer": "DANA", "customerName": "Budi"
            }),
        )
        .await;
    assert_eq!(status, 200, "{paid}");
    assert_eq!(paid["status"], "paid");

    let received = callback.wait_for(1).await;
    let notification = &received[0];
    assert!(notification.verify(&callback.url, &app.merchant.client_secret), "signature verifies");
    assert!(!notification.verify(&callback.url, &app.other.client_secret));
    assert_eq!(notification.headers["x-partner-id"], app.merchant.partner_id.as_str());
    let body = notification.json();
    assert_eq!(body["responseCode"], "2005200");
    assert_eq!(body["originalReferenceNo"], qr.body["referenceNo"]);
    assert_eq!(body["originalPartnerReferenceNo"], qr.body["partnerReferenceNo"]);
    assert_eq!(body["latestTransactionStatus"], "00");
    assert_eq!(body["transactionStatusDesc"], "Success");
    assert_eq!(body["amount"], json!({"value": "15000.00", "currency": "IDR"}));
    assert_eq!(body["additionalInfo"]["issuer"], "DANA");
    assert_eq!(body["additionalInfo"]["customerName"], "Budi");
    assert_eq!(body["additionalInfo"]["merchantId"], app.merchant.partner_id.as_str());
    assert!(body["paidTime"].as_str().is_some());
    assert_eq!(lunas_protocol::minify::minify_json(&notification.body), notification.body, "sent minified");

    let refund = app.call("/v1.0/qr/qr-mpm-refund", &refund_body(&qr, "RF1", Some("4000.00"))).await;
    refund.expect("2007800");
    let received = callback.wait_for(2).await;
    assert!(received[1].verify(&callback.url, &app.merchant.client_secret));
    let body = received[1].json();
    assert_eq!(body["latestTransactionStatus"], "04");
    assert_eq!(body["additionalInfo"]["refundNo"], refund.body["refundNo"]);
    assert_eq!(body["additionalInfo"]["refundAmount"]["value"], "4000.00");
    assert_eq!(body["additionalInfo"]["refundedAmount"]["value"], "4000.00");
}

#[tokio::test]
async fn a_failed_delivery_is_retried_until_it_succeeds() {
    let callback = CallbackServer::answering(&[500, 503]).await;
    let app = TestApp::spawn().await;
    let qr = app.generate("15000.00", &callback.url).await;
    app.pay(&qr).await;
    let received = callback.wait_for(3).await;
    let bodies: Vec<_> = received.iter().map(|r| r.body.clone()).collect();
    assert!(bodies.windows(2).all(|w| w[0] == w[1]), "every attempt carries the same body");
    assert!(received.iter().all(|r| r.verify(&callback.url, &app.merchant.client_secret)));
    let ids: std::collections::HashSet<_> = received.iter().map(|r| r.headers["x-external-id"].clone()).collect();
    assert_eq!(ids.len(), 3, "each attempt has its own X-EXTERNAL-ID");

    // Delivered: nothing more arrives.
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    assert_eq!(callback.received().len(), 3);
    let entries = app.store().outbox(false).await.unwrap();
    assert_eq!(entries.len(), 1);
    assert!(entries[0].delivered);
    assert_eq!(entries[0].attempts, 3);

    // Every attempt is kept with what the merchant answered.
    let attempts = lunas::app::deliveries::attempts(app.gateway(), entries[0].id).await.unwrap();
    let seen: Vec<_> = attempts.iter().map(|a| (a.attempt, a.status, a.error.as_deref())).collect();
    assert_eq!(
        seen,
        [
            (1, Some(500), Some("merchant answered HTTP 500")),
            (2, Some(503), Some("merchant answered HTTP 503")),
            (3, Some(200), None)
        ]
    );
    assert!(attempts.iter().all(|a| a.target_url == callback.url && a.latency_ms >= 0));
    assert!(attempts.windows(2).all(|w| w[0].at <= w[1].at));
}

#[tokio::test]
async fn an_attempt_keeps_only_the_start_of_a_long_answer() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/notify", listener.local_addr().unwrap());
    let app = axum::Router::new().route("/notify", axum::routing::post(|| async { "é".repeat(100_000) }));
    tokio::spawn(async move { axum::serve(listener, app).await });
    let lunas = TestApp::spawn().await;
    let qr = lunas.generate("15000.00", &url).await;
    lunas.pay(&qr).await;
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    let attempt = loop {
        let entries = lunas.store().outbox(false).await.unwrap();
        let attempts = lunas::app::deliveries::attempts(lunas.gateway(), entries[0].id).await.unwrap();
        if let Some(first) = attempts.into_iter().next() {
            break first;
        }
        assert!(tokio::time::Instant::now() < deadline, "no attempt recorded");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    assert_eq!(attempt.status, Some(200));
    let response = attempt.response.expect("the answer's start");
    // 1 KiB of two-byte characters: 512 of them, none cut in half.
    assert_eq!(response, "é".repeat(512));
}

#[tokio::test]
async fn retries_stop_after_the_schedule_and_resend_revives_them() {
    let callback = CallbackServer::answering(&[500; 10]).await;
    let app = TestApp::spawn().await;
    let qr = app.generate("15000.00", &callback.url).await;
    app.pay(&qr).await;
    // One attempt and three retries, then the row waits for an operator.
    callback.wait_for(4).await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(callback.received().len(), 4);
    let entry = app.store().outbox(true).await.unwrap().remove(0);
    assert_eq!(entry.attempts, 4);
    assert_eq!(entry.last_status, Some(500));
    assert!(lunas::app::deliveries::resend(app.gateway(), entry.id).await.unwrap());
    let received = callback.wait_for(5).await;
    let ids: std::collections::HashSet<_> = received.iter().map(|r| r.headers["x-external-id"].clone()).collect();
    assert_eq!(ids.len(), 5, "a resent attempt has an X-EXTERNAL-ID of its own");
    // A resend is one more attempt; it does not restart the schedule.
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    assert_eq!(callback.received().len(), 5);
}

#[tokio::test]
async fn notifications_survive_a_restart() {
    // The merchant is down while lunas restarts; the notification is still delivered.
    let callback = CallbackServer::answering(&[500]).await;
    let mut app = TestApp::spawn_with(|c| c.callbacks.retry_delays_ms = vec![1_000]).await;
    let qr = app.generate("15000.00", &callback.url).await;
    app.pay(&qr).await;
    callback.wait_for(1).await;
    app.restart().await;
    let received = callback.wait_for(2).await;
    assert_eq!(received[0].body, received[1].body);
    assert!(received[1].verify(&callback.url, &app.merchant.client_secret));
}

#[tokio::test]
async fn an_undecodable_notice_is_parked_and_the_others_are_sent() {
    let callback = CallbackServer::start().await;
    let app = TestApp::spawn().await;
    let qr = app.generate("15000.00", &callback.url).await;
    let reference = qr.body["referenceNo"].as_str().unwrap();
    execute(
        &app.config.database_url,
        &format!(
            "INSERT INTO outbox (merchant_id, payment_id, target_url, notice, next_attempt_at, created_at) \
             SELECT merchant_id, id, '{}', '{{\"v\":9}}', 0, 0 FROM payments WHERE reference_no = '{reference}'",
            callback.url
        ),
    )
    .await;
    app.pay(&qr).await;
    let received = callback.wait_for(1).await;
    assert_eq!(received[0].json()["originalReferenceNo"], reference);

    let parked = || async {
        let entries = app.store().outbox(false).await.unwrap();
        entries.into_iter().find(|e| e.parked)
    };
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(5);
    while parked().await.is_none() && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let entry = parked().await.expect("the bad row is parked");
    assert!(!entry.delivered && entry.last_error.as_deref().unwrap_or("").contains("version 9"), "{entry:?}");
    assert_eq!(callback.received().len(), 1, "nothing was sent for it");

    // A resend tries it again: still undecodable, parked again after one more attempt.
    assert!(lunas::app::deliveries::resend(app.gateway(), entry.id).await.unwrap());
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let again = app.store().outbox(false).await.unwrap().into_iter().find(|e| e.id == entry.id).unwrap();
        if again.parked && again.attempts == 2 {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "{again:?}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let attempts = lunas::app::deliveries::attempts(app.gateway(), entry.id).await.unwrap();
    assert_eq!(attempts.len(), 2, "both parkings are attempts on record");
    assert!(attempts.iter().all(|a| a.status.is_none() && a.error.as_deref().unwrap_or("").contains("version 9")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_merchant_delays_only_its_own_notifications() {
    let slow = CallbackServer::slow(std::time::Duration::from_secs(2)).await;
    let fast = CallbackServer::start().await;
    let app = TestApp::spawn_with(|c| {
        c.callbacks.per_merchant = 1;
        c.callbacks.request_timeout_ms = 5_000;
        c.callbacks.lease_ms = 10_000;
    })
    .await;
    for _ in 0..3 {
        let qr = app.generate_as(&app.merchant, "15000.00", &slow.url).await;
        app.pay(&qr).await;
    }
    slow.wait_for(1).await;
    let started = std::time::Instant::now();
    for _ in 0..3 {
        let qr = app.generate_as(&app.other, "15000.00", &fast.url).await;
        app.pay(&qr).await;
    }
    fast.wait_for(3).await;
    assert!(started.elapsed() < std::time::Duration::from_millis(1_500), "waited {:?}", started.elapsed());
    assert_eq!(slow.received().len(), 1, "the slow merchant gets one notification at a time");
    // The slow merchant's others follow, one after another.
    let all = slow.wait_for(3).await;
    assert!(all.iter().all(|r| r.verify(&slow.url, &app.merchant.client_secret)));
}

/// An operator resends every failed notification of one merchant in a time range; a
/// delivered one, another merchant's, and ones outside the range stay as they are.
#[tokio::test]
async fn failed_deliveries_of_a_merchant_in_a_range_are_resent_together() {
    let failing = CallbackServer::answering(&[500, 500, 500]).await;
    let healthy = CallbackServer::start().await;
    let app = TestApp::spawn_with(|c| c.callbacks.retry_delays_ms = vec![]).await;
    let started = app.clock.now();
    for _ in 0..3 {
        let qr = app.generate("15000.00", &failing.url).await;
        app.pay(&qr).await;
    }
    let other = app.generate_as(&app.other, "15000.00", &healthy.url).await;
    app.pay(&other).await;
    failing.wait_for(3).await;
    healthy.wait_for(1).await;
    // The healthy one is recorded delivered; the failed ones stay (no retries configured).
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(5);
    while app.store().outbox(true).await.unwrap().len() != 3 {
        assert!(tokio::time::Instant::now() < deadline, "the delivered one is recorded");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert_eq!(app.store().outbox(true).await.unwrap().len(), 3, "no retries configured");

    let gw = app.gateway();
    let later = started + 60_000;
    let resend = |partner: &'static str, from, until| lunas::app::deliveries::resend_failed(gw, partner, from, until);
    let merchant: &'static str = app.merchant.partner_id.clone().leak();
    let other: &'static str = app.other.partner_id.clone().leak();
    assert_eq!(resend(merchant, later, later + 60_000).await.unwrap(), Some(0), "none was created then");
    assert_eq!(resend(other, started, later).await.unwrap(), Some(0), "the other merchant's was delivered");
    assert_eq!(resend(merchant, started, later).await.unwrap(), Some(3));
    failing.wait_for(6).await;
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(5);
    while !app.store().outbox(true).await.unwrap().is_empty() {
        assert!(tokio::time::Instant::now() < deadline, "not delivered on the resend");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(resend("NOPE", started, later).await.unwrap(), None);
}

/// A binary answer is kept readable (PostgreSQL's TEXT takes no NUL), and a resend
/// while an attempt is in flight is refused rather than sending twice.
#[tokio::test]
async fn odd_answers_are_recorded_and_an_attempt_in_flight_is_not_resent() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/notify", listener.local_addr().unwrap());
    // The merchant holds its answer until the test has tried the resend.
    let (arrived, release) = (Arc::new(Semaphore::new(0)), Arc::new(Semaphore::new(0)));
    let (signal, wait) = (Arc::clone(&arrived), Arc::clone(&release));
    let merchant = axum::Router::new().route(
        "/notify",
        axum::routing::post(move || async move {
            signal.add_permits(1);
            let _ = wait.acquire().await;
            &b"ok\0\xff"[..]
        }),
    );
    tokio::spawn(async move { axum::serve(listener, merchant).await });
    let app = TestApp::spawn().await;
    let qr = app.generate("15000.00", &url).await;
    app.pay(&qr).await;

    // In flight: claimed, sent, not answered yet.
    let arrival = tokio::time::timeout(std::time::Duration::from_secs(10), arrived.acquire());
    let _ = arrival.await.expect("the notification arrives").unwrap();
    let id = app.store().outbox(true).await.unwrap()[0].id;
    assert!(!lunas::app::deliveries::resend(app.gateway(), id).await.unwrap(), "the attempt holds its lease");
    release.add_permits(1);

    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(5);
    let attempts = loop {
        let attempts = lunas::app::deliveries::attempts(app.gateway(), id).await.unwrap();
        if !attempts.is_empty() {
            break attempts;
        }
        assert!(tokio::time::Instant::now() < deadline, "no attempt recorded");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    assert_eq!(attempts.len(), 1, "sent once");
    assert_eq!(attempts[0].status, Some(200));
    assert_eq!(attempts[0].response.as_deref(), Some("ok\u{FFFD}\u{FFFD}"));
}
