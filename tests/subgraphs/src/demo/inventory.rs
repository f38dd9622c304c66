//! inventory: stock and shipping of products, reached only through `_entities`.
//!
//! Two deterministic fault fields live here (see the crate README): `warehouse` (nullable) fails
//! for product "3", `stockLevel` (non-null) fails for product "4".

use std::sync::Arc;

use async_graphql::{Context, EmptyMutation, EmptySubscription, Error, ErrorExtensions, Object, Result, Schema};

use super::data::{DemoData, ProductRow};
use crate::entities::{Federated, missing_required, null_entity, null_with_error};

pub(crate) type InventorySchema = Schema<Federated<Query>, EmptyMutation, EmptySubscription>;

pub(crate) fn schema(data: Arc<DemoData>) -> InventorySchema {
    Schema::build(Federated(Query { data }), EmptyMutation, EmptySubscription).enable_federation().finish()
}

/// The upc whose `warehouse` fails with `WAREHOUSE_UNAVAILABLE`.
pub const FAILING_WAREHOUSE_UPC: &str = "3";
/// The upc whose non-null `stockLevel` fails with `STOCK_LEVEL_UNAVAILABLE`.
pub const FAILING_STOCK_LEVEL_UPC: &str = "4";

pub(crate) struct Query {
    data: Arc<DemoData>,
}

#[Object]
impl Query {
    #[graphql(entity)]
    async fn find_product_by_upc(
        &self,
        #[graphql(key)] upc: String,
        price: Option<i32>,
        weight: Option<i32>,
    ) -> Product {
        let index = DemoData::index(&upc, self.data.products.len());
        Product { data: self.data.clone(), index, upc, price, weight }
    }
}

/// A product as inventory sees it; an unknown upc has no stock data (null fields).
pub(crate) struct Product {
    data: Arc<DemoData>,
    index: Option<usize>,
    upc: String,
    /// From the representation (`@requires`).
    price: Option<i32>,
    /// From the representation (`@requires`).
    weight: Option<i32>,
}

impl Product {
    fn row(&self) -> Option<&ProductRow> {
        self.index.map(|index| &self.data.products[index])
    }
}

#[Object(cache_control(max_age = 60))]
impl Product {
    async fn upc(&self) -> &str {
        &self.upc
    }

    #[graphql(external)]
    async fn weight(&self) -> Option<i32> {
        self.weight
    }

    #[graphql(external)]
    async fn price(&self) -> Option<i32> {
        self.price
    }

    async fn in_stock(&self) -> Option<bool> {
        self.row().map(|row| row.in_stock)
    }

    /// Free above a price of 1000, else half the weight.
    #[graphql(requires = "price weight")]
    async fn shipping_estimate(&self, ctx: &Context<'_>) -> Option<i32> {
        match (self.price, self.weight) {
            (Some(price), _) if price > 1000 => Some(0),
            (Some(_), Some(weight)) => Some(weight / 2),
            _ => null_with_error(ctx, missing_required("price` or `weight")),
        }
    }

    /// Fault case: fails for product "3" (a nullable field, so only this field is null).
    async fn warehouse(&self, ctx: &Context<'_>) -> Option<String> {
        if self.upc == FAILING_WAREHOUSE_UPC {
            let error = Error::new(format!("warehouse lookup failed for product {}", self.upc))
                .extend_with(|_, e| e.set("code", "WAREHOUSE_UNAVAILABLE"));
            return null_with_error(ctx, error);
        }
        self.index.map(|index| format!("WH-{}", index % 3 + 1))
    }

    /// Fault case: fails for product "4"; the field is non-null, so the whole entity is null.
    async fn stock_level(&self, ctx: &Context<'_>) -> Result<i32> {
        if self.upc == FAILING_STOCK_LEVEL_UPC {
            let error = Error::new(format!("stock level unavailable for product {}", self.upc))
                .extend_with(|_, e| e.set("code", "STOCK_LEVEL_UNAVAILABLE"));
            return null_entity(ctx, error);
        }
        Ok(match self.row() {
            Some(row) if row.in_stock => (self.index.unwrap_or(0) as i32 * 7) % 20 + 1,
            _ => 0,
        })
    }
}
