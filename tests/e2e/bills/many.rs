//! Saved bills under load: fifty customers pay, save and pay again from
//! `/bills` at once, each invoice paid once; twenty presses of one Save
//! button save one bill. Each test bounds its own time.

use std::{sync::Arc, time::Duration};

use super::common;
use common::{AGENT_ID, Harness, ISKI_NAME, Key, save_data};
use faturabot::{
    bot::callbacks::Action,
    clock::Clock,
    fakegram::{FakeUser, UpdateSpec},
};
use tokio::task::JoinSet;

/// `body`, or a failure naming `what` once `limit` has passed.
async fn within<T>(limit: Duration, what: &str, body: impl Future<Output = T>) -> T {
    tokio::time::timeout(limit, body)
        .await
        .unwrap_or_else(|_| panic!("{what}: not done within {limit:?}; the bot froze?"))
}

/// Waits for every task, re-raising the first panic.
async fn join_all(mut set: JoinSet<()>) {
    while let Some(done) = set.join_next().await {
        if let Err(e) = done {
            std::panic::resume_unwind(e.into_panic());
        }
    }
}

/// Agents issuing invites side by side.
const AGENTS: u64 = 10;

/// An invite by `agent`: the token in its link.
async fn invite(h: &Harness, agent: &FakeUser) -> String {
    let reply = h.say(agent, "/invite 3488017 9142 357", "start=").await;
    reply
        .plain()
        .split("start=")
        .nth(1)
        .and_then(|t| t.split_whitespace().next())
        .expect("a token in the link")
        .to_owned()
}

/// `n` customers from `first_id`, invited by [`AGENTS`] agents side by
/// side and linked (their PINs chosen) all at once.
async fn link_many(h: &Arc<Harness>, first_id: u64, n: u64) -> Vec<FakeUser> {
    let mut issuing = JoinSet::new();
    for k in 0..AGENTS {
        let h = h.clone();
        let share = (k..n).step_by(AGENTS as usize).count();
        issuing.spawn(async move {
            let agent = h.agent_with_id(AGENT_ID + k);
            let mut tokens = Vec::new();
            for _ in 0..share {
                tokens.push(invite(&h, &agent).await);
            }
            tokens
        });
    }
    let mut tokens = Vec::new();
    while let Some(done) = issuing.join_next().await {
        tokens.extend(done.expect("an agent's invites"));
    }
    let customers: Vec<FakeUser> = (0..n).map(|i| h.customer(first_id + i, "tr")).collect();
    let mut linking = JoinSet::new();
    for (user, token) in customers.iter().cloned().zip(tokens) {
        let h = h.clone();
        linking.spawn(async move {
            h.say_key(&user, &format!("/start {token}"), "link.done")
                .await;
            h.choose_first_pin(&user).await;
        });
    }
    join_all(linking).await;
    customers
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_customers_pay_save_and_pay_again_from_bills_at_once() {
    // Arrange: fifty customers, each with a bill of their own.
    let mut h = Harness::without_bot(Duration::from_secs(5)).await;
    // Fifty customers typing PINs at once on two cores: a step may wait
    // behind the others' (the bound below is for a freeze).
    h.wait = Duration::from_secs(30);
    h.agents = (0..AGENTS).map(|k| AGENT_ID + k).collect();
    h.launch().await;
    let h = Arc::new(h);
    let customers = within(
        Duration::from_secs(120),
        "linking 50",
        link_many(&h, 72_000, 50),
    )
    .await;
    let subscriber = |i: usize| (1_200_100 + i).to_string();

    // Act: all pay and save at once; a month later (the bank's clock), all
    // pay the new invoice from /bills at once.
    within(Duration::from_secs(150), "50 paying and saving", async {
        let mut paying = JoinSet::new();
        for (i, user) in customers.iter().cloned().enumerate() {
            let h = h.clone();
            paying.spawn(async move {
                h.pay_and_save(&user, &subscriber(i), "₺29,20").await;
            });
        }
        join_all(paying).await;
    })
    .await;
    let month_on = chrono::Duration::days(31);
    h.sandbox
        .sandbox
        .set_clock(Clock::from_fn(move || chrono::Utc::now() + month_on));
    within(Duration::from_secs(150), "50 paying from /bills", async {
        let mut paying = JoinSet::new();
        for user in customers.clone() {
            let h = h.clone();
            paying.spawn(async move {
                let list = h.bills_list(&user, 1).await;
                let card = h.open_bill(&user, &list, ISKI_NAME).await;
                let invoices = h
                    .press_fresh(&user, &card, Action::Confirm, "pay.choose_invoice")
                    .await;
                let confirm = h
                    .press_fresh(&user, &invoices, Action::Bill(0), "pay.confirm")
                    .await;
                let paid = h.pay_confirmed(&user, &confirm, "₺29,20").await;
                assert!(
                    save_data(&paid).is_none(),
                    "saved already: {:?}",
                    paid.buttons
                );
            });
        }
        join_all(paying).await;
    })
    .await;

    // Assert: two invoices paid per customer, each once.
    let payments = h.sandbox.sandbox.payments();
    assert_eq!(payments.len(), 100, "{payments:#?}");
    for i in 0..customers.len() {
        let mut theirs: Vec<&str> = payments
            .iter()
            .filter(|p| p.subscriber_number == subscriber(i))
            .map(|p| p.invoice_number.as_str())
            .collect();
        theirs.sort_unstable();
        theirs.dedup();
        assert_eq!(theirs.len(), 2, "{} {theirs:?}", subscriber(i));
    }
    assert!(h.bank_violations().is_empty(), "{:?}", h.bank_violations());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_presses_of_one_save_button_save_one_bill() {
    // Arrange
    let h = Harness::start().await;
    let user = h.customer(7601, "tr");
    h.link(&user).await;
    let paid = h.pay_new_bill(&user, "1000001", "₺29,20").await;
    let data = save_data(&paid).expect("a save button");
    let answered = h.tg.callback_answers().len();

    // Act: twenty presses delivered at once.
    let presses = (0..20)
        .map(|_| UpdateSpec::press(&user, paid.message_id, data.clone()))
        .collect();
    h.tg.enqueue_batch(presses);

    // Assert: each answered; saved once, "saved already" to the others.
    let (saved, already) = (Key::from("bills.saved"), Key::from("bills.already_saved"));
    let counts = || {
        let chat = h.tg.chat(user.chat_id());
        let count = |key: &Key| {
            chat.iter()
                .filter(|m| key.shown_in(&user, &m.plain()))
                .count()
        };
        (count(&saved), count(&already))
    };
    within(Duration::from_secs(30), "twenty presses answered", async {
        while h.tg.callback_answers().len() < answered + 20 || counts().0 + counts().1 < 20 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    assert_eq!(counts(), (1, 19), "{:#?}", h.transcript(&user));
    assert_eq!(h.tg.callback_answers().len(), answered + 20);
    h.bills_list(&user, 1).await;
}
