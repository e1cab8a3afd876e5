//! Agents' commands: `/invite`, `/cancelpayment`, `/payments`. The schema
//! lets only agents reach them; everyone else gets [`refuse`].

use teloxide::types::MessageId;

use crate::{
    bank::{Account, CancelRequest, RequestId},
    bot::{
        Ctx, HandlerResult, PayDialogue, State,
        callbacks::{Action, CallbackData},
        handlers::receipts::{state_label, status_text},
        keyboards::{self, back_cancel, markup, step_button},
        state::Step,
    },
    money::Amount,
    storage::{PaymentRecord, PaymentState, payments::AuditEntry},
    text::esc,
};

/// Payments per `/payments` page.
pub const PAYMENTS_PAGE: usize = 10;
/// Agents' actions of the day shown under `/payments`, at most.
pub const AUDIT_SHOWN: usize = 10;

/// Audit actions, as stored.
const AUDIT_INVITE: &str = "invite";
const AUDIT_CANCEL: &str = "cancel";
const AUDIT_CANCEL_FAILED: &str = "cancel_failed";
const AUDIT_CANCEL_UNKNOWN: &str = "cancel_unknown";
const AUDIT_SETTLE: &str = "settle";

pub async fn refuse(ctx: Ctx) -> HandlerResult {
    tracing::warn!(
        user_id = ctx.user_id,
        "agent command refused to a non-agent"
    );
    ctx.clone()
        .guard(async move {
            ctx.send(ctx.t("agent.refused"), None).await?;
            Ok(())
        })
        .await
}

/// `<customer_no> <branch_code> <account_suffix> [currency]`.
pub fn parse_invite(args: &str) -> Option<Account> {
    let parts: Vec<&str> = args.split_whitespace().collect();
    let (customer, branch, suffix, currency) = match parts.as_slice() {
        [c, b, s] => (*c, *b, *s, "TRY"),
        [c, b, s, cur] => (*c, *b, *s, *cur),
        _ => return None,
    };
    let currency = currency.to_ascii_uppercase();
    if currency.len() != 3 || !currency.bytes().all(|b| b.is_ascii_uppercase()) {
        return None;
    }
    Some(Account {
        customer_no: bounded(customer, 1, i64::MAX as u64)?,
        branch_code: u32::try_from(bounded(branch, 1, i32::MAX as u64)?).ok()?,
        suffix: u32::try_from(bounded(suffix, 0, i32::MAX as u64)?).ok()?,
        currency,
    })
}

/// A number as the bank's fields hold it: digits only (no sign, no leading
/// zero), within `min..=max` (the bank's integers are 32- and 64-bit).
fn bounded(text: &str, min: u64, max: u64) -> Option<u64> {
    let digits_only = !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit());
    if !digits_only || (text.len() > 1 && text.starts_with('0')) {
        return None;
    }
    text.parse::<u64>().ok().filter(|n| (min..=max).contains(n))
}

pub async fn invite(ctx: Ctx, args: String) -> HandlerResult {
    ctx.clone()
        .guard(async move {
            let Some(account) = parse_invite(&args) else {
                ctx.send(ctx.t("invite.usage"), None).await?;
                return Ok(());
            };
            let now = ctx.app.clock.now();
            let token = ctx
                .app
                .store
                .invites
                .create(account.clone(), ctx.user_id, now)
                .await?;
            audit(&ctx, now, AUDIT_INVITE, account.masked(), None).await?;
            let link = format!("https://t.me/{}?start={token}", ctx.app.bot_username);
            let text = ctx.f(
                "invite.done",
                &[
                    ("account", &esc(&account.masked())),
                    ("link", &esc(&link)),
                    (
                        "hours",
                        &crate::storage::invites::INVITE_TTL_HOURS.to_string(),
                    ),
                ],
            );
            ctx.send(text, None).await?;
            Ok(())
        })
        .await
}

