//! Saved bills, as a customer uses them: a bill paid through `/pay` and
//! its "⭐ Save this bill" button, `/bills` and a bill's menu; and saved
//! bills put straight into the store, for counts no test pays its way to.

use faturabot::{
    bank::Account,
    bot::callbacks::{Action, CallbackData},
    fakegram::{BotMessage, FakeUser},
    payments::{
        TelegramUserId,
        bills::{BillId, SavedBill, SavedField, Stored},
    },
};

use super::{Harness, ISKI_NAME, Key, SUBSCRIBER_FIELD, action_data, filled, to_invoices};

/// The account [`Harness::link`] links.
pub fn linked_account() -> Account {
    Account {
        customer_no: 3488017,
        branch_code: 9142,
        suffix: 357,
        currency: "TRY".into(),
    }
}

/// İSKİ's bill of `subscriber` for `user`, as "save this bill" stores it
/// (no name, reminders on), from the account [`Harness::link`] links.
pub fn iski_bill(user: &FakeUser, subscriber: &str) -> SavedBill {
    SavedBill {
        id: BillId::new(),
        user: TelegramUserId(user.id),
        chat_id: user.chat_id(),
        account: linked_account(),
        group_code: "2".into(),
        group_name: "SU".into(),
        association_code: "ISKI".into(),
        association_name: ISKI_NAME.into(),
        fields: vec![SavedField {
            name: "SubscriberNumber".into(),
            label: SUBSCRIBER_FIELD.into(),
            value: subscriber.into(),
        }],
        subscriber: subscriber.into(),
        name: None,
        reminders: true,
        created_at: chrono::Utc::now(),
    }
}

/// The data of the "⭐ Save this bill" button of `msg`, if it has one.
pub fn save_data(msg: &BotMessage) -> Option<String> {
    msg.all_buttons()
        .filter_map(|b| b.callback_data.clone())
        .find(|d| matches!(CallbackData::decode(d), Some(CallbackData::SaveBill(_))))
}

impl Harness {
    /// `/pay` to İSKİ's invoice of `subscriber` whose button shows
    /// `amount`, paid (the PIN typed when asked); returns the paid message
    /// once the receipt's photo has come too.
    pub async fn pay_new_bill(
        &self,
        user: &FakeUser,
        subscriber: &str,
        amount: &str,
    ) -> BotMessage {
        let invoices = to_invoices(self, user, subscriber).await;
        let confirm = self.press_key(user, &invoices, amount, "pay.confirm").await;
        self.pay_confirmed(user, &confirm, amount).await
    }

    /// Confirms `confirm` (typing the PIN when asked) and waits for it to
    /// show the payment of `amount` made, and for a new receipt photo.
    pub async fn pay_confirmed(
        &self,
        user: &FakeUser,
        confirm: &BotMessage,
        amount: &str,
    ) -> BotMessage {
        let photos = self.photos(user);
        self.tg.press(
            user,
            confirm.message_id,
            &action_data(confirm, Action::Confirm),
        );
        self.type_pin_if_asked(user, confirm.message_id).await;
        let paid = filled("status.completed", &[("amount", amount)]);
        let shown = self
            .tg
            .wait_for_message(
                user.chat_id(),
                |m| m.message_id == confirm.message_id && paid.shown_in(user, &m.plain()),
                self.wait,
            )
            .await
            .unwrap_or_else(|| panic!("not paid; chat: {:#?}", self.transcript(user)));
        self.tg
            .wait_until(self.wait, || (self.photos(user) > photos).then_some(()))
            .await
            .unwrap_or_else(|| panic!("no receipt photo; chat: {:#?}", self.transcript(user)));
        shown
    }

    fn photos(&self, user: &FakeUser) -> usize {
        self.tg
            .chat(user.chat_id())
            .iter()
            .filter(|m| m.photo.is_some())
            .count()
    }

