//! The lenient reader for humans and tests.

use super::charref::decode_entity;
use super::parse_html;

/// The text of an HTML-mode message as a reader sees it: tags removed and
/// entities decoded. Lenient: what does not parse is kept as written.
pub fn html_to_plain(text: &str) -> String {
    if let Ok(f) = parse_html(text) {
        return f.text;
    }
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while let Some(c) = text[i..].chars().next() {
        match c {
            '<' => {
                let looks_like_tag = bytes
                    .get(i + 1)
                    .is_some_and(|b| b.is_ascii_alphabetic() || *b == b'/');
                match text[i..].find('>') {
                    Some(end) if looks_like_tag => i += end + 1,
                    _ => {
                        out.push('<');
                        i += 1;
                    }
                }
            }
            '&' => match decode_entity(&text[i..]) {
                Some((ch, used)) => {
                    out.push(ch);
                    i += used;
                }
                None => {
                    out.push('&');
                    i += 1;
                }
            },
            _ => {
                out.push(c);
                i += c.len_utf8();
            }
        }
    }
    out
}
