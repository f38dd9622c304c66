//! What the orders service asks the catalog: names, prices and available stock of products,
//! through the catalog subgraph's federation entry point (`_entities`).

use std::collections::HashMap;

use async_trait::async_trait;
use braid_kit::ClientError;
use braid_kit::error::Code;
use braid_kit::telemetry::context;
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::json;
use tracing::Instrument as _;

/// A product as a cart or an order needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductInfo {
    pub id: String,
    pub sku: String,
    pub name: String,
    pub price_minor: i64,
    pub currency: String,
    pub available: i64,
}

/// The catalog port.
#[async_trait]
pub trait Catalog: Send + Sync + 'static {
    /// The products of `ids` that exist (a missing id is an unknown or deleted product).
    async fn products(&self, ids: &[String]) -> Result<HashMap<String, ProductInfo>, ClientError>;
}

/// The catalog subgraph over HTTP.
pub struct HttpCatalog {
    url: String,
    client: reqwest::Client,
}

impl HttpCatalog {
    /// The catalog at `url`, called with `client` (its TLS and time limit).
    pub fn new(url: String, client: reqwest::Client) -> Self {
        Self { url, client }
    }
}

const QUERY: &str = "query($r: [_Any!]!) { _entities(representations: $r) { ... on Product { id sku name \
                     price { amount currency } inventory { available } } } }";

#[derive(Deserialize)]
struct Answer {
    data: Option<Data>,
}

#[derive(Deserialize)]
struct Data {
    #[serde(rename = "_entities")]
    entities: Vec<Option<Entity>>,
}

#[derive(Deserialize)]
struct Entity {
    id: String,
    sku: String,
    name: String,
    price: Price,
    inventory: Inventory,
}

#[derive(Deserialize)]
struct Price {
    amount: Decimal,
    currency: String,
}

#[derive(Deserialize)]
struct Inventory {
    available: i64,
}

fn unavailable(cause: &dyn std::fmt::Display) -> ClientError {
    tracing::warn!(error = %cause, "catalog call failed");
    ClientError::new(Code::CatalogUnavailable, "the catalog cannot be reached; try again")
}

#[async_trait]
impl Catalog for HttpCatalog {
    async fn products(&self, ids: &[String]) -> Result<HashMap<String, ProductInfo>, ClientError> {
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        let representations: Vec<_> = ids.iter().map(|id| json!({ "__typename": "Product", "id": id })).collect();
        let body = json!({ "query": QUERY, "variables": { "r": representations } });
        let span = context::client_span("POST catalog /graphql");
        let request = context::traced(self.client.post(&self.url), &span).json(&body);
        let response = request.send().instrument(span).await.map_err(|e| unavailable(&e))?;
        if !response.status().is_success() {
            return Err(unavailable(&format!("status {}", response.status())));
        }
        let answer: Answer = response.json().await.map_err(|e| unavailable(&e))?;
        let entities = answer.data.ok_or_else(|| unavailable(&"no data in the answer"))?.entities;
        let mut found = HashMap::new();
        for e in entities.into_iter().flatten() {
            let minor = (e.price.amount * Decimal::from(100)).trunc();
            let price_minor = i64::try_from(minor).map_err(|_| unavailable(&"a price out of range"))?;
            let info = ProductInfo {
                id: e.id.clone(),
                sku: e.sku,
                name: e.name,
                price_minor,
                currency: e.price.currency,
                available: e.inventory.available,
            };
            found.insert(e.id, info);
        }
        Ok(found)
    }
}
