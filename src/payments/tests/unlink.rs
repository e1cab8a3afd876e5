//! `/unlink`'s flow: the account goes once, audited once; the payments
//! made from it stay in the ledger.

use super::*;

#[tokio::test]
async fn an_unlink_removes_the_account_once_and_keeps_the_payments() {
    let w = world();
    let account = order(1, "F1").account;
    let other = Account {
        suffix: 358,
        ..account.clone()
    };
    w.users.link(PAYER, &account);
    w.users.link(PAYER, &other);
    let record = paid(&w, 1).await;

    let first = w.payments.unlink(PAYER, &account).await.expect("unlink");
    let again = w.payments.unlink(PAYER, &account).await.expect("unlink");
    let last = w.payments.unlink(PAYER, &other).await.expect("unlink");

    assert_eq!(first, Unlinked::Removed { left: 1 });
    assert_eq!(
        again,
        Unlinked::NotLinked,
        "a second confirm changes nothing"
    );
    assert_eq!(last, Unlinked::Removed { left: 0 });
    assert!(w.users.get(PAYER).await.expect("get").accounts.is_empty());
    let unlinked: Vec<_> = (w.ledger.audit_trail().into_iter())
        .filter(|e| e.action == AuditAction::Unlinked)
        .collect();
    assert_eq!(unlinked.len(), 2, "{unlinked:?}");
    assert_eq!(
        (unlinked[0].agent, unlinked[0].details.as_str()),
        (PAYER, "9142-•••017-357 TRY")
    );
    let history = w.ledger.for_payer(PAYER, 0, 10).await.expect("history");
    assert_eq!(
        history.iter().map(|r| &r.intent).collect::<Vec<_>>(),
        [&record.intent]
    );
    let stranger = w.payments.unlink(TelegramUserId(1), &account).await;
    assert_eq!(stranger.expect("unlink"), Unlinked::NotLinked);
}
