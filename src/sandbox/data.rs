//! The sandbox's world: institution groups, institutions, their query forms,
//! and what each magic subscriber number does. Deterministic; dates are
//! relative to the sandbox clock's "today" in Europe/Istanbul.

use chrono::{Datelike, Duration, NaiveDate};
use rust_decimal::Decimal;

/// Groups in the order the bank lists them (code, name).
pub(crate) const GROUPS: &[(&str, &str)] = &[
    ("1", "ELEKTRİK"),
    ("2", "SU"),
    ("3", "DOĞALGAZ"),
    ("4", "GSM"),
    ("5", "TELEFON / İNTERNET"),
    ("11", "HAYAT SIGORTASI KURUMLARI"),
];

/// Which query form an institution shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Form {
    /// "Abone Numarası" → SubscriberNumber.
    Subscriber,
    /// "Telefon Numarası" → SubscriberNumber (GSM operators).
    Phone,
    /// "Tesisat Numarası" → InstallationNumber, then "Abone Numarası".
    InstallationAndSubscriber,
}

pub(crate) struct Institution {
    pub code: &'static str,
    pub name: &'static str,
    pub group: &'static str,
    pub cities: &'static [&'static str],
    pub form: Form,
}

impl Institution {
    /// (CodeString, FieldName) in the order the bot must ask them.
    pub fn query_fields(&self) -> &'static [(&'static str, &'static str)] {
        match self.form {
            Form::Subscriber => &[("Abone Numarası", "SubscriberNumber")],
            Form::Phone => &[("Telefon Numarası", "SubscriberNumber")],
            Form::InstallationAndSubscriber => &[
                ("Tesisat Numarası", "InstallationNumber"),
                ("Abone Numarası", "SubscriberNumber"),
            ],
        }
    }

    /// As the bank lists them: repeated entries included (see the seed).
    pub fn payment_mappings(&self) -> &'static [&'static str] {
        match self.form {
            Form::InstallationAndSubscriber => &[
                "AssociationCode",
                "AssociationCode",
                "InstallationNumber",
                "SubscriberNumber",
                "InvoiceNumber",
                "ParametricCode",
            ],
            _ => &[
                "AssociationCode",
                "AssociationCode",
                "SubscriberNumber",
                "InvoiceNumber",
                "ParametricCode",
            ],
        }
    }

    /// The receipt service's `sootType`.
    pub fn soot_type(&self) -> &'static str {
        match self.group {
            "1" => "Elektrik Faturası",
            "2" => "Su Faturası",
            "3" => "Doğalgaz Faturası",
            "4" => "GSM Faturası",
            "5" => "Telefon / İnternet Faturası",
            _ => "Sigorta Prim Ödemesi",
        }
    }
}

/// Nation-wide institutions are valid in every plate code 01–81.
const ALL_CITIES: &[&str] = &[
    "01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "11", "12", "13", "14", "15", "16",
    "17", "18", "19", "20", "21", "22", "23", "24", "25", "26", "27", "28", "29", "30", "31", "32",
    "33", "34", "35", "36", "37", "38", "39", "40", "41", "42", "43", "44", "45", "46", "47", "48",
    "49", "50", "51", "52", "53", "54", "55", "56", "57", "58", "59", "60", "61", "62", "63", "64",
    "65", "66", "67", "68", "69", "70", "71", "72", "73", "74", "75", "76", "77", "78", "79", "80",
    "81",
];

/// Code of the institution whose code is longer than 40 bytes and holds spaces.
pub const LONG_CODE: &str = "KUCUKCEKMECE HALKALI MERKEZ MAHALLESI SU KOOPERATIFI";

const fn inst(
    group: &'static str,
    code: &'static str,
    name: &'static str,
    cities: &'static [&'static str],
    form: Form,
) -> Institution {
    Institution {
        code,
        name,
        group,
        cities,
        form,
    }
}

use Form::{InstallationAndSubscriber as Two, Phone, Subscriber as One};

