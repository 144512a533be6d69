//! SNAP virtual accounts over HTTP: each endpoint, every failure class, each kind's
//! whole life, the faces kept apart, and a delete racing a payment.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::*;

const CREATE: &str = "/v1.0/transfer-va/create-va";
const INQUIRY: &str = "/v1.0/transfer-va/inquiry-va";
const STATUS: &str = "/v1.0/transfer-va/status";
const DELETE: &str = "/v1.0/transfer-va/delete-va";

fn money(value: &str) -> Value {
    json!({"value": value, "currency": "IDR"})
}

fn create_body(trx_type: &str, amount: Option<&str>, callback: &str) -> Value {
    let mut body = json!({
        "virtualAccountName": "Budi Santoso",
        "virtualAccountEmail": "budi@example.com",
        "trxId": unique("TRX"),
        "virtualAccountTrxType": trx_type,
        "freeTexts": [{"english": "Coffee", "indonesia": "Kopi"}],
        "additionalInfo": {"callbackUrl": callback, "channel": "BRI"},
    });
    if let Some(amount) = amount {
        body["totalAmount"] = money(amount);
    }
    body
}

async fn create(app: &TestApp, body: &Value) -> Value {
    let answer = app.call(CREATE, body).await;
    answer.expect("2002700");
    answer.body["virtualAccountData"].clone()
}

/// The identity triple of `va` (padded, as lunas answers), with `trxId`.
fn lookup(va: &Value) -> Value {
    json!({
        "partnerServiceId": va["partnerServiceId"],
        "customerNo": va["customerNo"],
        "virtualAccountNo": va["virtualAccountNo"],
        "trxId": va["trxId"],
    })
}

async fn pay(app: &TestApp, va: &Value, amount: &str) -> u16 {
    let number = va["virtualAccountNo"].as_str().unwrap();
    let (status, _) = app.sandbox("/sandbox/va/pay", json!({"va_number": number, "amount": amount})).await;
    status.as_u16()
}

#[tokio::test]
async fn a_closed_va_is_created_paid_notified_queried_and_then_cannot_be_deleted() {
    let callback = CallbackServer::start().await;
    let app = TestApp::spawn().await;
    let va = create(&app, &create_body("C", Some("15000.00"), &callback.url)).await;

    // BRI's closed-amount BIN, padded to 8; the number is BIN + customerNo.
    assert_eq!(va["partnerServiceId"], "   13033");
    let customer_no = va["customerNo"].as_str().unwrap();
    assert_eq!(customer_no.len(), 11);
    assert_eq!(va["virtualAccountNo"], format!("   13033{customer_no}"));
    assert_eq!(va["virtualAccountTrxType"], "C");
    assert_eq!(va["totalAmount"], money("15000.00"));
    assert_eq!(va["freeTexts"], json!([{"english": "Coffee", "indonesia": "Kopi"}]));
    assert_eq!(va["additionalInfo"]["virtualAccountStatus"], "ACTIVE");

    // The trimmed spelling names the same account.
    let trimmed = json!({
        "partnerServiceId": "13033",
        "customerNo": customer_no,
        "virtualAccountNo": format!("13033{customer_no}"),
        "trxId": va["trxId"],
    });
    let found = app.call(INQUIRY, &trimmed).await;
    found.expect("2003000");
    assert_eq!(found.body["virtualAccountData"]["virtualAccountNo"], va["virtualAccountNo"]);

    let status = app.call(STATUS, &lookup(&va)).await;
    status.expect("2002600");
    assert_eq!(status.body["virtualAccountData"]["paymentFlagStatus"], "01");

    assert_eq!(pay(&app, &va, "15000").await, 200);
    let notice = &callback.wait_for(1).await[0];
    assert!(notice.verify(&callback.url, &app.merchant.client_secret), "signed the SNAP way");
    let body = notice.json();
    assert_eq!(body["virtualAccountNo"], va["virtualAccountNo"]);
    assert_eq!(body["trxId"], va["trxId"]);
    assert_eq!(body["paidAmount"], money("15000.00"));
    assert_eq!(body["cumulativePaymentAmount"], money("15000.00"));
    assert_eq!(body["additionalInfo"]["virtualAccountStatus"], "PAID");

    let status = app.call(STATUS, &lookup(&va)).await;
    status.expect("2002600");
    let data = &status.body["virtualAccountData"];
    assert_eq!((data["paymentFlagStatus"].as_str(), data["paidAmount"].clone()), (Some("00"), money("15000.00")));
    assert_eq!(data["paymentRequestId"], body["paymentRequestId"]);

    // Paid: the bank refuses a second transfer, and the VA cannot be deleted.
    assert_eq!(pay(&app, &va, "15000").await, 404);
    app.call(DELETE, &lookup(&va)).await.expect("4043114");
}

