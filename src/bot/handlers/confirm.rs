//! The confirmation screen, and the payment it makes: the core records it
//! and calls the bank exactly once; this says what became of it. A
//! payment over the daily limit is refused on the press, before anything
//! else (the PIN to come included), and again by the ledger if two
//! payments raced past that first look.

use teloxide::types::MessageId;

use super::Press;
use crate::{
    bank::BankError,
    bot::{
        Ctx, HandlerResult, PayDialogue, State,
        callbacks::Action,
        flows,
        keyboards::pay_button,
        screens::{
            Screen,
            dialogue::{over_limit, refused},
            payment::status_text,
        },
        state::{Confirming, Step},
        steps,
    },
    payments::{OverLimit, PayOrder, PayOutcome, PaymentIntent, PaymentRecord},
};

pub async fn receive_confirmation_button(
    ctx: Ctx,
    dialogue: PayDialogue,
    s: Confirming,
    press: Press,
) -> HandlerResult {
    ctx.clone()
        .guard_step("confirming", async move {
            match press.action {
                Action::Back => {
                    steps::show_invoices(&ctx, &dialogue, s.picked, s.bills, None, press.message)
                        .await
                }
                Action::Confirm => pay(&ctx, &dialogue, s, press.message).await,
                _ => ctx.expired().await,
            }
        })
        .await
}

/// The payment of confirmation screen `s`.
async fn pay(
    ctx: &Ctx,
    dialogue: &PayDialogue,
    s: Confirming,
    message: Option<MessageId>,
) -> HandlerResult {
    let Some(bill) = s.bills.get(s.chosen) else {
        return ctx.expired().await;
    };
    let p = &s.picked;
    let order = PayOrder {
        intent: s.step.payment_intent(ctx.chat_id.0),
        payer: ctx.user_id,
        chat_id: ctx.chat_id.0,
        session: p.flow.session.clone(),
        account: p.flow.account.clone(),
        association_code: p.institution.code.clone(),
        association_name: p.institution.name.clone(),
        subscriber: p.subscriber(Some(bill)),
        bill: bill.to_bill(),
    };
    let intent = order.intent.clone();
    // Before anything else happens (the PIN, to come, included).
    if let Err(over) = ctx.app.payments.allowance(&order).await? {
        ctx.app.metrics.payment("over_limit");
        return tell_over_limit(ctx, dialogue, s, &over, message).await;
    }
    // This press owns the payment now: the confirm button goes at once and
    // the dialogue is over, whatever the bank says. Neither may stop the
    // bank call.
    let on_claimed = async {
        if let Err(e) = ctx.show_text(message, ctx.t("pay.processing")).await {
            tracing::warn!(%intent, error = %e, "could not show that the payment is under way");
        }
        if let Err(e) = dialogue.exit().await {
            // A later press of this confirm button finds the record.
            tracing::warn!(%intent, error = %e, "could not close the dialogue before paying");
        }
    };
    let outcome = ctx.app.payments.pay(order, on_claimed).await?;
    ctx.app.metrics.payment(outcome.label());
    match outcome {
        PayOutcome::Blocked(earlier) => {
            // An earlier attempt at this invoice (maybe by another user of
            // the account) paid it, or may have: the bot never risks paying
            // twice; staff settle an unknown one first.
            dialogue.exit().await?;
            let status = status_text(ctx.texts(), &earlier);
            let why = if earlier.state.is_unsettled() {
                "pay.unsettled"
            } else {
                "pay.already_paid"
            };
            let text = format!("{status}\n\n{}", ctx.t(why));
            ctx.show_text(message, text).await?;
        }
        PayOutcome::Duplicate(existing) => {
            ctx.send(status_text(ctx.texts(), &existing)).await?;
        }
        // Nothing was recorded or sent: the dialogue goes on.
        PayOutcome::OverLimit(over) => {
            tell_over_limit(ctx, dialogue, s, &over, message).await?;
        }
        // From here the bank has answered: nothing may end in the generic
        // error message, which says nothing was paid.
        PayOutcome::Paid(record) => told(tell_paid(ctx, &record, message).await, &intent),
        PayOutcome::Unknown(record, _) => {
            let shown = ctx
                .show_text(message, status_text(ctx.texts(), &record))
                .await;
            told(shown.map(|_| ()).map_err(Into::into), &intent);
        }
        PayOutcome::Refused(_, e) => {
            told(tell_refused(ctx, dialogue, s, &e, message).await, &intent);
        }
    }
    Ok(())
}

fn told(outcome: HandlerResult, intent: &PaymentIntent) {
    if let Err(e) = outcome {
        tracing::error!(%intent, error = %format!("{e:#}"), "could not tell the payer what became of the payment");
    }
}

/// Paid: the status with the next bill one tap away, then the receipt.
async fn tell_paid(ctx: &Ctx, record: &PaymentRecord, message: Option<MessageId>) -> HandlerResult {
    let again = pay_button(&ctx.app.i18n, ctx.lang);
    let screen = Screen::new(status_text(ctx.texts(), record), Some(again));
    let shown = ctx.show(message, screen).await?;
    // No longer a dialogue screen: a later /pay or /cancel leaves its Pay
    // button alone.
    ctx.forget_step(shown).await;
    flows::deliver_receipt(ctx, record).await
}

/// Refused: why, with a way back to the invoices.
async fn tell_refused(
    ctx: &Ctx,
    dialogue: &PayDialogue,
    s: Confirming,
    error: &BankError,
    message: Option<MessageId>,
) -> HandlerResult {
    let step = Step::new();
    let screen = refused(ctx.texts(), step, error);
    back_to_invoices(ctx, dialogue, s, step, screen, message).await
}

/// Over the daily limit: the limit and what is left, with a way back to
/// the invoices.
async fn tell_over_limit(
    ctx: &Ctx,
    dialogue: &PayDialogue,
    s: Confirming,
    over: &OverLimit,
    message: Option<MessageId>,
) -> HandlerResult {
    let step = Step::new();
    let currency = s.picked.flow.account.currency.clone();
    let screen = over_limit(ctx.texts(), step, over, &currency);
    back_to_invoices(ctx, dialogue, s, step, screen, message).await
}

/// Shows `screen` (its buttons of `step`): Back leads to the invoices, and
/// Confirm no longer pays.
async fn back_to_invoices(
    ctx: &Ctx,
    dialogue: &PayDialogue,
    s: Confirming,
    step: Step,
    screen: Screen,
    message: Option<MessageId>,
) -> HandlerResult {
    dialogue
        .update(State::Confirming(Confirming {
            step,
            chosen: usize::MAX,
            ..s
        }))
        .await?;
    ctx.show_step(message, screen).await?;
    Ok(())
}
