//! [`schema`]: the whole update tree, built from named sub-trees.
//!
//! It depends on nothing global: tests build it and feed it updates.

use std::sync::Arc;

use dptree::case;
use teloxide::{dispatching::UpdateHandler, prelude::*};

use super::{
    App, Ctx, State, TgBot,
    commands::Command,
    handlers::{agent, general, pay, receipts},
};
use crate::storage::SledDialogues;

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

pub fn schema() -> UpdateHandler<anyhow::Error> {
    let agent_commands = dptree::filter(|cmd: Command| {
        matches!(
            cmd,
            Command::Invite(_) | Command::CancelPayment(_) | Command::Payments | Command::Settle(_)
        )
    })
    .branch(dptree::filter(|ctx: Ctx| !ctx.is_agent).endpoint(agent::refuse))
    .branch(case![Command::Invite(args)].endpoint(agent::invite))
    .branch(case![Command::CancelPayment(args)].endpoint(agent::cancel_payment))
    .branch(case![Command::Payments].endpoint(agent::payments))
    .branch(case![Command::Settle(args)].endpoint(agent::settle));

    let command_handler = teloxide::filter_command::<Command, _>()
        .branch(agent_commands)
        .branch(case![Command::Start(arg)].endpoint(general::start))
        .branch(case![Command::Help].endpoint(general::help))
        .branch(case![Command::Language].endpoint(general::language))
        .branch(case![Command::Cancel].endpoint(pay::cancel_command))
        .branch(case![Command::Pay].endpoint(pay::pay_command))
        .branch(case![Command::Receipt(arg)].endpoint(receipts::receipt_command))
        .branch(case![Command::History].endpoint(receipts::history_command));

    let message_handler = Update::filter_message()
        .branch(command_handler)
        .endpoint(pay::receive_text);

    let callback_query_handler = Update::filter_callback_query().endpoint(general::receive_button);

    // Payments and receipts are private: in a group, commands only get a
    // pointer to the private chat.
    let group_handler = Update::filter_message()
        .filter(|msg: Message, app: Arc<App>| {
            !msg.chat.is_private()
                && msg
                    .text()
                    .is_some_and(|t| is_command_for(t, &app.bot_username))
        })
        .endpoint(general::private_only);

    let private_handler =
        dptree::filter_map_async(|app: Arc<App>, bot: TgBot, update: Update| async move {
            Ctx::load(app, bot, &update).await
        })
        .enter_dialogue::<Update, SledDialogues, State>()
        .inspect_async(general::reset_unreadable)
        .branch(message_handler)
        .branch(callback_query_handler);

    // Every callback query is answered, even one the bot does not serve.
    let foreign_button_handler =
        Update::filter_callback_query().endpoint(general::receive_foreign_button);

    dptree::entry()
        .inspect(|app: Arc<App>| app.metrics.update_handled())
        .branch(group_handler)
        .branch(private_handler)
        .branch(foreign_button_handler)
}

#[cfg(test)]
mod tests {
    use super::is_command_for;

    #[test]
    fn group_commands_for_this_bot_only() {
        assert!(is_command_for("/pay", "fatura_bot"));
        assert!(is_command_for("/pay@Fatura_Bot now", "fatura_bot"));
        assert!(!is_command_for("/start@other_bot", "fatura_bot"));
        assert!(!is_command_for("hello /pay", "fatura_bot"));
    }
}
