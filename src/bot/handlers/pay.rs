//! The payment dialogue: account → group → institution → query fields →
//! invoice → confirmation → payment → receipt.
//!
//! Each `show_*` stores the new state first, then shows the screen, so a
//! crash right after a prompt never loses the step. Button screens are
//! edited in place; answers to typed text come as new messages.

use teloxide::{
    prelude::Requester,
    types::{CallbackQueryId, MessageId},
};

use crate::{
    bank::{
        Association, BankError, Bill, Group, PaymentRequest, QueryRequest, RequestId, SessionId,
    },
    bot::{
        Ctx, HandlerResult, PayDialogue, State,
        callbacks::Action,
        handlers::{agent, general, receipts},
        keyboards::{self, back_cancel, clamp16, markup, step_button},
        state::{Flow, Picked, Step, payment_intent},
    },
    storage::{
        PaymentRecord, PaymentState,
        payments::{Begin, StateChange},
    },
    text::{self, InputProblem, MAX_FIELD_CHARS, MAX_FILTER_CHARS, esc, fold},
};

/// Institutions per page.
pub const PAGE_SIZE: usize = 8;
/// Invoices shown at most (a subscriber rarely has more open).
pub const MAX_BILLS: usize = 20;

pub async fn pay_command(ctx: Ctx, dialogue: PayDialogue) -> HandlerResult {
    ctx.clone()
        .guard(async move { begin(&ctx, &dialogue, None).await })
        .await
}

pub async fn cancel_command(ctx: Ctx, dialogue: PayDialogue, state: State) -> HandlerResult {
    ctx.clone()
        .guard(async move {
            dialogue.exit().await?;
            ctx.end_steps().await;
            if let State::ConfirmingCancel { intent, .. } = &state {
                return agent::decline_cancel(&ctx, intent, None).await;
            }
            let key = if matches!(state, State::Idle | State::Unreadable) {
                "cancel.nothing"
            } else {
                "cancel.done"
            };
            ctx.send(ctx.t(key), None).await?;
            Ok(())
        })
        .await
}

/// Opens the dialogue for a linked customer.
pub async fn begin(ctx: &Ctx, dialogue: &PayDialogue, message: Option<MessageId>) -> HandlerResult {
    let user = ctx.app.store.users.get(ctx.user_id).await?;
    match user.accounts.as_slice() {
        [] => {
            dialogue.exit().await?;
            ctx.show(message, ctx.t("pay.not_linked"), None).await?;
        }
        [account] => {
            let flow = Flow {
                session: SessionId::new(),
                account: account.clone(),
            };
            show_groups(ctx, dialogue, flow, message, None).await?;
        }
        accounts => {
            let step = Step::new();
            dialogue
                .update(State::ChoosingAccount {
                    step,
                    session: SessionId::new(),
                })
                .await?;
            let mut rows: Vec<_> = accounts
                .iter()
                .enumerate()
                .map(|(i, a)| vec![step_button(a.masked(), step, Action::Account(clamp16(i)))])
                .collect();
            rows.push(back_cancel(&ctx.app.i18n, ctx.lang, step));
            ctx.show_step(message, ctx.t("pay.choose_account"), Some(markup(rows)))
                .await?;
        }
    }
    Ok(())
}

async fn show_groups(
    ctx: &Ctx,
    dialogue: &PayDialogue,
    flow: Flow,
    message: Option<MessageId>,
    banner: Option<String>,
) -> HandlerResult {
    let step = Step::new();
    let (groups, text, mut rows) = match ctx.app.catalog.groups(&flow.session).await {
        Ok(groups) => {
            let rows: Vec<_> = groups
                .chunks(2)
                .enumerate()
                .map(|(r, pair)| {
                    pair.iter()
                        .enumerate()
                        .map(|(c, g)| step_button(&g.name, step, Action::Group(clamp16(r * 2 + c))))
                        .collect()
                })
                .collect();
            let text = with_banner(banner, ctx.t("pay.choose_group"));
            (groups.to_vec(), text, rows)
        }
        Err(e) => {
            let text = format!("{}\n\n{}", ctx.bank_error(&e), ctx.t("pay.try_again_hint"));
            let retry = vec![step_button(ctx.t("button.retry"), step, Action::Retry)];
            (Vec::new(), text, vec![retry])
        }
    };
    rows.push(back_cancel(&ctx.app.i18n, ctx.lang, step));
    dialogue
        .update(State::ChoosingGroup { step, flow, groups })
        .await?;
    ctx.show_step(message, text, Some(markup(rows))).await?;
    Ok(())
}

