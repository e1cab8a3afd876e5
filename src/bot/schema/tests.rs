//! The shape of [`schema`], asserted in one place: every dialogue state
//! has a branch for text and for its buttons, and the updates the bot does
//! not serve still end somewhere. An update no branch takes falls out of
//! the tree (`ControlFlow::Continue`), which is what fails here.
//!
//! The bot and the bank point at a closed port: endpoints run, their calls
//! fail at once, and what is checked is only that a branch took the update.

use std::{sync::Arc, time::Duration};

use teloxide::dispatching::dialogue::Storage;

use super::{private_handler, schema};
use crate::{
    bank::{BankClient, Catalog, ReceiptClient, SessionId},
    bot::{
        App, State, TgBot,
        callbacks::{Action, CallbackData},
        launch::{build_bot, telegram_limits},
        state::*,
    },
    clock::Clock,
    config::{BankConfig, ReceiptConfig},
    i18n::I18n,
    metrics::Metrics,
    payments::{PaymentIntent, Payments, PinHasher, bills::BillId},
    storage::{Store, fixtures},
};

/// Nothing listens here.
const NOWHERE: &str = "http://127.0.0.1:9/";

fn app() -> (Arc<App>, TgBot) {
    let url = url::Url::parse(NOWHERE).expect("url");
    let bank = BankClient::new(&BankConfig {
        url: url.clone(),
        subscription_key: "k".to_owned().into(),
        channel: "c".into(),
        app_key: "a".to_owned().into(),
        dealer_code: "d".into(),
        sub_dealer_code: "s".into(),
        timeout: Duration::from_secs(1),
    })
    .expect("bank client");
    let receipts = ReceiptClient::new(&ReceiptConfig {
        url: url.clone(),
        api_key: "k".to_owned().into(),
        secret_key: "s".to_owned().into(),
        timeout: Duration::from_secs(1),
    })
    .expect("receipt client");
    let store = Store::temporary().expect("store");
    let clock = Clock::system();
    let app = App {
        i18n: I18n::load().expect("locales"),
        payments: Payments {
            ledger: store.ledger.clone(),
            invites: store.invites.clone(),
            users: store.users.clone(),
            pins: store.pins.clone(),
            bills: store.bills.clone(),
            pin_hasher: PinHasher::new(),
            bank: Arc::new(bank.clone()),
            clock: clock.clone(),
            daily_limit: None,
        },
        store,
        catalog: Catalog::new(bank, Duration::from_secs(60)),
        receipts,
        agents: [900_001].into(),
        bot_username: "fatura_bot".into(),
        clock,
        metrics: Metrics::new(),
        in_flight: Default::default(),
        reminders: Default::default(),
        pin: Some(crate::bot::pin::Sealer::from_token(
            &"1:test".to_owned().into(),
        )),
    };
    let bot = build_bot("1:test", Some(url), telegram_limits(1000));
    (Arc::new(app), bot)
}

