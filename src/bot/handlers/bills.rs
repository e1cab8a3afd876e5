//! `/bills` and everything under it: the list, a bill's menu (pay,
//! rename, reminders on or off, delete), its name, "save this bill" under
//! a payment, and a reminder's Pay. The steps are in
//! [`saved_bills`](crate::bot::saved_bills).

use teloxide::{
    payloads::EditMessageReplyMarkupSetters as _, prelude::Requester as _, types::CallbackQuery,
};

use super::{Press, Typed};
use crate::{
    bot::{
        Ctx, HandlerResult, PayDialogue,
        callbacks::Action,
        keyboards::pay_button,
        saved_bills as steps,
        screens::bills as screens,
        state::{BrowsingBills, ConfirmingBillDelete, ManagingBill, NamingBill, Step},
    },
    payments::bills::{BadName, BillEdit, BillId, BillName, MAX_SAVED_BILLS, SaveOutcome},
};

/// `/bills`: the first page. An open dialogue ends here, as under `/pay`.
pub async fn receive_bills_command(ctx: Ctx, dialogue: PayDialogue) -> HandlerResult {
    ctx.clone()
        .guard(async move { steps::show_list(&ctx, &dialogue, 0, None).await })
        .await
}

pub async fn receive_list_button(
    ctx: Ctx,
    dialogue: PayDialogue,
    s: BrowsingBills,
    press: Press,
) -> HandlerResult {
    ctx.clone()
        .guard_step("browsing_bills", async move {
            let message = press.message;
            match press.action {
                Action::Page(p) => steps::show_list(&ctx, &dialogue, usize::from(p), message).await,
                Action::Bill(i) => {
                    let Some(id) = s.shown.get(usize::from(i)).copied() else {
                        return ctx.expired().await;
                    };
                    match steps::find(&ctx, &dialogue, id, message).await? {
                        Some(bill) => steps::show_card(&ctx, &dialogue, &bill, message).await,
                        None => Ok(()),
                    }
                }
                _ => ctx.expired().await,
            }
        })
        .await
}

pub async fn receive_card_button(
    ctx: Ctx,
    dialogue: PayDialogue,
    s: ManagingBill,
    press: Press,
) -> HandlerResult {
    ctx.clone()
        .guard_step("managing_bill", async move {
            let message = press.message;
            let Some(bill) = steps::find(&ctx, &dialogue, s.bill, message).await? else {
                return Ok(());
            };
            match press.action {
                Action::Confirm => steps::pay(&ctx, &dialogue, bill.id, None, message).await,
                Action::Rename => steps::show_naming(&ctx, &dialogue, &bill, false, message).await,
                Action::Delete => steps::show_delete(&ctx, &dialogue, &bill, None, message).await,
                Action::Back => steps::show_list(&ctx, &dialogue, 0, message).await,
                Action::Toggle => {
                    let edit = BillEdit::Reminders(!bill.reminders);
                    match ctx.app.store.bills.edit(ctx.user_id, bill.id, edit).await? {
                        Some(bill) => steps::show_card(&ctx, &dialogue, &bill, message).await,
                        None => steps::find(&ctx, &dialogue, s.bill, message)
                            .await
                            .map(|_| ()),
                    }
                }
                _ => ctx.expired().await,
            }
        })
        .await
}

pub async fn receive_delete_button(
    ctx: Ctx,
    dialogue: PayDialogue,
    s: ConfirmingBillDelete,
    press: Press,
) -> HandlerResult {
    ctx.clone()
        .guard_step("confirming_bill_delete", async move {
            let message = press.message;
            let Some(bill) = steps::find(&ctx, &dialogue, s.bill, message).await? else {
                return Ok(());
            };
            match press.action {
                Action::Confirm => {
                    ctx.app.store.bills.delete(ctx.user_id, bill.id).await?;
                    dialogue.exit().await?;
                    let text = screens::about(ctx.texts(), "bills.deleted", &bill);
                    ctx.show_end(message, text).await?;
                    Ok(())
                }
                Action::Back => steps::show_card(&ctx, &dialogue, &bill, message).await,
                _ => ctx.expired().await,
            }
        })
        .await
}

