//! The GraphQL schema of the catalog subgraph (Apollo Federation v2).

use std::sync::Arc;

use async_graphql::dataloader::DataLoader;
use async_graphql::{Context, ID, Object, Result, Schema, SimpleObject};
use braid_kit::ClientError;
use braid_kit::auth::RequireScope;
use braid_kit::connection::{self, Connection, Counted, page_size};
use braid_kit::federation::{event, requiresScopes, served_by_gateway};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use crate::cursor::{Cursor, ProductSort};
use crate::read::{Page, ProductFilter, ProductLoader, Reader};
use crate::record::{Attribute, CategoryRecord, InventoryRecord, ProductRecord};
use crate::write::{CreateProductInput, UpdateProductInput, Writer};

pub type CatalogSchema = Schema<Query, Mutation, Subscription>;

/// Largest page a client may ask for.
pub const MAX_PAGE: i32 = 100;

/// Live products, served by the gateway from the `catalog.product` events (see
/// `braid_kit::federation::event`): a product's subscribers get it again, with the fields they
/// selected, each time an event changes what they selected.
pub struct Subscription;

#[async_graphql::Subscription]
impl Subscription {
    /// These products, each time their name, price, description or category changes (null
    /// once deleted).
    #[graphql(directive = event::apply("catalog.product".into(), "product".into(), Some("ids".into()), None, None, None))]
    async fn product_changed(&self, ids: Vec<ID>) -> impl futures::Stream<Item = Result<Option<Product>>> {
        let _ = ids;
        served_by_gateway()
    }

    /// These products, each time their stock changes (select `inventory { available }`).
    #[graphql(directive = event::apply("catalog.product".into(), "product".into(), Some("ids".into()), None, None, None))]
    async fn stock_changed(&self, ids: Vec<ID>) -> impl futures::Stream<Item = Result<Option<Product>>> {
        let _ = ids;
        served_by_gateway()
    }

    /// Any product, each time a stock change leaves it at or below its low-stock threshold
    /// (scope `catalog:write`).
    #[graphql(
        directive = event::apply("catalog.product".into(), "product".into(), None, None, Some("lowStock".into()), None),
        directive = requiresScopes::apply(vec![vec!["catalog:write".into()]])
    )]
    async fn low_stock(&self) -> impl futures::Stream<Item = Result<Option<Product>>> {
        served_by_gateway()
    }
}

/// Builds the schema; `reader` and `writer` may be absent when only exporting the SDL.
pub fn build(reader: Option<Reader>, writer: Option<Writer>) -> CatalogSchema {
    let mut builder = braid_kit::telemetry::traced(Schema::build(Query, Mutation, Subscription))
        .enable_federation()
        .enable_subscription_in_federation()
        .limit_depth(16)
        .limit_complexity(5_000);
    if let Some(reader) = reader {
        // One loader for all requests: it caches nothing, and concurrent `_entities` calls
        // share batches. Representations of one call arrive together, so no batching delay.
        let loader = |fresh| {
            DataLoader::new(ProductLoader { reader: reader.clone(), fresh }, tokio::spawn)
                .delay(std::time::Duration::ZERO)
        };
        let (cached, fresh) = (loader(false), FreshProducts(loader(true)));
        builder = builder.data(reader).data(cached).data(fresh);
    }
    if let Some(writer) = writer {
        builder = builder.data(writer);
    }
    builder.finish()
}

/// The SDL as `schema/catalog.graphql` holds it.
pub fn sdl() -> String {
    braid_kit::federation::sdl(&build(None, None))
}

/// The loader of requests that asked for no cache (see [`braid_kit::http::NoCache`]).
struct FreshProducts(DataLoader<ProductLoader>);

fn loader<'a>(ctx: &'a Context<'_>) -> &'a DataLoader<ProductLoader> {
    // A writer reading its own write is served past the caches too (from the primary here:
    // the shared loader batches requests with different tokens).
    if ctx.data_opt::<braid_kit::http::NoCache>().is_some() || read_after(ctx).is_some() {
        return &ctx.data_unchecked::<FreshProducts>().0;
    }
    ctx.data_unchecked::<DataLoader<ProductLoader>>()
}

/// The token of a write this request must see (`braid-read-after`).
fn read_after(ctx: &Context<'_>) -> Option<braid_kit::replica::Lsn> {
    ctx.data_opt::<braid_kit::replica::ReadAfter>().map(|r| r.0)
}

/// Gives the writer its token (on PostgreSQL): where the primary's log ends after the write
/// committed. A read sending it back sees the write, on any instance, standby or not.
async fn hand_token(ctx: &Context<'_>) -> Result<()> {
    if let Some(lsn) = ctx.data_unchecked::<Reader>().reads.primary_position().await.map_err(ClientError::from)? {
        ctx.insert_http_header(braid_kit::replica::READ_AFTER_HEADER, lsn.to_string());
    }
    Ok(())
}

/// A product for sale.
pub struct Product(pub Arc<ProductRecord>);

