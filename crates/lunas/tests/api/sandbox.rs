use serde_json::json;

use crate::helpers::*;

const CALLBACK: &str = "https://merchant.example/notify";

#[tokio::test]
async fn sandbox_pays_and_expires_by_reference() {
    let app = TestApp::spawn().await;
    let qr = app.generate("15000.00", CALLBACK).await;
    let reference = qr.body["referenceNo"].as_str().unwrap();
    let (status, body) =
        app.sandbox(&format!("/sandbox/transactions/{reference}/pay"), json!({"amount": "14999.00"})).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"], "amount_not_accepted");
    assert_eq!(app.query(&qr).await.body["latestTransactionStatus"], "01", "a rejected payment changes nothing");
    let (status, body) = app.sandbox(&format!("/sandbox/transactions/{reference}/pay"), json!({})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "paid");
    let (status, _) = app.sandbox(&format!("/sandbox/transactions/{reference}/pay"), json!({})).await;
    assert_eq!(status, 409, "paid once only");

    let other = app.generate("15000.00", CALLBACK).await;
    let reference = other.body["referenceNo"].as_str().unwrap();
    let (status, body) = app.sandbox(&format!("/sandbox/transactions/{reference}/expire"), json!(null)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(app.query(&other).await.body["latestTransactionStatus"], "07");
    assert_eq!(app.pay(&other).await.0, 409);

    let (status, body) = app.sandbox("/sandbox/transactions/000/pay", json!({})).await;
    assert_eq!((status.as_u16(), body["error"].as_str()), (404, Some("not_found")));
}

#[tokio::test]
async fn sandbox_rejects_bad_qr_payloads() {
    let app = TestApp::spawn().await;
    let qr = app.generate("15000.00", CALLBACK).await;
    let content = qr.body["qrContent"].as_str().unwrap();
    let tampered = content.replace("540515000", "540515001");
    for bad in [tampered.as_str(), "hello", ""] {
        let (status, _) = app.sandbox("/sandbox/qris/pay", json!({"qrContent": bad})).await;
        assert_eq!(status, 400, "{bad}");
    }
    let (status, _) = app.sandbox("/sandbox/qris/pay", json!({"qr": content})).await;
    assert_eq!(status, 400);
    assert_eq!(app.query(&qr).await.body["latestTransactionStatus"], "01");
}

#[tokio::test]
async fn production_mode_has_no_sandbox() {
    let app = TestApp::spawn_with(production).await;
    let qr = app.generate("15000.00", CALLBACK).await;
    let (status, _) = app.pay(&qr).await;
    assert_eq!(status, 404);
    let reference = qr.body["referenceNo"].as_str().unwrap();
    let (status, _) = app.sandbox(&format!("/sandbox/transactions/{reference}/pay"), json!({})).await;
    assert_eq!(status, 404);
}
