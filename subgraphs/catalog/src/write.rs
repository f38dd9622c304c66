//! The write side: each mutation changes its rows and appends its event to the outbox in
//! one transaction, so an event exists exactly when its change was committed.

use braid_kit::ClientError;
use braid_kit::error::Code;
use braid_kit::events::{DomainEvent, Envelope, OutboxSignal, outbox};
use chrono::Utc;
use rust_decimal::Decimal;
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DatabaseConnection, DatabaseTransaction, EntityTrait, QueryFilter};

use crate::entity::{category, inventory, product};
use crate::events::{InventoryUpdated, ProductCreated, ProductDeleted, ProductSnapshot, ProductUpdated, SOURCE};
use crate::record::{self, Attribute, ProductRecord};

/// Largest price accepted, in minor units (one trillion).
const MAX_CENTS: i64 = 100_000_000_000_000;

/// A price as clients send it.
#[derive(async_graphql::InputObject, Debug, Clone)]
pub struct MoneyInput {
    /// Decimal amount with at most two decimals, for example "12.99".
    pub amount: Decimal,
    /// ISO 4217 code, for example "EUR".
    pub currency: String,
}

#[derive(async_graphql::InputObject, Debug, Clone)]
pub struct CreateProductInput {
    pub sku: String,
    pub name: String,
    #[graphql(default)]
    pub description: String,
    pub price: MoneyInput,
    pub category_id: async_graphql::ID,
    #[graphql(default)]
    pub attributes: Vec<Attribute>,
    #[graphql(default)]
    pub initial_stock: i64,
    #[graphql(default = 10)]
    pub low_stock_threshold: i64,
}

/// Fields left out stay as they are.
#[derive(async_graphql::InputObject, Debug, Clone, Default)]
pub struct UpdateProductInput {
    pub name: Option<String>,
    pub description: Option<String>,
    pub price: Option<MoneyInput>,
    pub category_id: Option<async_graphql::ID>,
    pub attributes: Option<Vec<Attribute>>,
    pub low_stock_threshold: Option<i64>,
}

/// Mutations of the catalog.
#[derive(Clone)]
pub struct Writer {
    pub db: DatabaseConnection,
    pub outbox: OutboxSignal,
}

/// `12.99` -> `1299`; negative amounts or more than two decimals are refused.
pub fn cents(amount: Decimal, field: &str) -> Result<i64, ClientError> {
    if amount.is_sign_negative() && !amount.is_zero() {
        return Err(ClientError::bad_input(field, "a price cannot be negative"));
    }
    if amount.normalize().scale() > 2 {
        return Err(ClientError::bad_input(field, "a price has at most two decimals"));
    }
    let cents = (amount * Decimal::from(100)).trunc();
    i64::try_from(cents)
        .ok()
        .filter(|c| *c <= MAX_CENTS)
        .ok_or_else(|| ClientError::bad_input(field, "the price is too large"))
}

fn money(input: &MoneyInput, field: &str) -> Result<(i64, String), ClientError> {
    let cents = cents(input.amount, &format!("{field}.amount"))?;
    let currency = input.currency.trim().to_string();
    if currency.len() != 3 || !currency.chars().all(|c| c.is_ascii_uppercase()) {
        return Err(ClientError::bad_input(
            &format!("{field}.currency"),
            "currency must be an ISO 4217 code such as EUR",
        ));
    }
    Ok((cents, currency))
}

fn name(text: &str, field: &str) -> Result<String, ClientError> {
    braid_kit::text::required(text, field, 200)
}

fn description(text: &str) -> Result<String, ClientError> {
    if text.chars().count() > 10_000 {
        return Err(ClientError::bad_input("description", "description is longer than 10,000 characters"));
    }
    Ok(text.to_string())
}

fn attributes(list: &[Attribute]) -> Result<String, ClientError> {
    if list.len() > 50 {
        return Err(ClientError::bad_input("attributes", "at most 50 attributes"));
    }
    for a in list {
        if a.name.trim().is_empty() || a.name.len() > 100 || a.value.len() > 1000 {
            return Err(ClientError::bad_input(
                "attributes",
                "attribute names are 1-100 characters, values up to 1,000",
            ));
        }
    }
    Ok(serde_json::to_string(list).expect("attributes serialize"))
}

fn non_negative(value: i64, field: &str) -> Result<i64, ClientError> {
    if value < 0 {
        return Err(ClientError::bad_input(field, format!("{field} cannot be negative")));
    }
    Ok(value)
}

fn sku(text: &str) -> Result<String, ClientError> {
    let sku = text.trim();
    let ok =
        !sku.is_empty() && sku.len() <= 64 && sku.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if !ok {
        return Err(ClientError::bad_input("sku", "a SKU is 1-64 letters, digits, '-' or '_'"));
    }
    Ok(sku.to_string())
}

