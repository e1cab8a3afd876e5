//! `/unlink`: a customer removes one of their linked accounts, after a
//! confirmation of its own (apart from the payment dialogue). Confirm
//! removes it through the core, once however often pressed; Cancel and
//! `/cancel` keep it and say so. Payments made from it stay in the ledger.

use teloxide::types::MessageId;

use super::Press;
use crate::{
    bank::Account,
    bot::{
        Ctx, HandlerResult, PayDialogue, State,
        callbacks::Action,
        screens::unlink as screens,
        state::{ChoosingUnlink, ConfirmingUnlink, Step},
    },
    payments::Unlinked,
};

/// `/unlink`: the confirmation for one account, the choice for several.
/// An open dialogue ends here, as under `/pay`: its buttons turn stale.
pub async fn unlink(ctx: Ctx, dialogue: PayDialogue) -> HandlerResult {
    ctx.clone()
        .guard(async move {
            let user = ctx.app.store.users.get(ctx.user_id).await?;
            match user.accounts.as_slice() {
                [] => {
                    ctx.send(ctx.t("unlink.not_linked")).await?;
                }
                [account] => ask(&ctx, &dialogue, account.clone(), None).await?,
                accounts => {
                    let step = Step::new();
                    let accounts = accounts.to_vec();
                    let screen = screens::choose(ctx.texts(), step, &accounts);
                    dialogue
                        .update(State::ChoosingUnlink(ChoosingUnlink { step, accounts }))
                        .await?;
                    ctx.show_step(None, screen).await?;
                }
            }
            Ok(())
        })
        .await
}

/// "Remove this one?", in place of `message` when there is one.
async fn ask(
    ctx: &Ctx,
    dialogue: &PayDialogue,
    account: Account,
    message: Option<MessageId>,
) -> HandlerResult {
    let step = Step::new();
    let screen = screens::confirm(ctx.texts(), step, &account);
    dialogue
        .update(State::ConfirmingUnlink(ConfirmingUnlink { step, account }))
        .await?;
    ctx.show_step(message, screen).await?;
    Ok(())
}

pub async fn receive_unlink_choice_button(
    ctx: Ctx,
    dialogue: PayDialogue,
    s: ChoosingUnlink,
    press: Press,
) -> HandlerResult {
    ctx.clone()
        .guard_step("choosing_unlink", async move {
            match press.action {
                Action::Account(i) => match s.accounts.get(usize::from(i)) {
                    Some(account) => ask(&ctx, &dialogue, account.clone(), press.message).await,
                    None => ctx.expired().await,
                },
                Action::Cancel => {
                    dialogue.exit().await?;
                    let text = screens::kept(ctx.texts(), None);
                    ctx.show_text(press.message, text).await?;
                    Ok(())
                }
                _ => ctx.expired().await,
            }
        })
        .await
}

pub async fn receive_unlink_confirmation_button(
    ctx: Ctx,
    dialogue: PayDialogue,
    s: ConfirmingUnlink,
    press: Press,
) -> HandlerResult {
    ctx.clone()
        .guard_step("confirming_unlink", async move {
            match press.action {
                Action::Confirm => {
                    // Idle before the change: a second press finds its
                    // screen stale. One dialogue per chat, and this is it,
                    // so no payment dialogue from the account outlives it.
                    dialogue.exit().await?;
                    let left = match ctx.app.payments.unlink(ctx.user_id, &s.account).await? {
                        Unlinked::Removed { left } => Some(left),
                        Unlinked::NotLinked => None,
                    };
                    tracing::info!(user_id = ctx.user_id.0, ?left, "account unlinked");
                    let text = screens::done(ctx.texts(), &s.account, left);
                    ctx.show_text(press.message, text).await?;
                    Ok(())
                }
                Action::Cancel => {
                    dialogue.exit().await?;
                    let text = screens::kept(ctx.texts(), Some(&s.account));
                    ctx.show_text(press.message, text).await?;
                    Ok(())
                }
                _ => ctx.expired().await,
            }
        })
        .await
}

/// `/cancel` while the confirmation is shown: the account stays.
pub async fn cancel(ctx: Ctx, dialogue: PayDialogue, s: ConfirmingUnlink) -> HandlerResult {
    ctx.clone()
        .guard_step("confirming_unlink", async move {
            dialogue.exit().await?;
            ctx.end_steps().await;
            ctx.send(screens::kept(ctx.texts(), Some(&s.account)))
                .await?;
            Ok(())
        })
        .await
}