/// One state of each kind. The `match` makes a new variant a compile
/// error here until it has an example, and so a branch to be checked.
fn one_of_each() -> Vec<State> {
    let step = Step(42);
    let flow = Flow {
        session: SessionId::new(),
        account: fixtures::account(357),
    };
    let group = GroupRef {
        code: "2".into(),
        name: "SU".into(),
    };
    let picked = Picked {
        saved: None,
        flow: flow.clone(),
        group: group.clone(),
        institution: Institution {
            code: "ISKI".into(),
            name: "İSKİ".into(),
        },
        fields: vec![QueryField {
            name: "SubscriberNumber".into(),
            label: "Abone No".into(),
        }],
        values: Vec::new(),
    };
    let confirming = Confirming {
        step,
        picked: picked.clone(),
        bills: Vec::new(),
        chosen: 0,
    };
    // Sealed for no chat in particular: each input's chat finds it
    // unreadable, which its branch must handle too.
    let entry = crate::bot::pin::Sealer::from_token(&"1:test".to_owned().into())
        .empty(0, chrono::Utc::now())
        .expect("sealed");
    let all = vec![
        State::Idle,
        State::Unreadable,
        State::ChoosingAccount(ChoosingAccount {
            step,
            session: SessionId::new(),
        }),
        State::ChoosingGroup(ChoosingGroup {
            step,
            flow: flow.clone(),
            groups: vec![group.clone()],
        }),
        State::ChoosingInstitution(ChoosingInstitution {
            step,
            flow,
            group,
            page: 0,
            filter: None,
            shown: Vec::new(),
        }),
        State::EnteringField(EnteringField {
            step,
            picked: picked.clone(),
        }),
        State::ChoosingInvoice(ChoosingInvoice {
            step,
            picked: picked.clone(),
            bills: Vec::new(),
        }),
        State::Confirming(confirming.clone()),
        State::ConfirmingCancel(ConfirmingCancel {
            step,
            intent: PaymentIntent::of_confirmation(1, 42),
        }),
        State::ChoosingPin(ChoosingPin {
            step,
            entry: entry.clone(),
            last_press: None,
            first: None,
            then: AfterChoosing::Pay,
        }),
        State::EnteringPin(EnteringPin {
            step,
            entry: entry.clone(),
            last_press: None,
            confirming,
        }),
        State::ChangingPin(ChangingPin {
            step,
            entry,
            last_press: None,
            old: None,
            new: None,
        }),
        State::ChoosingUnlink(ChoosingUnlink {
            step,
            accounts: vec![fixtures::account(357), fixtures::account(358)],
        }),
        State::ConfirmingUnlink(ConfirmingUnlink {
            step,
            account: fixtures::account(357),
        }),
        State::BrowsingBills(BrowsingBills {
            step,
            page: 0,
            shown: vec![BillId(7)],
        }),
        State::ManagingBill(ManagingBill {
            step,
            bill: BillId(7),
        }),
        State::ConfirmingBillDelete(ConfirmingBillDelete {
            step,
            bill: BillId(7),
        }),
        State::NamingBill(NamingBill {
            step,
            bill: BillId(7),
            just_saved: true,
        }),
    ];
    for state in &all {
        match state {
            State::Idle
            | State::Unreadable
            | State::ChoosingAccount(_)
            | State::ChoosingGroup(_)
            | State::ChoosingInstitution(_)
            | State::EnteringField(_)
            | State::ChoosingInvoice(_)
            | State::Confirming(_)
            | State::ConfirmingCancel(_)
            | State::ChoosingPin(_)
            | State::EnteringPin(_)
            | State::ChangingPin(_)
            | State::ChoosingUnlink(_)
            | State::ConfirmingUnlink(_)
            | State::BrowsingBills(_)
            | State::ManagingBill(_)
            | State::ConfirmingBillDelete(_)
            | State::NamingBill(_) => {}
        }
    }
    all
}

fn user(id: i64) -> serde_json::Value {
    serde_json::json!({"id": id, "is_bot": false, "first_name": "Ayşe", "language_code": "tr"})
}

fn chat(id: i64, kind: &str) -> serde_json::Value {
    serde_json::json!({"id": id, "type": kind, "first_name": "Ayşe", "title": "group"})
}

fn text(
    update_id: u32,
    from: i64,
    chat_id: i64,
    kind: &str,
    text: &str,
) -> teloxide::types::Update {
    let json = serde_json::json!({
        "update_id": update_id,
        "message": {
            "message_id": 10, "date": 0, "chat": chat(chat_id, kind),
            "from": user(from), "text": text
        }
    });
    serde_json::from_str(&json.to_string()).expect("a message update")
}

fn press(
    update_id: u32,
    from: i64,
    chat_id: i64,
    kind: &str,
    data: &str,
) -> teloxide::types::Update {
    let json = serde_json::json!({
        "update_id": update_id,
        "callback_query": {
            "id": format!("q{update_id}"), "from": user(from), "chat_instance": "c",
            "data": data,
            "message": {
                "message_id": 11, "date": 0, "chat": chat(chat_id, kind),
                "from": {"id": 1, "is_bot": true, "first_name": "bot"}, "text": "screen"
            }
        }
    });
    serde_json::from_str(&json.to_string()).expect("a callback update")
}

fn dialogue_press(chat: i64, step: Step, action: Action) -> teloxide::types::Update {
    press(
        0,
        chat,
        chat,
        "private",
        &CallbackData::Dialogue(step, action).encode(),
    )
}

