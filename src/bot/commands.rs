//! The bot's commands, parsed by teloxide from messages.

use teloxide::utils::command::BotCommands;

#[derive(BotCommands, Clone, Debug, PartialEq, Eq)]
#[command(rename_rule = "lowercase")]
pub enum Command {
    /// Welcome; `/start <token>` links an account from an invite.
    Start(String),
    Pay,
    Cancel,
    Receipt(String),
    History,
    Language,
    Help,
    Invite(String),
    #[command(rename = "cancelpayment")]
    CancelPayment(String),
    Payments,
    Settle(String),
}

/// Who may use a command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Audience {
    Everyone,
    Agents,
}

/// Command name, locale key of its description, audience; in `/help` order.
pub const COMMANDS: &[(&str, &str, Audience)] = &[
    ("pay", "cmd.pay", Audience::Everyone),
    ("receipt", "cmd.receipt", Audience::Everyone),
    ("history", "cmd.history", Audience::Everyone),
    ("language", "cmd.language", Audience::Everyone),
    ("cancel", "cmd.cancel", Audience::Everyone),
    ("help", "cmd.help", Audience::Everyone),
    ("invite", "cmd.invite", Audience::Agents),
    ("cancelpayment", "cmd.cancelpayment", Audience::Agents),
    ("payments", "cmd.payments", Audience::Agents),
    ("settle", "cmd.settle", Audience::Agents),
];
