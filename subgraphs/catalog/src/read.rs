//! The read side: cache-first (cache-aside) lookups by id and product pages.
//!
//! By id, entries are versioned: an invalidation leaves a tombstone at the new version and a
//! fill never writes an older version over it. Pages are keyed by a generation counter that
//! every product event bumps, so a page cached before an event is never read after it.
//! In front of the shared cache, a near cache in the process holds decoded products by id.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use braid_kit::ClientError;
use braid_kit::cache::near::NearCache;
use braid_kit::cache::{Cache, Versioned};
use braid_kit::replica::{Lsn, ReadRouter};
use rust_decimal::Decimal;
use sea_orm::sea_query::{Cond, Expr, ExprTrait, Func, LikeExpr, Order, Query, SimpleExpr};
use sea_orm::{DatabaseConnection, FromQueryResult, StatementBuilder};
use serde::{Deserialize, Serialize};

use crate::cursor::{Cursor, ProductSort, SortKey};
use crate::entity::{category, product};
use crate::record::{self, ProductRecord};

/// Key of the counter bumped by every product event.
pub const PAGE_GENERATION_KEY: &str = "catalog:products:gen";
/// Key of the primary's log position at the latest invalidation, set before the generation
/// moves: a page filled from the standby under a newer generation has replayed this far.
pub const FENCE_KEY: &str = "catalog:products:fence";
const GENERATION_TTL: Duration = Duration::from_secs(30 * 24 * 3600);

pub fn product_key(id: &str) -> String {
    format!("catalog:product:{id}")
}

/// Filters of `products`.
#[derive(async_graphql::InputObject, Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct ProductFilter {
    /// Case-insensitive text in the name, description or SKU.
    pub search: Option<String>,
    pub category_id: Option<async_graphql::ID>,
    pub category_slug: Option<String>,
    /// Lowest price, inclusive.
    pub min_price: Option<Decimal>,
    /// Highest price, inclusive.
    pub max_price: Option<Decimal>,
}

/// One page of products.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Page {
    pub items: Vec<Arc<ProductRecord>>,
    pub total_count: u64,
    pub has_next_page: bool,
    pub has_previous_page: bool,
    pub sort: ProductSort,
}

/// Products held in this process, by id.
pub type NearProducts = NearCache<Arc<ProductRecord>>;

/// Cache-first reads.
#[derive(Clone)]
pub struct Reader {
    /// The primary, or its standby while it keeps up.
    pub reads: ReadRouter,
    pub cache: Arc<dyn Cache>,
    pub ttl: Duration,
    pub near: Option<Arc<NearProducts>>,
    counters: Counters,
}

#[derive(Clone)]
struct Counters {
    near_hits: metrics::Counter,
    hits: metrics::Counter,
    misses: metrics::Counter,
    page_hits: metrics::Counter,
    page_misses: metrics::Counter,
}

impl Counters {
    fn new() -> Self {
        Self {
            near_hits: metrics::counter!("braid_cache_hits_total", "cache" => "product", "tier" => "near"),
            hits: metrics::counter!("braid_cache_hits_total", "cache" => "product", "tier" => "shared"),
            misses: metrics::counter!("braid_cache_misses_total", "cache" => "product"),
            page_hits: metrics::counter!("braid_cache_hits_total", "cache" => "page", "tier" => "shared"),
            page_misses: metrics::counter!("braid_cache_misses_total", "cache" => "page"),
        }
    }
}

#[derive(Debug, FromQueryResult)]
struct Count {
    n: i64,
}

impl Reader {
    pub fn new(reads: ReadRouter, cache: Arc<dyn Cache>, ttl: Duration, near: Option<Arc<NearProducts>>) -> Self {
        Self { reads, cache, ttl, near, counters: Counters::new() }
    }

    /// Products by id: the near cache, then the shared cache, then the database in one query.
    pub async fn by_ids(&self, ids: &[String]) -> Result<HashMap<String, Arc<ProductRecord>>, ClientError> {
        let mut found = HashMap::with_capacity(ids.len());
        let mut far = Vec::new();
        for id in ids {
            match self.near.as_ref().and_then(|n| n.get(id)) {
                Some(p) => {
                    found.insert(id.clone(), p);
                }
                None => far.push(id.clone()),
            }
        }
        self.counters.near_hits.increment(found.len() as u64);
        if far.is_empty() {
            return Ok(found);
        }
        for p in self.shared_or_db(&far).await? {
            if let Some(near) = &self.near {
                near.put(&p.id, p.version, Some(p.clone()));
            }
            found.insert(p.id.clone(), p);
        }
        Ok(found)
    }

    /// Products by id from the database, past both caches (which it leaves as they are): the
    /// standby once it has replayed `after`, else (and always without `after`) the primary.
    pub async fn fresh_by_ids(
        &self,
        ids: &[String],
        after: Option<Lsn>,
    ) -> Result<HashMap<String, Arc<ProductRecord>>, ClientError> {
        let db = match after {
            Some(lsn) => self.reads.read(Some(lsn)).await,
            None => self.reads.primary(),
        };
        let rows = record::by_ids(db, ids).await?;
        Ok(rows.into_iter().map(|p| (p.id.clone(), Arc::new(p))).collect())
    }

