//! The catalog's answers: institution groups, institution lists and screen
//! definitions.

use std::fmt;

use serde::{Deserialize, Serialize, de};
use serde_json::Value;

use super::parse;
use crate::bank::BankError;

/// An institution group (`"2"` → `"SU"`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Group {
    pub code: String,
    pub name: String,
}

/// `Data` of `GetAssociationCollectionGroup`.
#[derive(Debug, Deserialize)]
pub struct GroupsData {
    #[serde(
        rename = "AsociationCollectionGroups",
        alias = "AssociationCollectionGroups"
    )]
    pub groups: GroupMap,
}

/// The groups in the bank's order, without the `$type` entry.
#[derive(Debug, Default)]
pub struct GroupMap(pub Vec<Group>);

impl<'de> Deserialize<'de> for GroupMap {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> de::Visitor<'de> for V {
            type Value = GroupMap;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a map of group code to name")
            }
            fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<GroupMap, A::Error> {
                let mut groups = Vec::new();
                while let Some((code, value)) = map.next_entry::<String, Value>()? {
                    if code.starts_with('$') {
                        continue;
                    }
                    // Names are strings; a code given as a number is tolerated.
                    let name = match value {
                        Value::String(s) => s,
                        Value::Number(n) => n.to_string(),
                        _ => continue,
                    };
                    groups.push(Group { code, name });
                }
                Ok(GroupMap(groups))
            }
        }
        d.deserialize_map(V)
    }
}

/// An institution ("association") of a group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Association {
    #[serde(rename = "AssociationCode")]
    pub code: String,
    #[serde(rename = "AssociationName", default)]
    pub name: String,
    #[serde(rename = "CollectionGroup", default)]
    pub group: String,
    #[serde(rename = "ValidCityCodes", default)]
    pub city_codes: Vec<String>,
}

/// `Data` of `GetAssociationList`.
#[derive(Debug, Deserialize)]
pub struct AssociationsData {
    #[serde(rename = "Response")]
    pub response: Vec<Association>,
}

/// One field the institution asks for before a query.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueryField {
    /// The prompt, in the bank's words (`Abone Numarası`).
    #[serde(rename = "CodeString", default)]
    pub label: String,
    /// The key in `QueryInvoices.Request` (`SubscriberNumber`).
    #[serde(rename = "FieldName")]
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScreenDefinition {
    pub association_code: String,
    pub query_fields: Vec<QueryField>,
    /// `PaymentInputMappings`, repeats removed, order kept.
    pub payment_params: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct ScreenEntity {
    #[serde(rename = "AssociationCode", default)]
    association_code: Option<String>,
    #[serde(rename = "QueryInputFields", default)]
    query_fields: Option<Vec<QueryField>>,
    #[serde(rename = "PaymentInputMappings", default)]
    mappings: Option<Vec<PaymentInputMapping>>,
    #[serde(rename = "Response", default)]
    response: Option<Box<ScreenEntity>>,
}

#[derive(Debug, Deserialize)]
struct PaymentInputMapping {
    #[serde(rename = "PaymentInputParam")]
    param: String,
}

#[derive(Debug, Deserialize)]
struct ScreenData {
    #[serde(rename = "AssociationCode", default)]
    association_code: Option<String>,
    #[serde(rename = "Response")]
    response: ScreenEntity,
}

/// `Data` of `GetScreenDefinition`, at either depth the bank uses.
pub fn parse_screen(data: &str, requested_code: &str) -> Result<ScreenDefinition, BankError> {
    let data: ScreenData = parse("screen definition", data)?;
    let mut entity = &data.response;
    let mut code = entity.association_code.clone().or(data.association_code);
    // The seed nests one level deeper than the spec; allow a little more.
    for _ in 0..4 {
        if entity.query_fields.is_some() {
            break;
        }
        match &entity.response {
            Some(inner) => {
                entity = inner;
                code = entity.association_code.clone().or(code);
            }
            None => break,
        }
    }
    let query_fields = entity
        .query_fields
        .clone()
        .filter(|f| !f.is_empty())
        .ok_or_else(|| BankError::malformed("screen definition without QueryInputFields"))?;
    if query_fields.iter().any(|f| f.name.trim().is_empty()) {
        return Err(BankError::malformed(
            "screen definition with an empty FieldName",
        ));
    }
    let mut payment_params: Vec<String> = Vec::new();
    for m in entity.mappings.iter().flatten() {
        if !payment_params.contains(&m.param) {
            payment_params.push(m.param.clone());
        }
    }
    Ok(ScreenDefinition {
        association_code: code.unwrap_or_else(|| requested_code.to_owned()),
        query_fields,
        payment_params,
    })
}
