//! Every permissions event the writer appends matches its JSON Schema in `schema/events/`.

use braid_kit::events::Envelope;
use braid_kit::events::outbox::entity as outbox;
use braid_permissions::write::{CreateEmployeeInput, GrantInput, UpdateEmployeeInput};
use sea_orm::{EntityTrait, QueryOrder};

use crate::stack::Stack;

#[tokio::test]
async fn every_event_type_is_published_and_matches_its_schema() {
    let stack = Stack::new(true).await;
    let w = &stack.writer;
    let input = |email: &str, manager: Option<i64>| CreateEmployeeInput {
        email: email.into(),
        name: "Someone".into(),
        title: "Engineer".into(),
        department: "Engineering".into(),
        manager_id: manager.map(|m| m.to_string().into()),
        scopes: vec!["documents:write".into()],
        password: None,
    };
    let boss = w.create_employee(input("boss@test.braid", None)).await.unwrap();
    let a = w.create_employee(input("a@test.braid", Some(boss.id))).await.unwrap();
    let b = w.create_employee(input("b@test.braid", Some(boss.id))).await.unwrap();
    w.update_employee(a.id, UpdateEmployeeInput { title: Some("Lead".into()), ..Default::default() }).await.unwrap();
    w.move_employee(b.id, Some(a.id)).await.unwrap();
    let group = w.create_group("Auditors", &[a.id]).await.unwrap();
    w.change_members(group.id, &[b.id], true).await.unwrap();
    w.change_members(group.id, &[a.id], false).await.unwrap();
    let grant = w
        .create_grant(GrantInput {
            grantee_group_id: Some(group.id.to_string().into()),
            target_employee_id: Some(boss.id.to_string().into()),
            include_reports: true,
            expires_at: Some(chrono::Utc::now() + chrono::TimeDelta::days(1)),
            ..Default::default()
        })
        .await
        .unwrap();
    w.revoke_grant(grant.id).await.unwrap();
    w.delete_group(group.id).await.unwrap();
    w.delete_employee(b.id).await.unwrap();

    let schemas = braid_kit::events::schema::EventSchemas::load(&braid_testkit::repo_root().join("schema/events"))
        .expect("event schemas load");
    let rows = outbox::Entity::find().order_by_asc(outbox::Column::Id).all(&stack.db).await.unwrap();
    let mut types: Vec<String> = Vec::new();
    for row in rows {
        let envelope = Envelope::from_bytes(row.payload.as_bytes()).unwrap();
        schemas.validate(&envelope).unwrap_or_else(|e| panic!("{}: {e:?}\n{}", envelope.event_type, row.payload));
        types.push(envelope.event_type);
    }
    types.sort();
    types.dedup();
    assert_eq!(
        types,
        [
            "permissions.employee.created.v1",
            "permissions.employee.deleted.v1",
            "permissions.employee.moved.v1",
            "permissions.employee.updated.v1",
            "permissions.grant.changed.v1",
            "permissions.group.changed.v1",
        ]
    );
}

#[test]
fn exported_sdl_matches_schema_permissions_graphql() {
    let path = braid_testkit::repo_root().join("schema/permissions.graphql");
    let committed = std::fs::read_to_string(&path).expect("schema/permissions.graphql exists");
    assert!(
        committed == braid_permissions::graphql::sdl(),
        "schema/permissions.graphql is out of date: run `cargo run -- sdl permissions > schema/permissions.graphql`"
    );
}
