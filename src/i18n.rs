//! Languages and texts. Every user-facing string lives in `locales/`
//! (`tr.toml`, `en.toml`: same keys, checked by a test), embedded at build
//! time. Placeholders are `{name}`; values put into them are escaped by the
//! caller when they come from outside.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::money::Amount;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Lang {
    #[default]
    Tr,
    En,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::Tr, Lang::En];

    /// From Telegram's `language_code`: Turkish for `tr*` or when unknown
    /// (the bank's customers are in Turkey), English for anything else.
    pub fn from_code(code: Option<&str>) -> Lang {
        match code {
            Some(c) if !c.to_ascii_lowercase().starts_with("tr") => Lang::En,
            _ => Lang::Tr,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::Tr => "tr",
            Lang::En => "en",
        }
    }

    pub fn parse(code: &str) -> Option<Lang> {
        match code {
            "tr" => Some(Lang::Tr),
            "en" => Some(Lang::En),
            _ => None,
        }
    }
}

const SOURCES: [(Lang, &str); 2] = [
    (Lang::Tr, include_str!("../locales/tr.toml")),
    (Lang::En, include_str!("../locales/en.toml")),
];

#[derive(Debug, Clone)]
pub struct I18n {
    texts: HashMap<Lang, HashMap<String, String>>,
}

impl I18n {
    /// Parses the embedded locales. Fails only on a broken locale file,
    /// which the tests catch before a release.
    pub fn load() -> Result<I18n, String> {
        let mut texts = HashMap::new();
        for (lang, source) in SOURCES {
            let table: toml::Table = source
                .parse()
                .map_err(|e| format!("locales/{}.toml: {e}", lang.code()))?;
            let mut flat = HashMap::new();
            flatten("", &table, &mut flat);
            texts.insert(lang, flat);
        }
        Ok(I18n { texts })
    }

    pub fn keys(&self, lang: Lang) -> Vec<&str> {
        let mut keys: Vec<&str> = self
            .texts
            .get(&lang)
            .map(|m| m.keys().map(String::as_str).collect())
            .unwrap_or_default();
        keys.sort_unstable();
        keys
    }

    /// The text of `key`; the key itself if missing (a test keeps that from
    /// happening), never a panic.
    pub fn get<'a>(&'a self, lang: Lang, key: &'a str) -> &'a str {
        self.texts
            .get(&lang)
            .and_then(|m| m.get(key))
            .map(String::as_str)
            .unwrap_or(key)
    }

    /// The text of `key` with `{name}` placeholders filled.
    pub fn fmt(&self, lang: Lang, key: &str, args: &[(&str, &str)]) -> String {
        fill(self.get(lang, key), args)
    }

    /// `₺1.234,56` in Turkish, `TRY 1,234.56` in English; other currencies
    /// by their code. The code comes from the bank: it is escaped, so the
    /// result may go into HTML as it is.
    pub fn money(&self, lang: Lang, amount: Amount, currency: &str) -> String {
        let currency = crate::text::esc(currency.trim());
        match (lang, currency.as_str()) {
            (Lang::Tr, "TRY" | "TL" | "") => format!("₺{}", amount.grouped('.', ',')),
            (Lang::Tr, cur) => format!("{} {cur}", amount.grouped('.', ',')),
            (Lang::En, "") => format!("TRY {}", amount.grouped(',', '.')),
            (Lang::En, cur) => format!("{cur} {}", amount.grouped(',', '.')),
        }
    }
}

