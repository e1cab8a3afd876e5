//! The agent's cancel confirmation: its own branch of the schema, apart
//! from the customer's dialogue. Confirm sends `CancelPayment` through the
//! core, once; Back, Cancel and `/cancel` leave the payment as it is and
//! say so.

use teloxide::types::MessageId;

use super::Press;
use crate::{
    bot::{
        Ctx, HandlerResult, PayDialogue,
        callbacks::Action,
        flows,
        screens::{payment::status_text, staff},
        state::ConfirmingCancel,
    },
    payments::{CancelOutcome, PaymentIntent},
};

pub async fn receive_cancel_confirmation_button(
    ctx: Ctx,
    dialogue: PayDialogue,
    s: ConfirmingCancel,
    press: Press,
) -> HandlerResult {
    ctx.clone()
        .guard_step("confirming_cancel", async move {
            match press.action {
                Action::Confirm => {
                    dialogue.exit().await?;
                    confirm(&ctx, &s.intent, press.message).await
                }
                Action::Back | Action::Cancel => {
                    dialogue.exit().await?;
                    decline(&ctx, &s.intent, press.message).await
                }
                _ => ctx.expired().await,
            }
        })
        .await
}

/// `/cancel` while the confirmation is shown.
pub async fn cancel(ctx: Ctx, dialogue: PayDialogue, s: ConfirmingCancel) -> HandlerResult {
    ctx.clone()
        .guard_step("confirming_cancel", async move {
            dialogue.exit().await?;
            ctx.end_steps().await;
            decline(&ctx, &s.intent, None).await
        })
        .await
}

/// The agent confirmed: `CancelPayment`, once, however often pressed.
async fn confirm(ctx: &Ctx, intent: &PaymentIntent, message: Option<MessageId>) -> HandlerResult {
    // The screen was an agent's, but the list of agents may have changed
    // (and the bot restarted) since it was shown.
    if !ctx.is_agent {
        ctx.show_text(message, ctx.t("agent.refused")).await?;
        return Ok(());
    }
    let on_claimed = async {
        if let Err(e) = ctx.show_text(message, ctx.t("cancelpay.processing")).await {
            tracing::warn!(%intent, error = %e, "could not show that the cancellation is under way");
        }
    };
    let outcome = ctx
        .app
        .payments
        .cancel(ctx.user_id, intent, on_claimed)
        .await?;
    let t = ctx.texts();
    let text = match &outcome {
        CancelOutcome::NotFound => ctx.t("button.expired").to_owned(),
        CancelOutcome::NotCancellable(why) => staff::not_cancellable(t, *why),
        CancelOutcome::Busy => ctx.t("cancelpay.in_progress").to_owned(),
        CancelOutcome::Cancelled(record) => status_text(t, record),
        CancelOutcome::Unknown(record, e) => staff::cancel_unknown(t, record, e),
        CancelOutcome::Refused(_, e) => staff::cancel_refused(t, e),
    };
    ctx.show_text(message, text).await?;
    if let CancelOutcome::Cancelled(record) = &outcome {
        flows::tell_payer(ctx, record, |t| staff::payer_cancelled(t, record)).await;
    }
    Ok(())
}

/// Nothing is sent, and the text says the payment was *not* cancelled.
async fn decline(ctx: &Ctx, intent: &PaymentIntent, message: Option<MessageId>) -> HandlerResult {
    let record = ctx.app.store.ledger.get(intent).await?;
    let text = staff::cancel_kept(ctx.texts(), record.as_ref());
    ctx.show_text(message, text).await?;
    Ok(())
}
