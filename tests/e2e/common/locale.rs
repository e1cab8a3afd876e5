//! The bot's wording, read from `locales/` in the user's language: tests
//! name a locale key ([`Key`]) instead of copying its text.

use std::sync::OnceLock;

use faturabot::{
    fakegram::FakeUser,
    i18n::{I18n, Lang},
};

fn texts() -> &'static I18n {
    static TEXTS: OnceLock<I18n> = OnceLock::new();
    TEXTS.get_or_init(|| I18n::load().expect("locales"))
}

/// The language the bot speaks to `user` until told otherwise.
pub fn lang_of(user: &FakeUser) -> Lang {
    Lang::from_code(user.language_code.as_deref())
}

/// A piece of a template: fixed text as the user reads it, or `{name}`.
enum Part<'t> {
    Text(String),
    Slot(&'t str),
}

fn parts(template: &str) -> Vec<Part<'_>> {
    let mut out = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else { break };
        out.push(Part::Text(plain(&rest[..open])));
        out.push(Part::Slot(&after[..close]));
        rest = &after[close + 1..];
    }
    out.push(Part::Text(plain(rest)));
    out
}

fn template(lang: Lang, key: &str) -> &str {
    let text = texts().get(lang, key);
    assert_ne!(text, key, "no locale text {key}");
    text
}

/// Locale text `name`, some of its placeholders filled: what a message
/// must show. A bare `&str` is a key with none filled.
#[derive(Clone, Debug)]
pub struct Key<'a> {
    name: &'a str,
    args: Vec<(&'a str, &'a str)>,
    lang: Option<Lang>,
}

impl<'a> From<&'a str> for Key<'a> {
    fn from(name: &'a str) -> Key<'a> {
        Key {
            name,
            args: Vec::new(),
            lang: None,
        }
    }
}

/// Locale text `name` with the placeholders in `args` filled (plain text
/// values, as the user reads them).
pub fn filled<'a>(name: &'a str, args: &[(&'a str, &'a str)]) -> Key<'a> {
    Key {
        name,
        args: args.to_vec(),
        lang: None,
    }
}

impl<'a> Key<'a> {
    /// In `lang`, whatever the user's Telegram language says.
    pub fn in_lang(self, lang: Lang) -> Key<'a> {
        Key {
            lang: Some(lang),
            ..self
        }
    }

    pub fn name(&self) -> &'a str {
        self.name
    }

    /// What `user` sees of it: the fixed text with the values put in, cut
    /// where a placeholder stays open; each piece trimmed.
    pub fn pieces(&self, user: &FakeUser) -> Vec<String> {
        self.pieces_in(self.lang.unwrap_or_else(|| lang_of(user)))
    }

    pub fn pieces_in(&self, lang: Lang) -> Vec<String> {
        let parts = parts(template(lang, self.name));
        for (name, _) in &self.args {
            assert!(
                parts
                    .iter()
                    .any(|p| matches!(p, Part::Slot(s) if s == name)),
                "{} has no {{{name}}}",
                self.name
            );
        }
        let mut pieces = vec![String::new()];
        for part in parts {
            match part {
                Part::Text(t) => pieces.last_mut().expect("a piece").push_str(&t),
                Part::Slot(s) => match self.args.iter().find(|(n, _)| *n == s) {
                    Some((_, value)) => pieces.last_mut().expect("a piece").push_str(value),
                    None => pieces.push(String::new()),
                },
            }
        }
        let pieces: Vec<String> = pieces
            .iter()
            .map(|p| p.trim().to_owned())
            .filter(|p| !p.is_empty())
            .collect();
        assert!(!pieces.is_empty(), "{} has no fixed words", self.name);
        pieces
    }

    /// Whether `text` shows every piece of it, for `user`.
    pub fn shown_in(&self, user: &FakeUser, text: &str) -> bool {
        self.pieces(user).iter().all(|p| text.contains(p.as_str()))
    }
}

/// The longest piece of locale text `key` that a user sees whatever fills
/// it in (tags stripped).
pub fn needle(user: &FakeUser, key: &str) -> String {
    Key::from(key)
        .pieces(user)
        .into_iter()
        .max_by_key(|p| p.chars().count())
        .expect("a piece")
}

/// The whole of locale text `key` as shown, every placeholder filled: a
/// button's label, a state's name, a sentence the test knows in full.
pub fn words<'a>(user: &FakeUser, key: impl Into<Key<'a>>) -> String {
    let key = key.into();
    let lang = key.lang.unwrap_or_else(|| lang_of(user));
    for part in parts(template(lang, key.name)) {
        if let Part::Slot(s) = part {
            assert!(
                key.args.iter().any(|(n, _)| *n == s),
                "{{{s}}} of {} left open",
                key.name
            );
        }
    }
    key.pieces_in(lang).concat()
}

/// The one-word value of `{slot}` in `text`, a message showing locale text
/// `key`: the word after the fixed text before `{slot}`.
pub fn read(user: &FakeUser, key: &str, slot: &str, text: &str) -> String {
    let parts = parts(template(lang_of(user), key));
    let at = parts
        .iter()
        .position(|p| matches!(p, Part::Slot(s) if *s == slot))
        .unwrap_or_else(|| panic!("{key} has no {{{slot}}}"));
    let fixed = |i: Option<usize>| match i.and_then(|i| parts.get(i)) {
        Some(Part::Text(t)) => t.trim().to_owned(),
        _ => String::new(),
    };
    let (before, after) = (fixed(at.checked_sub(1)), fixed(Some(at + 1)));
    assert!(
        !before.is_empty(),
        "nothing fixed before {{{slot}}} in {key}"
    );
    let rest = text
        .split_once(before.as_str())
        .map(|(_, rest)| rest)
        .unwrap_or_else(|| panic!("no {before:?} ({key}) in {text:?}"));
    let rest = match rest.split_once(after.as_str()) {
        Some((value, _)) if !after.is_empty() => value,
        _ => rest,
    };
    rest.split_whitespace()
        .next()
        .unwrap_or_else(|| panic!("no {{{slot}}} ({key}) in {text:?}"))
        .to_owned()
}

/// Fixed template text as a reader sees it: tags stripped, entities decoded.
fn plain(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}
