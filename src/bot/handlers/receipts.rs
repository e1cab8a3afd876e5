//! Receipts (after a payment and by `/receipt`), payment status texts, and
//! `/history`.

use teloxide::types::MessageId;

use crate::{
    bank::{BankError, Receipt},
    bot::{
        Ctx, HandlerResult,
        callbacks::CallbackData,
        keyboards::{self, button, markup},
    },
    money::Amount,
    receipt::qr_png_off_thread,
    storage::{PaymentRecord, PaymentState},
    text::esc,
};

/// Payments per `/history` page.
pub const HISTORY_PAGE: usize = 5;

fn state_key(state: PaymentState) -> &'static str {
    match state {
        PaymentState::InFlight => "state.in_flight",
        PaymentState::Completed => "state.completed",
        PaymentState::Refused => "state.refused",
        PaymentState::Unknown => "state.unknown",
        PaymentState::Cancelled => "state.cancelled",
        PaymentState::Cancelling => "state.cancelling",
        PaymentState::CancelUnknown => "state.cancel_unknown",
    }
}

pub fn state_label(ctx: &Ctx, state: PaymentState) -> String {
    ctx.t(state_key(state)).to_owned()
}

/// What became of a payment, in a sentence or two.
pub fn status_text(ctx: &Ctx, r: &PaymentRecord) -> String {
    let amount = ctx.money(r.amount, &r.currency);
    let id = r
        .transaction_id
        .map(|t| t.to_string())
        .unwrap_or_else(|| "-".into());
    let args = [
        ("institution", esc(&r.association_name)),
        ("subscriber", esc(&r.subscriber)),
        ("amount", amount),
        ("id", id),
        ("ref", esc(&r.intent)),
    ];
    let args: Vec<(&str, &str)> = args.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let key = match r.state {
        PaymentState::InFlight => "status.in_flight",
        PaymentState::Completed => "status.completed",
        PaymentState::Refused => "status.refused",
        PaymentState::Unknown => "status.unknown",
        PaymentState::Cancelled => "status.cancelled",
        PaymentState::Cancelling => "status.cancelling",
        PaymentState::CancelUnknown => "status.cancel_unknown",
    };
    ctx.f(key, &args)
}

fn plus(a: Option<Amount>, b: Option<Amount>) -> Option<Amount> {
    match (a, b) {
        (Some(a), Some(b)) => a.checked_add(b),
        (a, b) => a.or(b),
    }
}

/// The receipt as a caption: merchant, institution, subscriber, invoice,
/// amount, fee, total, date, reference.
pub fn receipt_text(ctx: &Ctx, receipt: &Receipt, record: &PaymentRecord) -> String {
    let item = &receipt.item;
    let money = |a: Option<Amount>| {
        a.map(|a| ctx.money(a, &record.currency))
            .unwrap_or_else(|| "-".into())
    };
    let or = |a: &str, b: &str| if a.trim().is_empty() { esc(b) } else { esc(a) };
    let args = [
        ("merchant", esc(&receipt.merchant.merchant_name)),
        ("institution", or(&item.soot_name, &record.association_name)),
        ("subscriber", or(&item.subscriber_no, &record.subscriber)),
        ("invoice", or(&item.invoice_no, &record.invoice_number)),
        ("amount", money(item.invoice_amount.or(Some(record.amount)))),
        ("fee", money(plus(item.profit, item.operation_profit))),
        ("total", money(item.total_amount)),
        ("date", esc(&item.transaction_date)),
        ("reference", esc(&item.reference_no)),
        (
            "id",
            record
                .transaction_id
                .map(|t| t.to_string())
                .unwrap_or_default(),
        ),
    ];
    let args: Vec<(&str, &str)> = args.iter().map(|(k, v)| (*k, v.as_str())).collect();
    ctx.f("receipt.text", &args)
}

