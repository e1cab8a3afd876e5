//! The payment dialogue's steps: each stores its state first, then shows
//! its screen, so a crash right after a prompt never loses the step.
//! Handlers decide which step comes next; these only move there.

use teloxide::{prelude::Requester, types::MessageId};

use super::{
    Ctx, HandlerResult, PayDialogue, State,
    screens::dialogue::{self as screens, InstitutionPage},
    screens::lists::clamp_page,
    state::{
        ChoosingGroup, ChoosingInstitution, ChoosingInvoice, Confirming, EnteringField, Flow,
        GroupRef, Institution, Invoice, Picked, Step,
    },
};
use crate::{
    bank::{Association, BankError, QueryRequest},
    text::fold,
};

/// Institutions per page.
pub const PAGE_SIZE: usize = 8;

/// The groups of institutions (or why the bank gave none).
pub async fn show_groups(
    ctx: &Ctx,
    dialogue: &PayDialogue,
    flow: Flow,
    message: Option<MessageId>,
    banner: Option<String>,
) -> HandlerResult {
    let step = Step::new();
    let listed = ctx.app.catalog.groups(&flow.session).await;
    let groups: Vec<GroupRef> = match &listed {
        Ok(groups) => groups.iter().map(GroupRef::from).collect(),
        Err(_) => Vec::new(),
    };
    let shown = listed.as_ref().map(|_| groups.as_slice());
    let screen = screens::groups(ctx.texts(), step, shown, banner.as_deref());
    dialogue
        .update(State::ChoosingGroup(ChoosingGroup { step, flow, groups }))
        .await?;
    ctx.show_step(message, screen).await?;
    Ok(())
}

/// The institutions of a group matching `filter` (Turkish-aware, by
/// substring of name or code).
fn matching<'a>(list: &'a [Association], filter: Option<&str>) -> Vec<&'a Association> {
    match filter.map(fold) {
        Some(needle) if !needle.is_empty() => list
            .iter()
            .filter(|a| fold(&a.name).contains(&needle) || fold(&a.code).contains(&needle))
            .collect(),
        _ => list.iter().collect(),
    }
}

/// Where a list of institutions is to be shown from.
pub struct Listing {
    pub flow: Flow,
    pub group: GroupRef,
    pub page: usize,
    pub filter: Option<String>,
}

/// Page `page` of the institutions of `group` matching `filter`.
///
/// `Ok(Err(_))`: the bank gave no list; nothing was stored or shown, and the
/// caller says why. `Err(_)`: storing or showing failed.
pub async fn show_institutions(
    ctx: &Ctx,
    dialogue: &PayDialogue,
    listing: Listing,
    message: Option<MessageId>,
    banner: Option<String>,
) -> anyhow::Result<Result<(), BankError>> {
    let Listing {
        flow,
        group,
        page,
        filter,
    } = listing;
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
    let (page, pages) = clamp_page(page, found.len(), PAGE_SIZE);
    let shown: Vec<Institution> = found
        .iter()
        .skip(page * PAGE_SIZE)
        .take(PAGE_SIZE)
        .map(|a| Institution::from(*a))
        .collect();
    let step = Step::new();
    let view = InstitutionPage {
        group: &group,
        page,
        pages,
        filter: filter.as_deref(),
        found: found.len(),
        shown: &shown,
    };
    let screen = screens::institutions(ctx.texts(), step, &view, banner.as_deref());
    dialogue
        .update(State::ChoosingInstitution(ChoosingInstitution {
            step,
            flow,
            group,
            page,
            filter,
            shown,
        }))
        .await?;
    ctx.show_step(message, screen).await?;
    Ok(Ok(()))
}

/// [`show_institutions`], telling the user when the bank gave no list.
pub async fn show_institutions_or_say(
    ctx: &Ctx,
    dialogue: &PayDialogue,
    listing: Listing,
    message: Option<MessageId>,
    banner: Option<String>,
) -> HandlerResult {
    if let Err(e) = show_institutions(ctx, dialogue, listing, message, banner).await? {
        ctx.send(super::screens::payment::bank_error(ctx.texts(), &e))
            .await?;
    }
    Ok(())
}

/// The prompt for the next query field.
pub async fn show_field(
    ctx: &Ctx,
    dialogue: &PayDialogue,
    picked: Picked,
    message: Option<MessageId>,
) -> HandlerResult {
    let step = Step::new();
    let screen = screens::field(ctx.texts(), step, &picked);
    dialogue
        .update(State::EnteringField(EnteringField { step, picked }))
        .await?;
    ctx.show_step(message, screen).await?;
    Ok(())
}

/// Asks the bank for the open invoices of `p`'s query.
pub async fn query(ctx: &Ctx, p: &Picked) -> Result<Vec<Invoice>, BankError> {
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
    let bills = ctx
        .app
        .bank()
        .query_invoices(&p.flow.session, &query)
        .await?;
    Ok(bills.into_iter().map(Invoice::from).collect())
}

/// Queries the invoices and shows them (or why there are none).
pub async fn run_query(
    ctx: &Ctx,
    dialogue: &PayDialogue,
    p: Picked,
    message: Option<MessageId>,
) -> HandlerResult {
    let (bills, error) = match query(ctx, &p).await {
        Ok(bills) => (bills, None),
        Err(e) => (Vec::new(), Some(e)),
    };
    show_invoices(ctx, dialogue, p, bills, error, message).await
}

pub async fn show_invoices(
    ctx: &Ctx,
    dialogue: &PayDialogue,
    picked: Picked,
    bills: Vec<Invoice>,
    error: Option<BankError>,
    message: Option<MessageId>,
) -> HandlerResult {
    let step = Step::new();
    let screen = screens::invoices(ctx.texts(), step, &picked, &bills, error.as_ref());
    dialogue
        .update(State::ChoosingInvoice(ChoosingInvoice {
            step,
            picked,
            bills,
        }))
        .await?;
    ctx.show_step(message, screen).await?;
    Ok(())
}

/// The confirmation of `bills[chosen]` (back to the invoices when there
/// is no such bill).
pub async fn show_confirmation(
    ctx: &Ctx,
    dialogue: &PayDialogue,
    picked: Picked,
    bills: Vec<Invoice>,
    chosen: usize,
    message: Option<MessageId>,
) -> HandlerResult {
    let Some(bill) = bills.get(chosen) else {
        return show_invoices(ctx, dialogue, picked, bills, None, message).await;
    };
    let step = Step::new();
    let screen = screens::confirmation(ctx.texts(), step, &picked, bill);
    dialogue
        .update(State::Confirming(Confirming {
            step,
            picked,
            bills,
            chosen,
        }))
        .await?;
    ctx.show_step(message, screen).await?;
    Ok(())
}