    async fn shared_or_db(&self, ids: &[String]) -> Result<Vec<Arc<ProductRecord>>, ClientError> {
        let keys: Vec<String> = ids.iter().map(|id| product_key(id)).collect();
        let cached = match self.cache.get_versioned(&keys).await {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(error = %e, "cache read failed; reading the database");
                vec![None; ids.len()]
            }
        };
        let mut found = Vec::with_capacity(ids.len());
        let mut missing = Vec::new();
        for (id, entry) in ids.iter().zip(cached) {
            match entry.and_then(|e| e.value).and_then(|v| serde_json::from_slice::<ProductRecord>(&v).ok()) {
                Some(p) => found.push(Arc::new(p)),
                None => missing.push(id.clone()),
            }
        }
        self.counters.hits.increment(found.len() as u64);
        self.counters.misses.increment(missing.len() as u64);
        if missing.is_empty() {
            return Ok(found);
        }
        // A stale standby's rows are older than the tombstones invalidations leave: the fills
        // below are refused, and the next read asks again.
        let rows = record::by_ids(self.reads.read(None).await, &missing).await?;
        let fills = rows.iter().map(|p| {
            let entry =
                Versioned { version: p.version, value: Some(serde_json::to_vec(p).expect("records serialize")) };
            let key = product_key(&p.id);
            async move {
                if let Err(e) = self.cache.put_versioned(&key, &entry, self.ttl).await {
                    tracing::warn!(error = %e, "cache fill failed");
                }
            }
        });
        futures::future::join_all(fills).await;
        found.extend(rows.into_iter().map(Arc::new));
        Ok(found)
    }

    /// A page of products (`first` already bounded by the caller); with `read_after` (a
    /// writer's token) past the cache, from a database that has that write.
    pub async fn page(
        &self,
        filter: &ProductFilter,
        sort: ProductSort,
        first: u64,
        after: Option<&str>,
        read_after: Option<Lsn>,
    ) -> Result<Page, ClientError> {
        let cursor = after.map(|a| Cursor::decode(a, sort)).transpose()?;
        if let Some(lsn) = read_after {
            let db = self.reads.read(Some(lsn)).await;
            return self.page_from_db(db, self.conditions(filter).await?, sort, first, cursor).await;
        }
        let generation = match self.cache.get(PAGE_GENERATION_KEY).await {
            Ok(Some(g)) => String::from_utf8(g).ok().and_then(|g| g.parse::<i64>().ok()).unwrap_or(0),
            // Never set, expired or evicted: start at a value no earlier generation used
            // (earlier ones started at an earlier clock reading and grew by one per event).
            Ok(None) => {
                let fresh = chrono::Utc::now().timestamp_micros();
                let _ = self.cache.set(PAGE_GENERATION_KEY, fresh.to_string().as_bytes(), GENERATION_TTL).await;
                fresh
            }
            Err(e) => {
                tracing::warn!(error = %e, "cache read failed; reading the database");
                let db = self.reads.primary();
                return self.page_from_db(db, self.conditions(filter).await?, sort, first, cursor).await;
            }
        };
        let key = format!(
            "catalog:products:{generation}:{}",
            serde_json::to_string(&(filter, sort, first, after)).expect("keys serialize")
        );
        if let Ok(Some(bytes)) = self.cache.get(&key).await
            && let Ok(page) = serde_json::from_slice::<Page>(&bytes)
        {
            self.counters.page_hits.increment(1);
            return Ok(page);
        }
        self.counters.page_misses.increment(1);
        // Filters are checked (unknown category, bad range) only on a miss: a refused filter
        // never produced a cached page.
        let db = self.reads.read(self.fence().await).await;
        let page = self.page_from_db(db, self.conditions(filter).await?, sort, first, cursor).await?;
        if let Err(e) = self.cache.set(&key, &serde_json::to_vec(&page).expect("pages serialize"), self.ttl).await {
            tracing::warn!(error = %e, "cache fill failed");
        }
        Ok(page)
    }

    /// Where the primary was at the latest invalidation of any instance (none without a standby).
    async fn fence(&self) -> Option<Lsn> {
        if !self.reads.has_standby() {
            return None;
        }
        match self.cache.get(FENCE_KEY).await {
            Ok(value) => value.and_then(|v| String::from_utf8(v).ok()).and_then(|v| Lsn::parse(&v)),
            // Not knowing the fence, only the primary is sure to be recent enough.
            Err(_) => Some(Lsn(u64::MAX)),
        }
    }

    async fn page_from_db(
        &self,
        db: &DatabaseConnection,
        conditions: Cond,
        sort: ProductSort,
        first: u64,
        cursor: Option<Cursor>,
    ) -> Result<Page, ClientError> {
        let backend = db.get_database_backend();
        let count = Query::select()
            .expr_as(Expr::col((product::Entity, product::Column::Id)).count(), sea_orm::sea_query::Alias::new("n"))
            .from(product::Entity)
            .cond_where(conditions.clone())
            .to_owned();
        let total = Count::find_by_statement(StatementBuilder::build(&count, &backend))
            .one(db)
            .await?
            .map_or(0, |c| c.n as u64);

        let (column, order) = match sort {
            ProductSort::Name => (product::Column::NameKey, Order::Asc),
            ProductSort::PriceAsc => (product::Column::PriceCents, Order::Asc),
            ProductSort::PriceDesc => (product::Column::PriceCents, Order::Desc),
        };
        let mut statement = record::select();
        statement.cond_where(conditions);
        if let Some(c) = &cursor {
            let key: SimpleExpr = match &c.key {
                SortKey::Text(s) => s.clone().into(),
                SortKey::Number(n) => (*n).into(),
            };
            let col = Expr::col((product::Entity, column));
            let id = Expr::col((product::Entity, product::Column::Id));
            let beyond = match order {
                Order::Desc => col.clone().lt(key.clone()),
                _ => col.clone().gt(key.clone()),
            };
            statement.cond_where(Cond::any().add(beyond).add(Cond::all().add(col.eq(key)).add(id.gt(c.id.clone()))));
        }
        statement
            .order_by((product::Entity, column), order)
            .order_by((product::Entity, product::Column::Id), Order::Asc)
            .limit(first + 1);
        let mut items = record::fetch(db, &statement).await?;
        let has_next_page = items.len() as u64 > first;
        items.truncate(first as usize);
        Ok(Page {
            items: items.into_iter().map(Arc::new).collect(),
            total_count: total,
            has_next_page,
            has_previous_page: cursor.is_some(),
            sort,
        })
    }

    async fn conditions(&self, filter: &ProductFilter) -> Result<Cond, ClientError> {
        let mut cond = Cond::all();
        if let Some(search) = filter.search.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            if search.chars().count() > 100 {
                return Err(ClientError::bad_input("filter.search", "search text is longer than 100 characters"));
            }
            let pattern = format!("%{}%", braid_kit::db::escape_like(&search.to_lowercase()));
            let like = |e: SimpleExpr| e.like(LikeExpr::new(pattern.clone()).escape('\\'));
            cond = cond.add(
                Cond::any()
                    .add(like(Expr::col((product::Entity, product::Column::NameKey))))
                    .add(like(Func::lower(Expr::col((product::Entity, product::Column::Description))).into()))
                    .add(like(Func::lower(Expr::col((product::Entity, product::Column::Sku))).into())),
            );
        }
        if let Some(id) = &filter.category_id {
            self.require_category(category::Column::Id, id.as_str(), "filter.categoryId").await?;
            cond = cond.add(Expr::col((product::Entity, product::Column::CategoryId)).eq(id.as_str()));
        }
        if let Some(slug) = &filter.category_slug {
            let id = self.require_category(category::Column::Slug, slug, "filter.categorySlug").await?;
            cond = cond.add(Expr::col((product::Entity, product::Column::CategoryId)).eq(id));
        }
        let min = filter.min_price.map(|p| crate::write::cents(p, "filter.minPrice")).transpose()?;
        let max = filter.max_price.map(|p| crate::write::cents(p, "filter.maxPrice")).transpose()?;
        if let (Some(lo), Some(hi)) = (min, max)
            && lo > hi
        {
            return Err(ClientError::bad_input("filter.minPrice", "minPrice is above maxPrice"));
        }
        if let Some(lo) = min {
            cond = cond.add(Expr::col((product::Entity, product::Column::PriceCents)).gte(lo));
        }
        if let Some(hi) = max {
            cond = cond.add(Expr::col((product::Entity, product::Column::PriceCents)).lte(hi));
        }
        Ok(cond)
    }

    async fn require_category(
        &self,
        column: category::Column,
        value: &str,
        field: &str,
    ) -> Result<String, ClientError> {
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
        category::Entity::find()
            .filter(column.eq(value))
            .one(self.reads.read(None).await)
            .await?
            .map(|c| c.id)
            .ok_or_else(|| ClientError::bad_input(field, format!("unknown category {value:?}")))
    }
}

/// Escapes `%`, `_` and the escape character itself for a LIKE pattern.
/// Batches the `Product` lookups of one request (entity references and `product(id)`).
/// With `fresh`, from the database only (requests that asked for no cache).
pub struct ProductLoader {
    pub reader: Reader,
    pub fresh: bool,
}

impl async_graphql::dataloader::Loader<String> for ProductLoader {
    type Value = Arc<ProductRecord>;
    type Error = Arc<ClientError>;

    async fn load(&self, keys: &[String]) -> Result<HashMap<String, Self::Value>, Self::Error> {
        if self.fresh {
            return self.reader.fresh_by_ids(keys, None).await.map_err(Arc::new);
        }
        self.reader.by_ids(keys).await.map_err(Arc::new)
    }
}
