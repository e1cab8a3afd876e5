//! The command menu: `setMyCommands` and the key the commands are kept by.

use serde_json::{Value, json};

use super::{ApiErr, Params};
use crate::fakegram::state::State;

/// Commands are kept per scope and language, as Telegram keeps them.
pub(super) fn commands_key(p: &Params) -> Result<(String, String), ApiErr> {
    let scope = p
        .json("scope")?
        .unwrap_or_else(|| json!({ "type": "default" }));
    // serde_json's map is ordered, so equal scopes serialize equally.
    Ok((
        scope.to_string(),
        p.str("language_code").unwrap_or_default(),
    ))
}

pub(super) fn set_my_commands(st: &mut State, p: &Params) -> Result<Value, ApiErr> {
    let commands = p
        .json("commands")?
        .ok_or_else(|| ApiErr::bad("parameter \"commands\" is required"))?;
    let list = commands
        .as_array()
        .ok_or_else(|| ApiErr::bad("can't parse commands JSON object"))?;
    if list.len() > 100 {
        return Err(ApiErr::bad("BOT_COMMANDS_TOO_MUCH"));
    }
    let mut kept = Vec::with_capacity(list.len());
    for c in list {
        let command = c.get("command").and_then(Value::as_str).unwrap_or_default();
        let description = c
            .get("description")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let command_ok = (1..=32).contains(&command.len())
            && command
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !command_ok {
            return Err(ApiErr::bad("BOT_COMMAND_INVALID"));
        }
        if !(1..=256).contains(&description.chars().count()) {
            return Err(ApiErr::bad("BOT_COMMAND_DESCRIPTION_INVALID"));
        }
        kept.push(json!({ "command": command, "description": description }));
    }
    let key = commands_key(p)?;
    st.commands.insert(key, Value::Array(kept));
    Ok(json!(true))
}
