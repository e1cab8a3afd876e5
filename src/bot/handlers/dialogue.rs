//! The customer's payment dialogue: one `receive_*` per step and input.
//! Each decides where the press or text leads and moves there through
//! [`steps`]; the confirmation itself is in `confirm`.

use super::{Press, Typed};
use crate::{
    bot::{
        Ctx, HandlerResult, PayDialogue, State,
        callbacks::Action,
        flows, saved_bills,
        screens::payment::{bank_error, input_problem},
        state::{
            ChoosingAccount, ChoosingGroup, ChoosingInstitution, ChoosingInvoice, EnteringField,
            Flow, Picked, QueryField,
        },
        steps::{self, Listing},
    },
    text::{self, MAX_FIELD_CHARS, MAX_FILTER_CHARS},
};

/// `/cancel` (outside an agent's cancel confirmation).
pub async fn cancel(ctx: Ctx, dialogue: PayDialogue, state: State) -> HandlerResult {
    ctx.clone()
        .guard_step(state.name(), async move {
            dialogue.exit().await?;
            ctx.end_steps().await;
            let key = if matches!(state, State::Idle | State::Unreadable) {
                "cancel.nothing"
            } else {
                "cancel.done"
            };
            ctx.send(ctx.t(key)).await?;
            Ok(())
        })
        .await
}

/// Cancel pressed on any step of the customer's dialogue.
pub async fn receive_leave_button(
    ctx: Ctx,
    dialogue: PayDialogue,
    state: State,
    press: Press,
) -> HandlerResult {
    ctx.clone()
        .guard_step(state.name(), async move {
            dialogue.exit().await?;
            ctx.show_text(press.message, ctx.t("cancel.done")).await?;
            Ok(())
        })
        .await
}

pub async fn receive_account_button(
    ctx: Ctx,
    dialogue: PayDialogue,
    s: ChoosingAccount,
    press: Press,
) -> HandlerResult {
    ctx.clone()
        .guard_step("choosing_account", async move {
            let message = press.message;
            match press.action {
                Action::Back => {
                    dialogue.exit().await?;
                    flows::welcome(&ctx, message).await
                }
                Action::Account(i) => {
                    let user = ctx.app.store.users.get(ctx.user_id).await?;
                    match user.accounts.get(usize::from(i)) {
                        Some(account) => {
                            let flow = Flow {
                                session: s.session,
                                account: account.clone(),
                            };
                            steps::show_groups(&ctx, &dialogue, flow, message, None).await
                        }
                        None => flows::begin(&ctx, &dialogue, message).await,
                    }
                }
                _ => ctx.expired().await,
            }
        })
        .await
}

pub async fn receive_group_button(
    ctx: Ctx,
    dialogue: PayDialogue,
    s: ChoosingGroup,
    press: Press,
) -> HandlerResult {
    ctx.clone()
        .guard_step("choosing_group", async move {
            let message = press.message;
            match press.action {
                Action::Retry => steps::show_groups(&ctx, &dialogue, s.flow, message, None).await,
                Action::Back => {
                    let user = ctx.app.store.users.get(ctx.user_id).await?;
                    if user.accounts.len() > 1 {
                        flows::begin(&ctx, &dialogue, message).await
                    } else {
                        dialogue.exit().await?;
                        flows::welcome(&ctx, message).await
                    }
                }
                Action::Group(i) => {
                    let Some(group) = s.groups.get(usize::from(i)).cloned() else {
                        return ctx.expired().await;
                    };
                    let listing = Listing {
                        flow: s.flow.clone(),
                        group,
                        page: 0,
                        filter: None,
                    };
                    if let Err(e) =
                        steps::show_institutions(&ctx, &dialogue, listing, message, None).await?
                    {
                        let banner = Some(bank_error(ctx.texts(), &e));
                        steps::show_groups(&ctx, &dialogue, s.flow, message, banner).await?;
                    }
                    Ok(())
                }
                _ => ctx.expired().await,
            }
        })
        .await
}

