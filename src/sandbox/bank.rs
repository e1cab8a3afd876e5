//! The six methods of the inter-API Invoice Payment service.
//!
//! Each request goes: record → take an armed failure → strictness checks
//! (`validate`, which records violations) → the armed failure if any → the
//! violation envelope if any → the method itself (`execute`). Everything runs
//! under the state lock, so a double tap on "pay" is two ordered requests and
//! the second meets "already paid".

use axum::http::{HeaderMap, StatusCode};
use chrono::{NaiveDate, NaiveDateTime};
use rust_decimal::Decimal;

use super::catalog::{self, Institution};
use super::checks::{self, Checker};
use super::json::{Json, same_ignoring_type};
use super::magic::{self, PayBehavior, QueryBehavior};
use super::{FailMode, Outcome, PaymentRecord, Reply, Sandbox, ServedBill, State};

/// Error codes of the Error envelopes this sandbox sends.
pub(crate) mod code {
    /// The request broke a rule (see `violations()`).
    pub const INVALID_REQUEST: i64 = 1001;
    pub const UNKNOWN_GROUP: i64 = 1101;
    pub const UNKNOWN_ASSOCIATION: i64 = 1102;
    /// The institution's own system did not answer (9000001).
    pub const INSTITUTION_UNREACHABLE: i64 = 1250;
    /// 9100001.
    pub const INSUFFICIENT_FUNDS: i64 = 2030;
    pub const ALREADY_PAID: i64 = 2041;
    pub const CANCEL_NOT_FOUND: i64 = 2051;
    pub const CANCEL_NOT_TODAY: i64 = 2052;
    pub const CANCEL_ALREADY: i64 = 2053;
    /// `FailMode::ErrorEnvelope`.
    pub const SERVICE_UNAVAILABLE: i64 = 9001;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Method {
    Groups,
    List,
    Screen,
    Query,
    Pay,
    Cancel,
}

impl Method {
    fn from_path(path: &str) -> Option<Method> {
        Some(match path {
            "GetAssociationCollectionGroup" => Method::Groups,
            "GetAssociationList" => Method::List,
            "GetScreenDefinition" => Method::Screen,
            "QueryInvoices" => Method::Query,
            "InvoicePayment" => Method::Pay,
            "CancelPayment" => Method::Cancel,
            _ => return None,
        })
    }

    fn name(self) -> &'static str {
        match self {
            Method::Groups => "GetAssociationCollectionGroup",
            Method::List => "GetAssociationList",
            Method::Screen => "GetScreenDefinition",
            Method::Query => "QueryInvoices",
            Method::Pay => "InvoicePayment",
            Method::Cancel => "CancelPayment",
        }
    }
}

