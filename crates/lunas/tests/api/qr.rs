use base64::Engine;
use lunas_protocol::qris;
use serde_json::{Value, json};

use crate::helpers::*;

const CALLBACK: &str = "https://merchant.example/notify";

fn decode_png(b64: &str) -> String {
    let png = base64::engine::general_purpose::STANDARD.decode(b64).expect("base64");
    let mut decoder = png::Decoder::new(std::io::Cursor::new(png));
    // 1-bit greyscale, widened to a byte per pixel.
    decoder.set_transformations(png::Transformations::EXPAND);
    let mut reader = decoder.read_info().expect("png header");
    let mut pixels = vec![0; reader.output_buffer_size().expect("size")];
    let info = reader.next_frame(&mut pixels).expect("png frame");
    let (w, h) = (info.width as usize, info.height as usize);
    let mut image = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| pixels[y * w + x]);
    let grids = image.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code in the image");
    grids[0].decode().expect("QR decodes").1
}

#[tokio::test]
async fn generate_returns_a_real_dynamic_qris_and_its_image() {
    let app = TestApp::spawn().await;
    let body = json!({
        "partnerReferenceNo": "2020102900000000000001",
        "amount": {"value": "15000.00", "currency": "IDR"},
        "terminalId": "T001",
        "validityPeriod": lunas_protocol::timestamp::format(app.clock.now_datetime() + time::Duration::minutes(30)),
        "additionalInfo": {"callbackUrl": CALLBACK, "tip": {"type": "01"}},
    });
    let snap = app.call("/v1.0/qr/qr-mpm-generate", &body).await;
    snap.expect_message("2004700", "Request has been processed successfully");
    assert_eq!(snap.body["partnerReferenceNo"], "2020102900000000000001");
    assert_eq!(snap.body["terminalId"], "T001");
    let reference = snap.body["referenceNo"].as_str().unwrap();
    assert_eq!(reference.len(), 22);

    let content = snap.body["qrContent"].as_str().unwrap();
    let objects = qris::decode(content).expect("CRC verifies");
    let tag = |id: &str| objects.iter().find(|t| t.id == id).map(|t| t.value.clone());
    assert_eq!(tag("00").as_deref(), Some("01"));
    assert_eq!(tag("01").as_deref(), Some("12"), "dynamic point of initiation");
    assert_eq!(tag("52").as_deref(), Some("5999"));
    assert_eq!(tag("53").as_deref(), Some("360"));
    assert_eq!(tag("54").as_deref(), Some("15000"));
    assert_eq!(tag("55").as_deref(), Some("01"));
    assert_eq!(tag("58").as_deref(), Some("ID"));
    assert_eq!(tag("59").as_deref(), Some("Toko Contoh"));
    assert_eq!(tag("60").as_deref(), Some("JAKARTA"));
    let account = qris::parse_tlv(&tag("26").unwrap()).unwrap();
    assert_eq!(account[0].value, "ID.CO.LUNAS.WWW");
    assert!(account[1].value.starts_with("9360") && account[1].value.len() == 19);
    let additional = qris::parse_tlv(&tag("62").unwrap()).unwrap();
    assert!(additional.iter().any(|t| t.id == "05" && t.value == reference));
    assert!(additional.iter().any(|t| t.id == "07" && t.value == "T001"));
    assert!(content.ends_with(&qris::crc16(&content[..content.len() - 4])));

    assert_eq!(decode_png(snap.body["qrImage"].as_str().unwrap()), content, "the image encodes qrContent");
}

