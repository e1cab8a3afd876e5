use super::*;

#[test]
fn masked_account_hides_the_customer_number() {
    let a = Account {
        customer_no: 3488017,
        branch_code: 9142,
        suffix: 357,
        currency: "TRY".into(),
    };
    assert_eq!(a.masked(), "9142-•••017-357 TRY");
    assert!(!a.masked().contains("3488017"));
    assert!(!format!("{a:?}").contains("3488017"));
}

#[test]
fn non_zero_response_code_is_a_refusal() {
    let data = r#"{"Response":{"ResponseCode":"14","ResponseMessage":"Abone bulunamadı"}}"#;
    assert_eq!(
        parse_invoices(data),
        Err(BankError::Refused {
            code: "14".into(),
            message: Some("Abone bulunamadı".into())
        })
    );
}

#[test]
fn malformed_reasons_do_not_quote_the_body() {
    let reason = |result: Result<Account, BankError>| match result {
        Err(BankError::Malformed { reason }) => reason,
        other => panic!("malformed expected, got {other:?}"),
    };
    let r = reason(parse(
        "account",
        r#"{"customer_no":"AYŞE YILMAZ","branch_code":1,"suffix":1,"currency":"TRY"}"#,
    ));
    assert!(
        r.starts_with("account: invalid type: string, expected"),
        "{r}"
    );
    assert!(!r.contains("AYŞE"), "{r}");
    let r = reason(parse(
        "account",
        r#"{"customer_no":1,"branch_code":1,"suffix":1,"currency":3488017}"#,
    ));
    assert!(!r.contains("3488017"), "{r}");
    let r = reason(parse("account", r#"{"branch_code":1}"#));
    assert!(r.contains("missing field `customer_no`"), "{r}");
}

#[test]
fn state_other_than_two_is_not_completed() {
    let t: TransactionData = serde_json::from_str(r#"{"State":3}"#).unwrap();
    assert_eq!(t.completed(), Err(BankError::NotCompleted { state: 3 }));
    let t: TransactionData = serde_json::from_str(r#"{"State":2,"TransactionId":77}"#).unwrap();
    assert_eq!(t.completed(), Ok(Some(77)));
    let t: TransactionData = serde_json::from_str(r#"{"State":"x"}"#).unwrap();
    assert!(matches!(t.completed(), Err(BankError::Malformed { .. })));
}