fn with_banner(banner: Option<String>, text: &str) -> String {
    match banner {
        Some(b) => format!("{b}\n\n{text}"),
        None => text.to_owned(),
    }
}

/// The institutions of `group` matching `filter`.
fn matching<'a>(list: &'a [Association], filter: Option<&str>) -> Vec<&'a Association> {
    match filter.map(fold) {
        Some(needle) if !needle.is_empty() => list
            .iter()
            .filter(|a| fold(&a.name).contains(&needle) || fold(&a.code).contains(&needle))
            .collect(),
        _ => list.iter().collect(),
    }
}

/// Page `page` of the institutions of `group` matching `filter`.
///
/// `Ok(Err(_))`: the bank gave no list; nothing was stored or shown, and the
/// caller says why. `Err(_)`: storing or showing failed (not the bank's
/// doing).
#[allow(clippy::too_many_arguments)]
async fn show_institutions(
    ctx: &Ctx,
    dialogue: &PayDialogue,
    flow: Flow,
    group: Group,
    page: usize,
    filter: Option<String>,
    message: Option<MessageId>,
    banner: Option<String>,
) -> anyhow::Result<Result<(), BankError>> {
    let list = match ctx
        .app
        .catalog
        .associations(&flow.session, &group.code)
        .await
    {
        Ok(list) => list,
        Err(e) => return Ok(Err(e)),
    };
    let found = matching(&list, filter.as_deref());
    let pages = found.len().div_ceil(PAGE_SIZE).max(1);
    let page = page.min(pages - 1);
    let shown: Vec<Association> = found
        .iter()
        .skip(page * PAGE_SIZE)
        .take(PAGE_SIZE)
        .map(|a| (*a).clone())
        .collect();
    let step = Step::new();
    let mut rows: Vec<_> = shown
        .iter()
        .enumerate()
        .map(|(i, a)| {
            vec![step_button(
                text::truncate(&a.name, 60),
                step,
                Action::Institution(clamp16(i)),
            )]
        })
        .collect();
    rows.push(keyboards::pager(
        &ctx.app.i18n,
        ctx.lang,
        page,
        pages,
        |p| crate::bot::callbacks::CallbackData::Dialogue(step, Action::Page(p)),
    ));
    rows.push(back_cancel(&ctx.app.i18n, ctx.lang, step));

    let (page_s, pages_s) = ((page + 1).to_string(), pages.to_string());
    let mut text = ctx.f(
        "pay.choose_institution",
        &[
            ("group", &esc(&group.name)),
            ("page", &page_s),
            ("pages", &pages_s),
        ],
    );
    if let Some(f) = &filter {
        let key = if found.is_empty() {
            "pay.filter_none"
        } else {
            "pay.filter_some"
        };
        text = format!(
            "{text}\n{}",
            ctx.f(
                key,
                &[("filter", &esc(f)), ("count", &found.len().to_string())]
            )
        );
    }
    text = format!("{text}\n\n{}", ctx.t("pay.filter_hint"));
    let text = with_banner(banner, &text);

    dialogue
        .update(State::ChoosingInstitution {
            step,
            flow,
            group,
            page,
            filter,
            shown,
        })
        .await?;
    ctx.show_step(message, text, Some(markup(rows))).await?;
    Ok(Ok(()))
}

impl Picked {
    /// The bill's subscriber number, or else the last value typed.
    fn subscriber(&self, bill: Option<&Bill>) -> String {
        match bill {
            Some(b) if !b.subscriber_number.is_empty() => b.subscriber_number.clone(),
            _ => self.values.last().cloned().unwrap_or_default(),
        }
    }
}

