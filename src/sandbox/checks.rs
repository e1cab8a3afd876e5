//! Strictness: what a strict bank and receipt service check in a request.
//!
//! A [`Checker`] collects every problem of one request (not just the first), so
//! one failing test shows all that is wrong. Messages name fields by path and
//! never print a key's value.

use std::collections::HashMap;

use axum::http::HeaderMap;
use rust_decimal::Decimal;

use super::SandboxConfig;
use super::json::Json;

pub(crate) struct Checker {
    method: &'static str,
    problems: Vec<String>,
}

impl Checker {
    pub fn new(method: &'static str) -> Self {
        Checker {
            method,
            problems: Vec::new(),
        }
    }

    pub fn fail(&mut self, problem: impl Into<String>) {
        self.problems.push(problem.into());
    }

    pub fn is_clean(&self) -> bool {
        self.problems.is_empty()
    }

    /// The problems, and the same as violations (`"<Method>: <problem>"`).
    pub fn finish(self) -> (Vec<String>, Vec<String>) {
        let method = self.method;
        let violations = self
            .problems
            .iter()
            .map(|p| format!("{method}: {p}"))
            .collect();
        (self.problems, violations)
    }

    /// Both services take JSON; ASP.NET answers 415 to anything else.
    pub fn content_type(&mut self, headers: &HeaderMap) {
        let ct = headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let essence = ct.split(';').next().unwrap_or("").trim();
        if !essence.eq_ignore_ascii_case("application/json") {
            self.fail(format!(
                "header Content-Type must be application/json, got {ct:?}"
            ));
        }
    }

    /// Header `name` must equal `expected` when one is configured.
    /// Returns false on a mismatch.
    pub fn header_key(&mut self, headers: &HeaderMap, name: &str, expected: Option<&str>) -> bool {
        let Some(expected) = expected else {
            return true;
        };
        match headers.get(name).map(|v| v.as_bytes()) {
            None => {
                self.fail(format!("header {name} is missing"));
                false
            }
            Some(v) if v == expected.as_bytes() => true,
            Some(_) => {
                self.fail(format!("header {name} does not match the configured key"));
                false
            }
        }
    }

    fn member<'j>(&mut self, obj: &'j Json, path: &str, key: &str) -> Option<&'j Json> {
        let v = obj.get(key);
        if v.is_none() {
            self.fail(format!("{path}.{key} is missing"));
        }
        v
    }

    /// A string member; `non_empty` also refuses "".
    pub fn string<'j>(
        &mut self,
        obj: &'j Json,
        path: &str,
        key: &str,
        non_empty: bool,
    ) -> Option<&'j str> {
        let v = self.member(obj, path, key)?;
        match v.as_str() {
            Some("") if non_empty => {
                self.fail(format!("{path}.{key} must not be empty"));
                None
            }
            Some(s) => Some(s),
            None => {
                self.fail(format!("{path}.{key} must be a string, got {}", v.kind()));
                None
            }
        }
    }

    /// A member written as a JSON integer (`3488017`, not `"3488017"` nor `3488017.0`).
    pub fn integer(&mut self, obj: &Json, path: &str, key: &str) -> Option<i64> {
        let v = self.member(obj, path, key)?;
        let n = v.as_int();
        if n.is_none() {
            self.fail(format!("{path}.{key} must be a JSON integer, got {v}"));
        }
        n
    }

    /// A member written as a JSON number, read as an exact decimal.
    pub fn number(&mut self, obj: &Json, path: &str, key: &str) -> Option<Decimal> {
        let v = self.member(obj, path, key)?;
        let n = v.as_decimal();
        if n.is_none() {
            self.fail(format!("{path}.{key} must be a JSON number, got {v}"));
        }
        n
    }

    pub fn object<'j>(&mut self, obj: &'j Json, path: &str, key: &str) -> Option<&'j Json> {
        let v = self.member(obj, path, key)?;
        if v.as_obj().is_none() {
            self.fail(format!("{path}.{key} must be an object, got {}", v.kind()));
            return None;
        }
        Some(v)
    }
}

/// The bank's request envelope: `Header` with its four non-empty strings (the
/// configured Channel/AppKey, a never-seen ChannelRequestId) and `Parameters`,
/// an array of exactly one object, which is returned.
pub(crate) fn bank_envelope<'j>(
    chk: &mut Checker,
    body: &'j Json,
    config: &SandboxConfig,
    request_ids: &mut HashMap<String, &'static str>,
) -> Option<&'j Json> {
    if body.as_obj().is_none() {
        chk.fail(format!(
            "the body must be a JSON object, got {}",
            body.kind()
        ));
        return None;
    }
    if let Some(h) = chk.object(body, "body", "Header") {
        for key in ["Channel", "AppKey", "ChannelSessionId", "ChannelRequestId"] {
            chk.string(h, "Header", key, true);
        }
        if let (Some(want), Some(got)) = (&config.channel, h.get("Channel").and_then(Json::as_str))
            && got != want
        {
            chk.fail(format!(
                "Header.Channel {got:?} is not the configured channel"
            ));
        }
        if let (Some(want), Some(got)) = (&config.app_key, h.get("AppKey").and_then(Json::as_str))
            && got != want
        {
            chk.fail("Header.AppKey does not match the configured app key");
        }
        if let Some(id) = h
            .get("ChannelRequestId")
            .and_then(Json::as_str)
            .filter(|s| !s.is_empty())
        {
            match request_ids.get(id) {
                Some(first) => chk.fail(format!(
                    "Header.ChannelRequestId {id:?} was already used (first by {first}); it must be unique per request"
                )),
                None => {
                    request_ids.insert(id.to_string(), chk.method);
                }
            }
        }
    }
    let params = body.get("Parameters");
    match params.map(|p| (p, p.as_arr())) {
        None => chk.fail("body.Parameters is missing"),
        Some((p, None)) => chk.fail(format!(
            "body.Parameters must be an array, got {}",
            p.kind()
        )),
        Some((_, Some(items))) if items.len() != 1 => chk.fail(format!(
            "body.Parameters must hold exactly one object, it holds {} items",
            items.len()
        )),
        Some((_, Some([item]))) if item.as_obj().is_none() => chk.fail(format!(
            "Parameters[0] must be an object, got {}",
            item.kind()
        )),
        Some((_, Some([item]))) => return Some(item),
        Some(_) => {}
    }
    None
}
