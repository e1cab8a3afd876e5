//! What no dialogue step expects: a photo, a command this bot does not
//! know, text where buttons are shown, a button that is out of date.

use teloxide::prelude::*;

use super::Press;
use crate::bot::{Ctx, HandlerResult, State, screens::payment::status_text};

/// Anything but text (a photo, a sticker …).
pub async fn receive_non_text(ctx: Ctx, state: State) -> HandlerResult {
    ctx.clone()
        .guard_step(state.name(), async move {
            ctx.send(ctx.t("input.text_only")).await?;
            Ok(())
        })
        .await
}

/// A command this bot does not know (or one for another bot) is never a
/// search or a field value.
pub async fn receive_unknown_command(ctx: Ctx, state: State) -> HandlerResult {
    ctx.clone()
        .guard_step(state.name(), async move {
            ctx.send(ctx.t("input.unknown_command")).await?;
            Ok(())
        })
        .await
}

/// Text with no dialogue open.
pub async fn receive_text_when_idle(ctx: Ctx, state: State) -> HandlerResult {
    ctx.clone()
        .guard_step(state.name(), async move {
            ctx.send(ctx.t("input.idle")).await?;
            Ok(())
        })
        .await
}

/// Text at a step that shows buttons.
pub async fn receive_text_at_buttons(ctx: Ctx, state: State) -> HandlerResult {
    ctx.clone()
        .guard_step(state.name(), async move {
            ctx.send(ctx.t("input.use_buttons")).await?;
            Ok(())
        })
        .await
}

/// Text at a PIN keypad: it may be the PIN itself, so it is taken out of
/// the chat (best effort) and the customer pointed at the keypad.
pub async fn receive_text_at_keypad(ctx: Ctx, state: State, msg: Message) -> HandlerResult {
    ctx.clone()
        .guard_step(state.name(), async move {
            if let Err(e) = ctx.bot.delete_message(msg.chat.id, msg.id).await {
                tracing::warn!(error = %e, "could not delete text typed at the keypad");
            }
            ctx.send(ctx.t("pin.use_keypad")).await?;
            Ok(())
        })
        .await
}

/// Button data this version never wrote.
pub async fn receive_undecodable_button(ctx: Ctx, state: State, q: CallbackQuery) -> HandlerResult {
    ctx.clone()
        .guard_step(state.name(), async move {
            ctx.answer(&q.id, Some(ctx.t("button.expired"))).await;
            Ok(())
        })
        .await
}

/// A press on a screen that is no longer the live one. A confirm press
/// whose payment exists (a keypad key's too) says what became of it.
pub async fn receive_stale_button(ctx: Ctx, state: State, press: Press) -> HandlerResult {
    ctx.clone()
        .guard_step(state.name(), async move {
            let expired = Some(ctx.t("button.expired"));
            // Pay, or a key of its keypad (which carries the confirmation's
            // step): a payment may exist under that step.
            use crate::bot::callbacks::Action;
            if !matches!(press.action, Action::Confirm | Action::Digit(_)) {
                ctx.answer(&press.query, expired).await;
                return Ok(());
            }
            let intent = press.step.payment_intent(ctx.chat_id.0);
            match ctx.app.store.ledger.get(&intent).await {
                Ok(Some(record)) => {
                    ctx.answer(&press.query, Some(ctx.t("pay.already_pressed")))
                        .await;
                    ctx.send(status_text(ctx.texts(), &record)).await?;
                }
                Ok(None) => ctx.answer(&press.query, expired).await,
                Err(e) => {
                    // Answered all the same; the user is told of the error.
                    ctx.answer(&press.query, expired).await;
                    return Err(e.into());
                }
            }
            Ok(())
        })
        .await
}