/// The prompt for the next query field.
async fn show_field(
    ctx: &Ctx,
    dialogue: &PayDialogue,
    p: Picked,
    message: Option<MessageId>,
) -> HandlerResult {
    let step = Step::new();
    let index = p.values.len().min(p.fields.len().saturating_sub(1));
    let label = p
        .fields
        .get(index)
        .map(|f| {
            if f.label.trim().is_empty() {
                f.name.clone()
            } else {
                f.label.clone()
            }
        })
        .unwrap_or_default();
    let text = ctx.f(
        "pay.enter_field",
        &[
            ("institution", &esc(&p.institution.name)),
            ("field", &esc(&label)),
            ("n", &(index + 1).to_string()),
            ("total", &p.fields.len().to_string()),
        ],
    );
    dialogue
        .update(State::EnteringField { step, picked: p })
        .await?;
    ctx.show_step(
        message,
        text,
        Some(markup(vec![back_cancel(&ctx.app.i18n, ctx.lang, step)])),
    )
    .await?;
    Ok(())
}

/// Queries the invoices and shows them (or why there are none).
async fn run_query(
    ctx: &Ctx,
    dialogue: &PayDialogue,
    p: Picked,
    message: Option<MessageId>,
) -> HandlerResult {
    let query = QueryRequest {
        association_code: p.institution.code.clone(),
        fields: p
            .fields
            .iter()
            .map(|f| f.name.clone())
            .zip(p.values.iter().cloned())
            .collect(),
        customer_no: p.flow.account.customer_no,
    };
    let _ = ctx
        .bot
        .send_chat_action(ctx.chat_id, teloxide::types::ChatAction::Typing)
        .await;
    let result = ctx.app.bank().query_invoices(&p.flow.session, &query).await;
    let (bills, error) = match result {
        Ok(bills) => (bills, None),
        Err(e) => (Vec::new(), Some(e)),
    };
    show_invoices(ctx, dialogue, p, bills, error, message).await
}

async fn show_invoices(
    ctx: &Ctx,
    dialogue: &PayDialogue,
    p: Picked,
    bills: Vec<Bill>,
    error: Option<BankError>,
    message: Option<MessageId>,
) -> HandlerResult {
    let step = Step::new();
    let subscriber = p.subscriber(None);
    let mut rows = Vec::new();
    let text = if let Some(e) = &error {
        rows.push(vec![step_button(
            ctx.t("button.retry"),
            step,
            Action::Retry,
        )]);
        format!("{}\n\n{}", ctx.bank_error(e), ctx.t("pay.try_again_hint"))
    } else if bills.is_empty() {
        ctx.f(
            "pay.no_invoices",
            &[
                ("institution", &esc(&p.institution.name)),
                ("subscriber", &esc(&subscriber)),
            ],
        )
    } else {
        for (i, bill) in bills.iter().take(MAX_BILLS).enumerate() {
            let due = bill.due_day().map(|d| d.format("%d.%m.%Y").to_string());
            let label = ctx.f(
                "pay.invoice_button",
                &[
                    ("amount", &ctx.money(bill.amount, &bill.currency)),
                    ("due", due.as_deref().unwrap_or("-")),
                    ("number", &text::truncate(&bill.invoice_number, 24)),
                ],
            );
            rows.push(vec![step_button(label, step, Action::Bill(clamp16(i)))]);
        }
        let total = bills
            .iter()
            .try_fold(crate::money::Amount::ZERO, |acc, b| {
                acc.checked_add(b.amount)
            })
            .unwrap_or_default();
        let name = bills
            .iter()
            .find_map(|b| b.subscriber_name.clone())
            .map(|n| format!(" ({})", esc(n.trim())))
            .unwrap_or_default();
        ctx.f(
            "pay.choose_invoice",
            &[
                ("institution", &esc(&p.institution.name)),
                ("subscriber", &format!("{}{name}", esc(&subscriber))),
                ("count", &bills.len().to_string()),
                (
                    "total",
                    &ctx.money(
                        total,
                        bills.first().map(|b| b.currency.as_str()).unwrap_or("TRY"),
                    ),
                ),
            ],
        )
    };
    rows.push(back_cancel(&ctx.app.i18n, ctx.lang, step));
    dialogue
        .update(State::ChoosingInvoice {
            step,
            picked: p,
            bills,
        })
        .await?;
    ctx.show_step(message, text, Some(markup(rows))).await?;
    Ok(())
}

