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
        pin::{self, Typed},
        saved_bills,
        screens::{
            Screen,
            bills::after_payment,
            dialogue::{over_limit, refused},
            payment::status_text,
        },
        state::{AfterChoosing, Confirming, EnteringPin, Step},
        steps,
    },
    payments::{
        OverLimit, PayOrder, PayOutcome, PaymentIntent, PaymentRecord, Pin, PinCheck, PinStatus,
    },
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
                Action::Confirm => confirmed(&ctx, &dialogue, s, press.message).await,
                _ => ctx.expired().await,
            }
        })
        .await
}

/// Confirm pressed: over the daily limit is refused before anything else;
/// then the PIN's keypad (when payments take one), else the payment.
async fn confirmed(
    ctx: &Ctx,
    dialogue: &PayDialogue,
    s: Confirming,
    message: Option<MessageId>,
) -> HandlerResult {
    let Some(order) = order_of(ctx, &s) else {
        return ctx.expired().await;
    };
    if let Err(over) = ctx.app.payments.allowance(&order).await? {
        ctx.app.metrics.payment("over_limit");
        return tell_over_limit(ctx, dialogue, s, &over, message).await;
    }
    if ctx.app.pin.is_some() {
        ask_pin(ctx, dialogue, s, message).await
    } else {
        pay(ctx, dialogue, s, message).await
    }
}

/// The payment confirmation `s` makes; `None` when it shows no bill (a
/// refusal's screen).
fn order_of(ctx: &Ctx, s: &Confirming) -> Option<PayOrder> {
    let bill = s.bills.get(s.chosen)?;
    let p = &s.picked;
    Some(PayOrder {
        intent: s.step.payment_intent(ctx.chat_id.0),
        payer: ctx.user_id,
        chat_id: ctx.chat_id.0,
        session: p.flow.session.clone(),
        account: p.flow.account.clone(),
        association_code: p.institution.code.clone(),
        association_name: p.institution.name.clone(),
        subscriber: p.subscriber(Some(bill)),
        bill: bill.to_bill(),
        query: Some(p.query()),
    })
}

/// The keypad, unless the customer must choose a PIN first (then back
/// here) or is locked out.
async fn ask_pin(
    ctx: &Ctx,
    dialogue: &PayDialogue,
    s: Confirming,
    message: Option<MessageId>,
) -> HandlerResult {
    let status = match ctx.app.payments.pin_status(ctx.user_id).await {
        Ok(status) => status,
        Err(e) => {
            // The confirmation stays, its button live: pressing it again
            // tries again.
            tracing::warn!(error = %e, "PIN status unavailable");
            ctx.send(ctx.t("pin.trouble")).await?;
            return Ok(());
        }
    };
    if let Some(text) = pin::steps::locked_text(ctx, status) {
        dialogue.exit().await?;
        ctx.show_end(message, text).await?;
        return Ok(());
    }
    match status {
        PinStatus::Missing { was_reset } => {
            let notice = pin::steps::reset_notice(ctx, was_reset);
            let then = AfterChoosing::Confirm(Box::new(s));
            pin::steps::show_choice(ctx, dialogue, then, None, message, notice).await
        }
        _ => pin::steps::show_entry(ctx, dialogue, s, message, None).await,
    }
}

/// A key of the payment's PIN keypad. The sixth digit checks the PIN and,
/// when it is right, makes the payment: exactly once, as a confirm press
/// would (the payment is the confirmation's, whatever happens between).
pub async fn receive_pin_button(
    ctx: Ctx,
    dialogue: PayDialogue,
    s: EnteringPin,
    press: Press,
) -> HandlerResult {
    ctx.clone()
        .guard_step("entering_pin", async move {
            let Some(sealer) = ctx.app.pin.as_ref() else {
                // Switched off since (a replica configured otherwise): the
                // confirmation again, same payment, pressed on purpose.
                return show_again(&ctx, &dialogue, s.confirming, press.message).await;
            };
            let digit = match press.action {
                Action::Digit(d) => Some(d),
                Action::Erase => None,
                _ => return ctx.expired().await,
            };
            // This very press, delivered again after a crash: applied once.
            if s.last_press.as_deref() == Some(press.query.0.as_str()) {
                return Ok(());
            }
            let chat = ctx.chat_id.0;
            let Some(entry) = sealer.open(chat, &s.entry, ctx.app.clock.now()) else {
                let notice = Some(ctx.t("pin.expired").to_owned());
                return pin::steps::show_entry(
                    &ctx,
                    &dialogue,
                    s.confirming,
                    press.message,
                    notice,
                )
                .await;
            };
            match sealer.press(chat, &entry, digit) {
                None => ctx.expired().await,
                Some(Typed::More(entry, typed)) => {
                    let last_press = Some(press.query.0.clone());
                    let s = EnteringPin {
                        entry,
                        last_press,
                        ..s
                    };
                    pin::steps::show_typed(&ctx, &dialogue, s, typed, press.message).await
                }
                Some(Typed::Complete(pin)) => {
                    check_and_pay(&ctx, &dialogue, s.confirming, &pin, press.message).await
                }
            }
        })
        .await
}

