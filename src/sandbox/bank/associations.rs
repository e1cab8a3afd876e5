//! The catalog methods: GetAssociationCollectionGroup, GetAssociationList,
//! GetScreenDefinition (with the catalog edits made by hand).

use super::code;
use super::envelope::{error, success};
use crate::sandbox::Reply;
use crate::sandbox::catalog::{self, Institution};
use crate::sandbox::edits::CatalogEdits;
use crate::sandbox::json::Json;

pub(super) fn groups() -> Reply {
    let mut groups = vec![("$type".to_string(), Json::s("Dictionary`2"))];
    groups.extend(
        catalog::GROUPS
            .iter()
            .map(|(c, n)| (c.to_string(), Json::s(*n))),
    );
    success(Json::obj([
        ("$type", Json::s("AssociationCollectionGroupsQueryMessage")),
        ("AsociationCollectionGroups", Json::Obj(groups)),
    ]))
}

pub(super) fn list(group: &str, edits: &CatalogEdits) -> Reply {
    if catalog::group_name(group).is_none() {
        return error(
            code::UNKNOWN_GROUP,
            format!("Tahsilat grubu bulunamadı: {group}"),
        );
    }
    let list = catalog::institutions_of(group)
        .filter(|i| !edits.hides(i.code))
        .map(|i| {
            Json::obj([
                ("$type", Json::s("Association")),
                ("AssociationCode", Json::s(i.code)),
                ("AssociationName", Json::s(i.name)),
                ("CollectionGroup", Json::s(i.group)),
                ("ValidCityCodes", Json::strs(i.cities.iter().copied())),
            ])
        })
        .collect();
    success(Json::obj([
        ("$type", Json::s("AssociationListQueryMessage")),
        ("Response", Json::Arr(list)),
    ]))
}

pub(super) fn screen(code: &str, edits: &CatalogEdits) -> Reply {
    match catalog::institution(code).filter(|_| !edits.hides(code)) {
        None => error(
            code::UNKNOWN_ASSOCIATION,
            format!("Kurum bulunamadı: {code}"),
        ),
        Some(inst) => success(screen_definition(inst, edits)),
    }
}

/// Doubly nested, as in the seed.
fn screen_definition(inst: &Institution, edits: &CatalogEdits) -> Json {
    let mappings = inst
        .payment_mappings()
        .iter()
        .map(|m| {
            Json::obj([
                ("$type", Json::s("PaymentInputMapping")),
                ("PaymentInputParam", Json::s(*m)),
            ])
        })
        .collect();
    let fields = inst
        .query_fields()
        .iter()
        .map(|(label, field)| {
            Json::obj([
                ("$type", Json::s("FieldMapping")),
                ("CodeString", Json::s(*label)),
                ("FieldName", Json::s(edits.field_name(inst.code, field))),
            ])
        })
        .collect();
    let inner = Json::obj([
        ("$type", Json::s("ScreenDefinitionEntity")),
        ("AssociationCode", Json::s(inst.code)),
        ("PaymentInputMappings", Json::Arr(mappings)),
        ("QueryInputFields", Json::Arr(fields)),
    ]);
    Json::obj([
        ("$type", Json::s("ScreenDefinitionQueryMessage")),
        ("AssociationCode", Json::s(inst.code)),
        (
            "Response",
            Json::obj([
                ("$type", Json::s("ScreenDefinitionEntity")),
                ("AssociationCode", Json::s(inst.code)),
                ("Response", inner),
            ]),
        ),
    ])
}
