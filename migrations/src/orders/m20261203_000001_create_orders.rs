use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum CartLines {
    Table,
    UserId,
    ProductId,
    Quantity,
    AddedAt,
}

#[derive(DeriveIden)]
enum OrderEvents {
    Table,
    OrderId,
    Version,
    EventType,
    Payload,
    RecordedAt,
}

#[derive(DeriveIden)]
enum Orders {
    Table,
    Id,
    Number,
    BuyerId,
    IdempotencyKey,
    RequestHash,
    Status,
    TotalMinor,
    Currency,
    Lines,
    ShippingAddress,
    Timeline,
    Shipment,
    FailureReason,
    PlacedAt,
    UpdatedAt,
    Version,
}

#[derive(DeriveIden)]
enum Sagas {
    Table,
    OrderId,
    State,
    Version,
    Deadline,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum OrderCounter {
    Table,
    Id,
    Value,
}

#[derive(DeriveIden)]
enum Payments {
    Table,
    OrderId,
    Status,
    PaymentId,
    AmountMinor,
    Currency,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Shipments {
    Table,
    OrderId,
    ShipmentId,
    Carrier,
    Tracking,
    Status,
    NextAt,
    CreatedAt,
    UpdatedAt,
}

fn text(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col).text().not_null().to_owned()
}

fn string(col: impl IntoIden, len: u32) -> ColumnDef {
    ColumnDef::new(col).string_len(len).not_null().to_owned()
}

fn time(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col).timestamp_with_time_zone().not_null().to_owned()
}

fn big(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col).big_integer().not_null().to_owned()
}

async fn index(manager: &SchemaManager<'_>, name: &str, table: impl IntoIden, cols: Vec<DynIden>) -> Result<(), DbErr> {
    let mut index = Index::create();
    index.name(name).table(table).if_not_exists();
    for col in cols {
        index.col(col);
    }
    manager.create_index(index.to_owned()).await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(CartLines::Table)
                    .if_not_exists()
                    .col(string(CartLines::UserId, 64))
                    .col(string(CartLines::ProductId, 64))
                    .col(big(CartLines::Quantity))
                    .col(time(CartLines::AddedAt))
                    .primary_key(Index::create().col(CartLines::UserId).col(CartLines::ProductId))
                    .to_owned(),
            )
            .await?;
        // The source of truth: one append-only stream per order; the primary key is the
        // optimistic concurrency check (two writers of version n + 1: one fails).
        manager
            .create_table(
                Table::create()
                    .table(OrderEvents::Table)
                    .if_not_exists()
                    .col(string(OrderEvents::OrderId, 36))
                    .col(big(OrderEvents::Version))
                    .col(string(OrderEvents::EventType, 64))
                    .col(text(OrderEvents::Payload))
                    .col(time(OrderEvents::RecordedAt))
                    .primary_key(Index::create().col(OrderEvents::OrderId).col(OrderEvents::Version))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Orders::Table)
                    .if_not_exists()
                    .col(string(Orders::Id, 36).primary_key())
                    .col(string(Orders::Number, 32).unique_key())
                    .col(string(Orders::BuyerId, 64))
                    .col(string(Orders::IdempotencyKey, 128))
                    .col(string(Orders::RequestHash, 64))
                    .col(string(Orders::Status, 20))
                    .col(big(Orders::TotalMinor))
                    .col(string(Orders::Currency, 3))
                    .col(text(Orders::Lines))
                    .col(text(Orders::ShippingAddress))
                    .col(text(Orders::Timeline))
                    .col(ColumnDef::new(Orders::Shipment).text().null())
                    .col(ColumnDef::new(Orders::FailureReason).text().null())
                    .col(time(Orders::PlacedAt))
                    .col(time(Orders::UpdatedAt))
                    .col(big(Orders::Version))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("orders_idempotency")
                    .table(Orders::Table)
                    .col(Orders::BuyerId)
                    .col(Orders::IdempotencyKey)
                    .unique()
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "orders_by_buyer",
            Orders::Table,
            vec![Orders::BuyerId.into_iden(), Orders::PlacedAt.into_iden(), Orders::Id.into_iden()],
        )
        .await?;
        index(manager, "orders_by_time", Orders::Table, vec![Orders::PlacedAt.into_iden(), Orders::Id.into_iden()])
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Sagas::Table)
                    .if_not_exists()
                    .col(string(Sagas::OrderId, 36).primary_key())
                    .col(text(Sagas::State))
                    .col(big(Sagas::Version))
                    .col(ColumnDef::new(Sagas::Deadline).timestamp_with_time_zone().null())
                    .col(time(Sagas::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        index(manager, "sagas_by_deadline", Sagas::Table, vec![Sagas::Deadline.into_iden()]).await?;
        manager
            .create_table(
                Table::create()
                    .table(OrderCounter::Table)
                    .if_not_exists()
                    .col(ColumnDef::new(OrderCounter::Id).integer().not_null().primary_key())
                    .col(big(OrderCounter::Value))
                    .to_owned(),
            )
            .await?;
        let seed = Query::insert()
            .into_table(OrderCounter::Table)
            .columns([OrderCounter::Id, OrderCounter::Value])
            .values_panic([1.into(), 0.into()])
            .to_owned();
        manager.exec_stmt(seed).await?;
        manager
            .create_table(
                Table::create()
                    .table(Payments::Table)
                    .if_not_exists()
                    .col(string(Payments::OrderId, 36).primary_key())
                    .col(string(Payments::Status, 20))
                    .col(ColumnDef::new(Payments::PaymentId).string_len(64).null())
                    .col(big(Payments::AmountMinor))
                    .col(string(Payments::Currency, 3))
                    .col(time(Payments::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Shipments::Table)
                    .if_not_exists()
                    .col(string(Shipments::OrderId, 36).primary_key())
                    .col(string(Shipments::ShipmentId, 36))
                    .col(string(Shipments::Carrier, 64))
                    .col(string(Shipments::Tracking, 64))
                    .col(string(Shipments::Status, 20))
                    .col(ColumnDef::new(Shipments::NextAt).timestamp_with_time_zone().null())
                    .col(time(Shipments::CreatedAt))
                    .col(time(Shipments::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        index(manager, "shipments_due", Shipments::Table, vec![Shipments::NextAt.into_iden()]).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Shipments::Table.into_iden(),
            Payments::Table.into_iden(),
            OrderCounter::Table.into_iden(),
            Sagas::Table.into_iden(),
            Orders::Table.into_iden(),
            OrderEvents::Table.into_iden(),
            CartLines::Table.into_iden(),
        ] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}