async fn show_confirmation(
    ctx: &Ctx,
    dialogue: &PayDialogue,
    p: Picked,
    bills: Vec<Bill>,
    chosen: usize,
    message: Option<MessageId>,
) -> HandlerResult {
    let Some(bill) = bills.get(chosen) else {
        return show_invoices(ctx, dialogue, p, bills, None, message).await;
    };
    let step = Step::new();
    let amount = ctx.money(bill.amount, &bill.currency);
    let due = bill.due_day().map(|d| d.format("%d.%m.%Y").to_string());
    let text = ctx.f(
        "pay.confirm",
        &[
            ("institution", &esc(&p.institution.name)),
            ("subscriber", &esc(&p.subscriber(Some(bill)))),
            ("invoice", &esc(&bill.invoice_number)),
            ("due", &esc(due.as_deref().unwrap_or("-"))),
            ("amount", &amount),
            ("account", &esc(&p.flow.account.masked())),
        ],
    );
    let rows = vec![
        vec![step_button(
            ctx.f("button.confirm", &[("amount", &amount)]),
            step,
            Action::Confirm,
        )],
        back_cancel(&ctx.app.i18n, ctx.lang, step),
    ];
    dialogue
        .update(State::Confirming {
            step,
            picked: p,
            bills,
            chosen,
        })
        .await?;
    ctx.show_step(message, text, Some(markup(rows))).await?;
    Ok(())
}

/// Text typed by the user, read according to where the dialogue is.
pub async fn receive_text(
    ctx: Ctx,
    dialogue: PayDialogue,
    state: State,
    msg: teloxide::types::Message,
) -> HandlerResult {
    ctx.clone()
        .guard(async move {
            tracing::Span::current().record("step", state.name());
            let Some(raw) = msg.text() else {
                ctx.send(ctx.t("input.text_only"), None).await?;
                return Ok(());
            };
            // A command this bot does not know (or one for another bot) is
            // never a search or a field value.
            if raw.trim_start().starts_with('/') {
                ctx.send(ctx.t("input.unknown_command"), None).await?;
                return Ok(());
            }
            match state {
                State::ChoosingInstitution { flow, group, .. } => {
                    let filter = match text::clean_input(raw, MAX_FILTER_CHARS) {
                        Ok(f) => f,
                        Err(p) => {
                            ctx.send(input_problem(&ctx, p, MAX_FILTER_CHARS), None)
                                .await?;
                            return Ok(());
                        }
                    };
                    if let Err(e) =
                        show_institutions(&ctx, &dialogue, flow, group, 0, Some(filter), None, None)
                            .await?
                    {
                        ctx.send(ctx.bank_error(&e), None).await?;
                    }
                }
                State::EnteringField { mut picked, .. } => {
                    let value = match text::clean_input(raw, MAX_FIELD_CHARS) {
                        Ok(v) => v,
                        Err(p) => {
                            ctx.send(input_problem(&ctx, p, MAX_FIELD_CHARS), None)
                                .await?;
                            return Ok(());
                        }
                    };
                    picked.values.push(value);
                    if picked.values.len() < picked.fields.len() {
                        show_field(&ctx, &dialogue, picked, None).await?;
                    } else {
                        run_query(&ctx, &dialogue, picked, None).await?;
                    }
                }
                State::Idle | State::Unreadable => {
                    ctx.send(ctx.t("input.idle"), None).await?;
                }
                _ => {
                    ctx.send(ctx.t("input.use_buttons"), None).await?;
                }
            }
            Ok(())
        })
        .await
}

fn input_problem(ctx: &Ctx, problem: InputProblem, max: usize) -> String {
    match problem {
        InputProblem::Empty => ctx.t("input.empty").to_owned(),
        InputProblem::ControlCharacters => ctx.t("input.control").to_owned(),
        InputProblem::Invisible => ctx.t("input.invisible").to_owned(),
        InputProblem::TooLong => ctx.f("input.too_long", &[("max", &max.to_string())]),
    }
}