/// Every institution, grouped, in the order `GetAssociationList` returns them.
/// Water has far more than a page, with the interesting ones (İSKİ, IĞDIR, the
/// `&`/`<` name, the long code) spread past the first page.
pub(crate) const INSTITUTIONS: &[Institution] = &[
    // 1 ELEKTRİK
    inst(
        "1",
        "BASKENTEDAS",
        "ENERJİSA BAŞKENT ELEKTRİK PERAKENDE SATIŞ",
        &["06", "14", "18", "67", "74", "78", "81"],
        Two,
    ),
    inst(
        "1",
        "CKBOGAZICI",
        "CK BOĞAZİÇİ ELEKTRİK PERAKENDE SATIŞ",
        &["34"],
        One,
    ),
    inst(
        "1",
        "ENERJISA TOROSLAR",
        "ENERJİSA TOROSLAR ELEKTRİK PERAKENDE SATIŞ",
        &["01", "31", "33", "80"],
        One,
    ),
    inst(
        "1",
        "GEDIZ",
        "GEDİZ ELEKTRİK PERAKENDE SATIŞ",
        &["35", "45"],
        One,
    ),
    inst(
        "1",
        "UEDAS",
        "UEDAŞ ULUDAĞ ELEKTRİK PERAKENDE SATIŞ",
        &["10", "11", "16", "17"],
        One,
    ),
    inst(
        "1",
        "DICLE EDAS",
        "DİCLE ELEKTRİK PERAKENDE SATIŞ",
        &["21", "47", "56", "63", "72", "73"],
        One,
    ),
    inst(
        "1",
        "CKAKDENIZ",
        "CK AKDENİZ ELEKTRİK PERAKENDE SATIŞ",
        &["07", "15", "32"],
        One,
    ),
    // 2 SU
    inst("2", "ADANA SU", "ADANA SU", &["01"], One),
    inst(
        "2",
        "ASKI",
        "ASKİ ANKARA SU VE KANALİZASYON İDARESİ",
        &["06"],
        One,
    ),
    inst("2", "ARTVINSU", "ARTVİN BELEDİYESİ SU", &["08"], One),
    inst(
        "2",
        "ASAT",
        "ASAT ANTALYA SU VE ATIKSU İDARESİ",
        &["07"],
        One,
    ),
    inst(
        "2",
        "AYDIN SU",
        "ASKİ AYDIN SU VE KANALİZASYON İDARESİ",
        &["09"],
        One,
    ),
    inst(
        "2",
        "BASKI",
        "BASKİ BALIKESİR SU VE KANALİZASYON İDARESİ",
        &["10"],
        One,
    ),
    inst(
        "2",
        "BOLU BLD SU",
        "BOLU BELEDİYESİ SU İŞLERİ",
        &["14"],
        One,
    ),
    inst(
        "2",
        "BUSKI",
        "BUSKİ BURSA SU VE KANALİZASYON İDARESİ",
        &["16"],
        One,
    ),
    inst(
        "2",
        "CANAKKALE SU",
        "ÇANAKKALE BELEDİYESİ SU İŞLERİ",
        &["17"],
        One,
    ),
    inst("2", "CORUM SU", "ÇORUM BELEDİYESİ SU İŞLERİ", &["19"], One),
    inst(
        "2",
        "DESKI",
        "DESKİ DENİZLİ SU VE KANALİZASYON İDARESİ",
        &["20"],
        One,
    ),
    inst(
        "2",
        "DISKI",
        "DİSKİ DİYARBAKIR SU VE KANALİZASYON İDARESİ",
        &["21"],
        One,
    ),
    inst(
        "2",
        "ERZURUM SU",
        "ESKİ ERZURUM SU VE KANALİZASYON İDARESİ",
        &["25"],
        One,
    ),
    inst(
        "2",
        "ESKI",
        "ESKİ ESKİŞEHİR SU VE KANALİZASYON İDARESİ",
        &["26"],
        One,
    ),
    inst(
        "2",
        "GASKI",
        "GASKİ GAZİANTEP SU VE KANALİZASYON İDARESİ",
        &["27"],
        One,
    ),
    inst(
        "2",
        "HATSU",
        "HATSU HATAY SU VE KANALİZASYON İDARESİ",
        &["31"],
        One,
    ),
    inst("2", "AB SU KOOP", "A&B <SU> KOOPERATİFİ", &["06"], One),
    inst("2", "IGDIR SU", "IĞDIR BELEDİYESİ SU İŞLERİ", &["76"], One),
    inst(
        "2",
        "ISU",
        "İSU KOCAELİ SU VE KANALİZASYON İDARESİ",
        &["41"],
        One,
    ),
    inst(
        "2",
        "ISKI",
        "İSKİ İSTANBUL SU VE KANALİZASYON İDARESİ",
        &["34"],
        One,
    ),
    inst(
        "2",
        "IZSU",
        "İZSU İZMİR SU VE KANALİZASYON İDARESİ",
        &["35"],
        One,
    ),
    inst(
        "2",
        "KASKI",
        "KASKİ KAYSERİ SU VE KANALİZASYON İDARESİ",
        &["38"],
        One,
    ),
    inst(
        "2",
        "KMARAS SU",
        "KASKİ KAHRAMANMARAŞ SU VE KANALİZASYON İDARESİ",
        &["46"],
        One,
    ),
    inst(
        "2",
        "KOSKI",
        "KOSKİ KONYA SU VE KANALİZASYON İDARESİ",
        &["42"],
        One,
    ),
    inst(
        "2",
        "KUTAHYA SU",
        "KÜTAHYA BELEDİYESİ SU İŞLERİ",
        &["43"],
        One,
    ),
    inst(
        "2",
        LONG_CODE,
        "KÜÇÜKÇEKMECE HALKALI MERKEZ MAHALLESİ SU KOOPERATİFİ",
        &["34"],
        One,
    ),
    inst(
        "2",
        "MASKI",
        "MASKİ MANİSA SU VE KANALİZASYON İDARESİ",
        &["45"],
        One,
    ),
    inst(
        "2",
        "MALATYA SU",
        "MASKİ MALATYA SU VE KANALİZASYON İDARESİ",
        &["44"],
        One,
    ),
    inst(
        "2",
        "MESKI",
        "MESKİ MERSİN SU VE KANALİZASYON İDARESİ",
        &["33"],
        One,
    ),
    inst(
        "2",
        "MUSKI",
        "MUSKİ MUĞLA SU VE KANALİZASYON İDARESİ",
        &["48"],
        One,
    ),
    inst(
        "2",
        "OSKI",
        "OSKİ ORDU SU VE KANALİZASYON İDARESİ",
        &["52"],
        One,
    ),
    inst(
        "2",
        "SASKI",
        "SASKİ SAKARYA SU VE KANALİZASYON İDARESİ",
        &["54"],
        One,
    ),
    inst(
        "2",
        "SASKI SAMSUN",
        "SASKİ SAMSUN SU VE KANALİZASYON İDARESİ",
        &["55"],
        One,
    ),
    inst("2", "SIVAS SU", "SİVAS BELEDİYESİ SU İŞLERİ", &["58"], One),
    inst(
        "2",
        "SUSKI",
        "ŞUSKİ ŞANLIURFA SU VE KANALİZASYON İDARESİ",
        &["63"],
        One,
    ),
    inst(
        "2",
        "TESKI",
        "TESKİ TEKİRDAĞ SU VE KANALİZASYON İDARESİ",
        &["59"],
        One,
    ),
    inst(
        "2",
        "TISKI",
        "TİSKİ TRABZON SU VE KANALİZASYON İDARESİ",
        &["61"],
        One,
    ),
    inst("2", "USAK SU", "UŞAK BELEDİYESİ SU İŞLERİ", &["64"], One),
    inst(
        "2",
        "VASKI",
        "VASKİ VAN SU VE KANALİZASYON İDARESİ",
        &["65"],
        One,
    ),
    inst(
        "2",
        "ZONGULDAK SU",
        "ZONGULDAK BELEDİYESİ SU İŞLERİ",
        &["67"],
        One,
    ),
    // 3 DOĞALGAZ
    inst("3", "IGDAS", "İGDAŞ İSTANBUL GAZ DAĞITIM", &["34"], One),
    inst(
        "3",
        "BASKENTGAZ",
        "BAŞKENTGAZ ANKARA DOĞALGAZ DAĞITIM",
        &["06"],
        One,
    ),
    inst(
        "3",
        "IZMIRGAZ",
        "İZMİRGAZ İZMİR DOĞALGAZ DAĞITIM",
        &["35"],
        One,
    ),
    inst(
        "3",
        "BURSAGAZ",
        "BURSAGAZ BURSA ŞEHİR İÇİ DOĞALGAZ DAĞITIM",
        &["16"],
        One,
    ),
    inst(
        "3",
        "ESGAZ",
        "ESGAZ ESKİŞEHİR ŞEHİR İÇİ DOĞALGAZ DAĞITIM",
        &["26"],
        One,
    ),
    inst(
        "3",
        "AKSA GAZ",
        "AKSA DOĞALGAZ DAĞITIM",
        &["10", "17", "22", "59", "61"],
        One,
    ),
    // 4 GSM
    inst("4", "TURKCELL", "TURKCELL FATURALI HAT", ALL_CITIES, Phone),
    inst("4", "VODAFONE", "VODAFONE FATURALI HAT", ALL_CITIES, Phone),
    inst(
        "4",
        "TTMOBIL",
        "TÜRK TELEKOM MOBİL FATURALI HAT",
        ALL_CITIES,
        Phone,
    ),
    // 5 TELEFON / İNTERNET
    inst(
        "5",
        "TURKTELEKOM",
        "TÜRK TELEKOM SABİT HAT VE İNTERNET",
        ALL_CITIES,
        One,
    ),
    inst("5", "SUPERONLINE", "TURKCELL SUPERONLINE", ALL_CITIES, One),
    inst(
        "5",
        "TURKNET",
        "TURKNET İLETİŞİM HİZMETLERİ",
        ALL_CITIES,
        One,
    ),
    // 11 HAYAT SIGORTASI KURUMLARI
    inst(
        "11",
        "ANADOLU HAYAT",
        "ANADOLU HAYAT EMEKLİLİK",
        ALL_CITIES,
        One,
    ),
    inst(
        "11",
        "ALLIANZ HAYAT",
        "ALLIANZ HAYAT VE EMEKLİLİK",
        ALL_CITIES,
        One,
    ),
    inst("11", "AGESA", "AGESA HAYAT VE EMEKLİLİK", ALL_CITIES, One),
];

