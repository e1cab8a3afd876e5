//! Agents' commands: refused to customers, `/payments` with its totals
//! and audit trail, `/help` and the command menus by role.

use super::{bank_requests, cancel_as_agent, common, pay, reply_to};
use chrono::Utc;
use common::{AGENT_ID, Harness, ISKI_NAME, Key, WAIT, filled, needle, words};
use faturabot::{bot::callbacks::CallbackData, clock::istanbul, i18n::Lang};
use serde_json::Value;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn customers_are_refused_every_agent_command_and_the_bank_hears_nothing() {
    // Arrange: a linked customer with a payment of their own.
    let h = Harness::start().await;
    let user = h.customer(2501, "tr");
    h.link(&user).await;
    let id = pay(&h, &user, "1000001", "₺29,20").await;
    let before = bank_requests(&h);
    let invites_before = h.sandbox.sandbox.calls("CancelPayment");

    // Act
    let mut replies = Vec::new();
    for command in [
        "/invite 3488017 9142 357".to_owned(),
        "/invite".to_owned(),
        "/cancelpayment 1".to_owned(),
        format!("/cancelpayment {id}"),
        "/payments".to_owned(),
        "/resetpin 3488017".to_owned(),
    ] {
        replies.push((command.clone(), reply_to(&h, &user, &command).await));
    }
    // A forged page button of /payments.
    let q = h.tg.press(
        &user,
        replies[0].1.message_id,
        &CallbackData::PaymentsPage(0).encode(),
    );
    h.tg.wait_for_call(
        "answerCallbackQuery",
        |c| c.param_str("callback_query_id").as_deref() == Some(q.as_str()),
        WAIT,
    )
    .await
    .expect("answered");
    let after_press =
        h.tg.wait_for_message(
            user.chat_id(),
            |m| m.message_id > replies[5].1.message_id,
            WAIT,
        )
        .await
        .expect("an answer");
    replies.push(("pp:0".into(), after_press));

    // Assert
    let refused = words(&user, "agent.refused");
    for (command, reply) in &replies {
        let text = reply.plain();
        assert!(text.contains(&refused), "{command}: {text}");
        assert!(!text.contains("start="), "{command}: {text}");
        assert!(reply.buttons.is_empty(), "{command}: {:?}", reply.buttons);
    }
    assert_eq!(bank_requests(&h), before, "nothing reached the bank");
    assert_eq!(h.sandbox.sandbox.calls("CancelPayment"), invites_before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn agent_lists_todays_payments_with_states_and_totals() {
    // Arrange: two customers, three payments, one cancelled.
    let h = Harness::start().await;
    let a = h.customer(2601, "tr");
    let b = h.customer(2602, "tr");
    h.link(&a).await;
    h.link(&b).await;
    let first = pay(&h, &a, "1000001", "₺29,20").await;
    let second = pay(&h, &b, "9300001", "₺75,00").await;
    let third = pay(&h, &b, "1000002", "₺0,10").await;
    cancel_as_agent(&h, first).await;
    let agent = h.agent();

    // Act
    let list = h.say_key(&agent, "/payments", "payments.title").await;

    // Assert
    let text = list.plain();
    let day = Utc::now()
        .with_timezone(&istanbul())
        .format("%d.%m.%Y")
        .to_string();
    let title = filled(
        "payments.title",
        &[
            ("day", &day),
            ("page", "1"),
            ("pages", "1"),
            ("count", "3"),
            ("completed", "₺75,10"),
            ("cancelled", "₺29,20"),
        ],
    );
    let title = words(&agent, title);
    assert!(text.contains(&title), "{title:?} missing from {text}");
    let (paid, cancelled) = (
        words(&agent, "state.completed"),
        words(&agent, "state.cancelled"),
    );
    let lines = [
        (first, "1000001", "₺29,20", &cancelled, "2601"),
        (second, "9300001", "₺75,00", &paid, "2602"),
        (third, "1000002", "₺0,10", &paid, "2602"),
    ]
    .map(|(id, subscriber, amount, state, payer)| {
        let id = id.to_string();
        let args = [
            ("id", id.as_str()),
            ("institution", ISKI_NAME),
            ("subscriber", subscriber),
            ("amount", amount),
            ("state", state.as_str()),
            ("payer", payer),
        ];
        // Between the time and the reference, both unknown here.
        let [line] = <[String; 1]>::try_from(filled("payments.line", &args).pieces(&agent))
            .expect("one piece");
        line
    });
    for line in &lines {
        assert!(text.contains(line), "{line:?} missing from {text}");
    }
    // Oldest first.
    let at = |line: &str| text.find(line).expect("listed");
    assert!(
        at(&lines[0]) < at(&lines[1]) && at(&lines[1]) < at(&lines[2]),
        "{text}"
    );
    assert!(list.buttons.is_empty(), "one page: {:?}", list.buttons);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn help_and_command_menus_show_agent_commands_to_agents_only() {
    // Arrange
    let h = Harness::start().await;
    let user = h.customer(2801, "tr");
    let agent = h.agent();
    let agent_only = ["/invite", "/cancelpayment", "/payments", "/resetpin"];
    let everyone = [
        "/pay",
        "/receipt",
        "/history",
        "/language",
        "/unlink",
        "/cancel",
        "/help",
    ];

    // Act
    let for_user = h.say_key(&user, "/help", "help.title").await;
    let for_agent = h.say_key(&agent, "/help", "help.title").await;

    // Assert: /help
    let (u, a) = (for_user.plain(), for_agent.plain());
    for c in everyone {
        assert!(
            u.contains(&format!("{c} ")),
            "{c} missing for the customer: {u}"
        );
        assert!(
            a.contains(&format!("{c} ")),
            "{c} missing for the agent: {a}"
        );
    }
    for c in agent_only {
        assert!(!u.contains(c), "{c} shown to a customer: {u}");
        assert!(a.contains(c), "{c} missing for the agent: {a}");
    }

    // Assert: the menus.
    let names =
        |list: Vec<(String, String)>| -> Vec<String> { list.into_iter().map(|(c, _)| c).collect() };
    let customer_menu: Vec<&str> = [
        "pay", "bills", "receipt", "history", "pin", "language", "unlink", "cancel", "help",
    ]
    .into_iter()
    .filter(|c| *c != "pin" || !common::PIN_OFF)
    .collect();
    for lang in [None, Some("tr")] {
        let menu = names(h.tg.my_commands(lang));
        assert_eq!(menu, customer_menu, "default scope, {lang:?}");
    }
    let tr = h.tg.my_commands(Some("tr"));
    let pay = words(&user, Key::from("cmd.pay").in_lang(Lang::Tr));
    assert!(tr.iter().any(|(c, d)| c == "pay" && *d == pay), "{tr:?}");
    let scoped: Vec<_> =
        h.tg.calls_to("setMyCommands")
            .into_iter()
            .filter(|c| c.is_ok())
            .filter_map(|c| {
                let scope = match c.params.get("scope")? {
                    Value::String(s) => serde_json::from_str::<Value>(s).ok()?,
                    v => v.clone(),
                };
                (scope["type"] == "chat").then_some((scope, c))
            })
            .collect();
    assert_eq!(scoped.len(), 2, "one per language for the one agent");
    for (scope, call) in &scoped {
        assert_eq!(
            scope["chat_id"].to_string(),
            AGENT_ID.to_string(),
            "{scope}"
        );
        let commands = match call.params.get("commands") {
            Some(Value::String(s)) => serde_json::from_str::<Value>(s).unwrap_or_default(),
            Some(v) => v.clone(),
            None => Value::Null,
        };
        let listed: Vec<&str> = commands
            .as_array()
            .map(|l| l.iter().filter_map(|c| c["command"].as_str()).collect())
            .unwrap_or_default();
        for c in customer_menu
            .iter()
            .chain(&["invite", "cancelpayment", "payments", "resetpin"])
        {
            assert!(
                listed.contains(c),
                "{c} missing from the agents' menu {listed:?}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invites_and_cancellations_are_audited_and_shown_to_agents() {
    // Arrange: an invite (by `link`) and a cancellation.
    let h = Harness::start().await;
    let payer = h.customer(2901, "tr");
    h.link(&payer).await;
    let id = pay(&h, &payer, "1000001", "₺29,20").await;
    cancel_as_agent(&h, id).await;
    let agent = h.agent();

    // Act
    let list = h.say_key(&agent, "/payments", "payments.audit_title").await;

    // Assert
    let text = list.plain();
    let audit = text
        .split(needle(&agent, "payments.audit_title").as_str())
        .nth(1)
        .expect("an audit section");
    let (staff, id_s) = (AGENT_ID.to_string(), id.to_string());
    let invited = filled(
        "audit.invite",
        &[("agent", &staff), ("account", "9142-•••017-357")],
    );
    assert!(invited.shown_in(&agent, audit), "{text}");
    let cancelled = filled("audit.cancel", &[("agent", &staff), ("id", &id_s)]);
    assert!(cancelled.shown_in(&agent, audit), "{text}");
    assert!(!audit.contains("Some("), "{text}");
}
