//! The viewer's cart: product ids and quantities only. Names, prices and stock are the
//! catalog's, read through federation when the cart is shown, so a cart never shows a stale
//! price; adding checks the product exists and is in stock.

use std::sync::Arc;

use braid_kit::ClientError;
use braid_kit::error::Code;
use braid_kit::events::{Envelope, OutboxSignal, outbox};
use chrono::{SubsecRound, Utc};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};

use crate::catalog::{Catalog, ProductInfo};
use crate::entity::cart_line;
use crate::events::CartProductAdded;
use crate::saga::commands::SOURCE;

/// Most units of one product in a cart.
pub const MAX_QUANTITY: i64 = 1_000;
/// Most distinct products in a cart.
pub const MAX_LINES: u64 = 100;

/// Cart reads and changes.
#[derive(Clone)]
pub struct Carts {
    pub db: DatabaseConnection,
    pub outbox: OutboxSignal,
    pub catalog: Arc<dyn Catalog>,
}

/// `1..=MAX_QUANTITY`, else `BAD_USER_INPUT`.
pub fn quantity(value: i64) -> Result<i64, ClientError> {
    if (1..=MAX_QUANTITY).contains(&value) {
        Ok(value)
    } else {
        Err(ClientError::bad_input("quantity", format!("quantity must be between 1 and {MAX_QUANTITY}")))
    }
}

/// A product id as clients send it: short, no control characters.
pub fn product_id(id: &str) -> Result<&str, ClientError> {
    if id.is_empty() || id.len() > 64 || id.chars().any(char::is_control) {
        return Err(ClientError::new(Code::ProductNotFound, format!("no product with id {id:?}")));
    }
    Ok(id)
}

impl Carts {
    /// The lines of `user`'s cart, oldest first.
    pub async fn lines(&self, user: &str) -> Result<Vec<cart_line::Model>, ClientError> {
        Ok(cart_line::Entity::find()
            .filter(cart_line::Column::UserId.eq(user))
            .order_by_asc(cart_line::Column::AddedAt)
            .order_by_asc(cart_line::Column::ProductId)
            .all(&self.db)
            .await?)
    }

    async fn product(&self, id: &str) -> Result<ProductInfo, ClientError> {
        let id = product_id(id)?;
        let mut found = self.catalog.products(&[id.to_string()]).await?;
        found.remove(id).ok_or_else(|| ClientError::new(Code::ProductNotFound, format!("no product with id {id:?}")))
    }

    /// Adds `amount` units of a product in stock; emits `orders.cart.product_added.v1`.
    pub async fn add(&self, user: &str, product: &str, amount: i64) -> Result<(), ClientError> {
        let amount = quantity(amount)?;
        let info = self.product(product).await?;
        let txn = braid_kit::db::begin_write(&self.db).await?;
        let current = cart_line::Entity::find_by_id((user.to_string(), info.id.clone())).one(&txn).await?;
        let total = current.as_ref().map_or(0, |l| l.quantity) + amount;
        if total > MAX_QUANTITY {
            return Err(ClientError::bad_input("quantity", format!("at most {MAX_QUANTITY} of one product")));
        }
        in_stock(&info, total)?;
        if current.is_none() {
            let lines = cart_line::Entity::find().filter(cart_line::Column::UserId.eq(user)).count(&txn).await?;
            if lines >= MAX_LINES {
                return Err(ClientError::bad_input("productId", format!("a cart holds at most {MAX_LINES} products")));
            }
        }
        let now = Utc::now().trunc_subsecs(6);
        let line = cart_line::ActiveModel {
            user_id: Set(user.to_string()),
            product_id: Set(info.id.clone()),
            quantity: Set(total),
            added_at: Set(current.map_or(now, |l| l.added_at)),
        };
        cart_line::Entity::insert(line)
            .on_conflict(
                OnConflict::columns([cart_line::Column::UserId, cart_line::Column::ProductId])
                    .update_column(cart_line::Column::Quantity)
                    .to_owned(),
            )
            .exec_without_returning(&txn)
            .await?;
        let event = CartProductAdded { user_id: user.to_string(), product_id: info.id, quantity: amount, at: now };
        outbox::append(&txn, &Envelope::new(SOURCE, &event)).await?;
        txn.commit().await?;
        self.outbox.committed();
        Ok(())
    }

    /// Sets the quantity of a product already in the cart.
    pub async fn set(&self, user: &str, product: &str, amount: i64) -> Result<(), ClientError> {
        let amount = quantity(amount)?;
        let id = product_id(product)?;
        let current = cart_line::Entity::find_by_id((user.to_string(), id.to_string())).one(&self.db).await?;
        if current.is_none() {
            return Err(ClientError::not_found(format!("product {id:?} is not in the cart")));
        }
        let info = self.product(id).await?;
        in_stock(&info, amount)?;
        cart_line::Entity::update_many()
            .col_expr(cart_line::Column::Quantity, sea_orm::sea_query::Expr::value(amount))
            .filter(cart_line::Column::UserId.eq(user))
            .filter(cart_line::Column::ProductId.eq(id))
            .exec(&self.db)
            .await?;
        Ok(())
    }

    /// Removes a product (nothing to do if it is not there).
    pub async fn remove(&self, user: &str, product: &str) -> Result<(), ClientError> {
        cart_line::Entity::delete_many()
            .filter(cart_line::Column::UserId.eq(user))
            .filter(cart_line::Column::ProductId.eq(product))
            .exec(&self.db)
            .await?;
        Ok(())
    }

    /// Empties the cart.
    pub async fn clear(&self, user: &str) -> Result<(), ClientError> {
        cart_line::Entity::delete_many().filter(cart_line::Column::UserId.eq(user)).exec(&self.db).await?;
        Ok(())
    }
}

/// `OUT_OF_STOCK` unless `wanted` units are available.
pub fn in_stock(info: &ProductInfo, wanted: i64) -> Result<(), ClientError> {
    if info.available >= wanted {
        return Ok(());
    }
    let message = if info.available <= 0 {
        format!("{} is out of stock", info.name)
    } else {
        format!("only {} of {} are available", info.available, info.name)
    };
    Err(ClientError { code: Code::OutOfStock, message, field: Some("quantity".into()) })
}
