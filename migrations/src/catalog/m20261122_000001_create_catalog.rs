use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Categories {
    Table,
    Id,
    Slug,
    Name,
}

#[derive(DeriveIden)]
enum Products {
    Table,
    Id,
    Sku,
    Name,
    NameKey,
    Description,
    PriceCents,
    Currency,
    CategoryId,
    Attributes,
    Version,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Inventory {
    Table,
    ProductId,
    OnHand,
    Reserved,
    LowStockThreshold,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Categories::Table)
                    .if_not_exists()
                    .col(ColumnDef::new(Categories::Id).string_len(36).not_null().primary_key())
                    .col(ColumnDef::new(Categories::Slug).string_len(100).not_null().unique_key())
                    .col(ColumnDef::new(Categories::Name).string_len(200).not_null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Products::Table)
                    .if_not_exists()
                    .col(ColumnDef::new(Products::Id).string_len(36).not_null().primary_key())
                    .col(ColumnDef::new(Products::Sku).string_len(64).not_null().unique_key())
                    .col(ColumnDef::new(Products::Name).string_len(200).not_null())
                    // Lower-cased name: the sort and search key, identical on PostgreSQL and SQLite.
                    .col(ColumnDef::new(Products::NameKey).string_len(200).not_null())
                    .col(ColumnDef::new(Products::Description).text().not_null())
                    .col(ColumnDef::new(Products::PriceCents).big_integer().not_null())
                    .col(ColumnDef::new(Products::Currency).string_len(3).not_null())
                    .col(ColumnDef::new(Products::CategoryId).string_len(36).not_null())
                    .col(ColumnDef::new(Products::Attributes).text().not_null())
                    .col(ColumnDef::new(Products::Version).big_integer().not_null())
                    .col(ColumnDef::new(Products::CreatedAt).timestamp_with_time_zone().not_null())
                    .col(ColumnDef::new(Products::UpdatedAt).timestamp_with_time_zone().not_null())
                    .foreign_key(
                        ForeignKey::create()
                            .name("products_category")
                            .from(Products::Table, Products::CategoryId)
                            .to(Categories::Table, Categories::Id),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, cols) in [
            ("products_by_name", vec![Products::NameKey, Products::Id]),
            ("products_by_price", vec![Products::PriceCents, Products::Id]),
            ("products_by_category", vec![Products::CategoryId, Products::NameKey, Products::Id]),
        ] {
            let mut index = Index::create();
            index.name(name).table(Products::Table).if_not_exists();
            for col in cols {
                index.col(col);
            }
            manager.create_index(index.to_owned()).await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(Inventory::Table)
                    .if_not_exists()
                    .col(ColumnDef::new(Inventory::ProductId).string_len(36).not_null().primary_key())
                    .col(ColumnDef::new(Inventory::OnHand).big_integer().not_null())
                    .col(ColumnDef::new(Inventory::Reserved).big_integer().not_null())
                    .col(ColumnDef::new(Inventory::LowStockThreshold).big_integer().not_null())
                    .foreign_key(
                        ForeignKey::create()
                            .name("inventory_product")
                            .from(Inventory::Table, Inventory::ProductId)
                            .to(Products::Table, Products::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Inventory::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(Products::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(Categories::Table).to_owned()).await
    }
}