pub(crate) fn group_name(code: &str) -> Option<&'static str> {
    GROUPS.iter().find(|(c, _)| *c == code).map(|(_, n)| *n)
}

pub(crate) fn institution(code: &str) -> Option<&'static Institution> {
    INSTITUTIONS.iter().find(|i| i.code == code)
}

pub(crate) fn institutions_of(group: &str) -> impl Iterator<Item = &'static Institution> + '_ {
    INSTITUTIONS.iter().filter(move |i| i.group == group)
}

/// The magic subscriber numbers (value of the `SubscriberNumber` field, for
/// every institution) and what each one does. Printed by `sandbox --listen`.
pub const MAGIC_NUMBERS: &[(&str, &str)] = &[
    (
        "1000000",
        "no debt: ResponseCode \"00\" with an empty BillInformation",
    ),
    ("1000001", "one invoice of 29.20 TRY (PaymentAmount 29.2)"),
    (
        "1000002",
        "three invoices: 1234.56, 0.10 and 20000 TRY, different due dates",
    ),
    (
        "1200000-1299999",
        "one invoice of 29.20 TRY each, its own per number (for load tests)",
    ),
    (
        "9000001",
        "QueryInvoices answers an Error envelope (Code 1250)",
    ),
    ("9000002", "QueryInvoices answers HTTP 500"),
    (
        "9000003",
        "QueryInvoices is slow (slow_delay), then one invoice of 29.20",
    ),
    ("9000004", "QueryInvoices answers a body that is not JSON"),
    ("9000005", "QueryInvoices answers JSON of the wrong shape"),
    (
        "9000006",
        "QueryInvoices refuses: ResponseCode \"05\" \"Kurum sisteminde geçici bir sorun var\"",
    ),
    (
        "9100001",
        "one invoice of 145.90; InvoicePayment answers an Error envelope (not paid)",
    ),
    (
        "9100002",
        "one invoice of 145.90; InvoicePayment answers HTTP 500 (not paid)",
    ),
    (
        "9100003",
        "one invoice of 145.90; InvoicePayment is slow but DOES pay (State 2 after slow_delay)",
    ),
    (
        "9100004",
        "one invoice of 145.90; InvoicePayment answers a body that is not JSON (not paid)",
    ),
    (
        "9100005",
        "one invoice of 145.90; InvoicePayment answers State 3 (not completed, not paid)",
    ),
    (
        "9100006",
        "one invoice of 145.90; InvoicePayment answers Error 2041 \"Fatura daha önce ödenmiş\"",
    ),
    (
        "9200001",
        "one invoice of 58.75; payment succeeds; receipt: result false, resultCode 2",
    ),
    (
        "9200002",
        "one invoice of 58.75; payment succeeds; receipt service answers HTTP 500",
    ),
    (
        "9200003",
        "one invoice of 58.75; payment succeeds; receipt service is slow (slow_delay)",
    ),
    (
        "9300001",
        "one invoice of 75.00; payment succeeds; CancelPayment answers State 3",
    ),
    (
        "any other",
        "QueryInvoices refuses: ResponseCode \"14\" \"Abone bulunamadı\"",
    ),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum QueryBehavior {
    /// Open invoices with these amounts (mantissa, scale).
    Bills(&'static [(i64, u32)]),
    Error,
    Http500,
    /// A normal answer, late.
    Slow(&'static [(i64, u32)]),
    NotJson,
    WrongShape,
    /// ResponseCode, ResponseMessage.
    Refusal(&'static str, &'static str),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PayBehavior {
    Normal,
    Error,
    Http500,
    Slow,
    NotJson,
    State3,
    AlreadyPaid,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ReceiptBehavior {
    Normal,
    NotFound,
    Http500,
    Slow,
}

pub(crate) struct Subscriber {
    pub query: QueryBehavior,
    pub pay: PayBehavior,
    pub receipt: ReceiptBehavior,
    /// CancelPayment answers State 3.
    pub cancel_refused: bool,
}

const ONE_29_2: &[(i64, u32)] = &[(292, 1)];
const ONE_145_9: &[(i64, u32)] = &[(1459, 1)];
const ONE_58_75: &[(i64, u32)] = &[(5875, 2)];
const ONE_75: &[(i64, u32)] = &[(75, 0)];
const THREE: &[(i64, u32)] = &[(123456, 2), (10, 2), (20000, 0)];

/// `1200000`–`1299999`: one invoice of 29.20 each, its own per number, so
/// that many customers can each pay a bill of their own at once.
fn is_load_number(number: &str) -> bool {
    number.len() == 7 && number.starts_with("12") && number.bytes().all(|b| b.is_ascii_digit())
}

pub(crate) fn subscriber(number: &str) -> Subscriber {
    use PayBehavior as P;
    use QueryBehavior as Q;
    use ReceiptBehavior as R;
    let (query, pay, receipt, cancel_refused) = match number {
        "1000000" => (Q::Bills(&[]), P::Normal, R::Normal, false),
        "1000001" => (Q::Bills(ONE_29_2), P::Normal, R::Normal, false),
        "1000002" => (Q::Bills(THREE), P::Normal, R::Normal, false),
        "9000001" => (Q::Error, P::Normal, R::Normal, false),
        "9000002" => (Q::Http500, P::Normal, R::Normal, false),
        "9000003" => (Q::Slow(ONE_29_2), P::Normal, R::Normal, false),
        "9000004" => (Q::NotJson, P::Normal, R::Normal, false),
        "9000005" => (Q::WrongShape, P::Normal, R::Normal, false),
        "9000006" => (
            Q::Refusal("05", "Kurum sisteminde geçici bir sorun var"),
            P::Normal,
            R::Normal,
            false,
        ),
        "9100001" => (Q::Bills(ONE_145_9), P::Error, R::Normal, false),
        "9100002" => (Q::Bills(ONE_145_9), P::Http500, R::Normal, false),
        "9100003" => (Q::Bills(ONE_145_9), P::Slow, R::Normal, false),
        "9100004" => (Q::Bills(ONE_145_9), P::NotJson, R::Normal, false),
        "9100005" => (Q::Bills(ONE_145_9), P::State3, R::Normal, false),
        "9100006" => (Q::Bills(ONE_145_9), P::AlreadyPaid, R::Normal, false),
        "9200001" => (Q::Bills(ONE_58_75), P::Normal, R::NotFound, false),
        "9200002" => (Q::Bills(ONE_58_75), P::Normal, R::Http500, false),
        "9200003" => (Q::Bills(ONE_58_75), P::Normal, R::Slow, false),
        "9300001" => (Q::Bills(ONE_75), P::Normal, R::Normal, true),
        n if is_load_number(n) => (Q::Bills(ONE_29_2), P::Normal, R::Normal, false),
        _ => (
            Q::Refusal("14", "Abone bulunamadı"),
            P::Normal,
            R::Normal,
            false,
        ),
    };
    Subscriber {
        query,
        pay,
        receipt,
        cancel_refused,
    }
}

/// One open invoice, before it becomes JSON.
pub(crate) struct BillSpec {
    pub invoice_number: String,
    pub amount: Decimal,
    pub invoice_date: NaiveDate,
    pub last_payment_date: NaiveDate,
    pub parametric_code: String,
}

/// The invoices of `amounts`, newest first: invoice i was issued 20 + 30·i days
/// ago and is due 30 days after issue, so the newest is due in 10 days and the
/// older ones are overdue. Invoice numbers embed issue month and subscriber.
pub(crate) fn bill_specs(
    subscriber: &str,
    amounts: &[(i64, u32)],
    today: NaiveDate,
) -> Vec<BillSpec> {
    amounts
        .iter()
        .enumerate()
        .map(|(i, &(mantissa, scale))| {
            let back = 20 + 30 * i as i64;
            let invoice_date = today - Duration::days(back);
            BillSpec {
                invoice_number: format!(
                    "{}{:02}{}{:02}",
                    invoice_date.year(),
                    invoice_date.month(),
                    subscriber,
                    i + 1
                ),
                amount: Decimal::new(mantissa, scale),
                invoice_date,
                last_payment_date: invoice_date + Duration::days(30),
                parametric_code: format!("P-{}-{:02}", subscriber, i + 1),
            }
        })
        .collect()
}

/// A masked holder name, as the bank and the receipt service show it
/// ("DE*** ÖZ****"), picked by the subscriber number.
pub(crate) fn masked_name(subscriber: &str) -> String {
    const NAMES: &[(&str, &str)] = &[
        ("DERYA", "ÖZTÜRK"),
        ("AYŞE", "YILMAZ"),
        ("MEHMET", "DEMİR"),
        ("ŞÜKRÜ", "ÇELİK"),
        ("İLKNUR", "KAYA"),
        ("GÜLŞEN", "ŞAHİN"),
        ("OĞUZ", "AYDIN"),
    ];
    let idx = subscriber.bytes().map(usize::from).sum::<usize>() % NAMES.len();
    let (first, last) = NAMES[idx];
    let mask = |w: &str| {
        let head: String = w.chars().take(2).collect();
        format!("{head}{}", "*".repeat(w.chars().count().saturating_sub(2)))
    };
    format!("{} {}", mask(first), mask(last))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalog_is_consistent() {
        assert!(institutions_of("2").count() >= 25);
        for i in INSTITUTIONS {
            assert!(group_name(i.group).is_some(), "{}", i.code);
            assert_eq!(
                INSTITUTIONS.iter().filter(|j| j.code == i.code).count(),
                1,
                "duplicate {}",
                i.code
            );
        }
        assert!(LONG_CODE.len() > 40 && LONG_CODE.contains(' '));
        let two: Vec<_> = INSTITUTIONS
            .iter()
            .filter(|i| i.query_fields().len() == 2)
            .collect();
        assert_eq!(two.len(), 1);
        assert_eq!(two[0].code, "BASKENTEDAS");
        assert_eq!(masked_name("1000001").split(' ').count(), 2);
    }
}
