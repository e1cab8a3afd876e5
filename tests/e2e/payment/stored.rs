//! Dialogues stored by earlier builds still read: the fixture, and the
//! ignored test that writes it from a real run.

use crate::common;

use std::time::Duration;

use common::{Harness, ISKI, SUBSCRIBER_FIELD, filled, read};
use faturabot::bot::callbacks::Action;

/// The dialogue states as stored by each version, one of each kind, taken
/// from real runs. Every later build must still read them all (an upgrade
/// keeps every chat where it was).
const STORED_DIALOGUES: [&str; 2] = [
    concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/dialogues/stored-v0.json"
    ),
    concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/dialogues/stored-v1.json"
    ),
];

/// What this build writes; made by the ignored `write_stored_dialogue_fixture`.
const CURRENT: &str = STORED_DIALOGUES[1];

#[test]
fn dialogues_stored_by_earlier_builds_still_read() {
    for fixture in STORED_DIALOGUES {
        every_kind_reads(fixture);
    }
}

fn every_kind_reads(fixture: &str) {
    let text = std::fs::read_to_string(fixture).expect("fixture");
    let stored: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(&text).expect("a JSON object");
    let kinds = [
        "choosing_account",
        "choosing_group",
        "choosing_institution",
        "entering_field",
        "choosing_invoice",
        "confirming",
        "confirming_cancel",
    ];
    for kind in kinds {
        let json = stored.get(kind).unwrap_or_else(|| panic!("{kind} missing"));
        let state = faturabot::bot::State::decode(json.to_string().as_bytes())
            .unwrap_or_else(|e| panic!("{kind} of {fixture} no longer reads: {e}"));
        assert_eq!(state.name(), kind);
        assert!(state.step().is_some(), "{kind} keeps its live step");
    }
    assert_eq!(stored.len(), kinds.len());
}

/// Regenerates the fixture above (only when the stored format is meant to
/// gain a new version: never overwrite an old one):
/// `cargo test --test e2e -- --ignored write_stored_dialogue_fixture`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore]
async fn write_stored_dialogue_fixture() {
    let mut h = Harness::start().await;
    let user = h.customer(1201, "tr");
    h.link(&user).await;
    let agent = h.agent();
    let second = h.say(&agent, "/invite 3488017 9142 358", "start=").await;
    let token = second
        .plain()
        .split("start=")
        .nth(1)
        .and_then(|t| t.split_whitespace().next())
        .expect("token")
        .to_owned();
    h.say_key(&user, &format!("/start {token}"), "link.done")
        .await;

    let mut stored = std::collections::BTreeMap::new();
    let accounts = h.say_key(&user, "/pay", "pay.choose_account").await;
    capture(&mut h, &user, "choosing_account", &mut stored).await;
    let groups = h
        .press_key(&user, &accounts, "357", "pay.choose_group")
        .await;
    capture(&mut h, &user, "choosing_group", &mut stored).await;
    h.press_key(&user, &groups, "SU", "pay.choose_institution")
        .await;
    let found = h.say_key(&user, "iski", "pay.filter_some").await;
    capture(&mut h, &user, "choosing_institution", &mut stored).await;
    h.press_key(
        &user,
        &found,
        ISKI,
        filled("pay.enter_field", &[("field", SUBSCRIBER_FIELD)]),
    )
    .await;
    capture(&mut h, &user, "entering_field", &mut stored).await;
    let invoices = h.say_key(&user, "1000002", "pay.choose_invoice").await;
    capture(&mut h, &user, "choosing_invoice", &mut stored).await;
    let confirm = h
        .press_key(&user, &invoices, "₺1.234,56", "pay.confirm")
        .await;
    capture(&mut h, &user, "confirming", &mut stored).await;
    let paid = h
        .press_action(&user, &confirm, Action::Confirm, "status.completed")
        .await;
    let id = read(&user, "status.completed", "id", &paid.plain());
    h.say_key(&agent, &format!("/cancelpayment {id}"), "cancelpay.ask")
        .await;
    capture(&mut h, &agent, "confirming_cancel", &mut stored).await;

    // Each state's bytes exactly as sled held them (the bills' raw JSON
    // included: `0.10` stays `0.10`).
    let entries: Vec<String> = stored
        .iter()
        .map(|(kind, raw)| format!("  {kind:?}: {raw}"))
        .collect();
    let text = format!("{{\n{}\n}}\n", entries.join(",\n"));
    std::fs::write(CURRENT, text).expect("write the fixture");
}

/// The stored dialogue of `user`'s chat, exactly as stored (the bot is
/// stopped for the read, as a crash would, and started again).
async fn capture(
    h: &mut Harness,
    user: &faturabot::fakegram::FakeUser,
    kind: &str,
    into: &mut std::collections::BTreeMap<String, String>,
) {
    h.crash().await;
    let store = h.open_store().await;
    let bytes = store
        .dialogue_states
        .get(user.chat_id())
        .await
        .expect("read")
        .expect("a stored dialogue");
    drop(store);
    // sled lets its file lock go once its own threads let go of it.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let text = String::from_utf8(bytes.to_vec()).expect("stored JSON is text");
    into.insert(kind.to_owned(), text);
    h.launch().await;
}
