//! Agents' commands: `/invite`, `/cancelpayment`, `/payments`, `/settle`,
//! `/resetpin`.
//! The schema lets only agents reach them; everyone else gets [`refuse`].

use teloxide::types::{CallbackQuery, MessageId};

use crate::{
    bot::{
        Ctx, HandlerResult, PayDialogue, State,
        commands::{CustomerNo, parse_invite, parse_settle},
        flows,
        screens::{
            lists,
            payment::{state_label, status_text},
            staff,
        },
        state::{ConfirmingCancel, Step},
    },
    clock::istanbul,
    payments::{Settled, TransactionId},
    text::esc,
};

/// Agents' actions of the day shown under `/payments`, at most.
pub const AUDIT_SHOWN: usize = 10;

pub async fn refuse(ctx: Ctx) -> HandlerResult {
    tracing::warn!(
        user_id = ctx.user_id.0,
        "agent command refused to a non-agent"
    );
    ctx.clone()
        .guard(async move {
            ctx.send(ctx.t("agent.refused")).await?;
            Ok(())
        })
        .await
}

pub async fn invite(ctx: Ctx, args: String) -> HandlerResult {
    ctx.clone()
        .guard(async move {
            let Some(account) = parse_invite(&args) else {
                ctx.send(ctx.t("invite.usage")).await?;
                return Ok(());
            };
            let token = ctx
                .app
                .payments
                .invite(ctx.user_id, account.clone())
                .await?;
            let link = format!("https://t.me/{}?start={token}", ctx.app.bot_username);
            ctx.send(staff::invite_link(ctx.texts(), &account, &link))
                .await?;
            Ok(())
        })
        .await
}

/// `/cancelpayment <id>`: shows the payment and asks to confirm.
pub async fn cancel_payment(ctx: Ctx, dialogue: PayDialogue, args: String) -> HandlerResult {
    ctx.clone()
        .guard(async move {
            let Some(id) = TransactionId::parse(&args) else {
                ctx.send(ctx.t("cancelpay.usage")).await?;
                return Ok(());
            };
            let Some(record) = ctx.app.store.ledger.by_transaction(id).await? else {
                let text = ctx.f("cancelpay.not_found", &[("id", &id.to_string())]);
                ctx.send(text).await?;
                return Ok(());
            };
            if let Err(why) = record.cancellable_on(ctx.app.clock.today_istanbul()) {
                ctx.send(staff::not_cancellable(ctx.texts(), why)).await?;
                return Ok(());
            }
            let step = Step::new();
            let intent = record.intent.clone();
            dialogue
                .update(State::ConfirmingCancel(ConfirmingCancel { step, intent }))
                .await?;
            let screen = staff::cancel_question(ctx.texts(), step, &record);
            ctx.show_step(None, screen).await?;
            Ok(())
        })
        .await
}

pub async fn payments(ctx: Ctx) -> HandlerResult {
    ctx.clone()
        .guard(async move { show_payments(&ctx, 0, None).await })
        .await
}

/// `‹` / `›` under `/payments`; the list of agents may have changed since.
pub async fn receive_payments_page_button(ctx: Ctx, page: u16, q: CallbackQuery) -> HandlerResult {
    ctx.clone()
        .guard(async move {
            ctx.answer(&q.id, None).await;
            if !ctx.is_agent {
                ctx.send(ctx.t("agent.refused")).await?;
                return Ok(());
            }
            let message = q.message.as_ref().map(|m| m.id());
            show_payments(&ctx, usize::from(page), message).await
        })
        .await
}

/// Today's payments (Europe/Istanbul), and today's staff actions.
async fn show_payments(ctx: &Ctx, page: usize, message: Option<MessageId>) -> HandlerResult {
    let today = ctx.app.clock.today_istanbul();
    let ledger = &ctx.app.store.ledger;
    let records = ledger.for_day(today).await?;
    let since = today
        .and_hms_opt(0, 0, 0)
        .and_then(|t| t.and_local_timezone(istanbul()).single())
        .map(|t| t.with_timezone(&chrono::Utc))
        .unwrap_or_else(|| ctx.app.clock.now());
    let audit = ledger.audit_since(since, AUDIT_SHOWN).await?;
    let day = today.format("%d.%m.%Y").to_string();
    let screen = lists::payments(ctx.texts(), &day, &records, page, &audit);
    ctx.show(message, screen).await?;
    Ok(())
}

/// `/settle`: an agent records what the bank says about a payment whose
/// outcome the bot could not know; the payer is told.
pub async fn settle(ctx: Ctx, args: String) -> HandlerResult {
    ctx.clone()
        .guard(async move {
            let Some((intent, finding)) = parse_settle(&args) else {
                ctx.send(ctx.t("settle.usage")).await?;
                return Ok(());
            };
            let t = ctx.texts();
            let describe = |r: &crate::payments::PaymentRecord| {
                format!("{}: {}", r.intent, state_label(t, r.state))
            };
            let settled = ctx
                .app
                .payments
                .settle(ctx.user_id, &intent, finding, describe)
                .await?;
            match settled {
                Settled::NotFound => {
                    let text = ctx.f("settle.not_found", &[("ref", &esc(intent.as_str()))]);
                    ctx.send(text).await?;
                }
                Settled::IdTaken => {
                    let id = match finding {
                        crate::payments::Finding::Paid(Some(id)) => id.to_string(),
                        _ => "-".into(),
                    };
                    ctx.send(ctx.f("settle.id_taken", &[("id", &id)])).await?;
                }
                Settled::NotUnsettled(record) => {
                    let state = state_label(t, record.state);
                    ctx.send(ctx.f("settle.not_unsettled", &[("state", &state)]))
                        .await?;
                }
                Settled::Done(record) => {
                    ctx.send(status_text(t, &record)).await?;
                    flows::tell_payer(&ctx, &record, |t| staff::payer_settled(t, &record)).await;
                }
            }
            Ok(())
        })
        .await
}

/// `/resetpin <customer_no>`: no PIN and no lock for every Telegram user
/// linked to the customer (audited by the core). The agent learns how many;
/// each of them is told, in their language.
pub async fn reset_pin(ctx: Ctx, args: String) -> HandlerResult {
    ctx.clone()
        .guard(async move {
            let Some(CustomerNo(customer)) = CustomerNo::parse(&args) else {
                ctx.send(ctx.t("resetpin.usage")).await?;
                return Ok(());
            };
            let reset = ctx.app.payments.reset_pins(ctx.user_id, customer).await?;
            let no = customer.to_string();
            if reset.is_empty() {
                ctx.send(ctx.f("resetpin.none", &[("customer", &no)]))
                    .await?;
                return Ok(());
            }
            let count = reset.len().to_string();
            ctx.send(ctx.f("resetpin.done", &[("customer", &no), ("count", &count)]))
                .await?;
            for user in reset {
                // A private chat's id is its user's.
                let Ok(chat_id) = i64::try_from(user.0) else {
                    continue;
                };
                flows::tell_user(&ctx, user, chat_id, |t| t.t("resetpin.notice").to_owned()).await;
            }
            Ok(())
        })
        .await
}