#[tokio::test]
async fn generate_validates_every_field() {
    let app = TestApp::spawn().await;
    let base = || {
        json!({
            "partnerReferenceNo": unique("INV"),
            "amount": {"value": "15000.00", "currency": "IDR"},
            "additionalInfo": {"callbackUrl": CALLBACK},
        })
    };
    let in_minutes = |m: i64| lunas_protocol::timestamp::format(app.clock.now_datetime() + time::Duration::minutes(m));
    type Mutation<'a> = Box<dyn Fn(&mut Value) + 'a>;
    let cases: Vec<(Mutation, &str, &str)> = vec![
        (
            Box::new(|b| {
                b.as_object_mut().unwrap().remove("partnerReferenceNo");
            }),
            "4004702",
            "Invalid Mandatory Field partnerReferenceNo",
        ),
        (Box::new(|b| b["partnerReferenceNo"] = json!("INV-1")), "4004701", "Invalid Field Format partnerReferenceNo"),
        (
            Box::new(|b| b["partnerReferenceNo"] = json!("9".repeat(65))),
            "4004701",
            "Invalid Field Format partnerReferenceNo",
        ),
        (
            Box::new(|b| {
                b.as_object_mut().unwrap().remove("amount");
            }),
            "4004702",
            "Invalid Mandatory Field amount",
        ),
        (Box::new(|b| b["amount"]["value"] = json!("15000")), "4004701", "Invalid Field Format amount.value"),
        (Box::new(|b| b["amount"]["value"] = json!(15000)), "4004701", "Invalid Field Format amount.value"),
        (Box::new(|b| b["amount"]["value"] = json!("0.00")), "4004701", "Invalid Field Format amount.value"),
        (Box::new(|b| b["amount"]["currency"] = json!("USD")), "4004701", "Invalid Field Format amount.currency"),
        (Box::new(|b| b["amount"]["value"] = json!("10000000.01")), "4034702", "Exceeds Transaction Amount Limit"),
        (Box::new(|b| b["terminalId"] = json!("T".repeat(17))), "4004701", "Invalid Field Format terminalId"),
        (
            Box::new(move |b| b["validityPeriod"] = json!(in_minutes(5))),
            "4004701",
            "Invalid Field Format validityPeriod",
        ),
        (
            Box::new(move |b| b["validityPeriod"] = json!(in_minutes(90))),
            "4004701",
            "Invalid Field Format validityPeriod",
        ),
        (Box::new(|b| b["validityPeriod"] = json!("soon")), "4004701", "Invalid Field Format validityPeriod"),
        (
            Box::new(|b| {
                b.as_object_mut().unwrap().remove("additionalInfo");
            }),
            "4004702",
            "Invalid Mandatory Field additionalInfo.callbackUrl",
        ),
        (
            Box::new(|b| b["additionalInfo"]["callbackUrl"] = json!("merchant.example")),
            "4004701",
            "Invalid Field Format additionalInfo.callbackUrl",
        ),
        (
            Box::new(|b| b["additionalInfo"]["customerDetail"] = json!({"phone": "08-12"})),
            "4004701",
            "Invalid Field Format additionalInfo.customerDetail.phone",
        ),
        (
            Box::new(|b| b["additionalInfo"]["tip"] = json!({"type": "02", "value": "x"})),
            "4004701",
            "Invalid Field Format additionalInfo.tip.value",
        ),
    ];
    for (mutate, code, message) in cases {
        let mut body = base();
        mutate(&mut body);
        app.call("/v1.0/qr/qr-mpm-generate", &body).await.expect_message(code, message);
    }
    let mut thirty = base();
    thirty["validityPeriod"] = json!(in_minutes(30));
    app.call("/v1.0/qr/qr-mpm-generate", &thirty).await.expect("2004700");
}

#[tokio::test]
async fn partner_reference_is_unique_per_merchant() {
    let app = TestApp::spawn().await;
    let body = json!({
        "partnerReferenceNo": "ORDER1",
        "amount": {"value": "15000.00", "currency": "IDR"},
        "additionalInfo": {"callbackUrl": CALLBACK},
    });
    app.call("/v1.0/qr/qr-mpm-generate", &body).await.expect("2004700");
    app.call("/v1.0/qr/qr-mpm-generate", &body).await.expect_message("4094701", "Duplicate partnerReferenceNo");
    let mut different = body.clone();
    different["amount"]["value"] = json!("20000.00");
    app.call("/v1.0/qr/qr-mpm-generate", &different).await.expect_message("4044718", "Inconsistent Request");
    // Another merchant's references are its own.
    app.call_as(&app.other, "/v1.0/qr/qr-mpm-generate", &body).await.expect("2004700");
}