async fn require_category(txn: &DatabaseTransaction, id: &str, field: &str) -> Result<(), ClientError> {
    match category::Entity::find_by_id(id.to_string()).one(txn).await? {
        Some(_) => Ok(()),
        None => Err(ClientError::bad_input(field, format!("unknown category {id:?}"))),
    }
}

async fn load(txn: &DatabaseTransaction, id: &str) -> Result<ProductRecord, ClientError> {
    record::by_ids(txn, &[id.to_string()])
        .await?
        .pop()
        .ok_or_else(|| ClientError::not_found(format!("no product with id {id:?}")))
}

async fn append<E: DomainEvent>(txn: &DatabaseTransaction, event: &E) -> Result<(), ClientError> {
    outbox::append(txn, &Envelope::new(SOURCE, event)).await?;
    Ok(())
}

/// Moves the product from `version` to `version + 1`; fails if someone else got there first.
async fn bump(
    txn: &DatabaseTransaction,
    id: &str,
    version: i64,
    mut row: product::ActiveModel,
) -> Result<(), ClientError> {
    row.version = Set(version + 1);
    row.updated_at = Set(Utc::now());
    let result = product::Entity::update_many()
        .set(row)
        .filter(product::Column::Id.eq(id))
        .filter(product::Column::Version.eq(version))
        .exec(txn)
        .await?;
    if result.rows_affected == 0 {
        return Err(ClientError::new(Code::Conflict, "the product changed concurrently; retry"));
    }
    Ok(())
}

impl Writer {
    async fn commit(&self, txn: DatabaseTransaction) -> Result<(), ClientError> {
        txn.commit().await?;
        self.outbox.committed();
        Ok(())
    }

    pub async fn create(&self, input: CreateProductInput) -> Result<ProductRecord, ClientError> {
        let sku = sku(&input.sku)?;
        let name = name(&input.name, "name")?;
        let description = description(&input.description)?;
        let (price_cents, currency) = money(&input.price, "price")?;
        let attributes = attributes(&input.attributes)?;
        let on_hand = non_negative(input.initial_stock, "initialStock")?;
        let threshold = non_negative(input.low_stock_threshold, "lowStockThreshold")?;
        let txn = braid_kit::db::begin_write(&self.db).await?;
        require_category(&txn, input.category_id.as_str(), "categoryId").await?;
        let taken = product::Entity::find().filter(product::Column::Sku.eq(&sku)).one(&txn).await?;
        if taken.is_some() {
            return Err(ClientError::new(Code::Conflict, format!("the SKU {sku:?} is taken")));
        }
        let id = uuid::Uuid::now_v7().to_string();
        let now = Utc::now();
        let row = product::ActiveModel {
            id: Set(id.clone()),
            sku: Set(sku.clone()),
            name_key: Set(name.to_lowercase()),
            name: Set(name),
            description: Set(description),
            price_cents: Set(price_cents),
            currency: Set(currency),
            category_id: Set(input.category_id.to_string()),
            attributes: Set(attributes),
            version: Set(1),
            created_at: Set(now),
            updated_at: Set(now),
        };
        product::Entity::insert(row).exec_without_returning(&txn).await.map_err(|e| {
            // Two creates racing for one SKU: the unique index decides.
            if e.to_string().to_lowercase().contains("unique") {
                ClientError::new(Code::Conflict, format!("the SKU {sku:?} is taken"))
            } else {
                ClientError::internal(&e)
            }
        })?;
        let stock = inventory::ActiveModel {
            product_id: Set(id.clone()),
            on_hand: Set(on_hand),
            reserved: Set(0),
            low_stock_threshold: Set(threshold),
        };
        inventory::Entity::insert(stock).exec_without_returning(&txn).await?;
        let created = load(&txn, &id).await?;
        append(&txn, &ProductCreated { product: ProductSnapshot::from(&created), on_hand }).await?;
        self.commit(txn).await?;
        Ok(created)
    }

