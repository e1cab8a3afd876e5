//! Telegram's HTML parse mode, as strict as the real server (a little stricter
//! about `&`), so a bot that forgets to escape an outside string fails in tests
//! with the same `can't parse entities` error it would get in production.
//!
//! [`parse_html`] turns the text into what the user sees plus the entities
//! Telegram would report; [`html_to_plain`] is a lenient reader for humans and
//! tests that never fails.

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

/// Tags Telegram understands in HTML mode.
const TAGS: &[&str] = &[
    "b",
    "strong",
    "i",
    "em",
    "u",
    "ins",
    "s",
    "strike",
    "del",
    "code",
    "pre",
    "a",
    "tg-spoiler",
    "span",
    "tg-emoji",
    "blockquote",
];

struct Open {
    name: String,
    start16: usize,
    url: Option<String>,
    expandable: bool,
}

/// Parses `src` as Telegram HTML. The error is the text after
/// `"Bad Request: can't parse entities: "`.
pub(crate) fn parse_html(src: &str) -> Result<Formatted, String> {
    let bytes = src.as_bytes();
    let mut i = 0;
    let mut text = String::with_capacity(src.len());
    let mut len16 = 0usize;
    let mut open: Vec<Open> = Vec::new();
    let mut entities = Vec::new();

    while let Some(c) = src[i..].chars().next() {
        match c {
            '&' => {
                let (ch, used) = decode_entity(&src[i..]).ok_or_else(|| {
                    format!(
                        "Character entity expected at byte offset {i}: \"&\" must be written as \"&amp;\""
                    )
                })?;
                text.push(ch);
                len16 += ch.len_utf16();
                i += used;
            }
            '<' if bytes.get(i + 1) == Some(&b'/') => {
                let name_end = scan_name(bytes, i + 2);
                let name = src[i + 2..name_end].to_ascii_lowercase();
                let close = skip_ws(bytes, name_end);
                if bytes.get(close) != Some(&b'>') {
                    return Err(format!("Unclosed end tag at byte offset {i}"));
                }
                let Some(top) = open.pop() else {
                    return Err(format!("Unexpected end tag at byte offset {i}"));
                };
                if top.name != name {
                    return Err(format!(
                        "Unmatched end tag at byte offset {i}, expected \"</{}>\", found \"</{name}>\"",
                        top.name
                    ));
                }
                // Empty entities are dropped, as Telegram does.
                if let Some(kind) = entity_kind(&top)
                    && len16 > top.start16
                {
                    entities.push(Entity {
                        kind,
                        offset: top.start16,
                        length: len16 - top.start16,
                        url: top.url,
                    });
                }
                i = close + 1;
            }
            '<' => {
                let name_end = scan_name(bytes, i + 1);
                let name = src[i + 1..name_end].to_ascii_lowercase();
                if !TAGS.contains(&name.as_str()) {
                    return Err(format!(
                        "Unsupported start tag \"{name}\" at byte offset {i}"
                    ));
                }
                let (attrs, after) = parse_attributes(src, name_end, i, &name)?;
                let attr = |k: &str| attrs.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
                if name == "span" && attr("class") != Some("tg-spoiler") {
                    return Err(format!(
                        "Tag \"span\" must have class \"tg-spoiler\" at byte offset {i}"
                    ));
                }
                let url = if name == "a" {
                    attr("href").and_then(normalize_url)
                } else {
                    None
                };
                let expandable = attr("expandable").is_some();
                open.push(Open {
                    name,
                    start16: len16,
                    url,
                    expandable,
                });
                i = after;
            }
            _ => {
                text.push(c);
                len16 += c.len_utf16();
                i += c.len_utf8();
            }
        }
    }
    if let Some(top) = open.last() {
        return Err(format!(
            "Can't find end tag corresponding to start tag \"{}\"",
            top.name
        ));
    }
    // Entities close inner-first; Telegram lists them by start.
    entities.sort_by_key(|e| (e.offset, std::cmp::Reverse(e.length)));
    Ok(Formatted { text, entities })
}

fn entity_kind(tag: &Open) -> Option<&'static str> {
    Some(match tag.name.as_str() {
        "b" | "strong" => "bold",
        "i" | "em" => "italic",
        "u" | "ins" => "underline",
        "s" | "strike" | "del" => "strikethrough",
        "tg-spoiler" | "span" => "spoiler",
        "code" => "code",
        "pre" => "pre",
        "blockquote" if tag.expandable => "expandable_blockquote",
        "blockquote" => "blockquote",
        // A link without a usable URL is shown as plain text, as Telegram does.
        "a" if tag.url.is_some() => "text_link",
        _ => return None,
    })
}

/// Telegram accepts links without a scheme and reports them with `http://`.
fn normalize_url(href: &str) -> Option<String> {
    let href = href.trim();
    if href.is_empty() {
        return None;
    }
    url::Url::parse(href)
        .or_else(|_| url::Url::parse(&format!("http://{href}")))
        .ok()
        .map(|u| u.to_string())
}

fn scan_name(bytes: &[u8], mut j: usize) -> usize {
    while j < bytes.len() && (bytes[j].is_ascii_alphanumeric() || bytes[j] == b'-') {
        j += 1;
    }
    j
}