// Kept by the gateway's entity cache for a minute at most: every change is an event that
// evicts it sooner. (A doc comment here would become the type's description.)
#[Object(cache_control(max_age = 60))]
impl Product {
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }
    /// Stock keeping unit, unique.
    async fn sku(&self) -> &str {
        &self.0.sku
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn description(&self) -> &str {
        &self.0.description
    }
    async fn price(&self) -> Money {
        Money { amount: Decimal::new(self.0.price_cents, 2), currency: self.0.currency.clone() }
    }
    async fn category(&self) -> Category {
        Category(self.0.category.clone())
    }
    async fn attributes(&self) -> &[Attribute] {
        &self.0.attributes
    }
    async fn inventory(&self) -> Inventory {
        Inventory(self.0.inventory.clone())
    }
    /// Increases with every change of the product or its stock.
    async fn version(&self) -> i64 {
        self.0.version
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

/// An amount of money.
#[derive(SimpleObject)]
#[graphql(shareable)]
pub struct Money {
    /// Decimal amount, for example "12.99".
    pub amount: Decimal,
    /// ISO 4217 currency code.
    pub currency: String,
}

/// A group of products.
pub struct Category(pub CategoryRecord);

#[Object(cache_control(max_age = 60))]
impl Category {
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }
    async fn slug(&self) -> &str {
        &self.0.slug
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
}

/// Stock of one product.
pub struct Inventory(pub InventoryRecord);

#[Object]
impl Inventory {
    async fn on_hand(&self) -> i64 {
        self.0.on_hand
    }
    /// Held for orders in progress.
    async fn reserved(&self) -> i64 {
        self.0.reserved
    }
    /// On hand minus reserved.
    async fn available(&self) -> i64 {
        self.0.available()
    }
    async fn low_stock_threshold(&self) -> i64 {
        self.0.low_stock_threshold
    }
    /// Available stock is at or below the threshold.
    async fn low_stock(&self) -> bool {
        self.0.low_stock()
    }
}

/// A page of products (Relay connection).
pub type ProductConnection = Connection<Product>;

impl From<Page> for ProductConnection {
    fn from(page: Page) -> Self {
        let sort = page.sort;
        let nodes = page.items.into_iter().map(|p| (Cursor::after(sort, &p).encode(), Product(p)));
        connection::page(nodes, page.has_previous_page, page.has_next_page, Counted(page.total_count))
    }
}

pub struct Query;

#[Object]
impl Query {
    /// One product, or null if there is none with this id.
    async fn product(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Product>> {
        if id.len() > 64 {
            return Ok(None);
        }
        // A root field asks for one product: no batching window to wait for.
        let reader = ctx.data_unchecked::<Reader>();
        let ids = std::slice::from_ref(&id.0);
        let mut found = if let Some(lsn) = read_after(ctx) {
            reader.fresh_by_ids(ids, Some(lsn)).await?
        } else if ctx.data_opt::<braid_kit::http::NoCache>().is_some() {
            reader.fresh_by_ids(ids, None).await?
        } else {
            reader.by_ids(ids).await?
        };
        Ok(found.remove(&id.0).map(Product))
    }

    /// Products, filtered, in a stable order, `first` (1-100, default 20) at a time.
    async fn products(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 20)] first: Option<i32>,
        after: Option<String>,
        filter: Option<ProductFilter>,
        #[graphql(default)] sort: Option<ProductSort>,
    ) -> Result<ProductConnection> {
        let (first, sort) = (page_size(first.unwrap_or(20), MAX_PAGE)?, sort.unwrap_or_default());
        let reader = ctx.data_unchecked::<Reader>();
        let page = reader.page(&filter.unwrap_or_default(), sort, first, after.as_deref(), read_after(ctx)).await?;
        Ok(page.into())
    }

    /// Every category, by name.
    async fn categories(&self, ctx: &Context<'_>) -> Result<Vec<Category>> {
        use sea_orm::{EntityTrait, QueryOrder};
        let reader = ctx.data_unchecked::<Reader>();
        let rows = crate::entity::category::Entity::find()
            .order_by_asc(crate::entity::category::Column::Name)
            .all(reader.reads.read(read_after(ctx)).await)
            .await
            .map_err(ClientError::from)?;
        Ok(rows.into_iter().map(|c| Category(CategoryRecord { id: c.id, slug: c.slug, name: c.name })).collect())
    }

    #[graphql(entity)]
    async fn find_product_by_id(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Product>> {
        if id.len() > 64 {
            return Ok(None);
        }
        // The representations of one `_entities` call resolve together: one batch.
        Ok(loader(ctx).load_one(id.to_string()).await.map_err(|e| (*e).clone())?.map(Product))
    }
}

pub struct Mutation;

#[Object]
impl Mutation {
    /// Creates a product with its initial stock (scope `catalog:write`).
    #[graphql(guard = "RequireScope(\"catalog:write\")")]
    async fn create_product(&self, ctx: &Context<'_>, input: CreateProductInput) -> Result<Product> {
        let product = ctx.data_unchecked::<Writer>().create(input).await?;
        hand_token(ctx).await?;
        Ok(Product(Arc::new(product)))
    }

    /// Changes the given fields of a product (scope `catalog:write`).
    #[graphql(guard = "RequireScope(\"catalog:write\")")]
    async fn update_product(&self, ctx: &Context<'_>, id: ID, input: UpdateProductInput) -> Result<Product> {
        let product = ctx.data_unchecked::<Writer>().update(id.as_str(), input).await?;
        hand_token(ctx).await?;
        Ok(Product(Arc::new(product)))
    }

    /// Deletes a product; returns its id (scope `catalog:write`).
    #[graphql(guard = "RequireScope(\"catalog:write\")")]
    async fn delete_product(&self, ctx: &Context<'_>, id: ID) -> Result<ID> {
        let id = ctx.data_unchecked::<Writer>().delete(id.as_str()).await?;
        hand_token(ctx).await?;
        Ok(ID(id))
    }

    /// Adds `delta` to the stock on hand, negative to remove (scope `catalog:write`).
    #[graphql(guard = "RequireScope(\"catalog:write\")")]
    async fn adjust_stock(
        &self,
        ctx: &Context<'_>,
        product_id: ID,
        delta: i64,
        reason: Option<String>,
    ) -> Result<Product> {
        let product = ctx.data_unchecked::<Writer>().adjust_stock(product_id.as_str(), delta, reason).await?;
        hand_token(ctx).await?;
        Ok(Product(Arc::new(product)))
    }
}
