//! The transactional outbox: an event row written in the caller's transaction, so an event
//! exists exactly when the change it describes was committed.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use sea_orm::{ActiveValue::Set, ConnectionTrait, DbErr, EntityTrait};
use tokio::sync::Notify;

use super::envelope::Envelope;

/// The `outbox` table.
pub mod entity {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "outbox")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub event_id: String,
        pub topic: String,
        pub event_key: String,
        pub event_type: String,
        pub payload: String,
        pub created_at: ChronoDateTimeUtc,
        pub published_at: Option<ChronoDateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// The `inbox` table: (consumer, event id) pairs already applied.
pub mod inbox {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "inbox")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub consumer: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub event_id: String,
        pub processed_at: ChronoDateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Writes `envelope` to the outbox inside the caller's transaction (or connection). With traces
/// on, the event carries the current span (the request or the event handling that made the
/// change) as its `traceparent`, so whatever it causes downstream joins that trace.
pub async fn append<C: ConnectionTrait>(conn: &C, envelope: &Envelope) -> Result<(), DbErr> {
    let traced;
    let envelope = match crate::telemetry::context::current_traceparent() {
        Some(traceparent) if envelope.traceparent.as_ref() != Some(&traceparent) => {
            traced = Envelope { traceparent: Some(traceparent), ..envelope.clone() };
            &traced
        }
        _ => envelope,
    };
    let row = entity::ActiveModel {
        event_id: Set(envelope.id.clone()),
        topic: Set(envelope.topic()),
        event_key: Set(envelope.subject.clone()),
        event_type: Set(envelope.event_type.clone()),
        payload: Set(serde_json::to_string(envelope).expect("envelopes serialize")),
        created_at: Set(now()),
        published_at: Set(None),
        ..Default::default()
    };
    entity::Entity::insert(row).exec_without_returning(conn).await?;
    Ok(())
}

pub(crate) fn now() -> DateTime<Utc> {
    Utc::now()
}

/// Wakes the relay right after a commit instead of at its next poll.
#[derive(Clone, Default)]
pub struct OutboxSignal(Arc<Notify>);

impl OutboxSignal {
    /// Call after committing a transaction that appended events.
    pub fn committed(&self) {
        self.0.notify_one();
    }

    pub(crate) async fn wait(&self) {
        self.0.notified().await;
    }
}