pub async fn cancel_payment(ctx: Ctx, dialogue: PayDialogue, args: String) -> HandlerResult {
    ctx.clone()
        .guard(async move {
            let Ok(id) = args.trim().trim_start_matches('#').parse::<i64>() else {
                ctx.send(ctx.t("cancelpay.usage"), None).await?;
                return Ok(());
            };
            let Some(record) = ctx.app.store.ledger.by_transaction(id).await? else {
                ctx.send(
                    ctx.f("cancelpay.not_found", &[("id", &id.to_string())]),
                    None,
                )
                .await?;
                return Ok(());
            };
            if let Some(reason) = cancel_refusal(&ctx, &record) {
                ctx.send(reason, None).await?;
                return Ok(());
            }
            let step = Step::new();
            dialogue
                .update(State::ConfirmingCancel {
                    step,
                    intent: record.intent.clone(),
                })
                .await?;
            let text = format!(
                "{}\n\n{}",
                status_text(&ctx, &record),
                ctx.t("cancelpay.ask")
            );
            let rows = vec![
                vec![step_button(
                    ctx.t("button.confirm_cancel"),
                    step,
                    Action::Confirm,
                )],
                back_cancel(&ctx.app.i18n, ctx.lang, step),
            ];
            ctx.show_step(None, text, Some(markup(rows))).await?;
            Ok(())
        })
        .await
}

/// Why this payment cannot be cancelled now, if it cannot.
fn cancel_refusal(ctx: &Ctx, record: &PaymentRecord) -> Option<String> {
    let key = match record.state {
        PaymentState::Cancelled => "cancelpay.already",
        PaymentState::Cancelling => "cancelpay.in_progress",
        PaymentState::Completed | PaymentState::CancelUnknown
            if record.day() != ctx.app.clock.today_istanbul() =>
        {
            "cancelpay.not_today"
        }
        // An unverified cancellation may be asked again: the bank refuses
        // to cancel twice, so nothing is refunded twice.
        PaymentState::Completed | PaymentState::CancelUnknown => return None,
        PaymentState::Unknown | PaymentState::InFlight => "cancelpay.unknown",
        PaymentState::Refused => "cancelpay.not_completed",
    };
    Some(ctx.t(key).to_owned())
}

