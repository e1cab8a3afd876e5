//! Choosing a PIN (at the first payment, or after a reset) and `/pin`,
//! which changes it: the old one, then the new one twice. Each keypad
//! press stores the entry sealed; the sixth digit completes it.

use teloxide::types::MessageId;

use super::Press;
use crate::{
    bot::{
        Ctx, HandlerResult, PayDialogue,
        callbacks::Action,
        flows,
        pin::{self, Entry, Typed},
        saved_bills,
        screens::pin::{Asking, keypad, problem},
        state::{AfterChoosing, ChangingPin, ChoosingPin, State},
    },
    payments::{Changed, Chosen, Pin, PinCheck, PinStatus},
};

/// `/pin`.
pub async fn receive_pin_command(ctx: Ctx, dialogue: PayDialogue) -> HandlerResult {
    ctx.clone()
        .guard(async move {
            if ctx.app.pin.is_none() {
                ctx.send(ctx.t("pin.off")).await?;
                return Ok(());
            }
            let user = ctx.app.store.users.get(ctx.user_id).await?;
            if user.accounts.is_empty() {
                ctx.send(ctx.t("pay.not_linked")).await?;
                return Ok(());
            }
            ctx.end_steps().await;
            let status = match ctx.app.payments.pin_status(ctx.user_id).await {
                Ok(status) => status,
                Err(e) => {
                    tracing::warn!(error = %e, "PIN status unavailable");
                    ctx.send(ctx.t("pin.trouble")).await?;
                    return Ok(());
                }
            };
            if let Some(text) = pin::steps::locked_text(&ctx, status) {
                dialogue.exit().await?;
                ctx.send(text).await?;
                return Ok(());
            }
            match status {
                PinStatus::Missing { was_reset } => {
                    let notice = pin::steps::reset_notice(&ctx, was_reset);
                    let then = AfterChoosing::Done;
                    pin::steps::show_choice(&ctx, &dialogue, then, None, None, notice).await
                }
                _ => pin::steps::show_change(&ctx, &dialogue, None, None, None, None).await,
            }
        })
        .await
}

/// What one press makes of the entry so far.
enum Pressed {
    Typed(pin::Sealed, usize),
    Complete(Pin),
    /// The entry ran out (or does not open): start again.
    Expired,
    /// The last key applied, delivered again (after a crash): answered,
    /// nothing else.
    Again,
    NotAKey,
}

fn apply(ctx: &Ctx, sealed: &pin::Sealed, last_press: Option<&str>, press: &Press) -> Pressed {
    let Some(sealer) = ctx.app.pin.as_ref() else {
        return Pressed::NotAKey;
    };
    let digit = match press.action {
        Action::Digit(d) => Some(d),
        Action::Erase => None,
        _ => return Pressed::NotAKey,
    };
    if last_press == Some(press.query.0.as_str()) {
        return Pressed::Again;
    }
    let Some(entry): Option<Entry> = sealer.open(ctx.chat_id.0, sealed, ctx.app.clock.now()) else {
        return Pressed::Expired;
    };
    match sealer.press(ctx.chat_id.0, &entry, digit) {
        None => Pressed::NotAKey,
        Some(Typed::More(next, n)) => Pressed::Typed(next, n),
        Some(Typed::Complete(pin)) => Pressed::Complete(pin),
    }
}

/// A digit more (or one less): the entry so far kept, the dots shown.
async fn typed_so_far(
    ctx: &Ctx,
    dialogue: &PayDialogue,
    state: State,
    screen: crate::bot::screens::Screen,
    message: Option<MessageId>,
) -> HandlerResult {
    dialogue.update(state).await?;
    ctx.show_step(message, screen).await?;
    Ok(())
}

/// A key of the keypad that chooses a first PIN.
pub async fn receive_choice_button(
    ctx: Ctx,
    dialogue: PayDialogue,
    s: ChoosingPin,
    press: Press,
) -> HandlerResult {
    ctx.clone()
        .guard_step("choosing_pin", async move {
            let asking = if s.first.is_some() {
                Asking::Repeat
            } else {
                Asking::Choose
            };
            match apply(&ctx, &s.entry, s.last_press.as_deref(), &press) {
                Pressed::NotAKey => ctx.expired().await,
                Pressed::Again => Ok(()),
                Pressed::Expired => {
                    let notice = Some(ctx.t("pin.expired").to_owned());
                    pin::steps::show_choice(&ctx, &dialogue, s.then, None, press.message, notice)
                        .await
                }
                Pressed::Typed(entry, typed) => {
                    let screen = keypad(ctx.texts(), s.step, asking, typed, None);
                    let last_press = Some(press.query.0.clone());
                    let state = State::ChoosingPin(ChoosingPin {
                        entry,
                        last_press,
                        ..s
                    });
                    typed_so_far(&ctx, &dialogue, state, screen, press.message).await
                }
                Pressed::Complete(pin) => chosen(&ctx, &dialogue, s, pin, press.message).await,
            }
        })
        .await
}

