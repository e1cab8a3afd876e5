//! Saved bills as the dialogue uses them: `/bills`' list and a bill's
//! menu as steps, saving a paid bill, and paying a saved one (from its
//! menu or a reminder) through the usual invoice → confirm → PIN → pay.

use teloxide::types::MessageId;

use super::{
    Ctx, HandlerResult, PayDialogue, State,
    callbacks::invoice_tag,
    pin,
    screens::Screen,
    screens::bills::{self as screens, BILLS_PER_PAGE},
    screens::lists::clamp_page,
    screens::payment::bank_error,
    state::{
        AfterChoosing, BrowsingBills, ConfirmingBillDelete, Flow, GroupRef, Institution,
        ManagingBill, NamingBill, Picked, QueryField, Step,
    },
    steps,
};
use crate::{
    bank::{BankError, SessionId},
    payments::{
        PaymentRecord, PaymentState,
        bills::{self, BillId, SavedBill, Unfit},
    },
};

/// Moves to the step `build` makes of a fresh step id: its state stored
/// first, then its screen shown.
async fn step_to(
    ctx: &Ctx,
    dialogue: &PayDialogue,
    message: Option<MessageId>,
    build: impl FnOnce(Step) -> (State, Screen),
) -> HandlerResult {
    let (state, screen) = build(Step::new());
    dialogue.update(state).await?;
    ctx.show_step(message, screen).await?;
    Ok(())
}

/// Page `page` of the customer's saved bills (or that there are none).
pub async fn show_list(
    ctx: &Ctx,
    dialogue: &PayDialogue,
    page: usize,
    message: Option<MessageId>,
) -> HandlerResult {
    let all = ctx.app.store.bills.list(ctx.user_id).await?;
    if all.is_empty() {
        dialogue.exit().await?;
        ctx.show_end(message, ctx.t("bills.none")).await?;
        return Ok(());
    }
    let (page, pages) = clamp_page(page, all.len(), BILLS_PER_PAGE);
    let shown: Vec<SavedBill> = all
        .iter()
        .skip(page * BILLS_PER_PAGE)
        .take(BILLS_PER_PAGE)
        .cloned()
        .collect();
    step_to(ctx, dialogue, message, |step| {
        let screen = screens::list(ctx.texts(), step, &shown, all.len(), page, pages);
        let shown = shown.iter().map(|b| b.id).collect();
        (
            State::BrowsingBills(BrowsingBills { step, page, shown }),
            screen,
        )
    })
    .await
}

/// The customer's bill `id`; when it is gone, says so and ends the
/// dialogue.
pub async fn find(
    ctx: &Ctx,
    dialogue: &PayDialogue,
    id: BillId,
    message: Option<MessageId>,
) -> anyhow::Result<Option<SavedBill>> {
    let found = ctx.app.store.bills.get(ctx.user_id, id).await?;
    if found.is_none() {
        dialogue.exit().await?;
        ctx.show_end(message, ctx.t("bills.gone")).await?;
    }
    Ok(found)
}

/// One bill's menu.
pub async fn show_card(
    ctx: &Ctx,
    dialogue: &PayDialogue,
    bill: &SavedBill,
    message: Option<MessageId>,
) -> HandlerResult {
    step_to(ctx, dialogue, message, |step| {
        let screen = screens::card(ctx.texts(), step, bill);
        let bill = bill.id;
        (State::ManagingBill(ManagingBill { step, bill }), screen)
    })
    .await
}

/// "Delete it?", with why when it no longer fits the catalog.
pub async fn show_delete(
    ctx: &Ctx,
    dialogue: &PayDialogue,
    bill: &SavedBill,
    why: Option<Unfit>,
    message: Option<MessageId>,
) -> HandlerResult {
    step_to(ctx, dialogue, message, |step| {
        let screen = screens::confirm_delete(ctx.texts(), step, bill, why);
        let bill = bill.id;
        (
            State::ConfirmingBillDelete(ConfirmingBillDelete { step, bill }),
            screen,
        )
    })
    .await
}

/// Asks for the bill's name.
pub async fn show_naming(
    ctx: &Ctx,
    dialogue: &PayDialogue,
    bill: &SavedBill,
    just_saved: bool,
    message: Option<MessageId>,
) -> HandlerResult {
    step_to(ctx, dialogue, message, |step| {
        let screen = screens::naming(ctx.texts(), step, bill, just_saved);
        let bill = bill.id;
        let naming = NamingBill {
            step,
            bill,
            just_saved,
        };
        (State::NamingBill(naming), screen)
    })
    .await
}

/// The "save this bill" button's step for a paid `record`, unless it
/// cannot be saved or is saved already.
pub async fn save_offer(ctx: &Ctx, record: &PaymentRecord, step: Step) -> Option<Step> {
    let query = record.query.as_ref()?;
    let key = bills::bill_key(
        record.payer,
        &record.account,
        &record.association_code,
        query
            .fields
            .iter()
            .map(|f| (f.name.as_str(), f.value.as_str())),
    );
    match ctx.app.store.bills.find(record.payer, &key).await {
        Ok(None) => Some(step),
        Ok(Some(_)) => None,
        Err(e) => {
            // Offered anyway: saving says "saved already" if it is.
            tracing::warn!(error = %e, "could not look up saved bills");
            Some(step)
        }
    }
}

