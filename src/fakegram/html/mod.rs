//! Telegram's HTML parse mode, as strict as the real server (a little stricter
//! about `&`), so a bot that forgets to escape an outside string fails in tests
//! with the same `can't parse entities` error it would get in production.
//!
//! [`parse_html`] turns the text into what the user sees plus the entities
//! Telegram would report; [`html_to_plain`] is a lenient reader for humans and
//! tests that never fails.
//!
//! The strict parser is in `parse`, the lenient reader in `plain`; both
//! decode character references with `charref`.

mod charref;
mod parse;
mod plain;
#[cfg(test)]
mod tests;

pub(crate) use parse::parse_html;
pub use plain::html_to_plain;

/// One formatting entity, with offsets in UTF-16 code units as Telegram counts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Entity {
    pub kind: &'static str,
    pub offset: usize,
    pub length: usize,
    pub url: Option<String>,
}

/// Text as shown to the user, with its entities.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Formatted {
    pub text: String,
    pub entities: Vec<Entity>,
}

impl Formatted {
    pub fn plain(text: &str) -> Self {
        Formatted {
            text: text.to_owned(),
            entities: Vec::new(),
        }
    }

    /// Length as Telegram limits it. UTF-16 units never undercount characters.
    pub fn len_utf16(&self) -> usize {
        utf16_len(&self.text)
    }

    /// Telegram strips leading and trailing white space from texts and captions;
    /// entities are cut to what remains.
    pub fn trimmed(self) -> Self {
        let lead = self.text.len() - self.text.trim_start().len();
        let lead16 = utf16_len(&self.text[..lead]);
        let text = self.text.trim().to_owned();
        let end16 = utf16_len(&text);
        let entities = self
            .entities
            .into_iter()
            .filter_map(|e| {
                let start = e.offset.saturating_sub(lead16).min(end16);
                let end = (e.offset + e.length).saturating_sub(lead16).min(end16);
                (end > start).then_some(Entity {
                    offset: start,
                    length: end - start,
                    ..e
                })
            })
            .collect();
        Formatted { text, entities }
    }
}

pub(crate) fn utf16_len(s: &str) -> usize {
    s.chars().map(char::len_utf16).sum()
}