/// The agent confirmed: `CancelPayment`, once, however often pressed.
pub async fn confirm_cancel(ctx: &Ctx, intent: &str, message: Option<MessageId>) -> HandlerResult {
    // The confirmation screen was an agent's, but the list of agents may
    // have changed (and the bot restarted) since it was shown.
    if !ctx.is_agent {
        ctx.show(message, ctx.t("agent.refused"), None).await?;
        return Ok(());
    }
    let ledger = &ctx.app.store.ledger;
    let Some(record) = ledger.get(intent).await? else {
        ctx.show(message, ctx.t("button.expired"), None).await?;
        return Ok(());
    };
    if let Some(reason) = cancel_refusal(ctx, &record) {
        ctx.show(message, reason, None).await?;
        return Ok(());
    }
    let now = ctx.app.clock.now();
    // Claim the cancellation: only one press moves the payment from the
    // state it was seen in to Cancelling. A crash while it is Cancelling
    // leaves it CancelUnknown at the next start (never "payment unknown").
    let before = record.state;
    let claimed = ledger
        .transition(
            intent,
            before,
            PaymentState::Cancelling,
            Some("cancelling".into()),
            now,
        )
        .await?;
    if !claimed {
        ctx.show(message, ctx.t("cancelpay.in_progress"), None)
            .await?;
        return Ok(());
    }
    // Claimed: nothing may stop the bank call now, or the payment would
    // stay "being cancelled" until the next start.
    if let Err(e) = ctx.show(message, ctx.t("cancelpay.processing"), None).await {
        tracing::warn!(intent, error = %e, "could not show that the cancellation is under way");
    }
    let request = CancelRequest {
        association_code: record.association_code.clone(),
        subscriber_number: record.subscriber.clone(),
        invoice_number: record.invoice_number.clone(),
        payment_date: record.day(),
        amount: record.amount,
        customer_no: record.account.customer_no,
    };
    let outcome = ctx
        .app
        .bank()
        .cancel(&record.session, &RequestId::new(), &request)
        .await;
    let at = ctx.app.clock.now();
    let (state, note, action, details) = match &outcome {
        Ok(()) => (
            PaymentState::Cancelled,
            None,
            AUDIT_CANCEL,
            "cancelled".to_owned(),
        ),
        // The answer was lost: the bank may have cancelled. Not "paid", not
        // "cancelled": unverified, and said so.
        Err(e) if e.outcome_unknown() => (
            PaymentState::CancelUnknown,
            Some(format!("cancellation outcome unknown: {e}")),
            AUDIT_CANCEL_UNKNOWN,
            format!("outcome unknown: {e}"),
        ),
        // Refused: the payment stands as it was before this attempt.
        Err(e) => (
            before,
            Some(format!("cancellation refused: {e}")),
            AUDIT_CANCEL_FAILED,
            format!("refused: {e}"),
        ),
    };
    // The bank has answered: a storage failure from here on is logged, and
    // the agent is still told what the bank said.
    let updated = match ledger.set_state(intent, state, None, note, at).await {
        Ok(Some(stored)) => stored,
        not_stored => {
            tracing::error!(
                intent,
                ?state,
                error = ?not_stored.err(),
                "cancellation outcome not recorded"
            );
            PaymentRecord { state, ..record }
        }
    };
    if let Err(e) = audit(ctx, at, action, details, updated.transaction_id).await {
        tracing::error!(intent, error = %e, "cancellation not written to the audit log");
    }
    match outcome {
        Ok(()) => {
            ctx.show(message, status_text(ctx, &updated), None).await?;
            notify_payer(ctx, &updated).await;
        }
        Err(e) if e.outcome_unknown() => {
            let text = ctx.f(
                "cancelpay.outcome_unknown",
                &[("reason", &ctx.bank_error(&e)), ("id", &tx_id(&updated))],
            );
            ctx.show(message, text, None).await?;
        }
        Err(e) => {
            let text = ctx.f("cancelpay.failed", &[("reason", &ctx.bank_error(&e))]);
            ctx.show(message, text, None).await?;
        }
    }
    Ok(())
}

/// The agent pressed Back or Cancel on the confirmation: nothing is sent,
/// and the text says the payment was *not* cancelled.
pub async fn decline_cancel(ctx: &Ctx, intent: &str, message: Option<MessageId>) -> HandlerResult {
    let id = ctx
        .app
        .store
        .ledger
        .get(intent)
        .await?
        .map(|r| tx_id(&r))
        .unwrap_or_else(|| "-".into());
    ctx.show(message, ctx.f("cancelpay.kept", &[("id", &id)]), None)
        .await?;
    Ok(())
}

fn tx_id(record: &PaymentRecord) -> String {
    record
        .transaction_id
        .map(|t| t.to_string())
        .unwrap_or_else(|| "-".into())
}

/// Tells the payer, in their language, that an agent cancelled the payment.
async fn notify_payer(ctx: &Ctx, record: &PaymentRecord) {
    let payer_ctx = payer_ctx(ctx, record).await;
    let text = payer_ctx.f(
        "cancelpay.payer_notice",
        &[
            ("institution", &esc(&record.association_name)),
            ("amount", &payer_ctx.money(record.amount, &record.currency)),
            (
                "id",
                &record
                    .transaction_id
                    .map(|t| t.to_string())
                    .unwrap_or_default(),
            ),
        ],
    );
    if let Err(e) = payer_ctx.send(text, None).await {
        tracing::warn!(payer = record.payer, error = %e, "could not notify payer of cancellation");
    }
}

pub async fn payments(ctx: Ctx) -> HandlerResult {
    ctx.clone()
        .guard(async move { show_payments(&ctx, 0, None).await })
        .await
}

