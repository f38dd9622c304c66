//! products: the product catalogue.

use std::sync::Arc;

use async_graphql::{EmptyMutation, EmptySubscription, Object, Schema};

use super::data::{DemoData, ProductRow};
use crate::PriceChanges;
use crate::entities::Federated;

pub(crate) type ProductsSchema = Schema<Federated<Query>, EmptyMutation, EmptySubscription>;

pub(crate) fn schema(data: Arc<DemoData>, prices: Option<Arc<PriceChanges>>) -> ProductsSchema {
    Schema::build(Federated(Query { data, prices }), EmptyMutation, EmptySubscription).enable_federation().finish()
}

pub(crate) struct Query {
    data: Arc<DemoData>,
    prices: Option<Arc<PriceChanges>>,
}

impl Query {
    fn at(&self, index: usize) -> Product {
        Product { data: self.data.clone(), index, prices: self.prices.clone() }
    }

    fn find(&self, upc: &str) -> Option<Product> {
        DemoData::index(upc, self.data.products.len()).map(|index| self.at(index))
    }
}

#[Object]
impl Query {
    /// The first `first` products, by upc (negative counts as 0).
    async fn top_products(&self, #[graphql(default = 5)] first: Option<i32>) -> Vec<Product> {
        let count = usize::try_from(first.unwrap_or(5)).unwrap_or(0).min(self.data.products.len());
        (0..count).map(|index| self.at(index)).collect()
    }

    async fn product(&self, upc: String) -> Option<Product> {
        self.find(&upc)
    }

    #[graphql(entity)]
    async fn find_product_by_upc(&self, upc: String) -> Option<Product> {
        self.find(&upc)
    }
}

pub(crate) struct Product {
    data: Arc<DemoData>,
    index: usize,
    prices: Option<Arc<PriceChanges>>,
}

impl Product {
    fn row(&self) -> &ProductRow {
        &self.data.products[self.index]
    }
}

#[Object(cache_control(max_age = 60))]
impl Product {
    async fn upc(&self) -> &str {
        &self.row().upc
    }

    async fn name(&self) -> Option<&str> {
        Some(&self.row().name)
    }

    async fn price(&self) -> Option<i32> {
        Some(self.row().price + self.prices.as_ref().map_or(0, |p| p.get(self.index)))
    }

    async fn weight(&self) -> Option<i32> {
        Some(self.row().weight)
    }
}