/// A request that passed the checks, with what the method needs.
enum Valid {
    Groups,
    List {
        group: String,
    },
    Screen {
        code: String,
    },
    Query {
        inst: &'static Institution,
        inputs: Vec<(&'static str, String)>,
    },
    Pay {
        inst: &'static Institution,
        bill: ServedBill,
        customer_no: i64,
    },
    Cancel(CancelKey),
}

struct CancelKey {
    inst: &'static Institution,
    subscriber: String,
    invoice_number: String,
    date: NaiveDate,
    amount: Decimal,
    customer_no: i64,
}

// ---- envelopes ----

fn success(data: Json) -> Reply {
    Reply::Json(
        StatusCode::OK,
        Json::obj([("$type", Json::s("ServiceResponseMessage")), ("Data", data)]),
    )
}

pub(crate) fn error(code: i64, description: impl Into<String>) -> Reply {
    error_with_status(StatusCode::OK, code, description)
}

fn error_with_status(status: StatusCode, code: i64, description: impl Into<String>) -> Reply {
    Reply::Json(
        status,
        Json::obj([
            ("$type", Json::s("ServiceResponseMessage")),
            (
                "Error",
                Json::obj([
                    ("$type", Json::s("ServiceExceptionMessage")),
                    ("Code", Json::int(code)),
                    ("Description", Json::s(description)),
                ]),
            ),
        ]),
    )
}

fn state(type_name: &str, state: i64, transaction_id: Option<u64>) -> Reply {
    let mut data = vec![("$type", Json::s(type_name)), ("State", Json::int(state))];
    if let Some(id) = transaction_id {
        data.push(("TransactionId", Json::int(id)));
    }
    success(Json::obj(data))
}

fn failure(m: Method, mode: FailMode) -> Reply {
    match mode {
        FailMode::Http500 => Reply::http500(),
        FailMode::NotJson => Reply::not_json(),
        FailMode::WrongShape => Reply::wrong_shape(),
        FailMode::StateNotCompleted if m == Method::Pay => {
            state("PaymentEsbTransactionMessage", 3, None)
        }
        FailMode::StateNotCompleted if m == Method::Cancel => {
            state("CancelPaymentTransactionMessage", 3, None)
        }
        _ => error(
            code::SERVICE_UNAVAILABLE,
            "Servis geçici olarak kullanılamıyor, lütfen daha sonra tekrar deneyiniz",
        ),
    }
}

fn bank_date(d: NaiveDate) -> String {
    format!("{}T00:00:00", d.format("%Y-%m-%d"))
}

// ---- the handler ----

pub(crate) fn handle(sb: &Sandbox, path: &str, headers: &HeaderMap, body: &[u8]) -> Outcome {
    let Some(m) = Method::from_path(path) else {
        sb.record(path, headers, body);
        let why = format!("no such method: POST /{path}");
        sb.state().violations.push(format!("HTTP: {why}"));
        tracing::debug!(path, "sandbox bank: unknown method");
        return error_with_status(StatusCode::NOT_FOUND, 404, why).into();
    };
    sb.record(m.name(), headers, body);
    let config = sb.config();
    let clock = sb.clock();
    let mut guard = sb.state();
    let st = &mut *guard;
    let fail = st.take_fail(m.name());

    let mut chk = Checker::new(m.name());
    chk.content_type(headers);
    chk.header_key(
        headers,
        "Ocp-Apim-Subscription-Key",
        config.subscription_key.as_deref(),
    );
    let json = match std::str::from_utf8(body) {
        Ok(text) => Json::parse(text)
            .map_err(|e| chk.fail(format!("the body is not JSON: {e}")))
            .ok(),
        Err(_) => {
            chk.fail("the body is not UTF-8");
            None
        }
    };
    let request_id = json
        .as_ref()
        .and_then(|j| {
            j.get("Header")?
                .get("ChannelRequestId")?
                .as_str()
                .map(str::to_string)
        })
        .unwrap_or_default();
    let params = json
        .as_ref()
        .and_then(|j| checks::bank_envelope(&mut chk, j, config, &mut st.request_ids));
    let valid = params.and_then(|p| validate(m, &mut chk, p, st));
    let (problems, violations) = chk.finish();
    st.violations.extend(violations);

    let mut out: Outcome = match (fail, valid) {
        (Some(mode), _) if mode != FailMode::Slow => failure(m, mode).into(),
        (_, Some(valid)) if problems.is_empty() => execute(st, valid, &clock),
        _ => {
            let why = if problems.is_empty() {
                "request rejected".to_string()
            } else {
                problems.join("; ")
            };
            error(
                code::INVALID_REQUEST,
                format!("Geçersiz istek (sandbox): {why}"),
            )
            .into()
        }
    };
    if fail == Some(FailMode::Slow) {
        out.slow = true;
    }
    tracing::debug!(
        method = m.name(),
        request_id,
        status = out.reply.status().as_u16(),
        slow = out.slow,
        armed = ?fail,
        violations = problems.len(),
        "sandbox bank request"
    );
    out
}

// ---- strictness, per method ----

fn validate(m: Method, chk: &mut Checker, p: &Json, st: &State) -> Option<Valid> {
    const P: &str = "Parameters[0]";
    match m {
        Method::Groups => Some(Valid::Groups),
        Method::List => chk
            .string(p, P, "CollectionGroup", true)
            .map(|g| Valid::List {
                group: g.to_string(),
            }),
        Method::Screen => chk
            .string(p, P, "AssociationCode", true)
            .map(|c| Valid::Screen {
                code: c.to_string(),
            }),
        Method::Query => {
            chk.string(p, P, "SubDealerCode", false);
            chk.integer(p, P, "CustomerNo");
            let req = chk.object(p, P, "Request")?;
            let path = "Parameters[0].Request";
            let code = chk.string(req, path, "AssociationCode", true)?;
            let Some(inst) = catalog::institution(code) else {
                chk.fail(format!(
                    "{path}.AssociationCode {code:?} is not an institution of this bank"
                ));
                return None;
            };
            let mut inputs = Vec::new();
            for (_, field) in inst.query_fields() {
                if let Some(v) = chk.string(req, path, field, true) {
                    inputs.push((*field, v.to_string()));
                }
            }
            chk.is_clean().then_some(Valid::Query { inst, inputs })
        }
        Method::Pay => validate_payment(chk, p, st),
        Method::Cancel => {
            chk.string(p, P, "SubDealerCode", false);
            let code = chk.string(p, P, "AssociationCode", true);
            let subscriber = chk.string(p, P, "SubscriberNumber", true);
            let invoice = chk.string(p, P, "InvoiceNumber", true);
            let date = chk.string(p, P, "PaymentDate", true).and_then(|d| {
                let parsed = NaiveDateTime::parse_from_str(d, "%Y-%m-%dT%H:%M:%S")
                    .ok()
                    .map(|t| t.date());
                match parsed.filter(|day| bank_date(*day) == d) {
                    Some(day) => Some(day),
                    None => {
                        chk.fail(format!(
                            "{P}.PaymentDate must be \"YYYY-MM-DDT00:00:00\", got {d:?}"
                        ));
                        None
                    }
                }
            });
            let amount = chk.number(p, P, "PaymentAmount");
            let customer_no = chk.integer(p, P, "CustomerNo");
            let inst = code.and_then(|c| {
                let inst = catalog::institution(c);
                if inst.is_none() {
                    chk.fail(format!(
                        "{P}.AssociationCode {c:?} is not an institution of this bank"
                    ));
                }
                inst
            });
            Some(Valid::Cancel(CancelKey {
                inst: inst?,
                subscriber: subscriber?.to_string(),
                invoice_number: invoice?.to_string(),
                date: date?,
                amount: amount?,
                customer_no: customer_no?,
            }))
        }
    }
}

fn validate_payment(chk: &mut Checker, p: &Json, st: &State) -> Option<Valid> {
    const P: &str = "Parameters[0]";
    chk.string(p, P, "SubDealerCode", false);
    let code = chk.string(p, P, "AssociationCode", true);
    let customer_no = chk.integer(p, P, "CustomerNo");
    let amount = chk.number(p, P, "Amount");
    let bag = chk.object(p, P, "InvoiceMessageBag");

    if let Some(entry) = chk.object(p, P, "PaymentEntry") {
        let path = "Parameters[0].PaymentEntry";
        chk.integer(entry, path, "AccountBranchCode");
        let account = chk.integer(entry, path, "AccountNumber");
        chk.integer(entry, path, "AccountSuffix");
        chk.string(entry, path, "CurrencyCode", true);
        chk.string(entry, path, "DealerCode", false);
        chk.string(entry, path, "SubDealerCode", false);
        if let (Some(a), Some(c)) = (account, customer_no)
            && a != c
        {
            chk.fail(format!(
                "{path}.AccountNumber {a} must be the CustomerNo {c}"
            ));
        }
    }
    if let Some(source) = chk.object(p, P, "SourceAccount") {
        let path = "Parameters[0].SourceAccount";
        let c = chk.integer(source, path, "CustomerNo");
        chk.integer(source, path, "BranchCode");
        chk.integer(source, path, "AccountSuffix");
        chk.string(source, path, "CurrencyCode", true);
        if let (Some(a), Some(c)) = (c, customer_no)
            && a != c
        {
            chk.fail(format!("{path}.CustomerNo {a} must be the CustomerNo {c}"));
        }
    }

    let code = code?;
    let Some(inst) = catalog::institution(code) else {
        chk.fail(format!(
            "{P}.AssociationCode {code:?} is not an institution of this bank"
        ));
        return None;
    };
    let bag = bag?;
    let path = "Parameters[0].InvoiceMessageBag";
    let Some(invoice) = bag.get("InvoiceNumber").and_then(Json::as_str) else {
        chk.fail(format!("{path}.InvoiceNumber is missing or not a string: the bag must be a BillInformation item as received"));
        return None;
    };
    let Some(bill) = st.served.get(&(code.to_string(), invoice.to_string())) else {
        chk.fail(format!(
            "{path} (InvoiceNumber {invoice:?}) is not a bill this bank served for AssociationCode {code:?}"
        ));
        return None;
    };
    if let Err(diff) = same_ignoring_type(path, bag, &bill.json) {
        chk.fail(format!(
            "{path} is not the BillInformation item as received: {diff}"
        ));
    }
    if let Some(amount) = amount
        && amount != bill.amount
    {
        chk.fail(format!(
            "{P}.Amount {amount} is not the bill's PaymentAmount {}",
            bill.amount
        ));
    }
    let customer_no = customer_no?;
    chk.is_clean().then(|| Valid::Pay {
        inst,
        bill: bill.clone(),
        customer_no,
    })
}

// ---- the methods ----

fn execute(st: &mut State, valid: Valid, clock: &crate::clock::Clock) -> Outcome {
    match valid {
        Valid::Groups => {
            let mut groups = vec![("$type".to_string(), Json::s("Dictionary`2"))];
            groups.extend(
                catalog::GROUPS
                    .iter()
                    .map(|(c, n)| (c.to_string(), Json::s(*n))),
            );
            success(Json::obj([
                ("$type", Json::s("AssociationCollectionGroupsQueryMessage")),
                ("AsociationCollectionGroups", Json::Obj(groups)),
            ]))
            .into()
        }
        Valid::List { group } => {
            if catalog::group_name(&group).is_none() {
                return error(
                    code::UNKNOWN_GROUP,
                    format!("Tahsilat grubu bulunamadı: {group}"),
                )
                .into();
            }
            let list = catalog::institutions_of(&group)
                .map(|i| {
                    Json::obj([
                        ("$type", Json::s("Association")),
                        ("AssociationCode", Json::s(i.code)),
                        ("AssociationName", Json::s(i.name)),
                        ("CollectionGroup", Json::s(i.group)),
                        ("ValidCityCodes", Json::strs(i.cities.iter().copied())),
                    ])
                })
                .collect();
            success(Json::obj([
                ("$type", Json::s("AssociationListQueryMessage")),
                ("Response", Json::Arr(list)),
            ]))
            .into()
        }
        Valid::Screen { code } => match catalog::institution(&code) {
            None => error(
                code::UNKNOWN_ASSOCIATION,
                format!("Kurum bulunamadı: {code}"),
            )
            .into(),
            Some(inst) => success(screen_definition(inst)).into(),
        },
        Valid::Query { inst, inputs } => query(st, inst, inputs, clock),
        Valid::Pay {
            inst,
            bill,
            customer_no,
        } => pay(st, inst, bill, customer_no, clock),
        Valid::Cancel(key) => cancel(st, key, clock).into(),
    }
}

/// Doubly nested, as in the seed.
fn screen_definition(inst: &Institution) -> Json {
    let mappings = inst
        .payment_mappings()
        .iter()
        .map(|m| {
            Json::obj([
                ("$type", Json::s("PaymentInputMapping")),
                ("PaymentInputParam", Json::s(*m)),
            ])
        })
        .collect();
    let fields = inst
        .query_fields()
        .iter()
        .map(|(label, field)| {
            Json::obj([
                ("$type", Json::s("FieldMapping")),
                ("CodeString", Json::s(*label)),
                ("FieldName", Json::s(*field)),
            ])
        })
        .collect();
    let inner = Json::obj([
        ("$type", Json::s("ScreenDefinitionEntity")),
        ("AssociationCode", Json::s(inst.code)),
        ("PaymentInputMappings", Json::Arr(mappings)),
        ("QueryInputFields", Json::Arr(fields)),
    ]);
    Json::obj([
        ("$type", Json::s("ScreenDefinitionQueryMessage")),
        ("AssociationCode", Json::s(inst.code)),
        (
            "Response",
            Json::obj([
                ("$type", Json::s("ScreenDefinitionEntity")),
                ("AssociationCode", Json::s(inst.code)),
                ("Response", inner),
            ]),
        ),
    ])
}

fn query(
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
    let (amounts, slow) = match magic::subscriber(&subscriber).query {
        QueryBehavior::Bills(a) => (a, false),
        QueryBehavior::Slow(a) => (a, true),
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
        QueryBehavior::Refusal(code, message) => {
            // .NET sends a null list with a refusal.
            return answer(vec![
                ("ResponseCode", Json::s(code)),
                ("ResponseMessage", Json::s(message)),
                ("NameSurname", Json::Null),
                ("BillInformation", Json::Null),
            ])
            .into();
        }
    };
    let name = magic::masked_name(&subscriber);
    let installation = inputs
        .iter()
        .find(|(f, _)| *f == "InstallationNumber")
        .map(|(_, v)| v.clone());
    let mut bills = Vec::new();
    for spec in magic::bill_specs(&subscriber, amounts, clock.today_istanbul()) {
        let key = (inst.code.to_string(), spec.invoice_number.clone());
        if st.paid.contains(&key) {
            continue;
        }
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

fn pay(
    st: &mut State,
    inst: &Institution,
    bill: ServedBill,
    customer_no: i64,
    clock: &crate::clock::Clock,
) -> Outcome {
    const T: &str = "PaymentEsbTransactionMessage";
    let key = (inst.code.to_string(), bill.invoice_number.clone());
    let already = || error(code::ALREADY_PAID, "Fatura daha önce ödenmiş").into();
    if st.paid.contains(&key) {
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

fn cancel(st: &mut State, key: CancelKey, clock: &crate::clock::Clock) -> Reply {
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