    /// Presses "⭐ Save this bill" under `paid`; waits for a new message
    /// showing `key`.
    pub async fn press_save<'a>(
        &self,
        user: &FakeUser,
        paid: &BotMessage,
        key: impl Into<Key<'a>>,
    ) -> BotMessage {
        let data =
            save_data(paid).unwrap_or_else(|| panic!("no save button in {:?}", paid.buttons));
        self.press_save_data(user, paid.message_id, &data, key)
            .await
    }

    /// Presses a save button with `data` on message `message_id` (as it
    /// was once shown); waits for a new message showing `key`.
    pub async fn press_save_data<'a>(
        &self,
        user: &FakeUser,
        message_id: i32,
        data: &str,
        key: impl Into<Key<'a>>,
    ) -> BotMessage {
        let key = key.into();
        let before = self.last_id(user);
        self.tg.press(user, message_id, data);
        self.tg
            .wait_for_message(
                user.chat_id(),
                |m| m.message_id > before && key.shown_in(user, &m.plain()),
                self.wait,
            )
            .await
            .unwrap_or_else(|| {
                panic!(
                    "no {} after save; chat: {:#?}",
                    key.name(),
                    self.transcript(user)
                )
            })
    }

    /// Pays İSKİ's `subscriber` through `/pay` and saves it, keeping the
    /// institution's name (Skip); returns the paid message.
    pub async fn pay_and_save(
        &self,
        user: &FakeUser,
        subscriber: &str,
        amount: &str,
    ) -> BotMessage {
        let paid = self.pay_new_bill(user, subscriber, amount).await;
        let saved = self.press_save(user, &paid, "bills.saved").await;
        self.press_fresh(user, &saved, Action::Skip, "bills.kept")
            .await;
        paid
    }

    /// Presses the dialogue button of `msg` that does `action` and waits
    /// for `key` on a message sent after, or on `msg` once its text changed
    /// (not on what was shown before the press).
    pub async fn press_fresh<'a>(
        &self,
        user: &FakeUser,
        msg: &BotMessage,
        action: Action,
        key: impl Into<Key<'a>>,
    ) -> BotMessage {
        let data = action_data(msg, action);
        self.press_data_fresh(user, msg, &data, key).await
    }

    /// [`Harness::press_fresh`] for the button with callback `data`.
    async fn press_data_fresh<'a>(
        &self,
        user: &FakeUser,
        msg: &BotMessage,
        data: &str,
        key: impl Into<Key<'a>>,
    ) -> BotMessage {
        let key = key.into();
        let before = self.last_id(user);
        let was = self
            .tg
            .chat(user.chat_id())
            .into_iter()
            .find(|m| m.message_id == msg.message_id)
            .map(|m| m.text)
            .unwrap_or_default();
        self.tg.press(user, msg.message_id, data);
        self.tg
            .wait_for_message(
                user.chat_id(),
                |m| {
                    let fresh =
                        m.message_id > before || (m.message_id == msg.message_id && m.text != was);
                    fresh && key.shown_in(user, &m.plain())
                },
                self.wait,
            )
            .await
            .unwrap_or_else(|| {
                panic!(
                    "no {} after pressing {data}; chat: {:#?}",
                    key.name(),
                    self.transcript(user)
                )
            })
    }

    /// `/bills`, showing `count` saved bills.
    pub async fn bills_list(&self, user: &FakeUser, count: usize) -> BotMessage {
        let count = count.to_string();
        self.say_key(user, "/bills", filled("bills.list", &[("count", &count)]))
            .await
    }

    /// From `/bills`' list, the menu of the bill whose button shows `label`.
    pub async fn open_bill(&self, user: &FakeUser, list: &BotMessage, label: &str) -> BotMessage {
        let data = list
            .button(label)
            .and_then(|b| b.callback_data.clone())
            .unwrap_or_else(|| panic!("no bill {label:?} in {:?}", list.buttons));
        self.press_data_fresh(user, list, &data, "bills.card").await
    }

    /// Saves `bills` straight into the store: the bot stops as a crash
    /// would (sled lets one process hold the database), they are stored,
    /// the bot starts again.
    pub async fn seed_bills(&mut self, bills: Vec<SavedBill>) {
        self.crash().await;
        {
            let store = self.open_store().await;
            for bill in bills {
                let stored = store.bills.save(bill, usize::MAX).await.expect("saved");
                assert!(matches!(stored, Stored::Saved(_)), "{stored:?}");
            }
            store.flush().await.expect("flushed");
        }
        self.launch().await;
    }
}
