//! [`schema`]: the whole update tree, built from named sub-trees. Every
//! command, every kind of button and every dialogue state has its branch
//! here, so the dialogue can be read off this file.
//!
//! It depends on nothing global: tests build it and feed it updates.

use std::sync::Arc;

use dptree::case;
use teloxide::{dispatching::UpdateHandler, prelude::*};

use super::{
    App, Ctx, State, TgBot,
    callbacks::{Action, CallbackData},
    commands::Command,
    handlers::{
        Press, Typed, agent, bills, cancel, confirm, dialogue, input, pin, receipts, start, unlink,
    },
};
use crate::storage::Dialogues;

type Branch = UpdateHandler<anyhow::Error>;

/// A command (`/cmd` or `/cmd@bot`) not addressed to another bot: in a
/// group, `/start@otherbot` is none of this bot's business.
fn is_command_for(text: &str, bot_username: &str) -> bool {
    let Some(command) = text
        .split_whitespace()
        .next()
        .and_then(|w| w.strip_prefix('/'))
    else {
        return false;
    };
    match command.split_once('@') {
        Some((_, to)) => to.eq_ignore_ascii_case(bot_username),
        None => true,
    }
}

pub fn schema() -> Branch {
    // Payments and receipts are private: in a group, commands only get a
    // pointer to the private chat.
    let group_handler = Update::filter_message()
        .filter(|msg: Message, app: Arc<App>| {
            !msg.chat.is_private()
                && msg
                    .text()
                    .is_some_and(|t| is_command_for(t, &app.bot_username))
        })
        .endpoint(start::private_only);

    // Every callback query is answered, even one the bot does not serve.
    let foreign_button_handler =
        Update::filter_callback_query().endpoint(start::receive_foreign_button);

    dptree::entry()
        .inspect(|app: Arc<App>| app.metrics.update_handled())
        .branch(group_handler)
        .branch(private_handler())
        .branch(foreign_button_handler)
}

/// Updates from a user's own private chat, with their dialogue state. An
/// update no branch takes falls out of here: the schema test checks that
/// none does.
fn private_handler() -> Branch {
    dptree::filter_map_async(|app: Arc<App>, bot: TgBot, update: Update| async move {
        Ctx::load(app, bot, &update).await
    })
    .enter_dialogue::<Update, Dialogues<State>, State>()
    .inspect_async(start::reset_unreadable)
    .branch(Update::filter_message().chain(message_handler()))
    .branch(Update::filter_callback_query().chain(callback_query_handler()))
}

fn command_handler() -> Branch {
    let agent_commands = dptree::filter(|cmd: Command| {
        matches!(
            cmd,
            Command::Invite(_)
                | Command::CancelPayment(_)
                | Command::Payments
                | Command::Settle(_)
                | Command::ResetPin(_)
        )
    })
    .branch(dptree::filter(|ctx: Ctx| !ctx.is_agent).endpoint(agent::refuse))
    .branch(case![Command::Invite(args)].endpoint(agent::invite))
    .branch(case![Command::CancelPayment(args)].endpoint(agent::cancel_payment))
    .branch(case![Command::Payments].endpoint(agent::payments))
    .branch(case![Command::Settle(args)].endpoint(agent::settle))
    .branch(case![Command::ResetPin(args)].endpoint(agent::reset_pin));

    let cancel_command = case![Command::Cancel]
        .branch(case![State::ConfirmingCancel(s)].endpoint(cancel::cancel))
        .branch(case![State::ConfirmingUnlink(s)].endpoint(unlink::cancel))
        .endpoint(dialogue::cancel);

    teloxide::filter_command::<Command, _>()
        .branch(agent_commands)
        .branch(case![Command::Start(arg)].endpoint(start::start))
        .branch(case![Command::Help].endpoint(start::help))
        .branch(case![Command::Language].endpoint(start::language))
        .branch(cancel_command)
        .branch(case![Command::Pay].endpoint(start::pay))
        .branch(case![Command::Pin].endpoint(pin::receive_pin_command))
        .branch(case![Command::Receipt(arg)].endpoint(receipts::receipt))
        .branch(case![Command::History].endpoint(receipts::history))
        .branch(case![Command::Unlink].endpoint(unlink::unlink))
        .branch(case![Command::Bills].endpoint(bills::receive_bills_command))
}

