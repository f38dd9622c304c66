//! The trace a saga and a shipment belong to: their timers' work (a step's timeout, the
//! carrier's moves) continues the checkout's trace rather than starting one of its own.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Sagas {
    Table,
    Traceparent,
}

#[derive(DeriveIden)]
enum Shipments {
    Table,
    Traceparent,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters a table a column at a time.
        let column = |table: DynIden, column: DynIden| {
            Table::alter().table(table).add_column(ColumnDef::new(column).string_len(55).null()).to_owned()
        };
        manager.alter_table(column(Sagas::Table.into_iden(), Sagas::Traceparent.into_iden())).await?;
        manager.alter_table(column(Shipments::Table.into_iden(), Shipments::Traceparent.into_iden())).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let drop = |table: DynIden, column: DynIden| Table::alter().table(table).drop_column(column).to_owned();
        manager.alter_table(drop(Sagas::Table.into_iden(), Sagas::Traceparent.into_iden())).await?;
        manager.alter_table(drop(Shipments::Table.into_iden(), Shipments::Traceparent.into_iden())).await
    }
}