/// Six digits typed on the choosing keypad: the first entry (checked for
/// trivial PINs), or the second (which must match, and then it is kept).
async fn chosen(
    ctx: &Ctx,
    dialogue: &PayDialogue,
    s: ChoosingPin,
    typed: Pin,
    message: Option<MessageId>,
) -> HandlerResult {
    let Some(sealer) = ctx.app.pin.as_ref() else {
        return ctx.expired().await;
    };
    let now = ctx.app.clock.now();
    let Some(first) = s.first else {
        let linked: Vec<u64> = (ctx.app.store.users.get(ctx.user_id).await?.accounts)
            .iter()
            .map(|a| a.customer_no)
            .collect();
        if let Err(why) = typed.refuse_trivial(&linked) {
            let notice = Some(problem(ctx.texts(), why).to_owned());
            return pin::steps::show_choice(ctx, dialogue, s.then, None, message, notice).await;
        }
        let first = sealer
            .seal_pin(ctx.chat_id.0, &typed, now)
            .ok_or_else(|| anyhow::anyhow!("could not seal a PIN entry"))?;
        return pin::steps::show_choice(ctx, dialogue, s.then, Some(first), message, None).await;
    };
    let Some(first) = sealer.open_pin(ctx.chat_id.0, &first, now) else {
        let notice = Some(ctx.t("pin.expired").to_owned());
        return pin::steps::show_choice(ctx, dialogue, s.then, None, message, notice).await;
    };
    if !first.same_as(&typed) {
        let notice = Some(ctx.t("pin.mismatch").to_owned());
        return pin::steps::show_choice(ctx, dialogue, s.then, None, message, notice).await;
    }
    match ctx.app.payments.choose_pin(ctx.user_id, &typed).await {
        Ok(Chosen::Done | Chosen::AlreadySet) => {}
        Ok(Chosen::Refused(why)) => {
            let notice = Some(problem(ctx.texts(), why).to_owned());
            return pin::steps::show_choice(ctx, dialogue, s.then, None, message, notice).await;
        }
        Err(e) => {
            tracing::warn!(error = %e, "could not keep a chosen PIN");
            let notice = Some(ctx.t("pin.trouble").to_owned());
            return pin::steps::show_choice(ctx, dialogue, s.then, None, message, notice).await;
        }
    }
    match s.then {
        AfterChoosing::Done => {
            dialogue.exit().await?;
            ctx.show_end(message, ctx.t("pin.chosen")).await?;
        }
        AfterChoosing::Pay => {
            ctx.show_end(message, ctx.t("pin.chosen")).await?;
            flows::open_dialogue(ctx, dialogue, None).await?;
        }
        AfterChoosing::SavedBill { bill, invoice } => {
            ctx.show_end(message, ctx.t("pin.chosen")).await?;
            saved_bills::open(ctx, dialogue, bill, invoice, None).await?;
        }
        AfterChoosing::Confirm(c) => {
            // Straight to the keypad of that payment (the same one: its
            // confirmation's step is kept).
            let notice = Some(ctx.t("pin.chosen").to_owned());
            pin::steps::show_entry(ctx, dialogue, *c, message, notice).await?;
        }
    }
    Ok(())
}

/// A key of `/pin`'s keypad.
pub async fn receive_change_button(
    ctx: Ctx,
    dialogue: PayDialogue,
    s: ChangingPin,
    press: Press,
) -> HandlerResult {
    ctx.clone()
        .guard_step("changing_pin", async move {
            let asking = match (&s.old, &s.new) {
                (None, _) => Asking::Old,
                (Some(_), None) => Asking::New,
                (Some(_), Some(_)) => Asking::Repeat,
            };
            match apply(&ctx, &s.entry, s.last_press.as_deref(), &press) {
                Pressed::NotAKey => ctx.expired().await,
                Pressed::Again => Ok(()),
                Pressed::Expired => {
                    let notice = Some(ctx.t("pin.expired").to_owned());
                    pin::steps::show_change(&ctx, &dialogue, None, None, press.message, notice)
                        .await
                }
                Pressed::Typed(entry, typed) => {
                    let screen = keypad(ctx.texts(), s.step, asking, typed, None);
                    let last_press = Some(press.query.0.clone());
                    let state = State::ChangingPin(ChangingPin {
                        entry,
                        last_press,
                        ..s
                    });
                    typed_so_far(&ctx, &dialogue, state, screen, press.message).await
                }
                Pressed::Complete(pin) => changed(&ctx, &dialogue, s, pin, press.message).await,
            }
        })
        .await
}