/// Today's payments (Europe/Istanbul), their states and totals, paged.
pub async fn show_payments(ctx: &Ctx, page: usize, message: Option<MessageId>) -> HandlerResult {
    let today = ctx.app.clock.today_istanbul();
    let records = ctx.app.store.ledger.for_day(today).await?;
    let day = today.format("%d.%m.%Y").to_string();
    if records.is_empty() {
        let mut lines = vec![ctx.f("payments.empty", &[("day", &day)])];
        lines.extend(audit_lines(ctx).await?);
        ctx.show(message, lines.join("\n"), None).await?;
        return Ok(());
    }
    // Per currency: amounts in different currencies are never added up.
    let sum = |state: PaymentState| {
        let mut totals: std::collections::BTreeMap<&str, Amount> =
            std::collections::BTreeMap::new();
        for r in records.iter().filter(|r| r.state == state) {
            let t = totals.entry(r.currency.as_str()).or_default();
            *t = t.checked_add(r.amount).unwrap_or(*t);
        }
        if totals.is_empty() {
            return ctx.money(Amount::ZERO, "TRY");
        }
        totals
            .iter()
            .map(|(cur, amount)| ctx.money(*amount, cur))
            .collect::<Vec<_>>()
            .join(" + ")
    };
    let pages = records.len().div_ceil(PAYMENTS_PAGE);
    let page = page.min(pages - 1);
    let mut lines = vec![ctx.f(
        "payments.title",
        &[
            ("day", &day),
            ("count", &records.len().to_string()),
            ("completed", &sum(PaymentState::Completed)),
            ("cancelled", &sum(PaymentState::Cancelled)),
            ("page", &(page + 1).to_string()),
            ("pages", &pages.to_string()),
        ],
    )];
    for r in records
        .iter()
        .skip(page * PAYMENTS_PAGE)
        .take(PAYMENTS_PAGE)
    {
        let time = r
            .created_at
            .with_timezone(&crate::clock::istanbul())
            .format("%H:%M");
        lines.push(
            ctx.f(
                "payments.line",
                &[
                    ("time", &time.to_string()),
                    (
                        "id",
                        &r.transaction_id
                            .map(|t| t.to_string())
                            .unwrap_or_else(|| "-".into()),
                    ),
                    ("institution", &esc(&r.association_name)),
                    ("subscriber", &esc(&r.subscriber)),
                    ("amount", &ctx.money(r.amount, &r.currency)),
                    ("state", &state_label(ctx, r.state)),
                    ("payer", &r.payer.to_string()),
                    ("ref", &esc(&r.intent)),
                ],
            ),
        );
    }
    lines.extend(audit_lines(ctx).await?);
    let rows = vec![keyboards::pager(
        &ctx.app.i18n,
        ctx.lang,
        page,
        pages,
        CallbackData::PaymentsPage,
    )];
    ctx.show(message, lines.join("\n"), Some(markup(rows)))
        .await?;
    Ok(())
}

/// Today's agents' actions (invites, cancellations), newest last; empty
/// when there were none.
async fn audit_lines(ctx: &Ctx) -> anyhow::Result<Vec<String>> {
    let today = ctx.app.clock.today_istanbul();
    let since = today
        .and_hms_opt(0, 0, 0)
        .and_then(|t| t.and_local_timezone(crate::clock::istanbul()).single())
        .map(|t| t.with_timezone(&chrono::Utc))
        .unwrap_or_else(|| ctx.app.clock.now());
    let entries = ctx.app.store.ledger.audit_since(since, AUDIT_SHOWN).await?;
    if entries.is_empty() {
        return Ok(Vec::new());
    }
    let mut lines = vec![String::new(), ctx.t("payments.audit_title").to_owned()];
    for e in &entries {
        let key = match e.action.as_str() {
            AUDIT_INVITE => "audit.invite",
            AUDIT_CANCEL => "audit.cancel",
            AUDIT_CANCEL_FAILED => "audit.cancel_failed",
            AUDIT_CANCEL_UNKNOWN => "audit.cancel_unknown",
            AUDIT_SETTLE => "audit.settle",
            _ => continue,
        };
        let time =
            e.at.with_timezone(&crate::clock::istanbul())
                .format("%H:%M");
        let payment = e
            .payment
            .map(|p| p.to_string())
            .unwrap_or_else(|| "-".into());
        lines.push(ctx.f(
            key,
            &[
                ("time", &time.to_string()),
                ("agent", &e.agent.to_string()),
                ("account", &esc(&e.details)),
                ("id", &payment),
            ],
        ));
    }
    Ok(lines)
}

