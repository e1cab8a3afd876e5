//! A bot message as plain text: its head, indented lines, numbered buttons,
//! and a photo's QR code drawn again with blocks.

use crate::fakegram::BotMessage;

/// Margin for the continuation lines of a printed message.
const INDENT: &str = "      ";

/// `message` as shown: its text after the head, then its buttons numbered.
pub(super) fn message(message: &BotMessage, edited: bool) -> String {
    let mut t = String::new();
    let head = if edited {
        "bot (updated) › "
    } else {
        "bot › "
    };
    if message.photo.is_some() || message.photo_url.is_some() {
        t.push_str(head);
        t.push_str(&photo_text(message));
        let caption = message.plain();
        if !caption.trim().is_empty() {
            push_indented(&mut t, &caption);
        }
    } else {
        let text = message.plain();
        let mut lines = text.lines();
        t.push_str(head);
        t.push_str(lines.next().unwrap_or_default());
        t.push('\n');
        push_indented(&mut t, &lines.collect::<Vec<_>>().join("\n"));
    }
    for (i, button) in message.all_buttons().enumerate() {
        t.push_str(&format!("{INDENT}[{}] {}", i + 1, button.text));
        if button.callback_data.is_none()
            && let Some(url) = &button.url
        {
            t.push_str(&format!(" ({url})"));
        }
        t.push('\n');
    }
    t.push('\n');
    t
}

/// A photo as text: the QR it holds, drawn with blocks, or a placeholder.
fn photo_text(message: &BotMessage) -> String {
    let bytes = message.photo.as_deref().unwrap_or_default();
    if bytes.is_empty() {
        return match &message.photo_url {
            Some(url) => format!("[photo: {url}]\n"),
            None => "[photo]\n".to_owned(),
        };
    }
    let Some(content) = crate::receipt::decode_qr(bytes) else {
        return "[photo: an image without a readable QR code]\n".to_owned();
    };
    let mut t = format!("[photo: a QR code holding {content}]\n");
    match crate::receipt::qr_terminal(&content) {
        Ok(drawing) => push_indented(&mut t, &drawing),
        Err(e) => t.push_str(&format!("{INDENT}(cannot draw it here: {e})\n")),
    }
    t
}

/// `text`'s lines, each after the margin (empty lines stay empty).
fn push_indented(t: &mut String, text: &str) {
    for line in text.lines() {
        if !line.trim().is_empty() {
            t.push_str(INDENT);
            t.push_str(line.trim_end());
        }
        t.push('\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_receipt_qr_is_read_back_and_drawn() {
        let png = crate::receipt::qr_png("BP022FOY481070").expect("encodes");
        assert_eq!(
            crate::receipt::decode_qr(&png).as_deref(),
            Some("BP022FOY481070")
        );
        let message = BotMessage {
            message_id: 1,
            text: String::new(),
            parse_mode: None,
            buttons: vec![],
            photo: Some(png),
            photo_url: None,
            edited: false,
        };
        let text = photo_text(&message);
        assert!(text.contains("BP022FOY481070"));
        assert!(text.contains('█') || text.contains('▀') || text.contains('▄'));
    }

    #[test]
    fn garbage_is_not_a_qr() {
        assert_eq!(crate::receipt::decode_qr(b"not an image"), None);
    }
}
