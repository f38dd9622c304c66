//! `placeOrder`: the cart becomes an order at the catalog's current prices, its stream starts
//! with `Placed`, its saga starts, and the cart empties, all in one transaction. The same
//! idempotency key again returns the same order and starts nothing.

use std::collections::HashMap;

use braid_kit::ClientError;
use braid_kit::contracts::shipping::Address;
use braid_kit::error::Code;
use braid_kit::events::{Envelope, outbox};
use braid_kit::text;
use chrono::{SubsecRound, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseTransaction, DbBackend, EntityTrait, QueryFilter, Statement};
use sha2::{Digest, Sha256};

use crate::cart::{Carts, in_stock};
use crate::entity::{cart_line, order};
use crate::events::OrderCreated;
use crate::history::{self, OrderEvent, OrderLine, Placed};
use crate::saga::Orchestrator;
use crate::saga::commands::SOURCE;
use crate::view::OrderView;

/// Where to ship, as clients send it.
#[derive(async_graphql::InputObject, Debug, Clone)]
pub struct AddressInput {
    pub name: String,
    pub line1: String,
    pub line2: Option<String>,
    pub city: String,
    pub postal_code: String,
    /// ISO 3166-1 alpha-2 code, for example "DE".
    pub country: String,
}

#[derive(async_graphql::InputObject, Debug, Clone)]
pub struct PlaceOrderInput {
    /// Chosen by the client per checkout attempt: sending it again returns the same order.
    pub idempotency_key: String,
    pub shipping_address: AddressInput,
}

/// Places orders.
#[derive(Clone)]
pub struct Placing {
    pub carts: Carts,
    pub orchestrator: Orchestrator,
}

/// A shipping address, trimmed and checked field by field.
pub fn address(input: &AddressInput) -> Result<Address, ClientError> {
    let field = |name: &str| format!("shippingAddress.{name}");
    let country = input.country.trim().to_string();
    if country.len() != 2 || !country.chars().all(|c| c.is_ascii_uppercase()) {
        return Err(ClientError::bad_input(&field("country"), "country must be an ISO 3166-1 code such as DE"));
    }
    let line2 = match input.line2.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(l) => Some(text::required(l, &field("line2"), 200)?),
    };
    Ok(Address {
        name: text::required(&input.name, &field("name"), 200)?,
        line1: text::required(&input.line1, &field("line1"), 200)?,
        line2,
        city: text::required(&input.city, &field("city"), 100)?,
        postal_code: text::required(&input.postal_code, &field("postalCode"), 20)?,
        country,
    })
}

fn idempotency_key(key: &str) -> Result<&str, ClientError> {
    let ok = !key.is_empty() && key.len() <= 128 && key.chars().all(|c| c.is_ascii_graphic());
    if ok {
        Ok(key)
    } else {
        Err(ClientError::bad_input("idempotencyKey", "a key is 1-128 printable ASCII characters"))
    }
}

