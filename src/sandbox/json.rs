//! A small JSON tree that keeps every number as its exact source text.
//!
//! `serde_json::Value` (without `arbitrary_precision`) turns `0.30000000000000004`
//! and `0.3` into nearby floats; a strict bank must see what the client really
//! sent. Parsing goes through `RawValue`, so serde_json still does the lexing
//! (and its recursion limit still protects the stack). Output is written by hand
//! so that money leaves as the decimal we hold (`29.2`, `0.10`, `20000`) and keys
//! keep their order (`"$type"` first, as the bank does).

use std::fmt::{self, Write as _};
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Json {
    Null,
    Bool(bool),
    /// The number's text exactly as written (already validated by serde_json).
    Num(String),
    Str(String),
    Arr(Vec<Json>),
    /// Keys in document order; duplicates kept (lookups take the first).
    Obj(Vec<(String, Json)>),
}

impl Json {
    pub fn parse(text: &str) -> Result<Json, String> {
        let raw: Box<RawValue> = serde_json::from_str(text).map_err(|e| e.to_string())?;
        Self::from_raw(raw.get())
    }

    fn from_raw(text: &str) -> Result<Json, String> {
        let text = text.trim();
        let err = |e: serde_json::Error| e.to_string();
        match text.as_bytes().first() {
            Some(b'{') => {
                let Pairs(pairs) = serde_json::from_str(text).map_err(err)?;
                let mut out = Vec::with_capacity(pairs.len());
                for (k, v) in pairs {
                    out.push((k, Self::from_raw(v.get())?));
                }
                Ok(Json::Obj(out))
            }
            Some(b'[') => {
                let items: Vec<Box<RawValue>> = serde_json::from_str(text).map_err(err)?;
                items
                    .iter()
                    .map(|v| Self::from_raw(v.get()))
                    .collect::<Result<_, _>>()
                    .map(Json::Arr)
            }
            Some(b'"') => serde_json::from_str::<String>(text)
                .map(Json::Str)
                .map_err(err),
            Some(b't') => Ok(Json::Bool(true)),
            Some(b'f') => Ok(Json::Bool(false)),
            Some(b'n') => Ok(Json::Null),
            Some(b'-' | b'0'..=b'9') => Ok(Json::Num(text.to_string())),
            _ => Err(format!("unexpected JSON text {text:?}")),
        }
    }

    // ---- builders ----

    pub fn s(text: impl Into<String>) -> Json {
        Json::Str(text.into())
    }

    pub fn dec(d: Decimal) -> Json {
        Json::Num(d.to_string())
    }

    pub fn int(n: impl Into<i128>) -> Json {
        Json::Num(n.into().to_string())
    }

    pub fn obj<'a>(pairs: impl IntoIterator<Item = (&'a str, Json)>) -> Json {
        Json::Obj(pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
    }

    pub fn strs<'a>(items: impl IntoIterator<Item = &'a str>) -> Json {
        Json::Arr(items.into_iter().map(Json::s).collect())
    }

    // ---- accessors ----

    pub fn get(&self, key: &str) -> Option<&Json> {
        self.as_obj()?
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
    }

    /// Case-insensitive key lookup (the receipt service documents
    /// `InvoicePaymentList` but samples `invoicePaymentList`).
    pub fn get_ci(&self, key: &str) -> Option<&Json> {
        self.as_obj()?
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v)
    }

    pub fn as_obj(&self) -> Option<&[(String, Json)]> {
        match self {
            Json::Obj(pairs) => Some(pairs),
            _ => None,
        }
    }

    pub fn as_arr(&self) -> Option<&[Json]> {
        match self {
            Json::Arr(items) => Some(items),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Json::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_decimal(&self) -> Option<Decimal> {
        match self {
            Json::Num(text) => Decimal::from_str(text)
                .or_else(|_| Decimal::from_scientific(text))
                .ok(),
            _ => None,
        }
    }

    /// An integer written as one (`3488017`, not `3488017.0` or `3.488017e6`).
    pub fn as_int(&self) -> Option<i64> {
        match self {
            Json::Num(text) if !text.contains(['.', 'e', 'E']) => text.parse().ok(),
            _ => None,
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Json::Null => "null",
            Json::Bool(_) => "a boolean",
            Json::Num(_) => "a number",
            Json::Str(_) => "a string",
            Json::Arr(_) => "an array",
            Json::Obj(_) => "an object",
        }
    }
}

fn write_str(f: &mut fmt::Formatter<'_>, s: &str) -> fmt::Result {
    f.write_char('"')?;
    for c in s.chars() {
        match c {
            '"' => f.write_str("\\\"")?,
            '\\' => f.write_str("\\\\")?,
            '\n' => f.write_str("\\n")?,
            '\r' => f.write_str("\\r")?,
            '\t' => f.write_str("\\t")?,
            c if (c as u32) < 0x20 => write!(f, "\\u{:04x}", c as u32)?,
            c => f.write_char(c)?,
        }
    }
    f.write_char('"')
}

impl fmt::Display for Json {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Json::Null => f.write_str("null"),
            Json::Bool(b) => write!(f, "{b}"),
            Json::Num(n) => f.write_str(n),
            Json::Str(s) => write_str(f, s),
            Json::Arr(items) => {
                f.write_char('[')?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_char(',')?;
                    }
                    write!(f, "{item}")?;
                }
                f.write_char(']')
            }
            Json::Obj(pairs) => {
                f.write_char('{')?;
                for (i, (k, v)) in pairs.iter().enumerate() {
                    if i > 0 {
                        f.write_char(',')?;
                    }
                    write_str(f, k)?;
                    write!(f, ":{v}")?;
                }
                f.write_char('}')
            }
        }
    }
}

