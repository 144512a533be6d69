//! A database lunas 0.1 left behind is upgraded in place, and the notifications it had
//! not yet delivered go out as lunas 0.1 would have sent them.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::helpers::*;

const DATA: &str = include_str!("../fixtures/lunas-0.1/data.sql");
const NOTICES: &str = include_str!("../fixtures/lunas-0.1/notices.jsonl");
const SENT: &str = include_str!("../fixtures/lunas-0.1/sent.jsonl");
/// The fixture merchant's keys.
const CLIENT_SECRET: &str = "s3cr3t-for-v1-test";
const HASH_KEY: &str = "mXrF1IBZN56B31wN2MFZjDrgajFDQY4P";

/// The 0.1 schema, its data, and its undelivered notifications addressed to `url`.
fn script(dialect: &str, url: &str) -> String {
    let schema = match dialect {
        "sqlite" => include_str!("../../migrations/sqlite/0001_initial.sql"),
        _ => include_str!("../../migrations/postgres/0001_initial.sql"),
    };
    let mut script = format!("{schema}\n{DATA}\n");
    for notice in NOTICES.lines() {
        let payment: Value = serde_json::from_str::<Value>(notice).unwrap()["payment"].clone();
        script.push_str(&format!(
            "INSERT INTO outbox (merchant_id, payment_id, target_url, notice, attempts, next_attempt_at, created_at) \
             VALUES (1, '{}', '{url}', '{}', 1, 0, 0);\n",
            payment["id"].as_str().unwrap(),
            notice.replace('\'', "''"),
        ));
    }
    script
}

#[tokio::test]
async fn a_lunas_0_1_database_is_upgraded_and_its_notifications_sent() {
    let callback = CallbackServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let database = fresh_database(dir.path()).await;
    let dialect = if database.starts_with("sqlite:") { "sqlite" } else { "postgres" };
    execute(&database, &script(dialect, &callback.url)).await;

    let app = TestApp::spawn_on(database.clone()).await;
    let received = callback.wait_for(3).await;
    let bodies: BTreeSet<String> = received.iter().map(|r| String::from_utf8(r.body.clone()).unwrap()).collect();
    let expected: BTreeSet<String> = SENT.lines().map(str::to_string).collect();
    assert_eq!(bodies, expected, "the bytes lunas 0.1 sent");
    for r in &received {
        if r.headers.contains_key("mcp-signature") {
            assert!(r.verify_pg3(HASH_KEY), "signed with the merchant's hash key");
        } else {
            assert!(r.verify(&callback.url, CLIENT_SECRET), "signed with the merchant's client secret");
            let external_id = r.headers["x-external-id"].to_str().unwrap();
            assert!(external_id.ends_with("0002"), "the attempt after lunas 0.1's first: {external_id}");
        }
    }
    assert_eq!(scalar(&database, "SELECT COUNT(*) FROM lunas_migrations WHERE version IN (1, 2)").await, 2);
    // The old payments read and change like new ones.
    let va = lunas::app::query::find(
        app.gateway(),
        lunas::store::PaymentRef::Acquirer { reference: "01a20d2f-38d7-7508-ae60-ffcb95fa35b1".into() },
    )
    .await
    .unwrap();
    assert_eq!((va.state, va.received.sen()), (lunas::domain::PaymentState::Paid, 2_000_000));
}
