//! The seed documents' JSON samples (tests/fixtures/seed) read by the
//! client's types, and the client's requests shaped like the seed's.

use faturabot::{
    bank::{
        receipt::parse_receipt,
        wire::{self, AssociationsData, Envelope, GroupsData, TransactionData},
    },
    money::Amount,
};

fn fixture(name: &str) -> String {
    let path = format!("{}/tests/fixtures/seed/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn data_of(name: &str) -> String {
    let text = fixture(name);
    let envelope: Envelope = wire::parse("fixture", &text).expect("envelope parses");
    envelope
        .into_data()
        .expect("success envelope")
        .get()
        .to_owned()
}

#[test]
fn groups_skip_the_type_entry_and_keep_the_bank_order() {
    let data: GroupsData = wire::parse("groups", &data_of("groups_response.json")).unwrap();
    let groups: Vec<(String, String)> = data
        .groups
        .0
        .into_iter()
        .map(|g| (g.code, g.name))
        .collect();
    assert_eq!(
        groups,
        vec![
            ("11".to_owned(), "HAYAT SIGORTASI KURUMLARI".to_owned()),
            ("2".to_owned(), "SU".to_owned())
        ]
    );
}

#[test]
fn correctly_spelled_groups_key_is_accepted_too() {
    let data = r#"{"AssociationCollectionGroups": {"$type": "Dictionary`2", "2": "SU"}}"#;
    let parsed: GroupsData = wire::parse("groups", data).unwrap();
    assert_eq!(parsed.groups.0.len(), 1);
}

#[test]
fn association_list() {
    let data: AssociationsData =
        wire::parse("list", &data_of("association_list_response.json")).unwrap();
    let a = &data.response[0];
    assert_eq!(
        (a.code.as_str(), a.name.as_str(), a.group.as_str()),
        ("ADANA SU", "ADANA SU", "2")
    );
    assert_eq!(a.city_codes, vec!["01".to_owned()]);
}

#[test]
fn screen_definition_nested_twice() {
    let screen =
        wire::parse_screen(&data_of("screen_definition_response.json"), "ARTVINSU").unwrap();
    assert_eq!(screen.association_code, "ARTVINSU");
    assert_eq!(screen.query_fields.len(), 1);
    assert_eq!(screen.query_fields[0].label, "Abone Numarası");
    assert_eq!(screen.query_fields[0].name, "SubscriberNumber");
    // The repeated AssociationCode mapping is kept once.
    assert_eq!(
        screen.payment_params,
        vec![
            "AssociationCode",
            "SubscriberNumber",
            "InvoiceNumber",
            "ParametricCode"
        ]
    );
}

#[test]
fn screen_definition_nested_once() {
    let data = r#"{"Response": {"$type": "ScreenDefinitionEntity", "AssociationCode": "X",
        "QueryInputFields": [{"$type": "FieldMapping", "CodeString": "Abone No", "FieldName": "SubscriberNumber"}]}}"#;
    let screen = wire::parse_screen(data, "X").unwrap();
    assert_eq!(screen.query_fields[0].name, "SubscriberNumber");
}

#[test]
fn invoices_keep_the_bill_verbatim() {
    let bills = wire::parse_invoices(&data_of("query_invoices_response.json")).unwrap();
    assert_eq!(bills.len(), 1);
    let bill = &bills[0];
    assert_eq!(bill.invoice_number, "20190320200125");
    assert_eq!(bill.subscriber_number, "64291");
    assert_eq!(bill.amount, Amount::parse("29.2").unwrap());
    assert_eq!(bill.currency, "TRY");
    assert_eq!(
        bill.due_day().map(|d| d.to_string()).as_deref(),
        Some("2020-01-25")
    );
    let raw: serde_json::Value = serde_json::from_str(&bill.raw).unwrap();
    let original: serde_json::Value =
        serde_json::from_str(&fixture("query_invoices_response.json")).unwrap();
    assert_eq!(raw, original["Data"]["Response"]["BillInformation"][0]);
    assert!(
        bill.raw.contains("29.2"),
        "the amount's text is kept: {}",
        bill.raw
    );
}

#[test]
fn payment_and_cancel_states() {
    for name in [
        "invoice_payment_response.json",
        "cancel_payment_response.json",
    ] {
        let t: TransactionData = wire::parse("tx", &data_of(name)).unwrap();
        assert_eq!(t.completed(), Ok(None), "{name}");
    }
}

#[test]
fn receipt_response() {
    let r = parse_receipt(&fixture("receipt_response.json")).unwrap();
    assert_eq!(r.merchant.merchant_name, "TEKNOBİLSOFT");
    assert_eq!(r.item.reference_no, "FOY481070");
    assert_eq!(r.item.qr_code, "BP022FOY481070");
    assert_eq!(r.item.invoice_amount, Some(Amount::parse("10.00").unwrap()));
    assert_eq!(r.item.profit, Some(Amount::parse("2.36").unwrap()));
    assert_eq!(r.item.total_amount, Some(Amount::parse("12.36").unwrap()));
}

#[test]
fn every_request_sample_is_valid_json() {
    for name in [
        "groups_request.json",
        "association_list_request.json",
        "screen_definition_request.json",
        "query_invoices_request.json",
        "invoice_payment_request.json",
        "cancel_payment_request.json",
        "receipt_request.json",
    ] {
        let v: serde_json::Value =
            serde_json::from_str(&fixture(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(v.is_object(), "{name}");
    }
}