/// A press on a dialogue button.
pub async fn receive_button(
    ctx: &Ctx,
    dialogue: &PayDialogue,
    state: State,
    query_id: &CallbackQueryId,
    message: Option<MessageId>,
    step: Step,
    action: Action,
) -> HandlerResult {
    if state.step() != Some(step) {
        // A confirm press whose payment already exists: say what became of it.
        if action == Action::Confirm
            && let Some(record) = ctx
                .app
                .store
                .ledger
                .get(&payment_intent(ctx.chat_id.0, step))
                .await?
        {
            general::answer(ctx, query_id, Some(ctx.t("pay.already_pressed"))).await;
            ctx.send(receipts::status_text(ctx, &record), None).await?;
            return Ok(());
        }
        general::answer(ctx, query_id, Some(ctx.t("button.expired"))).await;
        return Ok(());
    }
    general::answer(ctx, query_id, None).await;

    if action == Action::Cancel {
        dialogue.exit().await?;
        // Leaving a payment cancellation: say that nothing was cancelled.
        if let State::ConfirmingCancel { intent, .. } = &state {
            return agent::decline_cancel(ctx, intent, message).await;
        }
        ctx.show(message, ctx.t("cancel.done"), None).await?;
        return Ok(());
    }

    match (state, action) {
        (State::ChoosingAccount { .. }, Action::Back) => {
            dialogue.exit().await?;
            general::welcome(ctx, message).await?;
        }
        (State::ChoosingAccount { session, .. }, Action::Account(i)) => {
            let user = ctx.app.store.users.get(ctx.user_id).await?;
            match user.accounts.get(i as usize) {
                Some(account) => {
                    let flow = Flow {
                        session,
                        account: account.clone(),
                    };
                    show_groups(ctx, dialogue, flow, message, None).await?;
                }
                None => begin(ctx, dialogue, message).await?,
            }
        }
        (State::ChoosingGroup { flow, .. }, Action::Retry) => {
            show_groups(ctx, dialogue, flow, message, None).await?;
        }
        (State::ChoosingGroup { .. }, Action::Back) => {
            let several = ctx.app.store.users.get(ctx.user_id).await?.accounts.len() > 1;
            if several {
                begin(ctx, dialogue, message).await?;
            } else {
                dialogue.exit().await?;
                general::welcome(ctx, message).await?;
            }
        }
        (State::ChoosingGroup { flow, groups, .. }, Action::Group(i)) => {
            let Some(group) = groups.get(i as usize).cloned() else {
                return expired(ctx).await;
            };
            if let Err(e) =
                show_institutions(ctx, dialogue, flow.clone(), group, 0, None, message, None)
                    .await?
            {
                show_groups(ctx, dialogue, flow, message, Some(ctx.bank_error(&e))).await?;
            }
        }
        (
            State::ChoosingInstitution {
                flow,
                group,
                filter,
                ..
            },
            Action::Page(p),
        ) => {
            if let Err(e) = show_institutions(
                ctx, dialogue, flow, group, p as usize, filter, message, None,
            )
            .await?
            {
                ctx.send(ctx.bank_error(&e), None).await?;
            }
        }
        (State::ChoosingInstitution { flow, .. }, Action::Back) => {
            show_groups(ctx, dialogue, flow, message, None).await?;
        }
        (
            State::ChoosingInstitution {
                flow,
                group,
                shown,
                page,
                filter,
                ..
            },
            Action::Institution(i),
        ) => {
            let Some(institution) = shown.get(i as usize).cloned() else {
                return expired(ctx).await;
            };
            match ctx
                .app
                .catalog
                .screen(&flow.session, &institution.code)
                .await
            {
                Ok(screen) => {
                    let p = Picked {
                        flow,
                        group,
                        institution,
                        fields: screen.query_fields.clone(),
                        values: Vec::new(),
                    };
                    show_field(ctx, dialogue, p, message).await?;
                }
                Err(e) => {
                    let banner = Some(ctx.bank_error(&e));
                    if let Err(e) =
                        show_institutions(ctx, dialogue, flow, group, page, filter, message, banner)
                            .await?
                    {
                        ctx.send(ctx.bank_error(&e), None).await?;
                    }
                }
            }
        }
        (State::EnteringField { mut picked, .. }, Action::Back) => {
            if picked.values.pop().is_some() {
                show_field(ctx, dialogue, picked, message).await?;
            } else if let Err(e) = show_institutions(
                ctx,
                dialogue,
                picked.flow,
                picked.group,
                0,
                None,
                message,
                None,
            )
            .await?
            {
                ctx.send(ctx.bank_error(&e), None).await?;
            }
        }
        (State::ChoosingInvoice { picked, .. }, Action::Retry) => {
            run_query(ctx, dialogue, picked, message).await?;
        }
        (State::ChoosingInvoice { mut picked, .. }, Action::Back) => {
            picked.values.pop();
            show_field(ctx, dialogue, picked, message).await?;
        }
        (State::ChoosingInvoice { picked, bills, .. }, Action::Bill(i)) => {
            if (i as usize) >= bills.len() {
                return expired(ctx).await;
            }
            show_confirmation(ctx, dialogue, picked, bills, i as usize, message).await?;
        }
        (State::Confirming { picked, bills, .. }, Action::Back) => {
            show_invoices(ctx, dialogue, picked, bills, None, message).await?;
        }
        (
            State::Confirming {
                step,
                picked,
                bills,
                chosen,
            },
            Action::Confirm,
        ) => {
            pay(ctx, dialogue, step, picked, bills, chosen, message).await?;
        }
        (State::ConfirmingCancel { intent, .. }, Action::Confirm) => {
            dialogue.exit().await?;
            agent::confirm_cancel(ctx, &intent, message).await?;
        }
        (State::ConfirmingCancel { intent, .. }, Action::Back) => {
            dialogue.exit().await?;
            agent::decline_cancel(ctx, &intent, message).await?;
        }
        _ => expired(ctx).await?,
    }
    Ok(())
}

