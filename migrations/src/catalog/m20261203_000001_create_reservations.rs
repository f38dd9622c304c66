use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Reservations {
    Table,
    OrderId,
    Status,
    Lines,
    Reason,
    ReasonProductId,
    ExpiresAt,
    CreatedAt,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Reservations::Table)
                    .if_not_exists()
                    // One row per order: the saga's stock commands are idempotent by order id.
                    .col(ColumnDef::new(Reservations::OrderId).string_len(64).not_null().primary_key())
                    // held, released, committed, restocked or rejected.
                    .col(ColumnDef::new(Reservations::Status).string_len(16).not_null())
                    // JSON text of [{productId, quantity}], sorted by product id.
                    .col(ColumnDef::new(Reservations::Lines).text().not_null())
                    // Why a rejected reservation was refused, so a retried command gets the same answer.
                    .col(ColumnDef::new(Reservations::Reason).string_len(32).null())
                    .col(ColumnDef::new(Reservations::ReasonProductId).string_len(64).null())
                    // Set when stock was held: past it, the catalog releases the stock by itself.
                    .col(ColumnDef::new(Reservations::ExpiresAt).timestamp_with_time_zone().null())
                    .col(ColumnDef::new(Reservations::CreatedAt).timestamp_with_time_zone().not_null())
                    .col(ColumnDef::new(Reservations::UpdatedAt).timestamp_with_time_zone().not_null())
                    .to_owned(),
            )
            .await?;
        // The expiry sweep looks for held reservations past their time.
        manager
            .create_index(
                Index::create()
                    .name("reservations_by_expiry")
                    .table(Reservations::Table)
                    .col(Reservations::Status)
                    .col(Reservations::ExpiresAt)
                    .if_not_exists()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Reservations::Table).to_owned()).await
    }
}