pub async fn receive_institution_button(
    ctx: Ctx,
    dialogue: PayDialogue,
    s: ChoosingInstitution,
    press: Press,
) -> HandlerResult {
    ctx.clone()
        .guard_step("choosing_institution", async move {
            let message = press.message;
            let listing = |page| Listing {
                flow: s.flow.clone(),
                group: s.group.clone(),
                page,
                filter: s.filter.clone(),
            };
            match press.action {
                Action::Page(p) => {
                    let to = listing(usize::from(p));
                    steps::show_institutions_or_say(&ctx, &dialogue, to, message, None).await
                }
                Action::Back => steps::show_groups(&ctx, &dialogue, s.flow, message, None).await,
                Action::Institution(i) => {
                    let Some(institution) = s.shown.get(usize::from(i)).cloned() else {
                        return ctx.expired().await;
                    };
                    let catalog = &ctx.app.catalog;
                    match catalog.screen(&s.flow.session, &institution.code).await {
                        Ok(screen) => {
                            let picked = Picked {
                                saved: None,
                                flow: s.flow,
                                group: s.group,
                                institution,
                                fields: screen.query_fields.iter().map(QueryField::from).collect(),
                                values: Vec::new(),
                            };
                            steps::show_field(&ctx, &dialogue, picked, message).await
                        }
                        Err(e) => {
                            let banner = Some(bank_error(ctx.texts(), &e));
                            let to = listing(s.page);
                            steps::show_institutions_or_say(&ctx, &dialogue, to, message, banner)
                                .await
                        }
                    }
                }
                _ => ctx.expired().await,
            }
        })
        .await
}

/// Text typed at the institution list narrows it.
pub async fn receive_filter(
    ctx: Ctx,
    dialogue: PayDialogue,
    s: ChoosingInstitution,
    typed: Typed,
) -> HandlerResult {
    ctx.clone()
        .guard_step("choosing_institution", async move {
            let filter = match text::clean_input(&typed.0, MAX_FILTER_CHARS) {
                Ok(f) => f,
                Err(p) => {
                    ctx.send(input_problem(ctx.texts(), p, MAX_FILTER_CHARS))
                        .await?;
                    return Ok(());
                }
            };
            let listing = Listing {
                flow: s.flow,
                group: s.group,
                page: 0,
                filter: Some(filter),
            };
            steps::show_institutions_or_say(&ctx, &dialogue, listing, None, None).await
        })
        .await
}

/// Back at a field prompt: the previous field, or the institutions.
pub async fn receive_field_button(
    ctx: Ctx,
    dialogue: PayDialogue,
    s: EnteringField,
    press: Press,
) -> HandlerResult {
    ctx.clone()
        .guard_step("entering_field", async move {
            if press.action != Action::Back {
                return ctx.expired().await;
            }
            let mut picked = s.picked;
            if picked.values.pop().is_some() {
                return steps::show_field(&ctx, &dialogue, picked, press.message).await;
            }
            let listing = Listing {
                flow: picked.flow,
                group: picked.group,
                page: 0,
                filter: None,
            };
            steps::show_institutions_or_say(&ctx, &dialogue, listing, press.message, None).await
        })
        .await
}

/// A value typed at a field prompt: the next field, or the query.
pub async fn receive_field_value(
    ctx: Ctx,
    dialogue: PayDialogue,
    s: EnteringField,
    typed: Typed,
) -> HandlerResult {
    ctx.clone()
        .guard_step("entering_field", async move {
            let value = match text::clean_input(&typed.0, MAX_FIELD_CHARS) {
                Ok(v) => v,
                Err(p) => {
                    ctx.send(input_problem(ctx.texts(), p, MAX_FIELD_CHARS))
                        .await?;
                    return Ok(());
                }
            };
            let mut picked = s.picked;
            picked.values.push(value);
            if picked.values.len() < picked.fields.len() {
                steps::show_field(&ctx, &dialogue, picked, None).await
            } else {
                steps::run_query(&ctx, &dialogue, picked, None).await
            }
        })
        .await
}

pub async fn receive_invoice_button(
    ctx: Ctx,
    dialogue: PayDialogue,
    s: ChoosingInvoice,
    press: Press,
) -> HandlerResult {
    ctx.clone()
        .guard_step("choosing_invoice", async move {
            let message = press.message;
            match press.action {
                Action::Retry => steps::run_query(&ctx, &dialogue, s.picked, message).await,
                Action::Back => match s.picked.saved {
                    Some(id) => match saved_bills::find(&ctx, &dialogue, id, message).await? {
                        Some(bill) => saved_bills::show_card(&ctx, &dialogue, &bill, message).await,
                        None => Ok(()),
                    },
                    None => {
                        let mut picked = s.picked;
                        picked.values.pop();
                        steps::show_field(&ctx, &dialogue, picked, message).await
                    }
                },
                Action::Bill(i) if usize::from(i) < s.bills.len() => {
                    let chosen = usize::from(i);
                    steps::show_confirmation(&ctx, &dialogue, s.picked, s.bills, chosen, message)
                        .await
                }
                _ => ctx.expired().await,
            }
        })
        .await
}