#[tokio::test]
async fn multi_use_partial_open_and_minimum_vas_report_what_they_took() {
    let callback = CallbackServer::start().await;
    let app = TestApp::spawn().await;

    // X: the same amount, any number of times; the notification carries the total so far.
    let multi = create(&app, &create_body("X", Some("15000.00"), &callback.url)).await;
    assert_eq!(pay(&app, &multi, "15000").await, 200);
    assert_eq!(pay(&app, &multi, "15000").await, 200);
    assert_eq!(pay(&app, &multi, "14000").await, 422, "a closed amount takes only itself");
    // I: instalments until the total.
    let partial = create(&app, &create_body("I", Some("30000.00"), &callback.url)).await;
    assert_eq!(pay(&app, &partial, "10000").await, 200);
    assert_eq!(pay(&app, &partial, "20000").await, 200);
    // O: one payment of any amount from Rp 10,000.
    let open = create(&app, &create_body("O", None, &callback.url)).await;
    assert!(open.get("totalAmount").is_none());
    assert_eq!(pay(&app, &open, "77000").await, 200);
    // N: any number of payments of at least the total.
    let minimum = create(&app, &create_body("N", Some("20000.00"), &callback.url)).await;
    assert_eq!(pay(&app, &minimum, "19000").await, 422);
    assert_eq!(pay(&app, &minimum, "25000").await, 200);

    let notices: Vec<Value> = callback.wait_for(6).await.iter().map(Received::json).collect();
    // Notifications of one VA may arrive in any order (each is its own delivery):
    // ordered by the cumulative amount, they tell the payments in turn.
    let of = |va: &Value| -> Vec<(Value, Value)> {
        let mut of: Vec<_> = notices
            .iter()
            .filter(|n| n["trxId"] == va["trxId"])
            .map(|n| (n["paidAmount"]["value"].clone(), n["cumulativePaymentAmount"]["value"].clone()))
            .collect();
        of.sort_by_key(|(_, cumulative)| cumulative.as_str().unwrap_or("").parse::<f64>().unwrap_or(0.0) as i64);
        of
    };
    assert_eq!(of(&multi), [(json!("15000.00"), json!("15000.00")), (json!("15000.00"), json!("30000.00"))]);
    assert_eq!(of(&partial), [(json!("10000.00"), json!("10000.00")), (json!("20000.00"), json!("30000.00"))]);
    assert_eq!(of(&open), [(json!("77000.00"), json!("77000.00"))]);
    assert_eq!(of(&minimum), [(json!("25000.00"), json!("25000.00"))]);

    let state = |va: &Value| {
        let app = &app;
        let body = lookup(va);
        async move { app.call(INQUIRY, &body).await.body["virtualAccountData"]["additionalInfo"].clone() }
    };
    assert_eq!(state(&multi).await["virtualAccountStatus"], "ACTIVE", "multi-use stays open");
    assert_eq!(state(&partial).await["virtualAccountStatus"], "PAID");
    assert_eq!(state(&partial).await["paidAmount"], money("30000.00"));
    assert_eq!(state(&open).await["virtualAccountStatus"], "PAID");

    // A VA that took money is not deleted, and keeps taking transfers.
    app.call_with(Method::DELETE, &app.merchant, DELETE, &lookup(&multi)).await.expect("4043114");
    assert_eq!(state(&multi).await["virtualAccountStatus"], "ACTIVE");

    // M: one payment of at least the amount.
    let least = create(&app, &create_body("M", Some("20000.00"), &callback.url)).await;
    assert_eq!(pay(&app, &least, "19000").await, 422);
    assert_eq!(pay(&app, &least, "21000").await, 200);
    assert_eq!(state(&least).await["virtualAccountStatus"], "PAID");
}

