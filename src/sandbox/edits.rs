//! Catalog changes made by hand ([`Sandbox::hide_association`],
//! [`Sandbox::rename_query_field`]): a bank that stops listing an
//! institution, or asks for a query field by another name, as a real one
//! may between two payments of a saved bill. Only the catalog methods
//! (`GetAssociationList`, `GetScreenDefinition`) see them.

use std::collections::{HashMap, HashSet};

use super::Sandbox;

/// What was changed, kept in the sandbox's state.
#[derive(Default)]
pub(crate) struct CatalogEdits {
    hidden: HashSet<String>,
    /// Association code → (FieldName as built in, FieldName served).
    renamed: HashMap<String, Vec<(String, String)>>,
}

impl CatalogEdits {
    /// Whether institution `code` is no longer listed (nor its screen served).
    pub fn hides(&self, code: &str) -> bool {
        self.hidden.contains(code)
    }

    /// The FieldName that `code`'s screen definition serves for `field`.
    pub fn field_name(&self, code: &str, field: &str) -> String {
        self.renamed
            .get(code)
            .and_then(|r| r.iter().find(|(from, _)| from == field))
            .map_or(field, |(_, to)| to.as_str())
            .to_owned()
    }
}

impl Sandbox {
    /// From now on `GetAssociationList` leaves institution `code` out and
    /// `GetScreenDefinition` answers that it knows no such institution.
    pub fn hide_association(&self, code: &str) {
        self.state().edits.hidden.insert(code.to_owned());
    }

    /// From now on `GetScreenDefinition` of institution `code` names its
    /// query field `from` (a built-in `FieldName`) `to`.
    pub fn rename_query_field(&self, code: &str, from: &str, to: &str) {
        let mut st = self.state();
        let renamed = st.edits.renamed.entry(code.to_owned()).or_default();
        renamed.retain(|(f, _)| f != from);
        renamed.push((from.to_owned(), to.to_owned()));
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::super::{Sandbox, SandboxConfig};

    async fn call(url: &str, method: &str, params: Value) -> Value {
        let body = json!({
            "Header": {"Channel": "TG", "AppKey": "app", "ChannelSessionId": "s",
                       "ChannelRequestId": uuid::Uuid::new_v4().to_string()},
            "Parameters": [params],
        });
        reqwest::Client::new()
            .post(format!("{url}/{method}"))
            .json(&body)
            .send()
            .await
            .expect("sent")
            .json()
            .await
            .expect("JSON")
    }

    #[tokio::test]
    async fn a_hidden_institution_is_not_listed_and_a_renamed_field_is_served_renamed() {
        let running = Sandbox::new(SandboxConfig::default())
            .spawn()
            .await
            .expect("sandbox");
        let sb = &running.sandbox;
        sb.hide_association("ISKI");
        sb.rename_query_field("ASKI", "SubscriberNumber", "ContractNumber");

        let list = call(
            &running.url,
            "GetAssociationList",
            json!({"CollectionGroup": "2"}),
        )
        .await;
        let codes: Vec<&str> = list["Data"]["Response"]
            .as_array()
            .expect("a list")
            .iter()
            .filter_map(|a| a["AssociationCode"].as_str())
            .collect();
        assert!(
            codes.contains(&"ASKI") && !codes.contains(&"ISKI"),
            "{codes:?}"
        );
        let hidden = call(
            &running.url,
            "GetScreenDefinition",
            json!({"AssociationCode": "ISKI"}),
        )
        .await;
        assert!(hidden["Error"]["Code"].as_i64().is_some(), "{hidden}");
        let renamed = call(
            &running.url,
            "GetScreenDefinition",
            json!({"AssociationCode": "ASKI"}),
        )
        .await;
        let fields = &renamed["Data"]["Response"]["Response"]["QueryInputFields"];
        assert_eq!(fields[0]["FieldName"], "ContractNumber", "{renamed}");
        assert!(sb.violations().is_empty(), "{:?}", sb.violations());
    }
}
