//! The PIN's screens as dialogue steps: store the state with a fresh,
//! empty entry, then show the keypad.

use teloxide::types::MessageId;

use crate::{
    bot::{
        Ctx, HandlerResult, PayDialogue, State,
        screens::pin::{Asking, keypad},
        state::{AfterChoosing, ChangingPin, ChoosingPin, Confirming, EnteringPin, Step},
    },
    clock::istanbul,
    payments::{PinCheck, PinStatus},
    text::esc,
};

use super::Sealed;

/// An empty entry for this chat, begun now.
fn empty(ctx: &Ctx) -> anyhow::Result<Sealed> {
    let sealer = ctx
        .app
        .pin
        .as_ref()
        .ok_or_else(|| anyhow::anyhow!("a PIN step while payments take no PIN"))?;
    sealer
        .empty(ctx.chat_id.0, ctx.app.clock.now())
        .ok_or_else(|| anyhow::anyhow!("could not seal a PIN entry"))
}

/// The keypad's question for the payment of `s`.
fn asking_to_pay(
    ctx: &Ctx,
    s: &Confirming,
    f: impl FnOnce(Asking) -> crate::bot::screens::Screen,
) -> crate::bot::screens::Screen {
    let (amount, institution) = match s.bills.get(s.chosen) {
        Some(bill) => (
            ctx.money(bill.amount, &bill.currency),
            esc(&s.picked.institution.name),
        ),
        None => (String::new(), esc(&s.picked.institution.name)),
    };
    f(Asking::Pay {
        amount: &amount,
        institution: &institution,
    })
}

/// The keypad for the PIN of the payment `confirming` describes. Its
/// keys carry the confirmation's step: a key pressed after the payment was
/// made (delivered again after a crash) finds it, as Pay would.
pub async fn show_entry(
    ctx: &Ctx,
    dialogue: &PayDialogue,
    confirming: Confirming,
    message: Option<MessageId>,
    notice: Option<String>,
) -> HandlerResult {
    let step = confirming.step;
    let screen = asking_to_pay(ctx, &confirming, |asking| {
        keypad(ctx.texts(), step, asking, 0, notice.as_deref())
    });
    let entry = empty(ctx)?;
    dialogue
        .update(State::EnteringPin(EnteringPin {
            step,
            entry,
            last_press: None,
            confirming,
        }))
        .await?;
    ctx.show_step(message, screen).await?;
    Ok(())
}

/// The keypad of the payment PIN again, after a digit: same step, the
/// entry so far.
pub async fn show_typed(
    ctx: &Ctx,
    dialogue: &PayDialogue,
    s: EnteringPin,
    typed: usize,
    message: Option<MessageId>,
) -> HandlerResult {
    let screen = asking_to_pay(ctx, &s.confirming, |asking| {
        keypad(ctx.texts(), s.step, asking, typed, None)
    });
    dialogue.update(State::EnteringPin(s)).await?;
    ctx.show_step(message, screen).await?;
    Ok(())
}

/// The keypad to choose a first PIN (`first` once typed once).
pub async fn show_choice(
    ctx: &Ctx,
    dialogue: &PayDialogue,
    then: AfterChoosing,
    first: Option<Sealed>,
    message: Option<MessageId>,
    notice: Option<String>,
) -> HandlerResult {
    let step = Step::new();
    let asking = if first.is_some() {
        Asking::Repeat
    } else {
        Asking::Choose
    };
    let screen = keypad(ctx.texts(), step, asking, 0, notice.as_deref());
    let entry = empty(ctx)?;
    dialogue
        .update(State::ChoosingPin(ChoosingPin {
            step,
            entry,
            last_press: None,
            first,
            then,
        }))
        .await?;
    ctx.show_step(message, screen).await?;
    Ok(())
}

/// `/pin`'s keypad: the old PIN, the new one, or the new one again.
pub async fn show_change(
    ctx: &Ctx,
    dialogue: &PayDialogue,
    old: Option<Sealed>,
    new: Option<Sealed>,
    message: Option<MessageId>,
    notice: Option<String>,
) -> HandlerResult {
    let step = Step::new();
    let asking = match (&old, &new) {
        (None, _) => Asking::Old,
        (Some(_), None) => Asking::New,
        (Some(_), Some(_)) => Asking::Repeat,
    };
    let screen = keypad(ctx.texts(), step, asking, 0, notice.as_deref());
    let entry = empty(ctx)?;
    dialogue
        .update(State::ChangingPin(ChangingPin {
            step,
            entry,
            last_press: None,
            old,
            new,
        }))
        .await?;
    ctx.show_step(message, screen).await?;
    Ok(())
}

/// A payment's entry (`/pay`, a Pay button, a saved bill, a reminder):
/// with the PIN on, a customer without one chooses it first (then goes
/// on to `then`), and a locked one is told so. `Ok(true)`: go on; `false`:
/// the customer was answered here.
pub async fn gate(
    ctx: &Ctx,
    dialogue: &PayDialogue,
    then: AfterChoosing,
    message: Option<MessageId>,
) -> anyhow::Result<bool> {
    if ctx.app.pin.is_none() {
        return Ok(true);
    }
    let status = match ctx.app.payments.pin_status(ctx.user_id).await {
        Ok(status) => status,
        Err(e) => {
            tracing::warn!(error = %e, "PIN status unavailable");
            dialogue.exit().await?;
            ctx.show_end(message, ctx.t("pin.trouble")).await?;
            return Ok(false);
        }
    };
    if let Some(text) = locked_text(ctx, status) {
        dialogue.exit().await?;
        ctx.show_end(message, text).await?;
        return Ok(false);
    }
    if let PinStatus::Missing { was_reset } = status {
        let notice = reset_notice(ctx, was_reset);
        show_choice(ctx, dialogue, then, None, message, notice).await?;
        return Ok(false);
    }
    Ok(true)
}

/// What a locked customer is told; `None` when not locked.
pub fn locked_text(ctx: &Ctx, status: PinStatus) -> Option<String> {
    match status {
        PinStatus::Locked { until } => Some(locked_until(ctx, until)),
        PinStatus::LockedUntilReset => Some(ctx.t("pin.locked_until_reset").to_owned()),
        PinStatus::Missing { .. } | PinStatus::Set => None,
    }
}

pub fn locked_until(ctx: &Ctx, until: chrono::DateTime<chrono::Utc>) -> String {
    let time = until.with_timezone(&istanbul()).format("%H:%M").to_string();
    ctx.f("pin.locked_until", &[("time", &time)])
}

/// The notice of a wrong PIN, or the text of a lock it caused.
pub fn after_wrong(ctx: &Ctx, check: PinCheck) -> Result<String, String> {
    match check {
        PinCheck::Wrong { tries_left } => {
            Ok(ctx.f("pin.wrong", &[("tries", &tries_left.to_string())]))
        }
        PinCheck::Locked { until } => Err(locked_until(ctx, until)),
        PinCheck::LockedUntilReset => Err(ctx.t("pin.locked_until_reset").to_owned()),
        PinCheck::Right | PinCheck::NoPin => Ok(String::new()),
    }
}

/// The notice a customer whose PIN was reset sees above the keypad.
pub fn reset_notice(ctx: &Ctx, was_reset: bool) -> Option<String> {
    was_reset.then(|| ctx.t("pin.was_reset").to_owned())
}