/// The confirmation `s` again, under its own step: its payment stays the
/// one a press of it makes (and the one an earlier press may have made).
async fn show_again(
    ctx: &Ctx,
    dialogue: &PayDialogue,
    s: Confirming,
    message: Option<MessageId>,
) -> HandlerResult {
    let Some(bill) = s.bills.get(s.chosen) else {
        return ctx.expired().await;
    };
    let screen = crate::bot::screens::dialogue::confirmation(ctx.texts(), s.step, &s.picked, bill);
    dialogue.update(State::Confirming(s)).await?;
    ctx.show_step(message, screen).await?;
    Ok(())
}

async fn check_and_pay(
    ctx: &Ctx,
    dialogue: &PayDialogue,
    s: Confirming,
    pin: &Pin,
    message: Option<MessageId>,
) -> HandlerResult {
    let check = match ctx.app.payments.check_pin(ctx.user_id, pin).await {
        Ok(check) => check,
        Err(e) => {
            tracing::warn!(error = %e, "PIN check failed");
            let notice = Some(ctx.t("pin.trouble").to_owned());
            return pin::steps::show_entry(ctx, dialogue, s, message, notice).await;
        }
    };
    match check {
        PinCheck::Right => pay(ctx, dialogue, s, message).await,
        PinCheck::NoPin => {
            let then = AfterChoosing::Confirm(Box::new(s));
            let notice = pin::steps::reset_notice(ctx, true);
            pin::steps::show_choice(ctx, dialogue, then, None, message, notice).await
        }
        wrong => match pin::steps::after_wrong(ctx, wrong) {
            Ok(notice) => pin::steps::show_entry(ctx, dialogue, s, message, Some(notice)).await,
            Err(locked) => {
                dialogue.exit().await?;
                ctx.show_end(message, locked).await?;
                Ok(())
            }
        },
    }
}

/// The payment of confirmation screen `s`.
async fn pay(
    ctx: &Ctx,
    dialogue: &PayDialogue,
    s: Confirming,
    message: Option<MessageId>,
) -> HandlerResult {
    let Some(order) = order_of(ctx, &s) else {
        return ctx.expired().await;
    };
    let intent = order.intent.clone();
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
            // This confirmation's payment was made before: the keypad (or
            // the confirmation) is done with.
            dialogue.exit().await?;
            ctx.show_end(message, status_text(ctx.texts(), &existing))
                .await?;
        }
        // Nothing was recorded or sent: the dialogue goes on.
        PayOutcome::OverLimit(over) => {
            tell_over_limit(ctx, dialogue, s, &over, message).await?;
        }
        // From here the bank has answered: nothing may end in the generic
        // error message, which says nothing was paid.
        PayOutcome::Paid(record) => told(tell_paid(ctx, &record, s.step, message).await, &intent),
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

/// Paid: the status with the next bill one tap away (and "save this
/// bill" unless it is saved), then the receipt.
async fn tell_paid(
    ctx: &Ctx,
    record: &PaymentRecord,
    step: Step,
    message: Option<MessageId>,
) -> HandlerResult {
    let save = saved_bills::save_offer(ctx, record, step).await;
    let buttons = after_payment(ctx.texts(), save);
    let screen = Screen::new(status_text(ctx.texts(), record), Some(buttons));
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