/// An object's members as raw values, in order, duplicates kept.
struct Pairs(Vec<(String, Box<RawValue>)>);

impl<'de> Deserialize<'de> for Pairs {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Pairs;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Pairs, A::Error> {
                let mut out = Vec::new();
                while let Some(k) = map.next_key::<String>()? {
                    let v = map.next_value::<Box<RawValue>>()?;
                    out.push((k, v));
                }
                Ok(Pairs(out))
            }
        }
        d.deserialize_map(V)
    }
}

/// Structural equality ignoring `"$type"` keys at any depth and member order,
/// numbers compared as decimals. `Err` names the first difference.
pub(crate) fn same_ignoring_type(path: &str, sent: &Json, served: &Json) -> Result<(), String> {
    match (sent, served) {
        (Json::Num(_), Json::Num(_)) => match (sent.as_decimal(), served.as_decimal()) {
            (Some(a), Some(b)) if a == b => Ok(()),
            _ => Err(format!("{path}: sent {sent}, the bank sent {served}")),
        },
        (Json::Obj(a), Json::Obj(b)) => {
            let a: Vec<_> = a.iter().filter(|(k, _)| k != "$type").collect();
            let b: Vec<_> = b.iter().filter(|(k, _)| k != "$type").collect();
            for (k, _) in &b {
                if !a.iter().any(|(ka, _)| ka == k) {
                    return Err(format!("{path}.{k}: missing (the bank sent it)"));
                }
            }
            for (k, va) in &a {
                if a.iter().filter(|(ka, _)| ka == k).count() > 1 {
                    return Err(format!("{path}.{k}: appears more than once"));
                }
                match b.iter().find(|(kb, _)| kb == k) {
                    None => return Err(format!("{path}.{k}: not sent by the bank")),
                    Some((_, vb)) => same_ignoring_type(&format!("{path}.{k}"), va, vb)?,
                }
            }
            Ok(())
        }
        (Json::Arr(a), Json::Arr(b)) => {
            if a.len() != b.len() {
                return Err(format!(
                    "{path}: {} items, the bank sent {}",
                    a.len(),
                    b.len()
                ));
            }
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                same_ignoring_type(&format!("{path}[{i}]"), x, y)?;
            }
            Ok(())
        }
        _ if sent == served => Ok(()),
        _ => Err(format!("{path}: sent {sent}, the bank sent {served}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_keep_their_text() {
        let j = Json::parse(r#" {"$type":"X","a":0.10,"b":[1e2, -3],"c":"ş\"<"} "#).unwrap();
        assert_eq!(
            j.to_string(),
            r#"{"$type":"X","a":0.10,"b":[1e2,-3],"c":"ş\"<"}"#
        );
        assert_eq!(
            j.get("a").and_then(Json::as_decimal),
            Some(Decimal::new(1, 1))
        );
        assert_eq!(
            j.get("b").unwrap().as_arr().unwrap()[0].as_decimal(),
            Some(Decimal::new(100, 0))
        );
        assert_eq!(Json::Num("3488017".into()).as_int(), Some(3488017));
        assert_eq!(Json::Num("3488017.0".into()).as_int(), None);
    }

    #[test]
    fn comparison_ignores_type_and_trailing_zeros() {
        let a = Json::parse(r#"{"A":0.1,"B":"x"}"#).unwrap();
        let b = Json::parse(r#"{"$type":"T","B":"x","A":0.10}"#).unwrap();
        assert!(same_ignoring_type("Bag", &a, &b).is_ok());
        let c = Json::parse(r#"{"A":0.30000000000000004,"B":"x"}"#).unwrap();
        assert!(same_ignoring_type("Bag", &c, &b).is_err());
        assert!(Json::parse("{").is_err());
        assert!(Json::parse("").is_err());
    }
}
