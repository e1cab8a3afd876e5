//! `/start` (and invite links), `/help`, `/language`, and the routing of
//! button presses.

use teloxide::{prelude::*, types::CallbackQueryId};

use crate::{
    bot::{
        Ctx, HandlerResult, PayDialogue, State,
        callbacks::CallbackData,
        commands::{Audience, COMMANDS},
        handlers::{agent, pay, receipts},
        keyboards,
    },
    i18n::Lang,
    storage::InviteError,
    text::esc,
};

/// A command in a group: payments are private, so point to the private chat.
pub async fn private_only(
    bot: crate::bot::TgBot,
    app: std::sync::Arc<crate::bot::App>,
    msg: Message,
) -> HandlerResult {
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
        let _ = ctx.send(ctx.t("state.reset"), None).await;
    }
}

pub async fn start(ctx: Ctx, dialogue: PayDialogue, arg: String) -> HandlerResult {
    ctx.clone()
        .guard(async move {
            let token = arg.trim();
            if token.is_empty() {
                return welcome(&ctx, None).await;
            }
            link_account(&ctx, &dialogue, token).await
        })
        .await
}

pub async fn welcome(ctx: &Ctx, message: Option<teloxide::types::MessageId>) -> HandlerResult {
    let user = ctx.app.store.users.get(ctx.user_id).await?;
    let key = if user.accounts.is_empty() {
        "start.welcome_unlinked"
    } else {
        "start.welcome"
    };
    // Unlinked users get the button too: it tells them how to get linked.
    let markup = keyboards::pay_button(&ctx.app.i18n, ctx.lang);
    let shown = ctx.show(message, ctx.t(key), Some(markup)).await?;
    // A dialogue screen (Back) became the welcome: its Pay button stays.
    ctx.forget_step(shown).await;
    Ok(())
}

async fn link_account(ctx: &Ctx, dialogue: &PayDialogue, token: &str) -> HandlerResult {
    // Tokens are ours (hex); anything else is not worth a database look-up.
    if token.len() > 64 || !token.bytes().all(|b| b.is_ascii_alphanumeric()) {
        ctx.send(ctx.t("link.invalid"), None).await?;
        return Ok(());
    }
    let now = ctx.app.clock.now();
    let store = &ctx.app.store;
    match store
        .invites
        .redeem(&store.users, token, ctx.user_id, ctx.lang, now)
        .await
    {
        Ok(invite) => {
            dialogue.exit().await?;
            tracing::info!(
                user_id = ctx.user_id,
                agent = invite.agent_id,
                "account linked"
            );
            let text = ctx.f("link.done", &[("account", &esc(&invite.account.masked()))]);
            ctx.send(text, Some(keyboards::pay_button(&ctx.app.i18n, ctx.lang)))
                .await?;
        }
        Err(InviteError::Unknown) => {
            ctx.send(ctx.t("link.invalid"), None).await?;
        }
        Err(InviteError::Expired) => {
            ctx.send(ctx.t("link.expired"), None).await?;
        }
        Err(InviteError::Store(e)) => return Err(e.into()),
    }
    Ok(())
}

/// The commands this user may use, in their language.
pub fn help_text(ctx: &Ctx) -> String {
    let mut lines = vec![ctx.t("help.title").to_owned()];
    for (name, key, audience) in COMMANDS {
        if *audience == Audience::Agents && !ctx.is_agent {
            continue;
        }
        lines.push(format!("/{name} — {}", ctx.app.i18n.get(ctx.lang, key)));
    }
    lines.join("\n")
}

pub async fn help(ctx: Ctx) -> HandlerResult {
    ctx.clone()
        .guard(async move {
            ctx.send(help_text(&ctx), None).await?;
            Ok(())
        })
        .await
}

pub async fn language(ctx: Ctx) -> HandlerResult {
    ctx.clone()
        .guard(async move {
            ctx.send(
                ctx.t("language.choose"),
                Some(keyboards::language_buttons()),
            )
            .await?;
            Ok(())
        })
        .await
}

async fn receive_language(
    mut ctx: Ctx,
    lang: Lang,
    message: Option<teloxide::types::MessageId>,
) -> HandlerResult {
    ctx.app.store.users.set_lang(ctx.user_id, lang).await?;
    ctx.lang = lang;
    ctx.show(message, ctx.t("language.set"), None).await?;
    Ok(())
}

/// A press the bot does not serve (on a group's or an inline message, or
/// on a chat that is not the sender's): answered all the same, as expired,
/// so the client stops waiting, and nothing else happens.
pub async fn receive_foreign_button(
    bot: crate::bot::TgBot,
    app: std::sync::Arc<crate::bot::App>,
    q: CallbackQuery,
) -> HandlerResult {
    let lang = Lang::from_code(q.from.language_code.as_deref());
    let text = app.i18n.get(lang, "button.expired").to_owned();
    if let Err(e) = bot.answer_callback_query(q.id).text(text).await {
        tracing::debug!(error = %e, "answerCallbackQuery failed");
    }
    Ok(())
}

/// Answers a callback query; `text` shows as a small notice.
pub async fn answer(ctx: &Ctx, id: &CallbackQueryId, text: Option<&str>) {
    let mut req = ctx.bot.answer_callback_query(id.clone());
    if let Some(t) = text {
        req = req.text(t.to_owned());
    }
    if let Err(e) = req.await {
        tracing::debug!(error = %e, "answerCallbackQuery failed");
    }
}

/// Every button press lands here and is routed by what it carries.
pub async fn receive_button(
    ctx: Ctx,
    dialogue: PayDialogue,
    state: State,
    q: CallbackQuery,
) -> HandlerResult {
    ctx.clone()
        .guard(async move {
            tracing::Span::current().record("step", state.name());
            let message = q.message.as_ref().map(|m| m.id());
            let data = q.data.as_deref().and_then(CallbackData::decode);
            match data {
                None => {
                    answer(&ctx, &q.id, Some(ctx.t("button.expired"))).await;
                }
                Some(CallbackData::StartPayment) => {
                    answer(&ctx, &q.id, None).await;
                    if let Some(m) = message {
                        ctx.strip_buttons(m).await;
                    }
                    pay::begin(&ctx, &dialogue, None).await?;
                }
                Some(CallbackData::SetLanguage(lang)) => {
                    answer(&ctx, &q.id, None).await;
                    receive_language(ctx.clone(), lang, message).await?;
                }
                Some(CallbackData::Receipt(id)) => {
                    answer(&ctx, &q.id, None).await;
                    receipts::receipt_by_id(&ctx, id).await?;
                }
                Some(CallbackData::HistoryPage(page)) => {
                    answer(&ctx, &q.id, None).await;
                    receipts::show_history(&ctx, page as usize, message).await?;
                }
                Some(CallbackData::PaymentsPage(page)) => {
                    answer(&ctx, &q.id, None).await;
                    if ctx.is_agent {
                        agent::show_payments(&ctx, page as usize, message).await?;
                    } else {
                        ctx.send(ctx.t("agent.refused"), None).await?;
                    }
                }
                Some(CallbackData::Dialogue(step, action)) => {
                    pay::receive_button(&ctx, &dialogue, state, &q.id, message, step, action)
                        .await?;
                }
            }
            Ok(())
        })
        .await
}
