//! PostgreSQL goes away in the middle of a payment: the bank's answer
//! cannot be recorded, the customer is still told it, and when the
//! database and the bot are back the payment is "being checked" or paid,
//! never paid twice.

use std::time::Duration;

use crate::common::{self, Harness, pay_and_wait_for_the_bank, to_invoices};
use faturabot::{
    bot::callbacks::Action,
    payments::{PaymentState, TelegramUserId},
    storage::postgres::throwaway::Cluster,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_outage_during_a_payment_never_pays_twice() {
    if !common::POSTGRES {
        return; // the sled binary has no server to lose
    }
    let cluster = match tokio::task::spawn_blocking(|| Cluster::start("outage")).await {
        Ok(Ok(cluster)) => cluster,
        Ok(Err(why)) if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!("needs PostgreSQL, and under CI=true a skip is a failure: {why}")
        }
        other => {
            eprintln!("skipped the outage test: no PostgreSQL ({:?})", other.err());
            return;
        }
    };
    // Every bank answer takes 2 s: time to stop the database meanwhile.
    let mut h = Harness::with_bank_latency(Duration::from_secs(6), Duration::from_secs(2)).await;
    h.database = Some(cluster.url("postgres"));
    h.launch().await;
    let user = h.customer(5101, "tr");
    h.link(&user).await;
    let invoices = to_invoices(&h, &user, "1000001").await;
    let confirm = h
        .press_action(&user, &invoices, Action::Bill(0), "pay.confirm")
        .await;

    let data = pay_and_wait_for_the_bank(&h, &user, &confirm).await;
    tokio::task::spawn_blocking(move || cluster.stop().map(|()| cluster))
        .await
        .expect("task")
        .map(|cluster| {
            // The bank answers into a bot whose database is gone.
            std::thread::sleep(Duration::from_secs(3));
            cluster.resume().expect("the database comes back");
            std::mem::forget(cluster); // its watcher stops it after the tests
        })
        .expect("the database stops");
    assert_eq!(h.sandbox.sandbox.payments().len(), 1);
    // What the bank said is told, recorded or not.
    h.expect_key(&user, "status.completed").await;

    // Back, and the bot restarted: the payment is settled as the rules say.
    h.crash_and_restart().await;
    h.tg.press(&user, confirm.message_id, &data);
    tokio::time::sleep(Duration::from_secs(1)).await;
    let store = h.open_store().await;
    let mine = store
        .ledger
        .for_payer(TelegramUserId(5101), 0, 10)
        .await
        .expect("the ledger reads again");
    assert_eq!(mine.len(), 1, "{mine:?}");
    assert!(
        matches!(
            mine[0].state,
            PaymentState::Unknown | PaymentState::Completed
        ),
        "{:?}",
        mine[0].state
    );
    eprintln!("after the outage the payment is {:?}", mine[0].state);
    assert_eq!(h.sandbox.sandbox.payments().len(), 1, "never paid twice");
    assert!(h.bank_violations().is_empty(), "{:?}", h.bank_violations());
}