fn skip_ws(bytes: &[u8], mut j: usize) -> usize {
    while j < bytes.len() && bytes[j].is_ascii_whitespace() {
        j += 1;
    }
    j
}

type Attrs = Vec<(String, String)>;

/// Parses the attributes of a start tag from `j` up to and including `>`.
/// Returns them and the byte offset after the tag.
fn parse_attributes(
    src: &str,
    mut j: usize,
    tag_at: usize,
    tag: &str,
) -> Result<(Attrs, usize), String> {
    let bytes = src.as_bytes();
    let mut attrs = Vec::new();
    loop {
        j = skip_ws(bytes, j);
        match bytes.get(j) {
            None => return Err(format!("Unclosed start tag at byte offset {tag_at}")),
            Some(b'>') => return Ok((attrs, j + 1)),
            Some(_) => {}
        }
        let name_start = j;
        while j < bytes.len()
            && (bytes[j].is_ascii_alphanumeric() || bytes[j] == b'-' || bytes[j] == b'_')
        {
            j += 1;
        }
        if j == name_start {
            return Err(format!(
                "Empty attribute name in the tag \"{tag}\" at byte offset {name_start}"
            ));
        }
        let name = src[name_start..j].to_ascii_lowercase();
        j = skip_ws(bytes, j);
        let mut value = String::new();
        if bytes.get(j) == Some(&b'=') {
            j = skip_ws(bytes, j + 1);
            match bytes.get(j) {
                Some(&q @ (b'"' | b'\'')) => {
                    let rel = src[j + 1..].find(q as char).ok_or_else(|| {
                        format!("Unclosed end of attribute value at byte offset {j}")
                    })?;
                    value = decode_lenient(&src[j + 1..j + 1 + rel]);
                    j += rel + 2;
                }
                _ => {
                    let start = j;
                    while j < bytes.len() && !bytes[j].is_ascii_whitespace() && bytes[j] != b'>' {
                        j += 1;
                    }
                    value = decode_lenient(&src[start..j]);
                }
            }
        }
        attrs.push((name, value));
    }
}

/// Decodes the entity at the start of `s` (which begins with `&`): the four
/// named ones Telegram supports and numeric ones. Returns the character and
/// the bytes used.
fn decode_entity(s: &str) -> Option<(char, usize)> {
    // `;` is ASCII, so slicing at it is always on a character boundary.
    let semi = s.bytes().take(12).position(|b| b == b';')?;
    let name = &s[1..semi];
    let ch = match name {
        "lt" => '<',
        "gt" => '>',
        "amp" => '&',
        "quot" => '"',
        _ => {
            let num = name.strip_prefix('#')?;
            let code = match num.strip_prefix(['x', 'X']) {
                Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                None => num.parse::<u32>().ok()?,
            };
            char::from_u32(code).filter(|c| *c != '\0')?
        }
    };
    Some((ch, semi + 1))
}

fn decode_lenient(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while let Some(c) = s[i..].chars().next() {
        if c == '&'
            && let Some((ch, used)) = decode_entity(&s[i..])
        {
            out.push(ch);
            i += used;
            continue;
        }
        out.push(c);
        i += c.len_utf8();
    }
    out
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_nested_tags_and_entities() {
        let f = parse_html("<b>Fatura <i>&amp; borç</i></b> &lt;3 &#8378;&#x31;").expect("valid");
        assert_eq!(f.text, "Fatura & borç <3 ₺1");
        assert_eq!(f.entities.len(), 2);
        assert_eq!(
            (
                f.entities[0].kind,
                f.entities[0].offset,
                f.entities[0].length
            ),
            ("bold", 0, 13)
        );
        assert_eq!(
            (
                f.entities[1].kind,
                f.entities[1].offset,
                f.entities[1].length
            ),
            ("italic", 7, 6)
        );
    }

    #[test]
    fn links_and_attributes() {
        let f = parse_html(r#"<a href='https://example.com/?a=1&amp;b=2'>site</a> <span class="tg-spoiler">x</span>"#)
            .expect("valid");
        assert_eq!(f.text, "site x");
        assert_eq!(
            f.entities[0].url.as_deref(),
            Some("https://example.com/?a=1&b=2")
        );
        assert_eq!(f.entities[1].kind, "spoiler");
    }

    #[test]
    fn refuses_what_telegram_refuses() {
        for bad in [
            "A & B",
            "a < b",
            "<br>",
            "<b>open",
            "<b><i>x</b></i>",
            "x</b>",
            "<b",
            "<span>x</span>",
            "&nbsp;",
        ] {
            assert!(parse_html(bad).is_err(), "{bad:?} should not parse");
        }
        assert!(parse_html("a > b, fine").is_ok());
    }

    #[test]
    fn trims_and_counts_utf16() {
        let f = parse_html("  <b> hi </b>\n").expect("valid").trimmed();
        assert_eq!(f.text, "hi");
        assert_eq!((f.entities[0].offset, f.entities[0].length), (0, 2));
        assert_eq!(Formatted::plain("😀").len_utf16(), 2);
    }

    #[test]
    fn plain_reader_is_lenient() {
        assert_eq!(html_to_plain("<b>Su</b> &amp; Elektrik"), "Su & Elektrik");
        assert_eq!(html_to_plain("AT&T <b>x"), "AT&T x");
        assert_eq!(html_to_plain("1 < 2"), "1 < 2");
    }
}
