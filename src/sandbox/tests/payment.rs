//! The payment round trip: query, pay, receipt, cancel.

use serde_json::{Value, json};

use super::*;

#[tokio::test]
async fn query_pay_receipt_cancel_round_trip() {
    let t = T::new().await;
    let a = t.query("ISKI", "1000001").await;
    assert!(a.text.contains(r#""PaymentAmount":29.2,"#), "{}", a.text);
    assert_eq!(
        a.json["Data"]["Response"]["$type"],
        "InvoiceMessageBagEntity"
    );
    let bill = a.json["Data"]["Response"]["BillInformation"][0].clone();
    for field in [
        "$type",
        "SubscriberName",
        "SubscriberNumber",
        "InvoiceNumber",
        "LastPaymentDate",
        "InvoiceAmount",
        "PaymentAmount",
        "InvoiceDate",
        "InvoiceCurrency",
        "PaymentCurrency",
        "CurrencyCode",
        "AssociationCode",
        "ParametricCode",
    ] {
        assert!(bill.get(field).is_some(), "missing {field}");
    }

    // The bag may drop $type.
    let mut bag = bill.clone();
    bag.as_object_mut().unwrap().remove("$type");
    let paid = t.pay("ISKI", &bag).await;
    assert_eq!(state_of(&paid), Some(2), "{}", paid.text);
    assert_eq!(paid.json["Data"]["$type"], "PaymentEsbTransactionMessage");
    let id = paid.json["Data"]["TransactionId"].as_u64().unwrap();
    assert!(id > 100_000, "ids start above 100000: {id}");

    // Paid: gone from the open invoices; paying again is refused.
    assert!(t.bills("ISKI", "1000001").await.is_empty());
    let again = t.pay("ISKI", &bill).await;
    assert_eq!(again.error_code(), Some(2041));
    assert_eq!(again.description(), "Fatura daha önce ödenmiş");

    let r = t.receipt(&[id]).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json["result"], true);
    assert_eq!(r.json["resultCode"], 1);
    assert_eq!(r.json["resultMessage"], "İşlem Başarılı");
    assert!(r.json["merchantData"]["merchantCode"].is_string());
    let item = &r.json["invoiceReceiptList"][0];
    assert_eq!(item["referenceNo"], format!("FOY{id}"));
    assert_eq!(item["qrCode"], format!("BP022FOY{id}"));
    assert_eq!(item["sootType"], "Su Faturası");
    assert_eq!(item["sootName"], "İSKİ İSTANBUL SU VE KANALİZASYON İDARESİ");
    assert_eq!(item["invoiceNo"], bill["InvoiceNumber"]);
    assert_eq!(item["subscriberNo"], "1000001");
    assert!(item["customerName"].as_str().unwrap().contains("***"));
    assert!(
        r.text.contains(
            r#""invoiceAmount":29.20,"profit":1.82,"operationProfit":0.00,"totalAmount":31.02"#
        ),
        "{}",
        r.text
    );
    let date = item["transactionDate"].as_str().unwrap();
    assert!(
        chrono::NaiveDateTime::parse_from_str(date, "%-d.%m.%Y %H:%M:%S").is_ok(),
        "{date}"
    );

    let c = t.cancel("ISKI", &bill, &t.today()).await;
    assert_eq!(state_of(&c), Some(2), "{}", c.text);
    assert_eq!(c.json["Data"]["$type"], "CancelPaymentTransactionMessage");
    // Cancelled: the invoice is open again, and cannot be cancelled twice.
    assert_eq!(t.bills("ISKI", "1000001").await.len(), 1);
    assert_eq!(
        t.cancel("ISKI", &bill, &t.today()).await.error_code(),
        Some(2053)
    );
    assert!(t.sb().payments()[0].cancelled);
    t.assert_clean();
    assert_eq!(t.sb().calls("InvoicePayment"), 2);
    assert_eq!(t.sb().calls("invoicereceipt"), 1);
}

#[tokio::test]
async fn three_invoices_keep_exact_amounts_and_pay_one_by_one() {
    let t = T::new().await;
    let a = t.query("ADANA SU", "1000002").await;
    for raw in [
        r#""PaymentAmount":1234.56,"#,
        r#""PaymentAmount":0.10,"#,
        r#""PaymentAmount":20000,"#,
    ] {
        assert!(a.text.contains(raw), "{raw} in {}", a.text);
    }
    let bills = a.json["Data"]["Response"]["BillInformation"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(bills.len(), 3);
    let numbers: std::collections::HashSet<_> =
        bills.iter().map(|b| b["InvoiceNumber"].clone()).collect();
    let dues: std::collections::HashSet<_> =
        bills.iter().map(|b| b["LastPaymentDate"].clone()).collect();
    assert_eq!((numbers.len(), dues.len()), (3, 3));
    assert!(
        bills
            .iter()
            .all(|b| b["ParametricCode"].as_str().unwrap().starts_with("P-"))
    );

    // serde_json reads 0.10 as 0.1 and sends it so: equal as decimals.
    let p = t.pay("ADANA SU", &bills[1]).await;
    assert_eq!(state_of(&p), Some(2), "{}", p.text);
    assert_eq!(t.bills("ADANA SU", "1000002").await.len(), 2);
    // Same subscriber elsewhere is untouched.
    assert_eq!(t.bills("ISKI", "1000002").await.len(), 3);
    t.assert_clean();
}

#[tokio::test]
async fn two_field_institution_needs_both_fields() {
    let t = T::new().await;
    let q = |inst: Value| json!({"SubDealerCode": "", "Request": inst, "CustomerNo": CUSTOMER});
    let a = t
        .bank(
            "QueryInvoices",
            q(json!({"AssociationCode": "BASKENTEDAS", "SubscriberNumber": "1000001"})),
        )
        .await;
    assert_eq!(a.error_code(), Some(1001));
    t.assert_violation("Request.InstallationNumber is missing");

    let a = t
        .bank(
            "QueryInvoices",
            q(json!({"AssociationCode": "BASKENTEDAS", "InstallationNumber": "4455667", "SubscriberNumber": "1000001"})),
        )
        .await;
    let bill = a.json["Data"]["Response"]["BillInformation"][0].clone();
    assert_eq!(bill["InstallationNumber"], "4455667");
    assert_eq!(state_of(&t.pay("BASKENTEDAS", &bill).await), Some(2));
}

#[tokio::test]
async fn no_debt_and_unknown_subscriber() {
    let t = T::new().await;
    let a = t.query("ISKI", "1000000").await;
    assert_eq!(a.json["Data"]["Response"]["ResponseCode"], "00");
    assert_eq!(a.json["Data"]["Response"]["BillInformation"], json!([]));
    let a = t.query("ISKI", "5555555").await;
    assert_eq!(a.json["Data"]["Response"]["ResponseCode"], "14");
    assert_eq!(
        a.json["Data"]["Response"]["ResponseMessage"],
        "Abone bulunamadı"
    );
    t.assert_clean();
}