/// Skip (keep the name it has) or Back (to the bill's menu).
pub async fn receive_naming_button(
    ctx: Ctx,
    dialogue: PayDialogue,
    s: NamingBill,
    press: Press,
) -> HandlerResult {
    ctx.clone()
        .guard_step("naming_bill", async move {
            let message = press.message;
            let Some(bill) = steps::find(&ctx, &dialogue, s.bill, message).await? else {
                return Ok(());
            };
            match press.action {
                Action::Skip => {
                    dialogue.exit().await?;
                    let text = screens::about(ctx.texts(), "bills.kept", &bill);
                    ctx.show_end(message, text).await?;
                    Ok(())
                }
                Action::Back => steps::show_card(&ctx, &dialogue, &bill, message).await,
                _ => ctx.expired().await,
            }
        })
        .await
}

/// A name typed for the bill.
pub async fn receive_bill_name(
    ctx: Ctx,
    dialogue: PayDialogue,
    s: NamingBill,
    typed: Typed,
) -> HandlerResult {
    ctx.clone()
        .guard_step("naming_bill", async move {
            let name = match BillName::parse(&typed.0) {
                Ok(name) => name,
                Err(why) => {
                    let key = match why {
                        BadName::Empty => "bills.name_empty",
                        BadName::TooLong => "bills.name_too_long",
                        BadName::Control => "bills.name_control",
                    };
                    ctx.send(ctx.t(key)).await?;
                    return Ok(());
                }
            };
            let edit = BillEdit::Rename(Some(name));
            match ctx.app.store.bills.edit(ctx.user_id, s.bill, edit).await? {
                Some(bill) => {
                    dialogue.exit().await?;
                    ctx.end_steps().await;
                    ctx.send(screens::about(ctx.texts(), "bills.named", &bill))
                        .await?;
                }
                None => {
                    steps::find(&ctx, &dialogue, s.bill, None).await?;
                }
            }
            Ok(())
        })
        .await
}

/// "Save this bill" under a payment (its confirmation's `step`): saved at
/// once, then a name is asked for. Valid as long as the payment is
/// kept; pressed twice, it says the bill is saved.
pub async fn receive_save_button(
    ctx: Ctx,
    dialogue: PayDialogue,
    step: Step,
    q: CallbackQuery,
) -> HandlerResult {
    ctx.clone()
        .guard(async move {
            ctx.answer(&q.id, None).await;
            let message = q.message.as_ref().map(|m| m.id());
            let intent = step.payment_intent(ctx.chat_id.0);
            let record = ctx.app.store.ledger.get(&intent).await?;
            let user = ctx.app.store.users.get(ctx.user_id).await?;
            let bill = record
                .as_ref()
                .filter(|r| user.accounts.contains(&r.account))
                .and_then(|r| steps::bill_of(&ctx, r));
            let Some(bill) = bill else {
                ctx.send(ctx.t("bills.not_saveable")).await?;
                return Ok(());
            };
            let take_button_off = async {
                if let Some(id) = message {
                    let _ = ctx
                        .bot
                        .edit_message_reply_markup(ctx.chat_id, id)
                        .reply_markup(pay_button(&ctx.app.i18n, ctx.lang))
                        .await;
                }
            };
            match ctx.app.payments.save_bill(bill).await? {
                SaveOutcome::Saved(bill) => {
                    take_button_off.await;
                    steps::show_naming(&ctx, &dialogue, &bill, true, None).await?;
                }
                SaveOutcome::Already(_) => {
                    take_button_off.await;
                    ctx.send(ctx.t("bills.already_saved")).await?;
                }
                SaveOutcome::Full => {
                    let max = MAX_SAVED_BILLS.to_string();
                    ctx.send(ctx.f("bills.full", &[("max", &max)])).await?;
                }
            }
            Ok(())
        })
        .await
}

/// A reminder's Pay: an entry point, not a screen; the reminder stays as
/// it is, and the payment continues below it.
pub async fn receive_reminder_pay_button(
    ctx: Ctx,
    dialogue: PayDialogue,
    (bill, tag): (BillId, u64),
    q: CallbackQuery,
) -> HandlerResult {
    ctx.clone()
        .guard(async move {
            ctx.answer(&q.id, None).await;
            steps::pay(&ctx, &dialogue, bill, Some(tag), None).await
        })
        .await
}
