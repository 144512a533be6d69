use serde_json::json;

use crate::helpers::*;

const CALLBACK: &str = "https://merchant.example/notify";

const PATH: &str = "/v1.0/qr/qr-mpm-refund";

#[tokio::test]
async fn refunds_only_what_was_paid() {
    let app = TestApp::spawn().await;
    let qr = app.generate("15000.00", CALLBACK).await;
    app.call(PATH, &refund_body(&qr, "RF0", Some("1000.00")))
        .await
        .expect_message("4057801", "Requested Opearation Is Not Allowed");
    app.pay(&qr).await;

    let first = app.call(PATH, &refund_body(&qr, "RF1", Some("5000.00"))).await;
    first.expect_message("2007800", "Request has been processed successfully");
    assert_eq!(first.body["refundAmount"], json!({"value": "5000.00", "currency": "IDR"}));
    assert_eq!(first.body["partnerRefundNo"], "RF1");
    assert!(!first.body["refundNo"].as_str().unwrap().is_empty());
    assert_eq!(first.body["refundTime"].as_str().unwrap().len(), 25);
    let partly = app.query(&qr).await;
    assert_eq!(partly.body["latestTransactionStatus"], "04");
    assert_eq!(partly.body["additionalInfo"]["refundedAmount"]["value"], "5000.00");

    app.call(PATH, &refund_body(&qr, "RF2", Some("10000.01"))).await.expect_message("4037814", "Insufficient Funds");
    let rest = app.call(PATH, &refund_body(&qr, "RF3", None)).await;
    rest.expect("2007800");
    assert_eq!(rest.body["refundAmount"]["value"], "10000.00", "no amount refunds the remainder");
    app.call(PATH, &refund_body(&qr, "RF4", Some("0.01"))).await.expect("4037814");
    assert_eq!(app.query(&qr).await.body["additionalInfo"]["refundedAmount"]["value"], "15000.00");
}

#[tokio::test]
async fn partner_refund_no_is_idempotent() {
    let app = TestApp::spawn().await;
    let qr = app.generate("15000.00", CALLBACK).await;
    app.pay(&qr).await;
    let first = app.call(PATH, &refund_body(&qr, "RF1", Some("5000.00"))).await;
    first.expect("2007800");
    let again = app.call(PATH, &refund_body(&qr, "RF1", Some("5000.00"))).await;
    again.expect("2007800");
    assert_eq!(again.body, first.body, "a retry gets the first answer");
    assert_eq!(app.query(&qr).await.body["additionalInfo"]["refundedAmount"]["value"], "5000.00", "refunded once");

    app.call(PATH, &refund_body(&qr, "RF1", Some("6000.00"))).await.expect_message("4047818", "Inconsistent Request");
    assert_eq!(app.query(&qr).await.body["additionalInfo"]["refundedAmount"]["value"], "5000.00");
}

#[tokio::test]
async fn refund_validates_and_scopes() {
    let app = TestApp::spawn().await;
    let qr = app.generate("15000.00", CALLBACK).await;
    app.pay(&qr).await;
    let mut no_number = refund_body(&qr, "RF1", Some("1.00"));
    no_number.as_object_mut().unwrap().remove("partnerRefundNo");
    app.call(PATH, &no_number).await.expect_message("4007802", "Invalid Mandatory Field partnerRefundNo");
    app.call(PATH, &refund_body(&qr, "RF1", Some("1")))
        .await
        .expect_message("4007801", "Invalid Field Format refundAmount.value");
    app.call(PATH, &refund_body(&qr, "RF1", Some("0.00"))).await.expect("4007801");
    app.call_as(&app.other, PATH, &refund_body(&qr, "RF1", Some("1.00")))
        .await
        .expect_message("4047801", "Transaction Not Found");

    let expired = app.generate("15000.00", CALLBACK).await;
    app.clock.advance(time::Duration::minutes(20));
    app.call(PATH, &refund_body(&expired, "RF9", Some("1.00"))).await.expect_message("4037800", "Transaction Expired");
}

#[tokio::test]
async fn every_change_is_in_the_payment_history() {
    let app = TestApp::spawn().await;
    let qr = app.generate("15000.00", CALLBACK).await;
    app.pay(&qr).await;
    app.call(PATH, &refund_body(&qr, "RF-H1", Some("4000.00"))).await.expect("2007800");
    // Refused: more than is left. It leaves no trace.
    app.call(PATH, &refund_body(&qr, "RF-H2", Some("12000.00"))).await.expect("4037814");
    let reference = qr.body["referenceNo"].as_str().unwrap();
    let history = |filter: &str| {
        format!(
            "SELECT COUNT(*) FROM payment_events e JOIN payments p ON p.id = e.payment_id \
             WHERE p.reference_no = '{reference}' {filter}"
        )
    };
    let db = &app.config.database_url;
    assert_eq!(scalar(db, &history("")).await, 3);
    assert_eq!(scalar(db, &history("AND e.version = 0 AND e.kind = 'created' AND e.state = 'pending'")).await, 1);
    assert_eq!(scalar(db, &history("AND e.version = 1 AND e.kind = 'paid' AND e.amount = 1500000")).await, 1);
    assert_eq!(
        scalar(
            db,
            &history(
                "AND e.version = 2 AND e.kind = 'refunded' AND e.amount = 400000 AND e.state = 'partially_refunded'"
            )
        )
        .await,
        1
    );
}
