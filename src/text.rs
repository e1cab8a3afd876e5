//! Small text rules shared by the handlers: HTML escaping, Turkish-aware
//! search folding, user-input checks and length limits.

/// Escapes `&`, `<`, `>` (and quotes) for Telegram's HTML parse mode.
pub fn esc(text: &str) -> String {
    html_escape::encode_quoted_attribute(text).into_owned()
}

/// Folds a name for search: case and Turkish letters reduced to ASCII, so
/// `iski` finds `İSKİ` and `igdir` finds `IĞDIR`.
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            'İ' | 'I' | 'ı' | 'i' | 'Î' | 'î' => out.push('i'),
            'Ğ' | 'ğ' => out.push('g'),
            'Ş' | 'ş' => out.push('s'),
            'Ç' | 'ç' => out.push('c'),
            'Ö' | 'ö' => out.push('o'),
            'Ü' | 'ü' | 'Û' | 'û' => out.push('u'),
            'Â' | 'â' => out.push('a'),
            c if c.is_whitespace() => {
                if !out.ends_with(' ') {
                    out.push(' ');
                }
            }
            c => out.extend(c.to_lowercase()),
        }
    }
    out.trim().to_owned()
}

/// Longest query-field value accepted.
pub const MAX_FIELD_CHARS: usize = 64;
/// Longest search text accepted at the institution step.
pub const MAX_FILTER_CHARS: usize = 40;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputProblem {
    Empty,
    TooLong,
    ControlCharacters,
    /// Invisible formatting characters (Unicode category Cf: zero-width
    /// spaces, direction overrides, byte-order marks …), which can make a
    /// value look like something else.
    Invisible,
}

/// Unicode's format characters (general category Cf).
pub fn is_format_char(c: char) -> bool {
    matches!(c as u32,
        0x00AD | 0x0600..=0x0605 | 0x061C | 0x06DD | 0x070F | 0x0890..=0x0891 | 0x08E2
        | 0x180E | 0x200B..=0x200F | 0x202A..=0x202E | 0x2060..=0x2064 | 0x2066..=0x206F
        | 0xFEFF | 0xFFF9..=0xFFFB | 0x110BD | 0x110CD | 0x13430..=0x1343F
        | 0x1BCA0..=0x1BCA3 | 0x1D173..=0x1D17A | 0xE0001 | 0xE0020..=0xE007F)
}

/// Trims `raw` and checks it can be sent to the bank as a field value.
pub fn clean_input(raw: &str, max_chars: usize) -> Result<String, InputProblem> {
    let value = raw.trim();
    if value.is_empty() {
        return Err(InputProblem::Empty);
    }
    if value.chars().any(char::is_control) {
        return Err(InputProblem::ControlCharacters);
    }
    if value.chars().any(is_format_char) {
        return Err(InputProblem::Invisible);
    }
    if value.chars().count() > max_chars {
        return Err(InputProblem::TooLong);
    }
    Ok(value.to_owned())
}

/// Cuts `text` to at most `max` characters, on a character boundary, with
/// an ellipsis when cut.
pub fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// [`truncate`] for a text in Telegram's HTML: never ends inside an entity
/// (`&amp;`) or a tag, and closes the tags it leaves open, so that a long
/// bank message still parses. Outside strings are escaped, so every `<` in
/// `text` opens a tag.
pub fn truncate_html(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    // Room for the ellipsis and the closing tags (the locales nest at most
    // two deep).
    let mut out: String = text.chars().take(max.saturating_sub(33)).collect();
    if let Some(amp) = out.rfind('&')
        && !out[amp..].contains(';')
    {
        out.truncate(amp);
    }
    if let Some(lt) = out.rfind('<')
        && !out[lt..].contains('>')
    {
        out.truncate(lt);
    }
    let mut open: Vec<&str> = Vec::new();
    let mut rest = out.as_str();
    while let Some(start) = rest.find('<') {
        let Some(len) = rest[start..].find('>') else {
            break;
        };
        let tag = &rest[start + 1..start + len];
        match tag.strip_prefix('/') {
            Some(name) => {
                if let Some(i) = open.iter().rposition(|t| *t == name.trim()) {
                    open.truncate(i);
                }
            }
            None => open.push(tag.split_whitespace().next().unwrap_or_default()),
        }
        rest = &rest[start + len + 1..];
    }
    let closing: String = open.iter().rev().map(|t| format!("</{t}>")).collect();
    format!("{out}…{closing}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn turkish_aware_search() {
        assert!(fold("İSKİ İSTANBUL SU").contains(&fold("iski")));
        assert!(fold("IĞDIR BELEDİYESİ").contains(&fold("igdir")));
        assert!(fold("ŞUSKİ").contains(&fold("şuski")));
        assert!(fold("ŞUSKİ").contains(&fold("suski")));
        assert!(!fold("ASKİ").contains(&fold("iski")));
    }

    #[test]
    fn escaping() {
        assert_eq!(esc("A&B <SU>"), "A&amp;B &lt;SU&gt;");
    }

    #[test]
    fn input_rules() {
        assert_eq!(clean_input("  64291 ", 64), Ok("64291".into()));
        assert_eq!(clean_input("   ", 64), Err(InputProblem::Empty));
        assert_eq!(
            clean_input("12\u{0}3", 64),
            Err(InputProblem::ControlCharacters)
        );
        assert_eq!(clean_input(&"9".repeat(65), 64), Err(InputProblem::TooLong));
        for sneaky in ["\u{200B}", "12\u{202E}34", "\u{FEFF}1000001", "1\u{2066}2"] {
            assert_eq!(
                clean_input(sneaky, 64),
                Err(InputProblem::Invisible),
                "{sneaky:?}"
            );
        }
        assert_eq!(clean_input("İSKİ su", 64), Ok("İSKİ su".into()));
        assert_eq!(
            clean_input(&"ş".repeat(64), 64).map(|s| s.chars().count()),
            Ok(64)
        );
    }

    #[test]
    fn html_truncation_keeps_the_markup_whole() {
        let long = format!("<b>{}</b>", esc(&"A&B ".repeat(2000)));
        let cut = truncate_html(&long, 4096);
        assert!(cut.chars().count() <= 4096);
        assert!(cut.ends_with("…</b>"), "{cut}");
        assert!(!cut.contains("&amp…") && !cut.contains("&a…"));
        assert_eq!(truncate_html("<i>short</i>", 4096), "<i>short</i>");
        let cut = truncate_html(&format!("x<a href=\"{}\">y</a>", "z".repeat(100)), 60);
        assert_eq!(cut, "x…");
    }

    #[test]
    fn truncation_is_char_safe() {
        assert_eq!(truncate("İSKİ", 10), "İSKİ");
        assert_eq!(truncate("ĞĞĞĞĞ", 3), "ĞĞ…");
    }
}