#[tokio::test]
async fn delete_answers_by_trx_id_or_by_number_and_again_the_same() {
    let app = TestApp::spawn().await;
    let url = "http://127.0.0.1:9/notify";
    let by_post = create(&app, &create_body("C", Some("15000.00"), url)).await;
    let deleted = app.call(DELETE, &lookup(&by_post)).await;
    deleted.expect("2003100");
    assert_eq!(deleted.body["virtualAccountData"]["trxId"], by_post["trxId"]);
    assert_eq!(deleted.body["virtualAccountData"]["virtualAccountNo"], by_post["virtualAccountNo"]);
    app.call(DELETE, &lookup(&by_post)).await.expect("2003100");

    // Without trxId, by the number alone.
    let by_number = create(&app, &create_body("C", Some("15000.00"), url)).await;
    let mut body = lookup(&by_number);
    body.as_object_mut().unwrap().remove("trxId");
    app.call_with(Method::DELETE, &app.merchant, DELETE, &body).await.expect("2003100");
    assert_eq!(pay(&app, &by_number, "15000").await, 404);
}

#[tokio::test]
async fn failures_get_the_va_service_codes() {
    let app = TestApp::spawn().await;
    let url = "http://127.0.0.1:9/notify";
    let body = create_body("C", Some("15000.00"), url);
    let va = create(&app, &body).await;

    // Same trxId: the same request is a duplicate, a different one inconsistent.
    app.call(CREATE, &body).await.expect("4092701");
    let mut changed = body.clone();
    changed["totalAmount"] = money("16000.00");
    app.call(CREATE, &changed).await.expect("4042718");

    // Fields, named.
    let mut missing = create_body("C", Some("15000.00"), url);
    missing.as_object_mut().unwrap().remove("virtualAccountName");
    app.call(CREATE, &missing).await.expect_message("4002702", "Invalid Mandatory Field virtualAccountName");
    let mut missing_amount = create_body("C", None, url);
    missing_amount["trxId"] = json!(unique("TRX"));
    app.call(CREATE, &missing_amount).await.expect_message("4002702", "Invalid Mandatory Field totalAmount");
    let bad_type = create_body("L", Some("15000.00"), url);
    app.call(CREATE, &bad_type).await.expect_message("4002701", "Invalid Field Format virtualAccountTrxType");
    let mut bad_bin = create_body("C", Some("15000.00"), url);
    bad_bin["partnerServiceId"] = json!("   40416");
    app.call(CREATE, &bad_bin).await.expect_message("4002701", "Invalid Field Format partnerServiceId");
    let mut past = create_body("C", Some("15000.00"), url);
    past["expiredDate"] = json!(lunas_protocol::timestamp::format(app.clock.now_datetime() - time::Duration::hours(1)));
    app.call(CREATE, &past).await.expect_message("4002701", "Invalid Field Format expiredDate");
    let mut inconsistent = lookup(&va);
    inconsistent["virtualAccountNo"] = json!("   1303399999999999");
    app.call(INQUIRY, &inconsistent).await.expect_message("4003001", "Invalid Field Format virtualAccountNo");
    let mut no_trx = lookup(&va);
    no_trx.as_object_mut().unwrap().remove("trxId");
    app.call(INQUIRY, &no_trx).await.expect_message("4003002", "Invalid Mandatory Field trxId");

    // Well-formed amounts the bank does not take.
    app.call(CREATE, &create_body("C", Some("5000.00"), url)).await.expect("4042713");
    app.call(CREATE, &create_body("N", Some("10000.00"), url)).await.expect("4042713");
    // Instalments at a bank without them; a customerNo of the wrong length; nowhere to notify.
    let mut mandiri = create_body("I", Some("30000.00"), url);
    mandiri["additionalInfo"]["channel"] = json!("MANDIRI");
    app.call(CREATE, &mandiri).await.expect_message("4002701", "Invalid Field Format virtualAccountTrxType");
    let own = &va["customerNo"].as_str().unwrap()[..4];
    let mut short = create_body("C", Some("15000.00"), url);
    short["partnerServiceId"] = json!("   13033");
    short["customerNo"] = json!(format!("{own}123"));
    short["virtualAccountNo"] = json!(format!("   13033{own}123"));
    app.call(CREATE, &short).await.expect_message("4002701", "Invalid Field Format customerNo");
    let mut nowhere = create_body("C", Some("15000.00"), url);
    nowhere["additionalInfo"] = json!({"channel": "BRI"});
    app.call(CREATE, &nowhere).await.expect_message("4002702", "Invalid Mandatory Field additionalInfo.callbackUrl");
    // The same X-EXTERNAL-ID twice in a day.
    let body = lookup(&va);
    let headers = app.rsa_headers(&app.merchant, INQUIRY, &body.to_string());
    app.send(INQUIRY, &body.to_string(), &headers).await.expect("2003000");
    app.send(INQUIRY, &body.to_string(), &headers).await.expect("4093000");

    // Not found: an unknown trxId, or a trxId that does not hold this number.
    let mut unknown = lookup(&va);
    unknown["trxId"] = json!("NOPE");
    app.call(INQUIRY, &unknown).await.expect("4043012");
    let other = create(&app, &create_body("C", Some("15000.00"), url)).await;
    let mut crossed = lookup(&other);
    crossed["trxId"] = va["trxId"].clone();
    app.call(INQUIRY, &crossed).await.expect("4043012");
    app.call(DELETE, &crossed).await.expect("4043112");

    // Expired: past expiredDate, it cannot be deleted and takes no transfer.
    let mut soon = create_body("C", Some("15000.00"), url);
    soon["expiredDate"] = json!(lunas_protocol::timestamp::format(app.clock.now_datetime() + time::Duration::hours(1)));
    let expiring = create(&app, &soon).await;
    app.clock.advance(time::Duration::hours(2));
    assert_eq!(pay(&app, &expiring, "15000").await, 404);
    app.call(DELETE, &lookup(&expiring)).await.expect("4043119");
    let status = app.call(STATUS, &lookup(&expiring)).await;
    assert_eq!(status.body["virtualAccountData"]["paymentFlagReason"]["english"], "Expired");
}