async fn expired(ctx: &Ctx) -> HandlerResult {
    ctx.send(ctx.t("button.expired"), None).await?;
    Ok(())
}

/// The payment itself, for the confirmation screen `step`: recorded, then
/// sent to the bank exactly once.
async fn pay(
    ctx: &Ctx,
    dialogue: &PayDialogue,
    step: Step,
    p: Picked,
    bills: Vec<Bill>,
    chosen: usize,
    message: Option<MessageId>,
) -> HandlerResult {
    let Some(bill) = bills.get(chosen).cloned() else {
        return expired(ctx).await;
    };
    // An earlier attempt at this very invoice may have paid it: staff settle
    // that first, the bot never risks paying twice.
    if let Some(earlier) = ctx
        .app
        .store
        .ledger
        .unsettled_attempt(ctx.user_id, &p.institution.code, &bill.invoice_number)
        .await?
    {
        ctx.app.metrics.payment("blocked");
        dialogue.exit().await?;
        let text = format!(
            "{}\n\n{}",
            receipts::status_text(ctx, &earlier),
            ctx.t("pay.unsettled")
        );
        ctx.show(message, text, None).await?;
        return Ok(());
    }
    let now = ctx.app.clock.now();
    let record = PaymentRecord {
        intent: payment_intent(ctx.chat_id.0, step),
        payer: ctx.user_id,
        chat_id: ctx.chat_id.0,
        account: p.flow.account.clone(),
        association_code: p.institution.code.clone(),
        association_name: p.institution.name.clone(),
        subscriber: p.subscriber(Some(&bill)),
        invoice_number: bill.invoice_number.clone(),
        amount: bill.amount,
        currency: bill.currency.clone(),
        created_at: now,
        session: p.flow.session.clone(),
        request_id: RequestId::new(),
        transaction_id: None,
        state: PaymentState::InFlight,
        history: vec![StateChange {
            at: now,
            state: PaymentState::InFlight,
            note: None,
        }],
    };
    let record = match ctx.app.store.ledger.begin(record).await? {
        Begin::Started(r) => r,
        Begin::Exists(existing) => {
            ctx.app.metrics.payment("duplicate");
            ctx.send(receipts::status_text(ctx, &existing), None)
                .await?;
            return Ok(());
        }
    };
    // This press owns the payment now. Nothing may stop the bank call (a
    // record never sent would read "unknown" for ever), and nothing after
    // it may end in the generic error message, which says nothing was paid.
    // The confirm button goes at once; the dialogue is over either way.
    if let Err(e) = ctx.show(message, ctx.t("pay.processing"), None).await {
        tracing::warn!(intent = %record.intent, error = %e, "could not show that the payment is under way");
    }
    if let Err(e) = dialogue.exit().await {
        // A later press of this confirm button finds the record and pays
        // nothing.
        tracing::warn!(intent = %record.intent, error = %e, "could not close the dialogue before paying");
    }

    let request = PaymentRequest {
        association_code: p.institution.code.clone(),
        bill,
        account: p.flow.account.clone(),
    };
    let outcome = ctx
        .app
        .bank()
        .pay(&p.flow.session, &record.request_id, &request)
        .await;
    let (state, transaction_id, note) = match &outcome {
        Ok(transaction_id) => {
            tracing::info!(intent = %record.intent, ?transaction_id, "payment completed");
            ctx.app.metrics.payment("completed");
            (PaymentState::Completed, *transaction_id, None)
        }
        Err(e) if e.outcome_unknown() => {
            tracing::error!(intent = %record.intent, error = %e, "payment outcome unknown");
            ctx.app.metrics.payment("unknown");
            (PaymentState::Unknown, None, Some(e.to_string()))
        }
        Err(e) => {
            tracing::warn!(intent = %record.intent, error = %e, "payment refused");
            ctx.app.metrics.payment("refused");
            (PaymentState::Refused, None, Some(e.to_string()))
        }
    };
    let at = ctx.app.clock.now();
    let record = match ctx
        .app
        .store
        .ledger
        .set_state(&record.intent, state, transaction_id, note, at)
        .await
    {
        Ok(Some(stored)) => stored,
        not_stored => {
            // What the bank said stands and is told all the same; the record
            // stays in flight and turns "unknown" at the next start, for
            // staff to settle from this line.
            tracing::error!(
                intent = %record.intent,
                ?state,
                ?transaction_id,
                error = ?not_stored.err(),
                "payment outcome not recorded"
            );
            PaymentRecord {
                state,
                transaction_id,
                ..record
            }
        }
    };
    if let Err(e) = tell_outcome(ctx, dialogue, p, bills, &record, outcome, message).await {
        tracing::error!(intent = %record.intent, error = %format!("{e:#}"), "could not tell the payer what became of the payment");
    }
    Ok(())
}

