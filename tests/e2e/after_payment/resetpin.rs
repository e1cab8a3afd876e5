//! `/resetpin`: an agent resets the PINs of every Telegram user linked to
//! a customer; each is told in their language, one who blocked the bot
//! fails nothing; the reset is in the audit trail. Refused to customers.

use std::time::Duration;

use super::{common, reply_to};
use common::{AGENT_ID, Harness, filled, needle, words};
use faturabot::fakegram::FakeUser;

/// The staff actions under `/payments`, as the agent reads them.
async fn audit_section(h: &Harness, agent: &FakeUser) -> String {
    let list = h.say_key(agent, "/payments", "payments.audit_title").await;
    let text = list.plain();
    text.split(needle(agent, "payments.audit_title").as_str())
        .nth(1)
        .expect("an audit section")
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn agent_resets_every_linked_users_pin_and_each_is_told_in_their_language() {
    // Arrange: three Telegram users of customer 3488017, one of whom has
    // blocked the bot; one user of another customer.
    let h = Harness::start().await;
    let (tr, en, blocked) = (
        h.customer(3101, "tr"),
        h.customer(3102, "en"),
        h.customer(3103, "tr"),
    );
    for user in [&tr, &en, &blocked] {
        h.link(user).await;
    }
    let agent = h.agent();
    let elsewhere = h.customer(3104, "tr");
    h.link_account(&agent, &elsewhere, "5550001 9142 1").await;
    h.tg.set_blocked(&blocked, true);
    let before_blocked = h.tg.chat(blocked.chat_id()).len();

    // Act
    let done = h
        .say_key(
            &agent,
            "/resetpin 3488017",
            filled("resetpin.done", &[("customer", "3488017"), ("count", "3")]),
        )
        .await;

    // Assert: the agent is told the count; each reachable user is told, in
    // their own language.
    assert!(done.buttons.is_empty(), "{:?}", done.buttons);
    let to_tr = h.expect_key(&tr, "resetpin.notice").await;
    let to_en = h.expect_key(&en, "resetpin.notice").await;
    assert_ne!(to_tr.plain(), to_en.plain(), "Turkish and English");
    assert_eq!(to_en.plain(), words(&en, "resetpin.notice"));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(h.tg.chat(blocked.chat_id()).len(), before_blocked);
    let other = needle(&elsewhere, "resetpin.notice");
    assert!(
        !h.tg
            .chat(elsewhere.chat_id())
            .iter()
            .any(|m| m.plain().contains(&other)),
        "another customer's user is not reset"
    );
    // The agent's command went on: it answers the next one.
    let audit = audit_section(&h, &agent).await;
    let staff = AGENT_ID.to_string();
    let reset = filled("audit.pin_reset", &[("agent", &staff)]);
    let line = audit.lines().find(|l| reset.shown_in(&agent, l));
    let line = line.unwrap_or_else(|| panic!("no reset in {audit}"));
    assert!(line.contains("•••017") && line.contains('3'), "{line}");
    assert!(
        !audit.contains("3488017"),
        "the customer is masked: {audit}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resetpin_says_when_no_one_is_linked_and_how_to_use_it() {
    let h = Harness::start().await;
    let agent = h.agent();

    let none = reply_to(&h, &agent, "/resetpin 5550001").await;
    let mut usages = Vec::new();
    for bad in [
        "/resetpin",
        "/resetpin 03488017",
        "/resetpin 3488017 9142",
        "/resetpin abc",
    ] {
        usages.push((bad, reply_to(&h, &agent, bad).await));
    }

    let nobody = filled("resetpin.none", &[("customer", "5550001")]);
    assert!(nobody.shown_in(&agent, &none.plain()), "{}", none.plain());
    let usage = words(&agent, "resetpin.usage");
    for (bad, reply) in usages {
        assert_eq!(reply.plain(), usage, "{bad}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_cannot_reset_pins() {
    // Arrange
    let h = Harness::start().await;
    let (user, other) = (h.customer(3201, "en"), h.customer(3202, "tr"));
    h.link(&user).await;
    h.link(&other).await;

    // Act
    let reply = reply_to(&h, &user, "/resetpin 3488017").await;

    // Assert: the agents' refusal; no one reset, nothing audited.
    assert_eq!(reply.plain(), words(&user, "agent.refused"));
    tokio::time::sleep(Duration::from_millis(300)).await;
    for u in [&user, &other] {
        let notice = needle(u, "resetpin.notice");
        assert!(
            !h.tg
                .chat(u.chat_id())
                .iter()
                .any(|m| m.plain().contains(&notice)),
            "{:#?}",
            h.transcript(u)
        );
    }
    let agent = h.agent();
    let audit = audit_section(&h, &agent).await;
    let reset = needle(&agent, "audit.pin_reset");
    assert!(!audit.contains(&reset), "{audit}");
}