/// Sends the receipt of a completed payment: its text and its QR image.
/// When the receipt service fails, the payment reference stands in.
pub async fn deliver_receipt(ctx: &Ctx, record: &PaymentRecord) -> HandlerResult {
    let Some(id) = record.transaction_id else {
        ctx.send(ctx.t("receipt.no_reference"), None).await?;
        return Ok(());
    };
    match ctx.app.receipts.receipt(id).await {
        Ok(receipt) => {
            let qr = if receipt.item.qr_code.trim().is_empty() {
                id.to_string()
            } else {
                receipt.item.qr_code.clone()
            };
            send_with_qr(ctx, &qr, &receipt_text(ctx, &receipt, record)).await?;
        }
        Err(e) => {
            tracing::warn!(payment = id, error = %e, "receipt service failed");
            let text = ctx.f(
                "receipt.unavailable",
                &[("id", &id.to_string()), ("reason", &receipt_error(ctx, &e))],
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
            ctx.send(text, None).await?;
        }
    }
    Ok(())
}

/// Why the receipt service gave no receipt, in words that name the receipt
/// service (not the bank: the payment itself went through).
fn receipt_error(ctx: &Ctx, error: &BankError) -> String {
    match error {
        BankError::Refused {
            message: Some(m), ..
        } => ctx.f("receipt.err_said", &[("reason", &esc(m))]),
        BankError::Rejected { description, .. } if !description.trim().is_empty() => {
            ctx.f("receipt.err_said", &[("reason", &esc(description))])
        }
        BankError::Refused {
            message: None,
            code,
        } => ctx.f("receipt.err_code", &[("code", &esc(code))]),
        BankError::Timeout(_) => ctx.t("receipt.err_timeout").to_owned(),
        BankError::Unreachable { .. } | BankError::Interrupted { .. } => {
            ctx.t("receipt.err_unreachable").to_owned()
        }
        _ => ctx.t("receipt.err_unavailable").to_owned(),
    }
}

pub async fn receipt_command(ctx: Ctx, arg: String) -> HandlerResult {
    ctx.clone()
        .guard(async move {
            let arg = arg.trim();
            if arg.is_empty() {
                return show_history(&ctx, 0, None).await;
            }
            match arg.trim_start_matches('#').parse::<i64>() {
                Ok(id) => receipt_by_id(&ctx, id).await,
                Err(_) => {
                    ctx.send(ctx.t("receipt.usage"), None).await?;
                    Ok(())
                }
            }
        })
        .await
}

/// The receipt of payment `id`, for its payer or an agent only. Anyone
/// else learns nothing, not even whether the id exists.
pub async fn receipt_by_id(ctx: &Ctx, id: i64) -> HandlerResult {
    let record = ctx.app.store.ledger.by_transaction(id).await?;
    let Some(record) = record.filter(|r| r.payer == ctx.user_id || ctx.is_agent) else {
        ctx.send(ctx.f("receipt.not_found", &[("id", &id.to_string())]), None)
            .await?;
        return Ok(());
    };
    // Paid at some point: the receipt exists, whatever became of it later.
    if !matches!(
        record.state,
        PaymentState::Completed
            | PaymentState::Cancelled
            | PaymentState::Cancelling
            | PaymentState::CancelUnknown
    ) {
        ctx.send(status_text(ctx, &record), None).await?;
        return Ok(());
    }
    if record.state != PaymentState::Completed {
        ctx.send(status_text(ctx, &record), None).await?;
    }
    deliver_receipt(ctx, &record).await
}

pub async fn history_command(ctx: Ctx) -> HandlerResult {
    ctx.clone()
        .guard(async move { show_history(&ctx, 0, None).await })
        .await
}

/// The user's payments, newest first, paged, each with its receipt button.
pub async fn show_history(ctx: &Ctx, page: usize, message: Option<MessageId>) -> HandlerResult {
    let ledger = &ctx.app.store.ledger;
    let total = ledger.count_for_payer(ctx.user_id).await?;
    if total == 0 {
        ctx.show(message, ctx.t("history.empty"), None).await?;
        return Ok(());
    }
    let pages = total.div_ceil(HISTORY_PAGE);
    let page = page.min(pages - 1);
    let records = ledger
        .for_payer(ctx.user_id, page * HISTORY_PAGE, HISTORY_PAGE)
        .await?;
    let mut lines = vec![ctx.f(
        "history.title",
        &[
            ("page", &(page + 1).to_string()),
            ("pages", &pages.to_string()),
        ],
    )];
    let mut rows = Vec::new();
    for r in &records {
        let when = r
            .created_at
            .with_timezone(&crate::clock::istanbul())
            .format("%d.%m.%Y %H:%M");
        lines.push(
            ctx.f(
                "history.line",
                &[
                    ("date", &when.to_string()),
                    ("institution", &esc(&r.association_name)),
                    ("amount", &ctx.money(r.amount, &r.currency)),
                    ("state", &state_label(ctx, r.state)),
                    (
                        "id",
                        &r.transaction_id
                            .map(|t| t.to_string())
                            .unwrap_or_else(|| "-".into()),
                    ),
                ],
            ),
        );
        if let Some(id) = r.transaction_id {
            rows.push(vec![button(
                ctx.f("button.receipt", &[("id", &id.to_string())]),
                CallbackData::Receipt(id),
            )]);
        }
    }
    rows.push(keyboards::pager(
        &ctx.app.i18n,
        ctx.lang,
        page,
        pages,
        CallbackData::HistoryPage,
    ));
    ctx.show(message, lines.join("\n\n"), Some(markup(rows)))
        .await?;
    Ok(())
}