async fn handled(
    tree: &super::Branch,
    app: &Arc<App>,
    bot: &TgBot,
    update: teloxide::types::Update,
) -> bool {
    assert!(
        !matches!(update.kind, teloxide::types::UpdateKind::Error(_)),
        "the test's update does not parse: {:?}",
        update.kind
    );
    let dialogues = app.store.dialogues::<State>();
    let me = serde_json::json!({
        "id": 1, "is_bot": true, "first_name": "Fatura", "username": "fatura_bot",
        "can_join_groups": true, "can_read_all_group_messages": false,
        "supports_inline_queries": false, "can_connect_to_business": false,
        "has_main_web_app": false
    });
    let me: teloxide::types::Me = serde_json::from_str(&me.to_string()).expect("me");
    let deps = teloxide::dptree::deps![app.clone(), bot.clone(), update, dialogues, me];
    tokio::time::timeout(Duration::from_secs(20), tree.dispatch(deps))
        .await
        .expect("no branch hangs")
        .is_break()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_dialogue_state_has_its_branches() {
    let (app, bot) = app();
    let tree = private_handler();
    let dialogues = app.store.dialogues::<State>();
    let mut update_id = 0;
    let mut updates = tokio::task::JoinSet::new();
    let states = one_of_each();
    let expected = states.len() * 8;
    for (i, state) in states.into_iter().enumerate() {
        let step = state.step().unwrap_or(Step(7));
        // A chat per input: Telegram's pace of one message a second per
        // chat would otherwise set the pace of this test.
        let chat_of = |j: i64| 5000 + 100 * i as i64 + j;
        let inputs = [
            (
                "text",
                text(0, chat_of(0), chat_of(0), "private", "1000001"),
            ),
            (
                "a command",
                text(0, chat_of(1), chat_of(1), "private", "/cancel"),
            ),
            ("a photo", {
                let json = serde_json::json!({"update_id": 0, "message": {
                    "message_id": 10, "date": 0, "chat": chat(chat_of(2), "private"), "from": user(chat_of(2)),
                    "photo": [{"file_id": "f", "file_unique_id": "u", "width": 1, "height": 1}]
                }});
                serde_json::from_str(&json.to_string()).expect("a photo update")
            }),
            ("Back", dialogue_press(chat_of(4), step, Action::Back)),
            ("Confirm", dialogue_press(chat_of(5), step, Action::Confirm)),
            ("Cancel", dialogue_press(chat_of(6), step, Action::Cancel)),
            (
                "a stale button",
                dialogue_press(chat_of(7), Step(1), Action::Back),
            ),
            (
                "a forged button",
                press(0, chat_of(3), chat_of(3), "private", "zz:9"),
            ),
        ];
        for (what, mut update) in inputs {
            update_id += 1;
            update.id = teloxide::types::UpdateId(update_id);
            let chat = update.chat().map(|c| c.id).expect("a chat");
            Storage::update_dialogue(dialogues.clone(), chat, state.clone())
                .await
                .expect("store the state");
            let (tree, app, bot) = (tree.clone(), app.clone(), bot.clone());
            let name = state.name();
            // All at once, each in its own chat, as many customers would.
            updates.spawn(async move { (what, name, handled(&tree, &app, &bot, update).await) });
        }
    }
    let mut seen = 0;
    while let Some(done) = updates.join_next().await {
        let (what, state, handled) = done.expect("no handler panics");
        assert!(handled, "{what} in state {state} has no branch");
        seen += 1;
    }
    assert_eq!(seen, expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_the_bot_does_not_serve_still_ends_somewhere() {
    let (app, bot) = app();
    let tree = schema();
    // A command in a group gets the pointer to the private chat.
    let group = text(1, 5, -100, "group", "/pay@fatura_bot");
    assert!(handled(&tree, &app, &bot, group).await);
    // A press on a group's message, or one forged into another user's
    // chat, is answered (as expired) and goes no further.
    let in_group = press(2, 5, -100, "group", "pay");
    assert!(handled(&tree, &app, &bot, in_group).await);
    let forged = press(3, 5, 6, "private", "pay");
    assert!(handled(&tree, &app, &bot, forged).await);
    // A private update in a state is taken by the private branch.
    let private = text(4, 7, 7, "private", "/help");
    assert!(handled(&private_handler(), &app, &bot, private).await);
    // A group's plain chatter is none of the bot's business.
    let chatter = text(5, 5, -100, "group", "hello");
    assert!(!handled(&tree, &app, &bot, chatter).await);
}