/// Text, by the state it arrives in.
fn message_handler() -> Branch {
    dptree::entry()
        .branch(command_handler())
        .branch(
            dptree::filter(|msg: Message| msg.text().is_none()).endpoint(input::receive_non_text),
        )
        .branch(
            dptree::filter_map(Typed::of)
                .branch(
                    dptree::filter(|t: Typed| t.0.trim_start().starts_with('/'))
                        .endpoint(input::receive_unknown_command),
                )
                .branch(case![State::Idle].endpoint(input::receive_text_when_idle))
                .branch(case![State::Unreadable].endpoint(input::receive_text_when_idle))
                .branch(case![State::ChoosingAccount(s)].endpoint(input::receive_text_at_buttons))
                .branch(case![State::ChoosingGroup(s)].endpoint(input::receive_text_at_buttons))
                .branch(case![State::ChoosingInstitution(s)].endpoint(dialogue::receive_filter))
                .branch(case![State::EnteringField(s)].endpoint(dialogue::receive_field_value))
                .branch(case![State::ChoosingInvoice(s)].endpoint(input::receive_text_at_buttons))
                .branch(case![State::Confirming(s)].endpoint(input::receive_text_at_buttons))
                .branch(case![State::ConfirmingCancel(s)].endpoint(input::receive_text_at_buttons))
                .branch(case![State::ChoosingPin(s)].endpoint(input::receive_text_at_keypad))
                .branch(case![State::EnteringPin(s)].endpoint(input::receive_text_at_keypad))
                .branch(case![State::ChangingPin(s)].endpoint(input::receive_text_at_keypad))
                .branch(case![State::ChoosingUnlink(s)].endpoint(input::receive_text_at_buttons))
                .branch(case![State::ConfirmingUnlink(s)].endpoint(input::receive_text_at_buttons))
                .branch(case![State::BrowsingBills(s)].endpoint(input::receive_text_at_buttons))
                .branch(case![State::ManagingBill(s)].endpoint(input::receive_text_at_buttons))
                .branch(
                    case![State::ConfirmingBillDelete(s)].endpoint(input::receive_text_at_buttons),
                )
                .branch(case![State::NamingBill(s)].endpoint(bills::receive_bill_name)),
        )
}

/// Buttons, decoded here: the menus' own, then the dialogue's by state.
fn callback_query_handler() -> Branch {
    let decoded =
        dptree::filter_map(|q: CallbackQuery| q.data.as_deref().and_then(CallbackData::decode))
            .branch(case![CallbackData::StartPayment].endpoint(start::receive_pay_button))
            .branch(case![CallbackData::SetLanguage(lang)].endpoint(start::receive_language_button))
            .branch(case![CallbackData::Receipt(id)].endpoint(receipts::receive_receipt_button))
            .branch(
                case![CallbackData::HistoryPage(page)]
                    .endpoint(receipts::receive_history_page_button),
            )
            .branch(
                case![CallbackData::PaymentsPage(page)]
                    .endpoint(agent::receive_payments_page_button),
            )
            .branch(case![CallbackData::SaveBill(step)].endpoint(bills::receive_save_button))
            .branch(
                case![CallbackData::ReminderPay(bill, tag)]
                    .endpoint(bills::receive_reminder_pay_button),
            )
            .branch(dptree::filter_map(Press::of).chain(dialogue_button_handler()));
    let undecodable = dptree::filter(|q: CallbackQuery| {
        q.data.as_deref().and_then(CallbackData::decode).is_none()
    });
    dptree::entry()
        .branch(undecodable.endpoint(input::receive_undecodable_button))
        .branch(decoded)
}

/// A dialogue button: stale, or live in the state it was drawn for.
fn dialogue_button_handler() -> Branch {
    let live = dptree::filter(|state: State, press: Press| state.step() == Some(press.step));
    let stale = dptree::filter(|state: State, press: Press| state.step() != Some(press.step));
    let leave = dptree::filter(|press: Press| press.action == Action::Cancel);
    dptree::entry()
        // Idle and Unreadable have no live buttons: every press is stale.
        .branch(stale.endpoint(input::receive_stale_button))
        .branch(
            live.inspect_async(|ctx: Ctx, press: Press| async move {
                ctx.answer(&press.query, None).await;
            })
            .branch(
                case![State::ConfirmingCancel(s)]
                    .endpoint(cancel::receive_cancel_confirmation_button),
            )
            // Before the payment dialogue's Cancel: it says the account stays.
            .branch(case![State::ChoosingUnlink(s)].endpoint(unlink::receive_unlink_choice_button))
            .branch(
                case![State::ConfirmingUnlink(s)]
                    .endpoint(unlink::receive_unlink_confirmation_button),
            )
            .branch(leave.endpoint(dialogue::receive_leave_button))
            .branch(case![State::ChoosingAccount(s)].endpoint(dialogue::receive_account_button))
            .branch(case![State::ChoosingGroup(s)].endpoint(dialogue::receive_group_button))
            .branch(
                case![State::ChoosingInstitution(s)].endpoint(dialogue::receive_institution_button),
            )
            .branch(case![State::EnteringField(s)].endpoint(dialogue::receive_field_button))
            .branch(case![State::ChoosingInvoice(s)].endpoint(dialogue::receive_invoice_button))
            .branch(case![State::Confirming(s)].endpoint(confirm::receive_confirmation_button))
            .branch(case![State::EnteringPin(s)].endpoint(confirm::receive_pin_button))
            .branch(case![State::ChoosingPin(s)].endpoint(pin::receive_choice_button))
            .branch(case![State::ChangingPin(s)].endpoint(pin::receive_change_button))
            .branch(case![State::BrowsingBills(s)].endpoint(bills::receive_list_button))
            .branch(case![State::ManagingBill(s)].endpoint(bills::receive_card_button))
            .branch(case![State::ConfirmingBillDelete(s)].endpoint(bills::receive_delete_button))
            .branch(case![State::NamingBill(s)].endpoint(bills::receive_naming_button)),
        )
}

#[cfg(test)]
mod tests;
