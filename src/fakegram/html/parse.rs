//! The strict parser: Telegram's tags, attributes and nesting rules.

use super::charref::{decode_entity, decode_lenient};
use super::{Entity, Formatted};

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
