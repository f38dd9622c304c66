//! Reading orders: one by id (its buyer's, or anyone's with `orders:read_all`), and pages
//! newest first with keyset cursors.

use braid_kit::ClientError;
use braid_kit::connection;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Condition;
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Select,
};
use serde::{Deserialize, Serialize};

use crate::entity::order;
use crate::view::{OrderStatus, OrderView};

/// Which orders a page lists.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub buyer: Option<String>,
    pub status: Option<OrderStatus>,
}

/// A page of orders.
pub struct Page {
    pub orders: Vec<OrderView>,
    pub has_next_page: bool,
    pub has_previous_page: bool,
    pub total_count: u64,
}

/// Where a page ends: placement time and id of its last order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Position {
    #[serde(rename = "t")]
    pub placed_at: DateTime<Utc>,
    #[serde(rename = "i")]
    pub id: String,
}

impl Position {
    pub fn of(order: &OrderView) -> Self {
        Self { placed_at: order.placed_at, id: order.id.clone() }
    }
}

/// Order reads.
#[derive(Clone)]
pub struct Reader {
    pub db: DatabaseConnection,
}

impl Reader {
    /// The order, if it exists and `viewer` may read it (`read_all`: any order).
    pub async fn order(&self, viewer: &str, id: &str, read_all: bool) -> Result<Option<OrderView>, ClientError> {
        if id.len() > 64 {
            return Ok(None);
        }
        let row = order::Entity::find_by_id(id.to_string()).one(&self.db).await?;
        let view = row.map(OrderView::from_row).transpose()?;
        Ok(view.filter(|o| read_all || o.buyer_id == viewer))
    }

    fn filtered(filter: &Filter) -> Select<order::Entity> {
        let mut query = order::Entity::find();
        if let Some(buyer) = &filter.buyer {
            query = query.filter(order::Column::BuyerId.eq(buyer.as_str()));
        }
        if let Some(status) = filter.status {
            query = query.filter(order::Column::Status.eq(status.as_str()));
        }
        query
    }

    /// `first` orders after `after`, newest first.
    pub async fn page(&self, filter: &Filter, first: u64, after: Option<&str>) -> Result<Page, ClientError> {
        let position: Option<Position> = after.map(|a| connection::decode(a, "after")).transpose()?;
        let total_count = Self::filtered(filter).count(&self.db).await?;
        let mut query = Self::filtered(filter);
        if let Some(p) = &position {
            // (placed_at, id) < (p.placed_at, p.id), written out for SQLite.
            query = query.filter(Condition::any().add(order::Column::PlacedAt.lt(p.placed_at)).add(
                Condition::all().add(order::Column::PlacedAt.eq(p.placed_at)).add(order::Column::Id.lt(p.id.as_str())),
            ));
        }
        let rows = query
            .order_by_desc(order::Column::PlacedAt)
            .order_by_desc(order::Column::Id)
            .limit(first + 1)
            .all(&self.db)
            .await?;
        let has_next_page = rows.len() as u64 > first;
        let orders = rows.into_iter().take(first as usize).map(OrderView::from_row).collect::<Result<Vec<_>, _>>()?;
        Ok(Page { orders, has_next_page, has_previous_page: position.is_some(), total_count })
    }
}
