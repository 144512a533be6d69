//! The SQLite engine's group commit, driven through the store's public API.

use std::time::Duration;

use lunas::config::DatabaseConfig;
use lunas::domain::{Amount, AmountRule, Effect, Face, Instrument, MerchantId, NewPayment, Payment};
use lunas::store::{ChangeKind, Changes, Decision, PaymentChange, RequestId, Store, StoreResult};

use crate::helpers::*;

fn request_id(merchant: MerchantId, id: &str) -> RequestId {
    RequestId { merchant_id: merchant, day: "2026-11-24".into(), id: id.into() }
}

/// A command that only records a request id.
async fn record(store: &Store, merchant: MerchantId, id: &str) -> StoreResult<()> {
    let request_id = request_id(merchant, id);
    store
        .command(move |_| {
            Ok(Decision {
                changes: Changes { now: 1, request_id: Some(request_id.clone()), payment: None },
                output: (),
            })
        })
        .await
}

/// A QR payment of a merchant that does not exist.
fn orphan(merchant: MerchantId) -> Payment {
    Payment::from(NewPayment {
        merchant_id: merchant,
        reference_no: unique("REF"),
        merchant_reference: unique("INV"),
        order_id: None,
        face: Face::Snap,
        fingerprint: String::new(),
        amount: Amount::from_sen(1_500_000),
        rule: AmountRule::Exact,
        multi_use: false,
        instrument: Instrument::Qris { content: String::new(), terminal_id: None },
        callback_url: "https://m.example/cb".into(),
        created_at: 1,
        expires_at: 2,
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queued_commands_commit_together_and_a_failing_one_rolls_back_alone() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("lunas.db").display());
    let store = Store::open(&url, &DatabaseConfig::default(), 0).await.unwrap();
    let merchant = store.insert_merchant(new_merchant("Toko Contoh")).await.unwrap().id;
    let unknown = MerchantId(999);

    // Hold the writer thread, so the next three commands queue up behind it.
    let (release, held) = std::sync::mpsc::channel::<()>();
    let held = std::sync::Mutex::new(held);
    let blocker = tokio::spawn({
        let store = store.clone();
        async move {
            store
                .command(move |_| {
                    let _ = held.lock().unwrap().recv();
                    Ok(Decision { changes: Changes::none(1), output: () })
                })
                .await
        }
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    let (commits_before, _) = store.commit_stats().expect("SQLite counts its commits");

    let (a, b, c) = (store.clone(), store.clone(), store.clone());
    let first = tokio::spawn(async move { record(&a, merchant, "a").await });
    // Records its request id, then inserts a payment for a merchant that does not
    // exist, which breaks a foreign key: the request id must go too.
    let failing = tokio::spawn(async move {
        let changes = Changes {
            now: 1,
            request_id: Some(request_id(merchant, "b")),
            payment: Some(PaymentChange {
                next: orphan(unknown),
                kind: ChangeKind::Insert,
                effect: Effect::Created,
                refund: None,
                number: None,
                notice: None,
            }),
        };
        let mut changes = Some(changes);
        b.command(move |_| Ok(Decision { changes: changes.take().unwrap_or_else(|| Changes::none(1)), output: () }))
            .await
    });
    let last = tokio::spawn(async move { record(&c, merchant, "c").await });
    tokio::time::sleep(Duration::from_millis(100)).await;
    release.send(()).unwrap();

    blocker.await.unwrap().unwrap();
    first.await.unwrap().expect("a commits");
    assert!(failing.await.unwrap().is_err(), "b fails");
    last.await.unwrap().expect("c commits");
    let (commits, _) = store.commit_stats().unwrap();
    assert_eq!(commits - commits_before, 2, "the blocker's batch, then one commit for a, b and c");
    let ids = scalar(&url, "SELECT COUNT(*) FROM request_ids WHERE request_id IN ('a', 'c')").await;
    assert_eq!(ids, 2);
    assert_eq!(scalar(&url, "SELECT COUNT(*) FROM request_ids WHERE request_id = 'b'").await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_means_the_change_is_committed() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("lunas.db").display());
    let store = Store::open(&url, &DatabaseConfig::default(), 0).await.unwrap();
    let merchant = store.insert_merchant(new_merchant("Toko Contoh")).await.unwrap().id;
    // Many writers at once: each, once answered, is visible to a fresh connection.
    let mut writers = tokio::task::JoinSet::new();
    for i in 0..200 {
        let (store, url) = (store.clone(), url.clone());
        writers.spawn(async move {
            let id = format!("r{i}");
            record(&store, merchant, &id).await.unwrap();
            let seen = scalar(&url, &format!("SELECT COUNT(*) FROM request_ids WHERE request_id = '{id}'")).await;
            assert_eq!(seen, 1, "{id} was answered before it was committed");
        });
    }
    while let Some(done) = writers.join_next().await {
        done.unwrap();
    }
    let (commits, commands) = store.commit_stats().unwrap();
    assert!(commands >= 201 && commits < commands, "{commits} commits for {commands} commands");
}
