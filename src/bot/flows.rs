//! What several handlers end with: the welcome, opening the payment
//! dialogue, delivering a receipt. Handlers call these instead of each
//! other.

use teloxide::types::MessageId;

use super::{
    Ctx, HandlerResult, PayDialogue, State,
    keyboards::pay_button,
    pin,
    screens::{
        Screen, Texts,
        dialogue::{self as screens},
        payment::{receipt_error, receipt_text},
    },
    state::{AfterChoosing, ChoosingAccount, Flow, Step},
    steps::show_groups,
};
use crate::{
    bank::SessionId,
    payments::{PaymentRecord, TelegramUserId},
    receipt::qr_png_off_thread,
};

/// `/start` without a token, or Back from the dialogue's first screen.
pub async fn welcome(ctx: &Ctx, message: Option<MessageId>) -> HandlerResult {
    let user = ctx.app.store.users.get(ctx.user_id).await?;
    let key = if user.accounts.is_empty() {
        "start.welcome_unlinked"
    } else {
        "start.welcome"
    };
    // Unlinked users get the button too: it tells them how to get linked.
    let markup = pay_button(&ctx.app.i18n, ctx.lang);
    let shown = ctx
        .show(message, Screen::new(ctx.t(key), Some(markup)))
        .await?;
    // A dialogue screen (Back) became the welcome: its Pay button stays.
    ctx.forget_step(shown).await;
    Ok(())
}

/// A payment's entry (`/pay`, a Pay button): with the PIN on, a customer
/// without one chooses it first and a locked one is told so; then the
/// dialogue opens.
pub async fn begin(ctx: &Ctx, dialogue: &PayDialogue, message: Option<MessageId>) -> HandlerResult {
    let user = ctx.app.store.users.get(ctx.user_id).await?;
    // Unlinked: the dialogue says so, before any PIN.
    if user.accounts.is_empty()
        || pin::steps::gate(ctx, dialogue, AfterChoosing::Pay, message).await?
    {
        open_dialogue(ctx, dialogue, message).await?;
    }
    Ok(())
}

/// Opens the dialogue for a linked customer: the account, or the groups.
pub async fn open_dialogue(
    ctx: &Ctx,
    dialogue: &PayDialogue,
    message: Option<MessageId>,
) -> HandlerResult {
    let user = ctx.app.store.users.get(ctx.user_id).await?;
    match user.accounts.as_slice() {
        [] => {
            dialogue.exit().await?;
            ctx.show_text(message, ctx.t("pay.not_linked")).await?;
        }
        [account] => {
            let flow = Flow {
                session: SessionId::new(),
                account: account.clone(),
            };
            show_groups(ctx, dialogue, flow, message, None).await?;
        }
        accounts => {
            let step = Step::new();
            let session = SessionId::new();
            dialogue
                .update(State::ChoosingAccount(ChoosingAccount { step, session }))
                .await?;
            let screen = screens::accounts(ctx.texts(), step, accounts);
            ctx.show_step(message, screen).await?;
        }
    }
    Ok(())
}

/// Sends the receipt of a completed payment: its text and its QR image.
/// When the receipt service fails, the payment reference stands in.
pub async fn deliver_receipt(ctx: &Ctx, record: &PaymentRecord) -> HandlerResult {
    let Some(id) = record.transaction_id else {
        ctx.send(ctx.t("receipt.no_reference")).await?;
        return Ok(());
    };
    match ctx.app.receipts.receipt(id.0).await {
        Ok(receipt) => {
            let qr = if receipt.item.qr_code.trim().is_empty() {
                id.to_string()
            } else {
                receipt.item.qr_code.clone()
            };
            send_with_qr(ctx, &qr, &receipt_text(ctx.texts(), &receipt, record)).await?;
        }
        Err(e) => {
            tracing::warn!(payment = %id, error = %e, "receipt service failed");
            let reason = receipt_error(ctx.texts(), &e);
            let text = ctx.f(
                "receipt.unavailable",
                &[("id", &id.to_string()), ("reason", &reason)],
            );
            send_with_qr(ctx, &id.to_string(), &text).await?;
        }
    }
    Ok(())
}

/// `text` under the QR image of `qr`; the text alone when the service's
/// `qrCode` is too long (or otherwise unfit) to draw.
async fn send_with_qr(ctx: &Ctx, qr: &str, text: &str) -> HandlerResult {
    match qr_png_off_thread(qr).await {
        Ok(png) => ctx.send_photo(png, text).await?,
        Err(e) => {
            tracing::warn!(error = %e, "receipt QR code not drawn; sending the text alone");
            ctx.send(text).await?;
        }
    }
    Ok(())
}

/// Writes to the payer of `record` (an agent acted on their payment), in
/// the payer's language (else the agent's): best effort, logged.
pub async fn tell_payer(ctx: &Ctx, record: &PaymentRecord, text: impl FnOnce(Texts) -> String) {
    tell_user(ctx, record.payer, record.chat_id, text).await;
}

/// Writes to `user` in their private chat `chat_id`, in their language
/// (else the agent's), through the bot's usual send path: best effort, so
/// one who blocked the bot (403) fails nothing the agent did; logged.
pub async fn tell_user(
    ctx: &Ctx,
    user: TelegramUserId,
    chat_id: i64,
    text: impl FnOnce(Texts) -> String,
) {
    let lang = ctx
        .app
        .store
        .users
        .get(user)
        .await
        .ok()
        .and_then(|u| u.preferred_lang())
        .unwrap_or(ctx.lang);
    let them = ctx.for_user(user, chat_id, lang);
    if let Err(e) = them.send(text(them.texts())).await {
        tracing::warn!(%user, error = %e, "could not write to the user");
    }
}