    pub async fn update(&self, id: &str, input: UpdateProductInput) -> Result<ProductRecord, ClientError> {
        let txn = braid_kit::db::begin_write(&self.db).await?;
        let before = load(&txn, id).await?;
        let mut row = product::ActiveModel { ..Default::default() };
        let mut changed = Vec::new();
        if let Some(n) = &input.name {
            let n = name(n, "name")?;
            row.name_key = Set(n.to_lowercase());
            row.name = Set(n);
            changed.push("name".to_string());
        }
        if let Some(d) = &input.description {
            row.description = Set(description(d)?);
            changed.push("description".to_string());
        }
        if let Some(p) = &input.price {
            let (cents, currency) = money(p, "price")?;
            row.price_cents = Set(cents);
            row.currency = Set(currency);
            changed.push("price".to_string());
        }
        if let Some(c) = &input.category_id {
            require_category(&txn, c.as_str(), "categoryId").await?;
            row.category_id = Set(c.to_string());
            changed.push("category".to_string());
        }
        if let Some(a) = &input.attributes {
            row.attributes = Set(attributes(a)?);
            changed.push("attributes".to_string());
        }
        if let Some(t) = input.low_stock_threshold {
            let t = non_negative(t, "lowStockThreshold")?;
            inventory::Entity::update_many()
                .col_expr(inventory::Column::LowStockThreshold, Expr::value(t))
                .filter(inventory::Column::ProductId.eq(id))
                .exec(&txn)
                .await?;
            changed.push("inventory".to_string());
        }
        if changed.is_empty() {
            return Err(ClientError::bad_input("input", "nothing to update"));
        }
        bump(&txn, id, before.version, row).await?;
        let after = load(&txn, id).await?;
        append(&txn, &ProductUpdated { product: ProductSnapshot::from(&after), changed }).await?;
        self.commit(txn).await?;
        Ok(after)
    }

    pub async fn delete(&self, id: &str) -> Result<String, ClientError> {
        let txn = braid_kit::db::begin_write(&self.db).await?;
        let before = load(&txn, id).await?;
        inventory::Entity::delete_many().filter(inventory::Column::ProductId.eq(id)).exec(&txn).await?;
        product::Entity::delete_by_id(id.to_string()).exec(&txn).await?;
        append(&txn, &ProductDeleted { id: id.to_string(), sku: before.sku, version: before.version + 1 }).await?;
        self.commit(txn).await?;
        Ok(id.to_string())
    }

    /// Adds `delta` (negative to remove) to the stock on hand.
    pub async fn adjust_stock(
        &self,
        id: &str,
        delta: i64,
        reason: Option<String>,
    ) -> Result<ProductRecord, ClientError> {
        if reason.as_ref().is_some_and(|r| r.len() > 500) {
            return Err(ClientError::bad_input("reason", "reason is longer than 500 characters"));
        }
        let txn = braid_kit::db::begin_write(&self.db).await?;
        let before = load(&txn, id).await?;
        let on_hand = before
            .inventory
            .on_hand
            .checked_add(delta)
            .ok_or_else(|| ClientError::bad_input("delta", "delta is out of range"))?;
        if on_hand < before.inventory.reserved {
            return Err(ClientError::bad_input(
                "delta",
                format!("only {} can be removed: the rest is reserved", before.inventory.available().max(0)),
            ));
        }
        inventory::Entity::update_many()
            .col_expr(inventory::Column::OnHand, Expr::value(on_hand))
            .filter(inventory::Column::ProductId.eq(id))
            .exec(&txn)
            .await?;
        bump(&txn, id, before.version, product::ActiveModel { ..Default::default() }).await?;
        let after = load(&txn, id).await?;
        let stock = &after.inventory;
        let event = InventoryUpdated {
            product_id: after.id.clone(),
            sku: after.sku.clone(),
            on_hand: stock.on_hand,
            reserved: stock.reserved,
            available: stock.available(),
            low_stock_threshold: stock.low_stock_threshold,
            low_stock: stock.low_stock(),
            delta,
            reason,
            version: after.version,
        };
        append(&txn, &event).await?;
        self.commit(txn).await?;
        Ok(after)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    #[test]
    fn prices_convert_exactly_or_are_refused() {
        let d = |s: &str| Decimal::from_str(s).unwrap();
        assert_eq!(cents(d("12.99"), "p").unwrap(), 1299);
        assert_eq!(cents(d("0"), "p").unwrap(), 0);
        assert_eq!(cents(d("7.10"), "p").unwrap(), 710);
        assert_eq!(cents(d("-0.01"), "p").unwrap_err().code, Code::BadUserInput);
        assert_eq!(cents(d("1.001"), "p").unwrap_err().code, Code::BadUserInput);
        assert_eq!(cents(d("99999999999999999"), "p").unwrap_err().code, Code::BadUserInput);
    }

    #[test]
    fn product_names_are_trimmed_one_line_text() {
        assert_eq!(name("  Teapot ", "name").unwrap(), "Teapot");
        for bad in ["Tea\u{7}pot", "Tea\npot", "Teapot\u{0}", "   ", &"x".repeat(201)] {
            let err = name(bad, "name").unwrap_err();
            assert_eq!((err.code, err.field.as_deref()), (Code::BadUserInput, Some("name")), "{bad:?}");
        }
    }
}