#[tokio::test]
async fn the_merchant_may_choose_its_customer_number_under_its_own_digits() {
    let app = TestApp::spawn().await;
    let url = "http://127.0.0.1:9/notify";
    let first = create(&app, &create_body("C", Some("15000.00"), url)).await;
    let own_digits = &first["customerNo"].as_str().unwrap()[..4];
    let customer_no = format!("{own_digits}7654321");
    let mut body = create_body("C", Some("15000.00"), url);
    body["partnerServiceId"] = json!("   13033");
    body["customerNo"] = json!(customer_no);
    body["virtualAccountNo"] = json!(format!("   13033{customer_no}"));
    let chosen = create(&app, &body).await;
    assert_eq!(chosen["customerNo"], customer_no);

    // Taken while live; another merchant's digits are refused.
    let mut again = body.clone();
    again["trxId"] = json!(unique("TRX"));
    app.call(CREATE, &again).await.expect_message("4002701", "Invalid Field Format customerNo");
    let mut foreign = body.clone();
    foreign["trxId"] = json!(unique("TRX"));
    let foreign_no = "99997654321";
    foreign["customerNo"] = json!(foreign_no);
    foreign["virtualAccountNo"] = json!(format!("   13033{foreign_no}"));
    app.call(CREATE, &foreign).await.expect_message("4002701", "Invalid Field Format customerNo");
}