/// Fills each `{name}` of `template` with its value, in one pass: a value
/// is never read again, so a user's text holding `{count}` stays as typed.
fn fill(template: &str, args: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let value = after.find('}').and_then(|close| {
            let name = &after[..close];
            let (_, value) = args.iter().find(|(n, _)| *n == name)?;
            Some((*value, close))
        });
        match value {
            Some((value, close)) => {
                out.push_str(value);
                rest = &after[close + 1..];
            }
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

fn flatten(prefix: &str, table: &toml::Table, out: &mut HashMap<String, String>) {
    for (k, v) in table {
        let key = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        match v {
            toml::Value::Table(t) => flatten(&key, t, out),
            toml::Value::String(s) => {
                out.insert(key, s.clone());
            }
            // Locale values are all strings; anything else is a typo that
            // the same-keys test reports as a missing key.
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::fill;

    /// In staff views a value the customer typed is set apart, so it
    /// cannot pass for the bot's own text.
    #[test]
    fn staff_lines_set_typed_values_apart() {
        let i18n = super::I18n::load().expect("locales");
        for lang in super::Lang::ALL {
            assert!(
                i18n.get(lang, "payments.line")
                    .contains("<code>{subscriber}</code>"),
                "{lang:?}"
            );
        }
    }

    #[test]
    fn placeholders_are_filled_once_never_from_a_value() {
        assert_eq!(
            fill(
                "“{filter}”: {count} found",
                &[("filter", "{count}"), ("count", "3")]
            ),
            "“{count}”: 3 found"
        );
        assert_eq!(fill("{a}{a} {missing} {", &[("a", "x")]), "xx {missing} {");
        assert_eq!(fill("no placeholders", &[("a", "x")]), "no placeholders");
    }

    use super::*;
    use std::collections::BTreeSet;

    fn placeholders(text: &str) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        let mut rest = text;
        while let Some(start) = rest.find('{') {
            rest = &rest[start + 1..];
            if let Some(end) = rest.find('}') {
                out.insert(rest[..end].to_owned());
                rest = &rest[end + 1..];
            }
        }
        out
    }

    #[test]
    fn both_languages_have_the_same_keys_and_placeholders() {
        let i18n = I18n::load().expect("locales parse");
        let tr = i18n.keys(Lang::Tr);
        let en = i18n.keys(Lang::En);
        assert_eq!(tr, en, "locales/tr.toml and locales/en.toml differ in keys");
        for key in tr {
            assert_eq!(
                placeholders(i18n.get(Lang::Tr, key)),
                placeholders(i18n.get(Lang::En, key)),
                "placeholders of {key} differ"
            );
            assert!(!i18n.get(Lang::Tr, key).trim().is_empty(), "{key} is empty");
        }
    }

    /// Every key literal in the sources (`.t("…")`, `.f("…"`, `lang, "…"`)
    /// names a key that exists.
    #[test]
    fn every_key_used_in_the_code_exists() {
        let i18n = I18n::load().expect("locales parse");
        let mut missing = Vec::new();
        let mut stack = vec![std::path::PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/src"
        ))];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).expect("src readable").flatten() {
                let path = entry.path();
                if path.is_dir() {
                    stack.push(path);
                    continue;
                }
                // This file names the patterns themselves.
                if path.ends_with("i18n.rs") {
                    continue;
                }
                let Ok(source) = std::fs::read_to_string(&path) else {
                    continue;
                };
                let uses = ["lang, \"", ".t(\"", ".f(\"", "=> \"state.", "=> \"status."];
                for (i, pat) in uses.iter().flat_map(|p| source.match_indices(p)) {
                    let start = if pat.starts_with("=>") {
                        i + 4
                    } else {
                        i + pat.len()
                    };
                    let rest = &source[start..];
                    let Some(end) = rest.find('"') else { continue };
                    let key = &rest[..end];
                    if i18n.get(Lang::Tr, key) == key {
                        missing.push(format!("{}: {key}", path.display()));
                    }
                }
            }
        }
        assert!(
            missing.is_empty(),
            "keys missing from locales: {missing:#?}"
        );
    }

    #[test]
    fn money_per_language() {
        let i18n = I18n::load().expect("locales parse");
        let a = Amount::parse("1234.56").unwrap();
        assert_eq!(i18n.money(Lang::Tr, a, "TRY"), "₺1.234,56");
        assert_eq!(i18n.money(Lang::En, a, "TRY"), "TRY 1,234.56");
        assert_eq!(i18n.money(Lang::En, a, "<X>"), "&lt;X&gt; 1,234.56");
    }

    #[test]
    fn language_from_telegram_code() {
        assert_eq!(Lang::from_code(Some("tr")), Lang::Tr);
        assert_eq!(Lang::from_code(Some("TR-tr")), Lang::Tr);
        assert_eq!(Lang::from_code(Some("en-GB")), Lang::En);
        assert_eq!(Lang::from_code(Some("de")), Lang::En);
        assert_eq!(Lang::from_code(None), Lang::Tr);
    }
}