#[tokio::test]
async fn query_follows_the_payment_through_its_life() {
    let app = TestApp::spawn().await;
    let qr = app.generate("15000.00", CALLBACK).await;

    let pending = app.query(&qr).await;
    pending.expect_message("2005100", "Request has been processed successfully");
    assert_eq!(pending.body["latestTransactionStatus"], "01");
    assert_eq!(pending.body["transactionStatusDesc"], "Initiated");
    assert_eq!(pending.body["serviceCode"], "47");
    assert_eq!(pending.body["amount"], json!({"value": "15000.00", "currency": "IDR"}));
    assert!(pending.body.get("paidTime").is_none());

    assert_eq!(app.pay(&qr).await.0, 200);
    let paid = app.query(&qr).await;
    paid.expect("2005100");
    assert_eq!(paid.body["latestTransactionStatus"], "00");
    assert_eq!(paid.body["transactionStatusDesc"], "Success");
    let paid_time = paid.body["paidTime"].as_str().unwrap();
    assert!(lunas_protocol::timestamp::parse(paid_time).is_some() && paid_time.ends_with("+07:00"));

    let canceled = app.generate("1000.00", CALLBACK).await;
    app.cancel(&canceled).await.expect("2007700");
    let status = app.query(&canceled).await;
    assert_eq!(status.body["latestTransactionStatus"], "05");
    assert_eq!(status.body["transactionStatusDesc"], "Canceled");
}

#[tokio::test]
async fn an_expired_qr_reports_expired_without_any_job() {
    let app = TestApp::spawn_with(|c| c.callbacks.poll_interval_ms = 3_600_000).await;
    let qr = app.generate("15000.00", CALLBACK).await;
    app.clock.advance(time::Duration::minutes(16));
    let status = app.query(&qr).await;
    status.expect("2005100");
    assert_eq!(status.body["latestTransactionStatus"], "07");
    assert_eq!(status.body["transactionStatusDesc"], "Expired");
    app.cancel(&qr).await.expect_message("4037700", "Transaction Expired");
    let (code, _) = app.pay(&qr).await;
    assert_eq!(code, 409, "an expired QR cannot be paid");
}

#[tokio::test]
async fn query_checks_its_fields_and_the_owner() {
    let app = TestApp::spawn().await;
    let qr = app.generate("15000.00", CALLBACK).await;
    let mut body = json!({
        "originalReferenceNo": qr.body["referenceNo"],
        "originalPartnerReferenceNo": qr.body["partnerReferenceNo"],
        "serviceCode": "51",
    });
    app.call("/v1.0/qr/qr-mpm-query", &body).await.expect_message("4005101", "Invalid Field Format serviceCode");
    body["serviceCode"] = json!("47");
    app.call_as(&app.other, "/v1.0/qr/qr-mpm-query", &body).await.expect_message("4045101", "Transaction Not Found");
    body["originalPartnerReferenceNo"] = json!("SOMETHINGELSE");
    app.call("/v1.0/qr/qr-mpm-query", &body).await.expect("4045101");
    body.as_object_mut().unwrap().remove("originalReferenceNo");
    app.call("/v1.0/qr/qr-mpm-query", &body)
        .await
        .expect_message("4005102", "Invalid Mandatory Field originalReferenceNo");
}