/// Six digits on `/pin`'s keypad: the old PIN (checked at once, a wrong
/// one counted), the new one (refused when trivial), then the new again.
async fn changed(
    ctx: &Ctx,
    dialogue: &PayDialogue,
    s: ChangingPin,
    typed: Pin,
    message: Option<MessageId>,
) -> HandlerResult {
    let Some(sealer) = ctx.app.pin.as_ref() else {
        return ctx.expired().await;
    };
    let (chat, now) = (ctx.chat_id.0, ctx.app.clock.now());
    let seal = |pin: &Pin| {
        sealer
            .seal_pin(chat, pin, now)
            .ok_or_else(|| anyhow::anyhow!("could not seal a PIN entry"))
    };
    let Some(old_sealed) = s.old else {
        let check = match ctx.app.payments.check_pin(ctx.user_id, &typed).await {
            Ok(check) => check,
            Err(e) => {
                tracing::warn!(error = %e, "PIN check failed");
                let notice = Some(ctx.t("pin.trouble").to_owned());
                return pin::steps::show_change(ctx, dialogue, None, None, message, notice).await;
            }
        };
        return match check {
            PinCheck::Right => {
                let old = Some(seal(&typed)?);
                pin::steps::show_change(ctx, dialogue, old, None, message, None).await
            }
            other => not_changed(ctx, dialogue, other, message).await,
        };
    };
    let (Some(old), new) = (sealer.open_pin(chat, &old_sealed, now), s.new) else {
        let notice = Some(ctx.t("pin.expired").to_owned());
        return pin::steps::show_change(ctx, dialogue, None, None, message, notice).await;
    };
    let Some(new_sealed) = new else {
        let linked: Vec<u64> = (ctx.app.store.users.get(ctx.user_id).await?.accounts)
            .iter()
            .map(|a| a.customer_no)
            .collect();
        if let Err(why) = typed.refuse_trivial(&linked) {
            let notice = Some(problem(ctx.texts(), why).to_owned());
            return pin::steps::show_change(ctx, dialogue, Some(old_sealed), None, message, notice)
                .await;
        }
        let new = Some(seal(&typed)?);
        return pin::steps::show_change(ctx, dialogue, Some(old_sealed), new, message, None).await;
    };
    let Some(new) = sealer.open_pin(chat, &new_sealed, now) else {
        let notice = Some(ctx.t("pin.expired").to_owned());
        return pin::steps::show_change(ctx, dialogue, None, None, message, notice).await;
    };
    if !new.same_as(&typed) {
        let notice = Some(ctx.t("pin.mismatch").to_owned());
        return pin::steps::show_change(ctx, dialogue, Some(old_sealed), None, message, notice)
            .await;
    }
    match ctx.app.payments.change_pin(ctx.user_id, &old, &new).await {
        Ok(Changed::Done) => {
            dialogue.exit().await?;
            ctx.show_end(message, ctx.t("pin.changed")).await?;
            Ok(())
        }
        Ok(Changed::Refused(why)) => {
            let notice = Some(problem(ctx.texts(), why).to_owned());
            pin::steps::show_change(ctx, dialogue, Some(old_sealed), None, message, notice).await
        }
        Ok(Changed::NotChanged(check)) => not_changed(ctx, dialogue, check, message).await,
        Err(e) => {
            tracing::warn!(error = %e, "could not change a PIN");
            let notice = Some(ctx.t("pin.trouble").to_owned());
            pin::steps::show_change(ctx, dialogue, None, None, message, notice).await
        }
    }
}

/// The old PIN was not accepted: try again, or locked out.
async fn not_changed(
    ctx: &Ctx,
    dialogue: &PayDialogue,
    check: PinCheck,
    message: Option<MessageId>,
) -> HandlerResult {
    if check == PinCheck::NoPin {
        // Reset by an agent meanwhile: a new one is chosen, not changed.
        let notice = pin::steps::reset_notice(ctx, true);
        return pin::steps::show_choice(ctx, dialogue, AfterChoosing::Done, None, message, notice)
            .await;
    }
    match pin::steps::after_wrong(ctx, check) {
        Ok(notice) => {
            let notice = (!notice.is_empty()).then_some(notice);
            pin::steps::show_change(ctx, dialogue, None, None, message, notice).await
        }
        Err(locked) => {
            dialogue.exit().await?;
            ctx.show_end(message, locked).await?;
            Ok(())
        }
    }
}