#[tokio::test]
async fn faces_and_merchants_never_see_each_others_vas() {
    let app = TestApp::spawn().await;
    let url = "http://127.0.0.1:9/notify";
    let va = create(&app, &create_body("C", Some("15000.00"), url)).await;

    // Another merchant naming this VA exactly.
    app.call_as(&app.other, INQUIRY, &lookup(&va)).await.expect("4043012");
    app.call_as(&app.other, DELETE, &lookup(&va)).await.expect("4043112");
    app.call_as(&app.other, STATUS, &lookup(&va)).await.expect("4042612");

    // A PG3 VA, named through SNAP by its number and external_id.
    let pg3 = json!({
        "external_id": unique("EXT"), "order_id": unique("ORD"), "currency": "IDR",
        "payment_method": "bank_transfer", "payment_channel": "BRI",
        "payment_details": {"billing_name": "Budi", "payment_system": "CLOSED", "amount": 15000,
                            "transaction_description": "Kopi"},
        "customer_details": {"email": "budi@example.com", "full_name": "Budi"},
        "callback_url": url,
    });
    let (status, created) = app.pg3(&app.merchant, "/va", &pg3).await;
    assert_eq!(status, 200, "{created}");
    let number = created["payment_details"]["va_number"].as_str().unwrap();
    let snap_view = json!({
        "partnerServiceId": "   13033",
        "customerNo": &number[5..],
        "virtualAccountNo": format!("   {number}"),
        "trxId": pg3["external_id"],
    });
    app.call(INQUIRY, &snap_view).await.expect("4043012");
    app.call(DELETE, &snap_view).await.expect("4043112");
    app.call(STATUS, &snap_view).await.expect("4042612");

    // And the SNAP VA through PG3: not found either.
    let pg3_view = json!({
        "external_id": va["trxId"], "order_id": "ORD1", "transaction_id": uuid::Uuid::new_v4().to_string(),
        "payment_method": "BANK_TRANSFER", "payment_channel": "BRI",
    });
    let (status, _) = app.pg3(&app.merchant, "/va/inquiry", &pg3_view).await;
    assert_eq!(status, 404);
}