#[tokio::test]
async fn cancel_answers_as_the_seed_page_shows() {
    let app = TestApp::spawn().await;
    let qr = app.generate("15000.00", CALLBACK).await;
    // The seed page's request, with this QR's references.
    let seed = format!(
        "{{\n\"originalPartnerReferenceNo\": \"{}\",\n\"originalReferenceNo\": \"{}\",\n\"reason\": \"cancel reason\",\n\"additionalInfo\": {{\n\"type\": \"DYNAMIC\"\n}}\n}}",
        qr.body["partnerReferenceNo"].as_str().unwrap(),
        qr.body["referenceNo"].as_str().unwrap()
    );
    let path = "/v1.0/qr/qr-mpm-cancel";
    let snap = app.send(path, &seed, &app.rsa_headers(&app.merchant, path, &seed)).await;
    snap.expect_message("2007700", "Request has been processed successfully");
    let keys: Vec<&str> = snap.body.as_object().unwrap().keys().map(String::as_str).collect();
    let order: Vec<usize> = [
        "responseCode",
        "responseMessage",
        "originalPartnerReferenceNo",
        "originalReferenceNo",
        "cancelTime",
        "additionalInfo",
    ]
    .iter()
    .map(|k| snap.raw.find(&format!("\"{k}\"")).expect("field present"))
    .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "fields in the seed's order: {}", snap.raw);
    assert_eq!(keys.len(), 6);
    assert_eq!(snap.body["originalReferenceNo"], qr.body["referenceNo"]);
    assert_eq!(snap.body["additionalInfo"], json!({"type": "DYNAMIC"}));
    let cancel_time = snap.body["cancelTime"].as_str().unwrap();
    assert_eq!(cancel_time.len(), 25);
    assert!(lunas_protocol::timestamp::parse(cancel_time).is_some());

    // Repeating the cancel answers the same and changes nothing.
    let again = app.cancel(&qr).await;
    again.expect("2007700");
    assert_eq!(again.body["cancelTime"], snap.body["cancelTime"]);
    let (code, _) = app.pay(&qr).await;
    assert_eq!(code, 409, "a canceled QR cannot be paid");
}

#[tokio::test]
async fn cancel_is_refused_once_paid_refunded_or_for_strangers() {
    let app = TestApp::spawn().await;
    let paid = app.generate("15000.00", CALLBACK).await;
    app.pay(&paid).await;
    app.cancel(&paid).await.expect_message("4057701", "Requested Opearation Is Not Allowed");

    app.call("/v1.0/qr/qr-mpm-refund", &refund_body(&paid, "RF1", Some("15000.00"))).await.expect("2007800");
    app.cancel(&paid).await.expect("4057701");

    let open = app.generate("15000.00", CALLBACK).await;
    app.call_as(&app.other, "/v1.0/qr/qr-mpm-cancel", &cancel_body(&open))
        .await
        .expect_message("4047701", "Transaction Not Found");
    assert_eq!(app.query(&open).await.body["latestTransactionStatus"], "01", "the stranger changed nothing");

    let mut static_type = cancel_body(&open);
    static_type["additionalInfo"]["type"] = json!("STATIC");
    app.call("/v1.0/qr/qr-mpm-cancel", &static_type)
        .await
        .expect_message("4007701", "Invalid Field Format additionalInfo.type");
    let mut no_reason = cancel_body(&open);
    no_reason.as_object_mut().unwrap().remove("reason");
    app.call("/v1.0/qr/qr-mpm-cancel", &no_reason).await.expect_message("4007702", "Invalid Mandatory Field reason");
}

/// A QR nobody asks about after it expires still gets its expiry in the history, once,
/// from the housekeeping sweep; a paid one is left alone.
#[tokio::test]
async fn the_sweep_records_expiries_nobody_asked_for() {
    let callback = CallbackServer::start().await;
    let app = TestApp::spawn().await;
    let forgotten = app.generate("15000.00", &callback.url).await;
    let paid = app.generate("15000.00", &callback.url).await;
    app.pay(&paid).await;
    app.clock.advance(time::Duration::minutes(16));

    let expired = |reference: &Value| {
        let sql = format!(
            "SELECT COUNT(*) FROM payment_events e JOIN payments p ON p.id = e.payment_id \
             WHERE p.reference_no = '{}' AND e.kind = 'expired'",
            reference.as_str().unwrap()
        );
        let url = app.config.database_url.clone();
        async move { scalar(&url, &sql).await }
    };
    assert_eq!(expired(&forgotten.body["referenceNo"]).await, 0, "derived only, until something records it");
    assert_eq!(lunas::app::change::expire_due(app.gateway(), 100).await.unwrap(), 1);
    assert_eq!(expired(&forgotten.body["referenceNo"]).await, 1);
    assert_eq!(expired(&paid.body["referenceNo"]).await, 0);
    assert_eq!(lunas::app::change::expire_due(app.gateway(), 100).await.unwrap(), 0, "once");
    app.query(&forgotten).await.expect("2005100");
    assert_eq!(expired(&forgotten.body["referenceNo"]).await, 1, "a later query adds nothing");
}
