//! The transactional outbox and the consumer inbox, shared by every subgraph database.

use sea_orm_migration::prelude::*;

/// Creates `outbox` and `inbox`.
pub struct CreateEventTables;

impl MigrationName for CreateEventTables {
    fn name(&self) -> &str {
        "m20261122_000000_create_event_tables"
    }
}

#[derive(DeriveIden)]
enum Outbox {
    Table,
    Id,
    EventId,
    Topic,
    EventKey,
    EventType,
    Payload,
    CreatedAt,
    PublishedAt,
}

#[derive(DeriveIden)]
enum Inbox {
    Table,
    Consumer,
    EventId,
    ProcessedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for CreateEventTables {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Outbox::Table)
                    .if_not_exists()
                    .col(ColumnDef::new(Outbox::Id).big_integer().not_null().auto_increment().primary_key())
                    .col(ColumnDef::new(Outbox::EventId).string_len(64).not_null().unique_key())
                    .col(ColumnDef::new(Outbox::Topic).string_len(255).not_null())
                    .col(ColumnDef::new(Outbox::EventKey).string_len(255).not_null())
                    .col(ColumnDef::new(Outbox::EventType).string_len(255).not_null())
                    .col(ColumnDef::new(Outbox::Payload).text().not_null())
                    .col(ColumnDef::new(Outbox::CreatedAt).timestamp_with_time_zone().not_null())
                    .col(ColumnDef::new(Outbox::PublishedAt).timestamp_with_time_zone().null())
                    .to_owned(),
            )
            .await?;
        // The relay scans unpublished rows in id order.
        manager
            .create_index(
                Index::create()
                    .name("outbox_unpublished")
                    .table(Outbox::Table)
                    .col(Outbox::PublishedAt)
                    .col(Outbox::Id)
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Inbox::Table)
                    .if_not_exists()
                    .col(ColumnDef::new(Inbox::Consumer).string_len(255).not_null())
                    .col(ColumnDef::new(Inbox::EventId).string_len(64).not_null())
                    .col(ColumnDef::new(Inbox::ProcessedAt).timestamp_with_time_zone().not_null())
                    .primary_key(Index::create().col(Inbox::Consumer).col(Inbox::EventId))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Inbox::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(Outbox::Table).to_owned()).await
    }
}
