use super::*;
use sonic_rs::json;

fn types() -> TypeIndex {
    let sdl = "type Query { a: Account } interface Account { id: ID } type Admin implements Account { id: ID }";
    let document = graphql_tools::parser::parse_schema::<String>(sdl).unwrap().into_static();
    TypeIndex::new(&document)
}

fn text(object: Object<'_>) -> serde_json::Value {
    let mut out = Vec::new();
    Ref::from(&Node::Object(object)).write_json(&mut out);
    serde_json::from_slice(&out).unwrap()
}

#[test]
fn merge_keeps_known_typename_fills_objects_and_keeps_values_over_nulls() {
    let types = types();
    let first = json!({"__typename": "Admin", "id": "1", "a": {"x": 1}, "n": 5, "l": [{"p": 1}, {"p": 2}]});
    let second = json!({"__typename": "Account", "a": {"y": 2}, "b": [1, 2], "n": null, "l": [{"q": 1}, {"q": 2}]});
    let mut object = Object::default();
    object.merge(first.as_object().unwrap(), &types);
    object.merge(second.as_object().unwrap(), &types);
    assert_eq!(
        text(object),
        serde_json::json!({"__typename": "Admin", "id": "1", "a": {"x": 1, "y": 2}, "n": 5, "b": [1, 2],
               "l": [{"p": 1, "q": 1}, {"p": 2, "q": 2}]})
    );
    let interface = json!({"__typename": "Account", "id": "1"});
    let concrete = json!({"__typename": "Admin"});
    let mut object = Object::default();
    object.merge(interface.as_object().unwrap(), &types);
    object.merge(concrete.as_object().unwrap(), &types);
    assert_eq!(ObjRef::from(&object).typename(), Some("Admin"));
}

#[test]
fn a_cursor_finds_members_in_any_order_and_twice() {
    let types = types();
    let answer = json!({"a": 1, "b": 2, "c": 3});
    let mut merged = Object::default();
    merged.merge(answer.as_object().unwrap(), &types);
    let objects = [ObjRef::Value(answer.as_object().unwrap()), ObjRef::from(&merged)];
    for object in objects {
        let mut cursor = object.cursor();
        let asked = ["a", "c", "b", "b", "missing", "c", "a"];
        let found: Vec<Option<String>> = asked
            .iter()
            .map(|key| cursor.get(key).and_then(Ref::leaf).map(|v| sonic_rs::to_string(v).unwrap()))
            .collect();
        let expected = [Some("1"), Some("3"), Some("2"), Some("2"), None, Some("3"), Some("1")];
        assert_eq!(found, expected.map(|e| e.map(String::from)));
    }
}

#[test]
fn merging_leaves_the_shared_answer_untouched() {
    let types = types();
    let answer = json!({"user": {"id": "1"}});
    let extra = json!({"name": "Ada"});
    let mut object = Object::default();
    object.merge(answer.as_object().unwrap(), &types);
    object.get_mut("user").unwrap().object_mut().unwrap().merge(extra.as_object().unwrap(), &types);
    assert_eq!(text(object), serde_json::json!({"user": {"id": "1", "name": "Ada"}}));
    assert_eq!(answer, json!({"user": {"id": "1"}}));
}

#[test]
fn values_are_written_as_serde_json_writes_them() {
    let scalars = [
        "1",
        "-7",
        "18446744073709551615",
        "-9223372036854775808",
        "1.5",
        "2.0",
        "1e21",
        "1.0e-7",
        "0.1",
        "123456789.125",
        r#""plain""#,
        r#""quote \" slash \\ control \u0001 é 🦀""#,
        r#""no escape: é 🦀 / \u007f <>""#,
        r#""tab\tonly""#,
        r#""\u0001\t""#,
        r#""only \" a quote""#,
        r#""only \\ a backslash""#,
        r#""a space""#,
        r#""""#,
        r#""x""#,
        "true",
        "false",
        "null",
    ];
    for text in scalars {
        let value: Value = sonic_rs::from_str(text).unwrap();
        let mut out = Vec::new();
        write_value(&value, &mut out);
        let expected = serde_json::to_string(&serde_json::from_str::<serde_json::Value>(text).unwrap()).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), expected, "{text}");
    }
    let text = r#"{"b":[1,2.5,{"c":null,"d":"x"}],"a":true}"#;
    let mut out = Vec::new();
    write_value(&sonic_rs::from_str(text).unwrap(), &mut out);
    assert_eq!(String::from_utf8(out).unwrap(), text, "members keep their order");
}

#[test]
fn a_merge_replaces_scalars_and_lists_of_another_length_but_never_with_a_null() {
    let types = types();
    let first = json!({"n": 5, "s": "old", "l": [1, 2], "o": {"x": 1}, "z": null});
    let second = json!({"n": 6, "s": null, "l": [3], "o": 7, "z": 1});
    let mut object = Object::default();
    object.merge(first.as_object().unwrap(), &types);
    object.merge(second.as_object().unwrap(), &types);
    assert_eq!(text(object), serde_json::json!({"n": 6, "s": "old", "l": [3], "o": 7, "z": 1}));
}
