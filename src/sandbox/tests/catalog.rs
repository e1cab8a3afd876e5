//! Catalog shapes: groups, institution lists, screen definitions.

use serde_json::json;

use super::*;

#[tokio::test]
async fn groups_are_shaped_like_the_seed() {
    let t = T::new().await;
    let a = t.bank("GetAssociationCollectionGroup", json!({})).await;
    assert_eq!(a.status, 200);
    assert!(a.text.starts_with(r#"{"$type":"ServiceResponseMessage","Data":{"$type":"AssociationCollectionGroupsQueryMessage","AsociationCollectionGroups":{"$type":"Dictionary`2","1":"ELEKTRİK","2":"SU""#), "{}", a.text);
    let groups = a.json["Data"]["AsociationCollectionGroups"]
        .as_object()
        .unwrap();
    assert_eq!(groups["11"], "HAYAT SIGORTASI KURUMLARI");
    assert_eq!(groups["3"], "DOĞALGAZ");
    t.assert_clean();
}

#[tokio::test]
async fn association_list_is_long_and_realistic() {
    let t = T::new().await;
    let a = t
        .bank("GetAssociationList", json!({"CollectionGroup": "2"}))
        .await;
    let list = a.json["Data"]["Response"].as_array().unwrap();
    assert!(list.len() >= 25);
    assert_eq!(a.json["Data"]["$type"], "AssociationListQueryMessage");
    let find = |code: &str| {
        list.iter()
            .find(|i| i["AssociationCode"] == code)
            .unwrap_or_else(|| panic!("{code}"))
            .clone()
    };
    assert_eq!(
        find("ISKI")["AssociationName"],
        "İSKİ İSTANBUL SU VE KANALİZASYON İDARESİ"
    );
    assert_eq!(
        find("IGDIR SU")["AssociationName"],
        "IĞDIR BELEDİYESİ SU İŞLERİ"
    );
    assert_eq!(find("ADANA SU")["ValidCityCodes"], json!(["01"]));
    assert_eq!(find("ARTVINSU")["AssociationName"], "ARTVİN BELEDİYESİ SU");
    assert_eq!(
        find("AB SU KOOP")["AssociationName"],
        "A&B <SU> KOOPERATİFİ"
    );
    assert!(find(LONG_CODE)["AssociationCode"].as_str().unwrap().len() > 40);
    for i in list {
        assert_eq!(i["$type"], "Association");
        assert_eq!(i["CollectionGroup"], "2");
    }
    // An unknown group is a business error, not a violation.
    let a = t
        .bank("GetAssociationList", json!({"CollectionGroup": "99"}))
        .await;
    assert_eq!(a.error_code(), Some(1101));
    t.assert_clean();
}

#[tokio::test]
async fn screen_definition_is_doubly_nested_with_repeated_mappings() {
    let t = T::new().await;
    let a = t
        .bank(
            "GetScreenDefinition",
            json!({"AssociationCode": "ARTVINSU"}),
        )
        .await;
    let inner = &a.json["Data"]["Response"]["Response"];
    assert_eq!(a.json["Data"]["$type"], "ScreenDefinitionQueryMessage");
    assert_eq!(
        a.json["Data"]["Response"]["$type"],
        "ScreenDefinitionEntity"
    );
    assert_eq!(inner["$type"], "ScreenDefinitionEntity");
    assert_eq!(
        inner["QueryInputFields"],
        json!([{"$type": "FieldMapping", "CodeString": "Abone Numarası", "FieldName": "SubscriberNumber"}])
    );
    let mappings: Vec<&str> = inner["PaymentInputMappings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["PaymentInputParam"].as_str().unwrap())
        .collect();
    assert_eq!(
        mappings,
        [
            "AssociationCode",
            "AssociationCode",
            "SubscriberNumber",
            "InvoiceNumber",
            "ParametricCode"
        ]
    );

    let a = t
        .bank(
            "GetScreenDefinition",
            json!({"AssociationCode": "BASKENTEDAS"}),
        )
        .await;
    let fields: Vec<&str> = a.json["Data"]["Response"]["Response"]["QueryInputFields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["FieldName"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["InstallationNumber", "SubscriberNumber"]);

    let a = t
        .bank("GetScreenDefinition", json!({"AssociationCode": "NOPE"}))
        .await;
    assert_eq!(a.error_code(), Some(1102));
    t.assert_clean();
}
