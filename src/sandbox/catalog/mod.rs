//! The sandbox's catalog: institution groups, institutions and their query
//! forms. Deterministic.

mod institutions;

use institutions::INSTITUTIONS;
pub use institutions::LONG_CODE;

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

pub(crate) fn group_name(code: &str) -> Option<&'static str> {
    GROUPS.iter().find(|(c, _)| *c == code).map(|(_, n)| *n)
}

pub(crate) fn institution(code: &str) -> Option<&'static Institution> {
    INSTITUTIONS.iter().find(|i| i.code == code)
}

pub(crate) fn institutions_of(group: &str) -> impl Iterator<Item = &'static Institution> + '_ {
    INSTITUTIONS.iter().filter(move |i| i.group == group)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sandbox::magic::masked_name;

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