/// The bill `record` paid, as a new saved bill of its payer; `None` for
/// a payment that cannot be saved (not paid, or older than saved bills).
pub fn bill_of(ctx: &Ctx, record: &PaymentRecord) -> Option<SavedBill> {
    let query = record.query.clone()?;
    if record.state != PaymentState::Completed || record.payer != ctx.user_id {
        return None;
    }
    Some(SavedBill {
        id: BillId::new(),
        user: record.payer,
        chat_id: record.chat_id,
        account: record.account.clone(),
        group_code: query.group_code,
        group_name: query.group_name,
        association_code: record.association_code.clone(),
        association_name: record.association_name.clone(),
        fields: query.fields,
        subscriber: record.subscriber.clone(),
        name: None,
        reminders: true,
        created_at: ctx.app.clock.now(),
    })
}

/// Paying saved bill `id`: the PIN's gate first (as at any payment entry),
/// then its invoices, or the confirmation of the invoice tagged `invoice`
/// (a reminder's Pay).
pub async fn pay(
    ctx: &Ctx,
    dialogue: &PayDialogue,
    id: BillId,
    invoice: Option<u64>,
    message: Option<MessageId>,
) -> HandlerResult {
    let then = AfterChoosing::SavedBill { bill: id, invoice };
    if pin::steps::gate(ctx, dialogue, then, message).await? {
        open(ctx, dialogue, id, invoice, message).await?;
    }
    Ok(())
}

/// [`pay`] past the PIN's gate.
pub async fn open(
    ctx: &Ctx,
    dialogue: &PayDialogue,
    id: BillId,
    invoice: Option<u64>,
    message: Option<MessageId>,
) -> HandlerResult {
    let Some(bill) = find(ctx, dialogue, id, message).await? else {
        return Ok(());
    };
    let user = ctx.app.store.users.get(ctx.user_id).await?;
    if !user.accounts.contains(&bill.account) {
        dialogue.exit().await?;
        ctx.show_end(message, ctx.t("bills.account_gone")).await?;
        return Ok(());
    }
    let picked = match picked(ctx, &bill).await {
        Ok(Ok(picked)) => picked,
        Ok(Err(unfit)) => return show_delete(ctx, dialogue, &bill, Some(unfit), message).await,
        Err(e) => {
            dialogue.exit().await?;
            ctx.show_end(message, bank_error(ctx.texts(), &e)).await?;
            return Ok(());
        }
    };
    let found = match steps::query(ctx, &picked).await {
        Ok(found) => found,
        Err(e) => {
            return steps::show_invoices(ctx, dialogue, picked, Vec::new(), Some(e), message).await;
        }
    };
    let chosen = invoice.map(|tag| found.iter().position(|b| invoice_tag(&b.number) == tag));
    match chosen {
        Some(Some(chosen)) => {
            steps::show_confirmation(ctx, dialogue, picked, found, chosen, message).await
        }
        Some(None) => {
            ctx.send(ctx.t("bills.invoice_gone")).await?;
            steps::show_invoices(ctx, dialogue, picked, found, None, None).await
        }
        None => steps::show_invoices(ctx, dialogue, picked, found, None, message).await,
    }
}

/// The dialogue's query of `bill`, checked against the catalog (cached):
/// the institution still listed, its fields the ones saved.
async fn picked(ctx: &Ctx, bill: &SavedBill) -> Result<Result<Picked, Unfit>, BankError> {
    let session = SessionId::new();
    let catalog = &ctx.app.catalog;
    let listed = catalog.associations(&session, &bill.group_code).await?;
    // An institution the bank no longer lists may have no screen either
    // (asked for, the bank answers an error): the list decides first.
    if !listed.iter().any(|a| a.code == bill.association_code) {
        return Ok(Err(Unfit::Unlisted));
    }
    let screen = catalog.screen(&session, &bill.association_code).await?;
    let names: Vec<&str> = screen
        .query_fields
        .iter()
        .map(|f| f.name.as_str())
        .collect();
    if let Err(unfit) = bills::fits(bill, listed.iter().map(|a| a.code.as_str()), &names) {
        return Ok(Err(unfit));
    }
    let name = listed
        .iter()
        .find(|a| a.code == bill.association_code)
        .map(|a| a.name.clone())
        .unwrap_or_else(|| bill.association_name.clone());
    Ok(Ok(Picked {
        flow: Flow {
            session,
            account: bill.account.clone(),
        },
        group: GroupRef {
            code: bill.group_code.clone(),
            name: bill.group_name.clone(),
        },
        institution: Institution {
            code: bill.association_code.clone(),
            name,
        },
        fields: screen.query_fields.iter().map(QueryField::from).collect(),
        values: bill.fields.iter().map(|f| f.value.clone()).collect(),
        saved: Some(bill.id),
    }))
}
