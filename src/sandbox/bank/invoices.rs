//! The invoice methods: QueryInvoices, InvoicePayment, CancelPayment.

use super::envelope::{bank_date, error, state, success};
use super::{CancelKey, code};
use crate::sandbox::added;
use crate::sandbox::catalog::Institution;
use crate::sandbox::json::Json;
use crate::sandbox::magic::{self, BillSpec, PayBehavior, QueryBehavior};
use crate::sandbox::{Outcome, PaymentRecord, Reply, ServedBill, State};

pub(super) fn query(
    st: &mut State,
    inst: &Institution,
    inputs: Vec<(&'static str, String)>,
    clock: &crate::clock::Clock,
) -> Outcome {
    let subscriber = inputs
        .iter()
        .find(|(f, _)| *f == "SubscriberNumber")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    let mut request = vec![
        ("$type".to_string(), Json::s("InvoiceMessageBagEntity")),
        ("AssociationCode".to_string(), Json::s(inst.code)),
    ];
    request.extend(
        inputs
            .iter()
            .map(|(f, v)| (f.to_string(), Json::s(v.clone()))),
    );
    let answer = |response: Vec<(&str, Json)>| {
        let mut r = vec![("$type", Json::s("InvoiceMessageBagEntity"))];
        r.extend(response);
        success(Json::obj([
            ("$type", Json::s("InvoicesQueryMessage")),
            ("Request", Json::Obj(request.clone())),
            ("Response", Json::obj(r)),
        ]))
    };
    // A refusal of a known kind; .NET sends a null list with it.
    let refusal = |code: &str, message: &str| {
        answer(vec![
            ("ResponseCode", Json::s(code)),
            ("ResponseMessage", Json::s(message)),
            ("NameSurname", Json::Null),
            ("BillInformation", Json::Null),
        ])
    };
    let today = clock.today_istanbul();
    let added: Vec<(BillSpec, bool)> = added::open_specs(st, inst.code, &subscriber)
        .into_iter()
        .map(|spec| (spec, true))
        .collect();
    let (magic_specs, slow) = match magic::subscriber(&subscriber).query {
        QueryBehavior::Bills(a) => (magic::bill_specs(&subscriber, a, today), false),
        QueryBehavior::Slow(a) => (magic::bill_specs(&subscriber, a, today), true),
        QueryBehavior::Daily(m, s, due) => (
            vec![magic::daily_spec(&subscriber, (m, s, due), today)],
            false,
        ),
        // Added invoices make an unknown subscriber known.
        QueryBehavior::Unknown if added::known(st, inst.code, &subscriber) => (Vec::new(), false),
        QueryBehavior::Unknown => return refusal("14", "Abone bulunamadı").into(),
        QueryBehavior::Error => {
            return error(
                code::INSTITUTION_UNREACHABLE,
                format!("{} sistemine şu anda ulaşılamıyor", inst.name),
            )
            .into();
        }
        QueryBehavior::Http500 => return Reply::http500().into(),
        QueryBehavior::NotJson => return Reply::not_json().into(),
        QueryBehavior::WrongShape => return Reply::wrong_shape().into(),
        QueryBehavior::Refusal(code, message) => return refusal(code, message).into(),
    };
    let name = magic::masked_name(&subscriber);
    let installation = inputs
        .iter()
        .find(|(f, _)| *f == "InstallationNumber")
        .map(|(_, v)| v.clone());
    let mut bills = Vec::new();
    let specs = magic_specs.into_iter().map(|spec| (spec, false));
    for (spec, is_added) in specs.chain(added) {
        if st.is_paid(inst.code, &spec.invoice_number, is_added) {
            continue;
        }
        let key = (inst.code.to_string(), spec.invoice_number.clone());
        let mut fields = vec![
            ("$type", Json::s("InvoiceMessageBagEntity")),
            ("SubscriberName", Json::s(name.clone())),
            ("SubscriberNumber", Json::s(subscriber.clone())),
        ];
        if let Some(i) = &installation {
            fields.push(("InstallationNumber", Json::s(i.clone())));
        }
        fields.extend([
            ("InvoiceNumber", Json::s(spec.invoice_number.clone())),
            (
                "LastPaymentDate",
                Json::s(bank_date(spec.last_payment_date)),
            ),
            ("InvoiceAmount", Json::dec(spec.amount)),
            ("PaymentAmount", Json::dec(spec.amount)),
            ("InvoiceDate", Json::s(bank_date(spec.invoice_date))),
            ("InvoiceCurrency", Json::s("TRY")),
            ("PaymentCurrency", Json::s("TRY")),
            ("CurrencyCode", Json::s("TRY")),
            ("AssociationCode", Json::s(inst.code)),
            // Unknown to the bot: proves the bag is echoed verbatim.
            ("ParametricCode", Json::s(spec.parametric_code.clone())),
        ]);
        let json = Json::obj(fields);
        st.served.insert(
            key,
            ServedBill {
                json: json.clone(),
                subscriber: subscriber.clone(),
                invoice_number: spec.invoice_number,
                amount: spec.amount,
                last_payment_date: spec.last_payment_date,
                added: is_added,
            },
        );
        bills.push(json);
    }
    let reply = answer(vec![
        ("ResponseCode", Json::s("00")),
        (
            "ResponseMessage",
            Json::s(if bills.is_empty() {
                "Borç bulunamadı"
            } else {
                "İşlem başarılı"
            }),
        ),
        ("NameSurname", Json::s(name)),
        ("BillInformation", Json::Arr(bills)),
    ]);
    Outcome { reply, slow }
}

pub(super) fn pay(
    st: &mut State,
    inst: &Institution,
    bill: ServedBill,
    customer_no: i64,
    clock: &crate::clock::Clock,
) -> Outcome {
    const T: &str = "PaymentEsbTransactionMessage";
    let key = (inst.code.to_string(), bill.invoice_number.clone());
    let already = || error(code::ALREADY_PAID, "Fatura daha önce ödenmiş").into();
    if st.is_paid(inst.code, &bill.invoice_number, bill.added) {
        return already();
    }
    let slow = match magic::subscriber(&bill.subscriber).pay {
        PayBehavior::Normal => false,
        PayBehavior::Slow => true,
        PayBehavior::Error => {
            return error(
                code::INSUFFICIENT_FUNDS,
                "Hesap bakiyesi yetersiz, ödeme gerçekleştirilemedi",
            )
            .into();
        }
        PayBehavior::Http500 => return Reply::http500().into(),
        PayBehavior::NotJson => return Reply::not_json().into(),
        PayBehavior::State3 => return state(T, 3, None).into(),
        PayBehavior::AlreadyPaid => return already(),
    };
    let id = st.next_transaction_id;
    st.next_transaction_id += 1;
    let at = clock.now_istanbul();
    st.paid.insert(key);
    st.payments.push(PaymentRecord {
        transaction_id: id,
        association_code: inst.code.to_string(),
        subscriber_number: bill.subscriber,
        invoice_number: bill.invoice_number,
        amount: bill.amount,
        customer_no,
        date: at.date_naive(),
        at,
        last_payment_date: bill.last_payment_date,
        cancelled: false,
    });
    tracing::debug!(
        transaction_id = id,
        association = inst.code,
        "sandbox: payment made"
    );
    Outcome {
        reply: state(T, 2, Some(id)),
        slow,
    }
}

pub(super) fn cancel(st: &mut State, key: CancelKey, clock: &crate::clock::Clock) -> Reply {
    const T: &str = "CancelPaymentTransactionMessage";
    let matching: Vec<usize> = st
        .payments
        .iter()
        .enumerate()
        .filter(|(_, p)| {
            p.association_code == key.inst.code
                && p.subscriber_number == key.subscriber
                && p.invoice_number == key.invoice_number
                && p.amount == key.amount
                && p.customer_no == key.customer_no
        })
        .map(|(i, _)| i)
        .collect();
    if matching.is_empty() {
        return error(
            code::CANCEL_NOT_FOUND,
            "İptal edilecek ödeme bulunamadı (kurum, abone, fatura, tutar ve müşteri numarası eşleşmiyor)",
        );
    }
    let on_date: Vec<usize> = matching
        .into_iter()
        .filter(|&i| st.payments[i].date == key.date)
        .collect();
    if on_date.is_empty() {
        return error(
            code::CANCEL_NOT_FOUND,
            format!(
                "{} tarihinde yapılmış böyle bir ödeme bulunamadı",
                key.date.format("%d.%m.%Y")
            ),
        );
    }
    if key.date != clock.today_istanbul() {
        return error(
            code::CANCEL_NOT_TODAY,
            "Yalnızca gün içinde yapılan ödemeler iptal edilebilir",
        );
    }
    let Some(&i) = on_date.iter().find(|&&i| !st.payments[i].cancelled) else {
        return error(code::CANCEL_ALREADY, "Ödeme daha önce iptal edilmiş");
    };
    if magic::subscriber(&key.subscriber).cancel_refused {
        return state(T, 3, None);
    }
    let p = &mut st.payments[i];
    p.cancelled = true;
    let paid_key = (p.association_code.clone(), p.invoice_number.clone());
    tracing::debug!(
        transaction_id = p.transaction_id,
        "sandbox: payment cancelled"
    );
    st.paid.remove(&paid_key);
    state(T, 2, None)
}
