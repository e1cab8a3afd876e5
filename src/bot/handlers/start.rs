//! `/start` (and invite links), `/help`, `/language`, `/pay`, and the
//! buttons under them; the group pointer and the buttons the bot does not
//! serve.

use std::sync::Arc;

use teloxide::{prelude::*, types::CallbackQueryId};

use crate::{
    bot::{
        App, Ctx, HandlerResult, PayDialogue, State, TgBot,
        commands::{Audience, COMMANDS},
        flows, keyboards,
        screens::Screen,
    },
    i18n::Lang,
    payments::InviteError,
    text::esc,
};

/// A command in a group: payments are private, so point to the private chat.
pub async fn private_only(bot: TgBot, app: Arc<App>, msg: Message) -> HandlerResult {
    let lang = msg
        .from
        .as_ref()
        .map(|u| Lang::from_code(u.language_code.as_deref()))
        .unwrap_or_default();
    let link = format!("https://t.me/{}", app.bot_username);
    let text = app
        .i18n
        .fmt(lang, "group.private_only", &[("link", &esc(&link))]);
    if let Err(e) = bot.send_message(msg.chat.id, text).await {
        tracing::debug!(error = %e, "could not answer in a group");
    }
    Ok(())
}

/// A state stored by an older version cannot be read: say so, start over.
pub async fn reset_unreadable(ctx: Ctx, dialogue: PayDialogue, state: State) {
    if state == State::Unreadable {
        let _ = dialogue.exit().await;
        let _ = ctx.send(ctx.t("state.reset")).await;
    }
}

pub async fn start(ctx: Ctx, dialogue: PayDialogue, arg: String) -> HandlerResult {
    ctx.clone()
        .guard(async move {
            let token = arg.trim();
            if token.is_empty() {
                return flows::welcome(&ctx, None).await;
            }
            link_account(&ctx, &dialogue, token).await
        })
        .await
}

async fn link_account(ctx: &Ctx, dialogue: &PayDialogue, token: &str) -> HandlerResult {
    // Tokens are ours (hex); anything else is not worth a database look-up.
    if token.len() > 64 || !token.bytes().all(|b| b.is_ascii_alphanumeric()) {
        ctx.send(ctx.t("link.invalid")).await?;
        return Ok(());
    }
    let now = ctx.app.clock.now();
    let invites = &ctx.app.store.invites;
    match invites.redeem(token, ctx.user_id, ctx.lang, now).await {
        Ok(invite) => {
            dialogue.exit().await?;
            tracing::info!(user_id = ctx.user_id.0, agent = %invite.agent_id, "account linked");
            let text = ctx.f("link.done", &[("account", &esc(&invite.account.masked()))]);
            let pay = keyboards::pay_button(&ctx.app.i18n, ctx.lang);
            ctx.send_screen(Screen::new(text, Some(pay))).await?;
        }
        Err(InviteError::Unknown) => {
            ctx.send(ctx.t("link.invalid")).await?;
        }
        Err(InviteError::Expired) => {
            ctx.send(ctx.t("link.expired")).await?;
        }
        Err(InviteError::Store(e)) => return Err(e.into()),
    }
    Ok(())
}

/// The commands this user may use, in their language.
pub fn help_text(ctx: &Ctx) -> String {
    let mut lines = vec![ctx.t("help.title").to_owned()];
    for (name, key, audience) in COMMANDS {
        if (*audience == Audience::Agents && !ctx.is_agent) || !ctx.app.offers(name) {
            continue;
        }
        lines.push(format!("/{name} — {}", ctx.app.i18n.get(ctx.lang, key)));
    }
    lines.join("\n")
}

pub async fn help(ctx: Ctx) -> HandlerResult {
    ctx.clone()
        .guard(async move {
            ctx.send(help_text(&ctx)).await?;
            Ok(())
        })
        .await
}

pub async fn language(ctx: Ctx) -> HandlerResult {
    ctx.clone()
        .guard(async move {
            let buttons = keyboards::language_buttons();
            let screen = Screen::new(ctx.t("language.choose"), Some(buttons));
            ctx.send_screen(screen).await?;
            Ok(())
        })
        .await
}

/// A press on 🇹🇷 / 🇬🇧.
pub async fn receive_language_button(mut ctx: Ctx, lang: Lang, q: CallbackQuery) -> HandlerResult {
    ctx.clone()
        .guard(async move {
            ctx.answer(&q.id, None).await;
            ctx.app.store.users.set_lang(ctx.user_id, lang).await?;
            ctx.lang = lang;
            let message = q.message.as_ref().map(|m| m.id());
            ctx.show_text(message, ctx.t("language.set")).await?;
            Ok(())
        })
        .await
}

pub async fn pay(ctx: Ctx, dialogue: PayDialogue) -> HandlerResult {
    ctx.clone()
        .guard(async move { flows::begin(&ctx, &dialogue, None).await })
        .await
}

/// "Pay a bill" under the welcome or a receipt.
pub async fn receive_pay_button(
    ctx: Ctx,
    dialogue: PayDialogue,
    q: CallbackQuery,
) -> HandlerResult {
    ctx.clone()
        .guard(async move {
            ctx.answer(&q.id, None).await;
            if let Some(m) = q.message.as_ref().map(|m| m.id()) {
                ctx.strip_buttons(m).await;
            }
            flows::begin(&ctx, &dialogue, None).await
        })
        .await
}

/// A press the bot does not serve (on a group's or an inline message, or
/// on a chat that is not the sender's): answered all the same, as expired,
/// so the client stops waiting, and nothing else happens.
pub async fn receive_foreign_button(bot: TgBot, app: Arc<App>, q: CallbackQuery) -> HandlerResult {
    let lang = Lang::from_code(q.from.language_code.as_deref());
    let text = app.i18n.get(lang, "button.expired").to_owned();
    answer_with(&bot, q.id, text).await;
    Ok(())
}

async fn answer_with(bot: &TgBot, id: CallbackQueryId, text: String) {
    if let Err(e) = bot.answer_callback_query(id).text(text).await {
        tracing::debug!(error = %e, "answerCallbackQuery failed");
    }
}