/// Records an agent's action in the audit trail (flushed).
async fn audit(
    ctx: &Ctx,
    at: chrono::DateTime<chrono::Utc>,
    action: &str,
    details: String,
    payment: Option<i64>,
) -> Result<(), crate::storage::StoreError> {
    ctx.app
        .store
        .ledger
        .audit(AuditEntry {
            at,
            agent: ctx.user_id,
            action: action.into(),
            details,
            payment,
        })
        .await
}

/// The payer's chat, in the payer's language (else the agent's).
async fn payer_ctx(ctx: &Ctx, record: &PaymentRecord) -> Ctx {
    let lang = ctx
        .app
        .store
        .users
        .get(record.payer)
        .await
        .ok()
        .and_then(|u| u.preferred_lang())
        .unwrap_or(ctx.lang);
    Ctx {
        lang,
        chat_id: teloxide::types::ChatId(record.chat_id),
        user_id: record.payer,
        is_agent: false,
        ..ctx.clone()
    }
}

/// Tells the payer what staff settled about their payment.
async fn notify_payer_of(ctx: &Ctx, record: &PaymentRecord) {
    let payer_ctx = payer_ctx(ctx, record).await;
    let text = format!(
        "{}\n\n{}",
        payer_ctx.t("settle.payer_notice"),
        status_text(&payer_ctx, record)
    );
    if let Err(e) = payer_ctx.send(text, None).await {
        tracing::warn!(payer = record.payer, error = %e, "could not tell the payer of a settlement");
    }
}

/// What staff found out at the bank about an unsettled payment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Finding {
    /// The payment went through (with its transaction id, if known).
    Paid(Option<i64>),
    /// It did not go through.
    Unpaid,
    /// The cancellation went through.
    Cancelled,
}

/// `<ref> paid [transaction id]`, `<ref> unpaid`, `<ref> cancelled`.
pub fn parse_settle(args: &str) -> Option<(String, Finding)> {
    let parts: Vec<&str> = args.split_whitespace().collect();
    let (reference, finding) = match parts.as_slice() {
        [r, "paid"] => (*r, Finding::Paid(None)),
        [r, "paid", tx] => (
            *r,
            Finding::Paid(Some(tx.parse().ok().filter(|t: &i64| *t > 0)?)),
        ),
        [r, "unpaid"] => (*r, Finding::Unpaid),
        [r, "cancelled"] => (*r, Finding::Cancelled),
        _ => return None,
    };
    // References are ours: `<chat id>-<16 hex digits>`.
    let ok = reference.len() <= 40
        && reference
            .bytes()
            .all(|b| b.is_ascii_hexdigit() || b == b'-');
    ok.then(|| (reference.to_owned(), finding))
}