/// What became of a payment, to the payer: the receipt, a warning that the
/// outcome is unknown, or the refusal with a way back to the invoices.
async fn tell_outcome(
    ctx: &Ctx,
    dialogue: &PayDialogue,
    p: Picked,
    bills: Vec<Bill>,
    record: &PaymentRecord,
    outcome: Result<Option<i64>, BankError>,
    message: Option<MessageId>,
) -> HandlerResult {
    match outcome {
        Ok(_) => {
            // Paid: the next bill is one tap away.
            let again = keyboards::pay_button(&ctx.app.i18n, ctx.lang);
            let shown = ctx
                .show(message, receipts::status_text(ctx, record), Some(again))
                .await?;
            // No longer a dialogue screen: a later /pay or /cancel leaves
            // its Pay button alone.
            ctx.forget_step(shown).await;
            receipts::deliver_receipt(ctx, record).await?;
        }
        Err(e) if e.outcome_unknown() => {
            ctx.show(message, receipts::status_text(ctx, record), None)
                .await?;
        }
        Err(e) => {
            let banner = format!("{}\n{}", ctx.t("pay.refused"), ctx.bank_error(&e));
            // Back to the invoices, so the user can choose again or leave.
            let step = Step::new();
            let rows = vec![vec![
                step_button(ctx.t("button.back_to_invoices"), step, Action::Back),
                step_button(ctx.t("button.cancel"), step, Action::Cancel),
            ]];
            dialogue
                .update(State::Confirming {
                    step,
                    picked: p,
                    bills,
                    chosen: usize::MAX,
                })
                .await?;
            ctx.show_step(message, banner, Some(markup(rows))).await?;
        }
    }
    Ok(())
}
