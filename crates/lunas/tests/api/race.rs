//! A cancel racing a payment on the same QR: exactly one wins, and the final state
//! agrees with both answers.

use crate::helpers::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_racing_a_payment_has_one_winner() {
    let callback = CallbackServer::start().await;
    let app = TestApp::spawn().await;
    let mut paid_wins = 0;
    let rounds = 25;
    for _ in 0..rounds {
        let qr = app.generate("15000.00", &callback.url).await;
        let (cancel, (pay_status, _)) = tokio::join!(app.cancel(&qr), app.pay(&qr));
        let canceled = cancel.code() == "2007700";
        let paid = pay_status == 200;
        assert!(canceled ^ paid, "exactly one wins: cancel {} / pay {pay_status}", cancel.raw);
        let status = app.query(&qr).await;
        if paid {
            paid_wins += 1;
            assert_eq!(cancel.code(), "4057701");
            assert_eq!(status.body["latestTransactionStatus"], "00");
        } else {
            assert_eq!(pay_status, 409);
            assert_eq!(status.body["latestTransactionStatus"], "05");
        }
    }
    // One notification per payment that won, and none for cancels.
    callback.wait_for(paid_wins).await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(callback.received().len(), paid_wins);
    eprintln!("payments won {paid_wins} of {rounds} races");
}
