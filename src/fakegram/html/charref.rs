//! Character references: `&lt;`, `&gt;`, `&amp;`, `&quot;` and numeric ones.

/// Decodes the entity at the start of `s` (which begins with `&`): the four
/// named ones Telegram supports and numeric ones. Returns the character and
/// the bytes used.
pub(super) fn decode_entity(s: &str) -> Option<(char, usize)> {
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

pub(super) fn decode_lenient(s: &str) -> String {
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
