//! What the orders crate's database tests share: a migrated database, an order placed in it
//! and the outbox read back.

use braid_kit::contracts::shipping::Address;
use braid_kit::events::Envelope;
use braid_kit::events::outbox::entity as outbox;
use braid_migrations::MigratorTrait;
use braid_orders::history::{self, OrderEvent, OrderLine, Placed};
use braid_orders::view::OrderView;
use braid_testkit::db::TestDb;
use chrono::{SubsecRound, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, Database, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};

/// A database of the test's own with the orders schema.
pub async fn database() -> (TestDb, DatabaseConnection) {
    let test_db = TestDb::create().await;
    let db = Database::connect(&test_db.url).await.unwrap();
    braid_migrations::orders::Migrator::up(&db, None).await.unwrap();
    (test_db, db)
}

/// Places an order of one item (its stream and projection); the saga is not started.
pub async fn place<C: ConnectionTrait>(conn: &C) -> OrderView {
    let id = uuid::Uuid::now_v7().to_string();
    let placed = Placed {
        number: "BR-000001".into(),
        buyer_id: "301".into(),
        idempotency_key: "k".into(),
        request_hash: "h".into(),
        lines: vec![OrderLine {
            product_id: "p".into(),
            sku: "S-1".into(),
            name: "Thing".into(),
            quantity: 1,
            unit_price_minor: 100,
            currency: "EUR".into(),
        }],
        total_minor: 100,
        currency: "EUR".into(),
        address: Address {
            name: "A".into(),
            line1: "1 Road".into(),
            line2: None,
            city: "Town".into(),
            postal_code: "1000".into(),
            country: "BE".into(),
        },
    };
    let at = Utc::now().trunc_subsecs(6);
    let recorded = history::append(conn, &id, 0, &[OrderEvent::Placed(placed)], at).await.unwrap();
    let view = OrderView::placed(&id, &recorded[0]).unwrap();
    view.save(conn).await.unwrap();
    view
}

/// The events on `topic`, in the order they were written.
pub async fn written(db: &DatabaseConnection, topic: &str) -> Vec<Envelope> {
    let rows = outbox::Entity::find()
        .filter(outbox::Column::Topic.eq(topic))
        .order_by_asc(outbox::Column::Id)
        .all(db)
        .await
        .unwrap();
    rows.iter().map(|r| serde_json::from_str(&r.payload).unwrap()).collect()
}
