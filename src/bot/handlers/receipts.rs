//! `/receipt` and `/history`, and the buttons under the history.

use teloxide::types::{CallbackQuery, MessageId};

use crate::{
    bot::{
        Ctx, HandlerResult, flows,
        screens::{
            lists::{self, HISTORY_PAGE, clamp_page},
            payment::status_text,
        },
    },
    payments::{PaymentState, TransactionId},
};

pub async fn receipt(ctx: Ctx, arg: String) -> HandlerResult {
    ctx.clone()
        .guard(async move {
            if arg.trim().is_empty() {
                return show_history(&ctx, 0, None).await;
            }
            match TransactionId::parse(&arg) {
                Some(id) => receipt_by_id(&ctx, id).await,
                None => {
                    ctx.send(ctx.t("receipt.usage")).await?;
                    Ok(())
                }
            }
        })
        .await
}

/// A receipt button under `/history`.
pub async fn receive_receipt_button(ctx: Ctx, id: i64, q: CallbackQuery) -> HandlerResult {
    ctx.clone()
        .guard(async move {
            ctx.answer(&q.id, None).await;
            receipt_by_id(&ctx, TransactionId(id)).await
        })
        .await
}

/// The receipt of payment `id`, for its payer or an agent only. Anyone
/// else learns nothing, not even whether the id exists.
async fn receipt_by_id(ctx: &Ctx, id: TransactionId) -> HandlerResult {
    let record = ctx.app.store.ledger.by_transaction(id).await?;
    let Some(record) = record.filter(|r| r.payer == ctx.user_id || ctx.is_agent) else {
        ctx.send(ctx.f("receipt.not_found", &[("id", &id.to_string())]))
            .await?;
        return Ok(());
    };
    if record.state != PaymentState::Completed {
        ctx.send(status_text(ctx.texts(), &record)).await?;
    }
    if record.state.has_receipt() {
        flows::deliver_receipt(ctx, &record).await?;
    }
    Ok(())
}

pub async fn history(ctx: Ctx) -> HandlerResult {
    ctx.clone()
        .guard(async move { show_history(&ctx, 0, None).await })
        .await
}

/// `‹` / `›` under `/history`.
pub async fn receive_history_page_button(ctx: Ctx, page: u16, q: CallbackQuery) -> HandlerResult {
    ctx.clone()
        .guard(async move {
            ctx.answer(&q.id, None).await;
            let message = q.message.as_ref().map(|m| m.id());
            show_history(&ctx, usize::from(page), message).await
        })
        .await
}

/// The user's payments, newest first, paged, each with its receipt button.
async fn show_history(ctx: &Ctx, page: usize, message: Option<MessageId>) -> HandlerResult {
    let ledger = &ctx.app.store.ledger;
    let total = ledger.count_for_payer(ctx.user_id).await?;
    let (page, pages) = clamp_page(page, total, HISTORY_PAGE);
    let records = if total == 0 {
        Vec::new()
    } else {
        ledger
            .for_payer(ctx.user_id, page * HISTORY_PAGE, HISTORY_PAGE)
            .await?
    };
    let screen = lists::history(ctx.texts(), page, pages, &records);
    ctx.show(message, screen).await?;
    Ok(())
}