/// `/settle`: an agent records what the bank says about a payment whose
/// outcome the bot could not know; the payer is told.
pub async fn settle(ctx: Ctx, args: String) -> HandlerResult {
    ctx.clone()
        .guard(async move {
            let Some((reference, finding)) = parse_settle(&args) else {
                ctx.send(ctx.t("settle.usage"), None).await?;
                return Ok(());
            };
            let (from, to, tx): (&[PaymentState], PaymentState, Option<i64>) = match finding {
                Finding::Paid(tx) => (
                    &[PaymentState::Unknown, PaymentState::CancelUnknown],
                    PaymentState::Completed,
                    tx,
                ),
                Finding::Unpaid => (&[PaymentState::Unknown], PaymentState::Refused, None),
                Finding::Cancelled => (
                    &[PaymentState::CancelUnknown],
                    PaymentState::Cancelled,
                    None,
                ),
            };
            // A bank id finds its payment (receipts, cancellation): it must
            // not be taken from another payment, nor replace a known one.
            if let Finding::Paid(Some(tx)) = finding {
                let ledger = &ctx.app.store.ledger;
                let taken = ledger
                    .by_transaction(tx)
                    .await?
                    .is_some_and(|r| r.intent != reference);
                let differs = ledger
                    .get(&reference)
                    .await?
                    .and_then(|r| r.transaction_id)
                    .is_some_and(|t| t != tx);
                if taken || differs {
                    ctx.send(ctx.f("settle.id_taken", &[("id", &tx.to_string())]), None)
                        .await?;
                    return Ok(());
                }
            }
            let now = ctx.app.clock.now();
            let note = format!("settled by staff {}", ctx.user_id);
            let outcome = ctx
                .app
                .store
                .ledger
                .settle(&reference, from, to, tx, note, now)
                .await?;
            let record = match outcome {
                None => {
                    ctx.send(
                        ctx.f("settle.not_found", &[("ref", &esc(&reference))]),
                        None,
                    )
                    .await?;
                    return Ok(());
                }
                Some((record, false)) => {
                    let text = ctx.f(
                        "settle.not_unsettled",
                        &[("state", &state_label(&ctx, record.state))],
                    );
                    ctx.send(text, None).await?;
                    return Ok(());
                }
                Some((record, true)) => record,
            };
            let details = format!("{reference}: {}", state_label(&ctx, record.state));
            audit(&ctx, now, AUDIT_SETTLE, details, record.transaction_id).await?;
            ctx.send(status_text(&ctx, &record), None).await?;
            notify_payer_of(&ctx, &record).await;
            Ok(())
        })
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settle_arguments() {
        let r = "123456-00ff00ff00ff00ff";
        assert_eq!(
            parse_settle(&format!("{r} paid")),
            Some((r.into(), Finding::Paid(None)))
        );
        assert_eq!(
            parse_settle(&format!("{r} paid 100234")),
            Some((r.into(), Finding::Paid(Some(100234))))
        );
        assert_eq!(
            parse_settle(&format!("{r} unpaid")),
            Some((r.into(), Finding::Unpaid))
        );
        assert_eq!(
            parse_settle(&format!("{r} cancelled")),
            Some((r.into(), Finding::Cancelled))
        );
        for bad in [
            "",
            r,
            "x paid",
            &format!("{r} paid -1"),
            &format!("{r} paid x"),
            &format!("{r} maybe"),
        ] {
            assert_eq!(parse_settle(bad), None, "{bad}");
        }
    }

    #[test]
    fn invite_arguments() {
        let a = parse_invite("3488017 9142 357").expect("valid");
        assert_eq!(
            (a.customer_no, a.branch_code, a.suffix, a.currency.as_str()),
            (3488017, 9142, 357, "TRY")
        );
        assert_eq!(
            parse_invite("3488017 9142 357 usd").map(|a| a.currency),
            Some("USD".into())
        );
        assert_eq!(
            parse_invite("9223372036854775807 9142 0").map(|a| (a.customer_no, a.suffix)),
            Some((9223372036854775807, 0)),
            "the largest 64-bit customer number, suffix 0"
        );
        for bad in [
            "",
            "1 2",
            "a 2 3",
            "1 2 3 EURO",
            "0 1 1",
            "1 2 3 T1L",
            "1 2 3 TRY x",
            // Beyond what the bank's integers hold, signs, leading zeros.
            "18446744073709551615 9142 357",
            "9223372036854775808 9142 357",
            "3488017 4294967296 357",
            "3488017 9142 2147483648",
            "+7 +8 +9",
            "03488017 9142 357",
            "3488017 09142 357",
            "3488017 0 357",
        ] {
            assert_eq!(parse_invite(bad), None, "{bad}");
        }
    }
}