/// Digest of what was asked (products, quantities, address), to tell a retry from a reuse.
fn request_hash(lines: &[(String, i64)], address: &Address) -> String {
    let mut sorted = lines.to_vec();
    sorted.sort();
    let text = serde_json::to_string(&(sorted, address)).expect("requests serialize");
    Sha256::digest(text.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

impl Placing {
    /// Places `user`'s cart as an order.
    pub async fn place(&self, user: &str, input: &PlaceOrderInput) -> Result<OrderView, ClientError> {
        let key = idempotency_key(&input.idempotency_key)?;
        let address = address(&input.shipping_address)?;
        let cart = self.carts.lines(user).await?;
        let asked: Vec<(String, i64)> = cart.iter().map(|l| (l.product_id.clone(), l.quantity)).collect();
        let hash = request_hash(&asked, &address);
        if let Some(existing) = self.existing(user, key).await? {
            // A retry finds the cart emptied by the first attempt, or the same cart.
            if asked.is_empty() || existing.request_hash == hash {
                return Ok(existing);
            }
            return Err(ClientError::new(
                Code::IdempotencyKeyReused,
                "this idempotency key was used for another order; use a new key per checkout",
            ));
        }
        if cart.is_empty() {
            return Err(ClientError::new(Code::EmptyCart, "the cart is empty"));
        }
        let lines = self.priced(&cart).await?;
        let currency = lines[0].currency.clone();
        let mut total: i64 = 0;
        for l in &lines {
            let line_total = l.unit_price_minor.checked_mul(l.quantity);
            total = line_total
                .and_then(|t| total.checked_add(t))
                .ok_or_else(|| ClientError::bad_input("quantity", "the order total is out of range"))?;
        }
        let placed = Placed {
            number: String::new(),
            buyer_id: user.to_string(),
            idempotency_key: key.to_string(),
            request_hash: hash,
            lines,
            total_minor: total,
            currency,
            address,
        };
        let txn = braid_kit::db::begin_write(&self.carts.db).await?;
        match self.create(&txn, placed, &cart).await {
            Ok(view) => {
                txn.commit().await?;
                self.carts.outbox.committed();
                metrics::counter!("braid_orders_placed_total").increment(1);
                Ok(view)
            }
            Err(e) => {
                txn.rollback().await?;
                // Two attempts with one key at once: the unique index let one through.
                match self.existing(user, key).await? {
                    Some(existing) if existing.request_hash == request_hash(&asked, &existing.address) => Ok(existing),
                    _ => Err(e),
                }
            }
        }
    }

    async fn existing(&self, user: &str, key: &str) -> Result<Option<OrderView>, ClientError> {
        let row = order::Entity::find()
            .filter(order::Column::BuyerId.eq(user))
            .filter(order::Column::IdempotencyKey.eq(key))
            .one(&self.carts.db)
            .await?;
        Ok(row.map(OrderView::from_row).transpose()?)
    }

    /// The cart's lines at the catalog's current prices; every product must exist, share one
    /// currency and be in stock.
    async fn priced(&self, cart: &[cart_line::Model]) -> Result<Vec<OrderLine>, ClientError> {
        let ids: Vec<String> = cart.iter().map(|l| l.product_id.clone()).collect();
        let products: HashMap<_, _> = self.carts.catalog.products(&ids).await?;
        let mut lines = Vec::with_capacity(cart.len());
        for line in cart {
            let info = products.get(&line.product_id).ok_or_else(|| ClientError {
                code: Code::ProductNotFound,
                message: format!("product {:?} in the cart no longer exists; remove it", line.product_id),
                field: Some("cart".into()),
            })?;
            in_stock(info, line.quantity)?;
            lines.push(OrderLine {
                product_id: info.id.clone(),
                sku: info.sku.clone(),
                name: info.name.clone(),
                quantity: line.quantity,
                unit_price_minor: info.price_minor,
                currency: info.currency.clone(),
            });
        }
        if lines.iter().any(|l| l.currency != lines[0].currency) {
            return Err(ClientError::new(Code::MixedCurrencies, "the cart holds products in different currencies"));
        }
        Ok(lines)
    }

    async fn create(
        &self,
        txn: &DatabaseTransaction,
        mut placed: Placed,
        cart: &[cart_line::Model],
    ) -> Result<OrderView, ClientError> {
        placed.number = format!("BR-{:06}", next_number(txn).await?);
        let id = uuid::Uuid::now_v7().to_string();
        let at = Utc::now().trunc_subsecs(6);
        let created = OrderCreated {
            order_id: id.clone(),
            number: placed.number.clone(),
            buyer_id: placed.buyer_id.clone(),
            status: crate::view::OrderStatus::Pending.as_str().to_string(),
            lines: placed.lines.clone(),
            total_minor: placed.total_minor,
            currency: placed.currency.clone(),
            placed_at: at,
        };
        let recorded = history::append(txn, &id, 0, &[OrderEvent::Placed(placed)], at)
            .await
            .map_err(|e| ClientError::internal(&e))?;
        let mut view = OrderView::placed(&id, &recorded[0]).expect("the first event is Placed");
        view.save(txn).await?;
        outbox::append(txn, &Envelope::new(SOURCE, &created)).await?;
        self.orchestrator.start(txn, &mut view).await.map_err(|e| ClientError::internal(&e))?;
        // Only what was ordered leaves the cart: a line changed meanwhile stays.
        for line in cart {
            cart_line::Entity::delete_many()
                .filter(cart_line::Column::UserId.eq(line.user_id.as_str()))
                .filter(cart_line::Column::ProductId.eq(line.product_id.as_str()))
                .filter(cart_line::Column::Quantity.eq(line.quantity))
                .exec(txn)
                .await?;
        }
        Ok(view)
    }
}

/// The next order number (one counter row; `RETURNING` works on PostgreSQL and SQLite).
async fn next_number(txn: &DatabaseTransaction) -> Result<i64, ClientError> {
    let backend: DbBackend = txn.get_database_backend();
    let sql = "UPDATE order_counter SET value = value + 1 WHERE id = 1 RETURNING value";
    let row = txn.query_one_raw(Statement::from_string(backend, sql)).await?;
    let row = row.ok_or_else(|| ClientError::internal(&"the order counter row is missing"))?;
    Ok(row.try_get_by_index::<i64>(0)?)
}
