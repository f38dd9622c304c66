//! The read model: one product with its category and inventory, as cached and as served.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query, SelectStatement};
use sea_orm::{ConnectionTrait, DbErr, FromQueryResult, StatementBuilder};
use serde::{Deserialize, Serialize};

use crate::entity::{category, inventory, product};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CategoryRecord {
    pub id: String,
    pub slug: String,
    pub name: String,
}

#[derive(
    Debug, Clone, PartialEq, Eq, Serialize, Deserialize, async_graphql::SimpleObject, async_graphql::InputObject,
)]
#[graphql(input_name = "AttributeInput")]
pub struct Attribute {
    pub name: String,
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InventoryRecord {
    pub on_hand: i64,
    pub reserved: i64,
    pub low_stock_threshold: i64,
}

impl InventoryRecord {
    pub fn available(&self) -> i64 {
        self.on_hand - self.reserved
    }

    pub fn low_stock(&self) -> bool {
        self.available() <= self.low_stock_threshold
    }
}

/// A product as the read side sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductRecord {
    pub id: String,
    pub sku: String,
    pub name: String,
    pub description: String,
    pub price_cents: i64,
    pub currency: String,
    pub category: CategoryRecord,
    pub attributes: Vec<Attribute>,
    pub inventory: InventoryRecord,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// One row of [`select`].
#[derive(Debug, FromQueryResult)]
struct Row {
    id: String,
    sku: String,
    name: String,
    description: String,
    price_cents: i64,
    currency: String,
    category_id: String,
    attributes: String,
    version: i64,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    category_slug: String,
    category_name: String,
    on_hand: i64,
    reserved: i64,
    low_stock_threshold: i64,
}

impl From<Row> for ProductRecord {
    fn from(r: Row) -> Self {
        Self {
            id: r.id,
            sku: r.sku,
            name: r.name,
            description: r.description,
            price_cents: r.price_cents,
            currency: r.currency,
            category: CategoryRecord { id: r.category_id, slug: r.category_slug, name: r.category_name },
            attributes: serde_json::from_str(&r.attributes).unwrap_or_default(),
            inventory: InventoryRecord {
                on_hand: r.on_hand,
                reserved: r.reserved,
                low_stock_threshold: r.low_stock_threshold,
            },
            version: r.version,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// Products joined with their category and inventory; callers add filters and order.
pub fn select() -> SelectStatement {
    use product::Column as P;
    Query::select()
        .columns([
            (product::Entity, P::Id),
            (product::Entity, P::Sku),
            (product::Entity, P::Name),
            (product::Entity, P::Description),
            (product::Entity, P::PriceCents),
            (product::Entity, P::Currency),
            (product::Entity, P::CategoryId),
            (product::Entity, P::Attributes),
            (product::Entity, P::Version),
            (product::Entity, P::CreatedAt),
            (product::Entity, P::UpdatedAt),
        ])
        .expr_as(Expr::col((category::Entity, category::Column::Slug)), Alias::new("category_slug"))
        .expr_as(Expr::col((category::Entity, category::Column::Name)), Alias::new("category_name"))
        .columns([
            (inventory::Entity, inventory::Column::OnHand),
            (inventory::Entity, inventory::Column::Reserved),
            (inventory::Entity, inventory::Column::LowStockThreshold),
        ])
        .from(product::Entity)
        .inner_join(
            category::Entity,
            Expr::col((category::Entity, category::Column::Id)).equals((product::Entity, P::CategoryId)),
        )
        .inner_join(
            inventory::Entity,
            Expr::col((inventory::Entity, inventory::Column::ProductId)).equals((product::Entity, P::Id)),
        )
        .to_owned()
}

/// Runs a [`select`] statement.
pub async fn fetch<C: ConnectionTrait>(conn: &C, statement: &SelectStatement) -> Result<Vec<ProductRecord>, DbErr> {
    let stmt = StatementBuilder::build(statement, &conn.get_database_backend());
    let rows = Row::find_by_statement(stmt).all(conn).await?;
    Ok(rows.into_iter().map(ProductRecord::from).collect())
}

/// The products with these ids (any order; missing ids are absent).
pub async fn by_ids<C: ConnectionTrait>(conn: &C, ids: &[String]) -> Result<Vec<ProductRecord>, DbErr> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let statement =
        select().and_where(Expr::col((product::Entity, product::Column::Id)).is_in(ids.iter().cloned())).to_owned();
    fetch(conn, &statement).await
}
