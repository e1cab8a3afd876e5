//! The strict parser against what Telegram refuses, and the lenient reader.

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
    let f = parse_html(
        r#"<a href='https://example.com/?a=1&amp;b=2'>site</a> <span class="tg-spoiler">x</span>"#,
    )
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