/// A delete and a transfer at the same moment: exactly one of them happens.
#[tokio::test]
async fn a_delete_racing_a_payment_has_one_winner() {
    let callback = CallbackServer::start().await;
    let app = TestApp::spawn().await;
    let mut vas = Vec::new();
    for _ in 0..20 {
        vas.push(create(&app, &create_body("C", Some("15000.00"), &callback.url)).await);
    }
    // The transfer reads before it writes, so the delete starts a little later each
    // race, from at once to about 1 ms: some races go each way.
    let races = vas.iter().enumerate().map(|(i, va)| {
        let app = &app;
        async move {
            let body = lookup(va);
            let delete = async {
                tokio::time::sleep(std::time::Duration::from_micros(50 * i as u64)).await;
                app.call(DELETE, &body).await
            };
            let (deleted, paid) = tokio::join!(delete, pay(app, va, "15000"));
            (deleted.code().to_string(), paid)
        }
    });
    let outcomes = futures_util::future::join_all(races).await;
    let mut payments = 0;
    for (deleted, paid) in &outcomes {
        match (deleted.as_str(), paid) {
            ("2003100", 404) => {}
            ("4043114", 200) => payments += 1,
            other => panic!("both or neither won: {other:?}"),
        }
    }
    if payments > 0 {
        callback.wait_for(payments).await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert_eq!(callback.received().len(), payments, "one notification per payment, none for a deleted VA");
}

const UPDATE: &str = "/v1.0/transfer-va/update-va";

/// An update body: the VA's identity and `trxId`, and new terms.
fn update_body(va: &Value, amount: &str, expires: &str) -> Value {
    let mut body = lookup(va);
    body["virtualAccountName"] = json!("Budi S.");
    body["virtualAccountTrxType"] = va["virtualAccountTrxType"].clone();
    body["totalAmount"] = money(amount);
    body["expiredDate"] = json!(expires);
    body
}

#[tokio::test]
async fn an_update_changes_the_terms_of_a_va_no_money_reached() {
    let callback = CallbackServer::start().await;
    let app = TestApp::spawn().await;
    let in_hours = |h: i64| lunas_protocol::timestamp::format(app.clock.now_datetime() + time::Duration::hours(h));
    let mut body = create_body("C", Some("15000.00"), &callback.url);
    body["expiredDate"] = json!(in_hours(1));
    let va = create(&app, &body).await;

    let updated = app.call_with(Method::PUT, &app.merchant, UPDATE, &update_body(&va, "20000.00", &in_hours(5))).await;
    updated.expect("2002800");
    let data = &updated.body["virtualAccountData"];
    assert_eq!(data["virtualAccountName"], "Budi S.");
    assert_eq!(data["totalAmount"], money("20000.00"));
    assert_eq!(data["expiredDate"], in_hours(5));
    assert_eq!(data["virtualAccountNo"], va["virtualAccountNo"], "the number stays");

    // Past the first expiry the number still takes transfers, of the new amount only.
    app.clock.advance(time::Duration::hours(2));
    assert_eq!(pay(&app, &va, "15000").await, 422);
    assert_eq!(pay(&app, &va, "20000").await, 200);
    let notice = callback.wait_for(1).await[0].json();
    assert_eq!(notice["totalAmount"], money("20000.00"));
    assert_eq!(notice["virtualAccountName"], "Budi S.");

    // The type may be left out (it stays), and the number spelled trimmed.
    let open = create(&app, &create_body("N", Some("20000.00"), &callback.url)).await;
    let mut body = update_body(&open, "25000.00", &in_hours(6));
    body.as_object_mut().unwrap().remove("virtualAccountTrxType");
    let customer_no = open["customerNo"].as_str().unwrap();
    body["partnerServiceId"] = json!("13045");
    body["virtualAccountNo"] = json!(format!("13045{customer_no}"));
    let updated = app.call_with(Method::PUT, &app.merchant, UPDATE, &body).await;
    updated.expect("2002800");
    assert_eq!(updated.body["virtualAccountData"]["virtualAccountTrxType"], "N");
    assert_eq!(pay(&app, &open, "24000").await, 422, "the new minimum holds");

    // Expired: no more updates.
    let mut soon = create_body("C", Some("15000.00"), &callback.url);
    soon["expiredDate"] = json!(in_hours(1));
    let expiring = create(&app, &soon).await;
    app.clock.advance(time::Duration::hours(2));
    let late = update_body(&expiring, "20000.00", &in_hours(9));
    app.call_with(Method::PUT, &app.merchant, UPDATE, &late).await.expect("4042819");

    // Paid: no more updates.
    let again = update_body(&va, "25000.00", &in_hours(6));
    app.call_with(Method::PUT, &app.merchant, UPDATE, &again).await.expect("4042814");
}

#[tokio::test]
async fn updates_are_refused_once_money_arrived_or_the_va_is_gone() {
    let app = TestApp::spawn().await;
    let url = "http://127.0.0.1:9/notify";
    let later = lunas_protocol::timestamp::format(app.clock.now_datetime() + time::Duration::hours(3));
    let put = |body: Value| {
        let app = &app;
        async move { app.call_with(Method::PUT, &app.merchant, UPDATE, &body).await }
    };

    let partial = create(&app, &create_body("I", Some("30000.00"), url)).await;
    assert_eq!(pay(&app, &partial, "10000").await, 200);
    put(update_body(&partial, "40000.00", &later)).await.expect("4042814");

    let deleted = create(&app, &create_body("C", Some("15000.00"), url)).await;
    app.call(DELETE, &lookup(&deleted)).await.expect("2003100");
    put(update_body(&deleted, "20000.00", &later))
        .await
        .expect_message("4042812", "Invalid Bill/Virtual Account Deleted");

    let va = create(&app, &create_body("C", Some("15000.00"), url)).await;
    let mut other_type = update_body(&va, "20000.00", &later);
    other_type["virtualAccountTrxType"] = json!("O");
    put(other_type).await.expect_message("4002801", "Invalid Field Format virtualAccountTrxType");
    let mut unknown = update_body(&va, "20000.00", &later);
    unknown["trxId"] = json!("NOPE");
    put(unknown).await.expect("4042812");
    let mut anonymous = update_body(&va, "20000.00", &later);
    anonymous.as_object_mut().unwrap().remove("customerNo");
    put(anonymous).await.expect_message("4002802", "Invalid Mandatory Field customerNo");
    app.call_with(Method::PUT, &app.other, UPDATE, &update_body(&va, "20000.00", &later)).await.expect("4042812");
    // The wrong method, or a path lunas does not serve: SNAP's JSON all the same.
    app.call(UPDATE, &update_body(&va, "20000.00", &later)).await.expect("4050000");
    app.call("/v1.0/transfer-va/report", &json!({})).await.expect("4040002");
    let (status, body) = app.pg3(&app.merchant, "/va/report", &json!({})).await;
    assert_eq!((status, body["response_code"].as_str()), (404, Some("01")));

    let mut past = update_body(&va, "20000.00", &later);
    past["expiredDate"] = json!(lunas_protocol::timestamp::format(app.clock.now_datetime() - time::Duration::hours(1)));
    put(past).await.expect_message("4002801", "Invalid Field Format expiredDate");
    let mut other_bank = update_body(&va, "20000.00", &later);
    other_bank["additionalInfo"] = json!({"channel": "BCA"});
    put(other_bank).await.expect_message("4002801", "Invalid Field Format additionalInfo.channel");

    // The VA is as it was.
    let found = app.call(INQUIRY, &lookup(&va)).await;
    assert_eq!(found.body["virtualAccountData"]["totalAmount"], money("15000.00"));
}

const UPDATE_STATUS: &str = "/v1.0/transfer-va/update-status";

fn status_body(va: &Value, paid: &str) -> Value {
    let mut body = lookup(va);
    body["paidStatus"] = json!(paid);
    body
}

#[tokio::test]
async fn update_status_closes_a_va_that_took_money_and_never_invents_any() {
    let callback = CallbackServer::start().await;
    let app = TestApp::spawn().await;
    let put = |body: Value| {
        let app = &app;
        async move { app.call_with(Method::PUT, &app.merchant, UPDATE_STATUS, &body).await }
    };

    // A multi-use VA with one payment, called settled: it takes no more.
    let multi = create(&app, &create_body("X", Some("15000.00"), &callback.url)).await;
    assert_eq!(pay(&app, &multi, "15000").await, 200);
    put(status_body(&multi, "N")).await.expect("2002900");
    let closed = put(status_body(&multi, "Y")).await;
    closed.expect("2002900");
    let info = &closed.body["virtualAccountData"]["additionalInfo"];
    assert_eq!((info["virtualAccountStatus"].as_str(), info["paidAmount"].clone()), (Some("PAID"), money("15000.00")));
    assert_eq!(pay(&app, &multi, "15000").await, 404, "the number is free");
    put(status_body(&multi, "Y")).await.expect("2002900");
    put(status_body(&multi, "N")).await.expect("4042914");
    callback.wait_for(1).await;

    // Nothing received: it cannot be called paid, and stays open.
    let untouched = create(&app, &create_body("C", Some("15000.00"), &callback.url)).await;
    put(status_body(&untouched, "Y")).await.expect("4052901");
    put(status_body(&untouched, "N")).await.expect("2002900");
    assert_eq!(pay(&app, &untouched, "15000").await, 200);

    // Fields, and VAs that are not there.
    put(status_body(&untouched, "Q")).await.expect_message("4002901", "Invalid Field Format paidStatus");
    let mut missing = lookup(&untouched);
    missing["paidStatus"] = Value::Null;
    put(missing).await.expect_message("4002902", "Invalid Mandatory Field paidStatus");
    let mut unknown = status_body(&untouched, "Y");
    unknown["trxId"] = json!("NOPE");
    put(unknown).await.expect("4042912");
    let deleted = create(&app, &create_body("C", Some("15000.00"), &callback.url)).await;
    app.call(DELETE, &lookup(&deleted)).await.expect("2003100");
    put(status_body(&deleted, "N")).await.expect("4042912");
    callback.wait_for(2).await;
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert_eq!(callback.received().len(), 2, "one flag per payment; closing sends nothing of its own");
}
