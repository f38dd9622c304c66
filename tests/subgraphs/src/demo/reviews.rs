//! reviews: reviews of products by users, and the reviews of a user or a product.

use std::sync::Arc;

use std::time::Duration;

use async_graphql::futures_util::{Stream, StreamExt, stream};
use async_graphql::{EmptyMutation, ID, Object, Schema, Subscription};

use super::data::{DemoData, ReviewRow};
use crate::entities::Federated;

pub(crate) type ReviewsSchema = Schema<Federated<Query>, EmptyMutation, Reviews>;

pub(crate) fn schema(data: Arc<DemoData>) -> ReviewsSchema {
    Schema::build(Federated(Query { data: data.clone() }), EmptyMutation, Reviews { data })
        .enable_federation()
        .enable_subscription_in_federation()
        .finish()
}

/// A subscription the subgraph serves itself (over graphql-transport-ws), for the gateway to
/// pass through.
pub(crate) struct Reviews {
    data: Arc<DemoData>,
}

#[Subscription(name = "Subscription")]
impl Reviews {
    /// The first `count` reviews, in order, one every `intervalMs`; then the stream ends.
    async fn review_added(
        &self,
        count: usize,
        #[graphql(default = 20)] interval_ms: u64,
    ) -> impl Stream<Item = Review> + use<> {
        let data = self.data.clone();
        let count = count.min(data.reviews.len());
        stream::iter(0..count).then(move |index| {
            let data = data.clone();
            async move {
                tokio::time::sleep(Duration::from_millis(interval_ms)).await;
                Review { data, index }
            }
        })
    }
}

pub(crate) struct Query {
    data: Arc<DemoData>,
}

#[Object]
impl Query {
    #[graphql(entity)]
    async fn find_review_by_id(&self, id: ID) -> Option<Review> {
        DemoData::index(&id, self.data.reviews.len()).map(|index| Review { data: self.data.clone(), index })
    }

    /// Any user id is an entity; one without reviews has an empty list.
    #[graphql(entity)]
    async fn find_user_by_id(&self, id: ID) -> User {
        let index = DemoData::index(&id, self.data.users.len());
        User { data: self.data.clone(), id, index }
    }

    /// Any upc is an entity; one without reviews has an empty list.
    #[graphql(entity)]
    async fn find_product_by_upc(&self, upc: String) -> Product {
        let index = DemoData::index(&upc, self.data.products.len());
        Product { data: self.data.clone(), upc, index }
    }
}

fn reviews(data: &Arc<DemoData>, indexes: &[usize]) -> Vec<Option<Review>> {
    indexes.iter().map(|&index| Some(Review { data: data.clone(), index })).collect()
}

pub(crate) struct Review {
    data: Arc<DemoData>,
    index: usize,
}

impl Review {
    fn row(&self) -> &ReviewRow {
        &self.data.reviews[self.index]
    }
}

#[Object(cache_control(max_age = 60))]
impl Review {
    async fn id(&self) -> ID {
        ID(self.row().id.clone())
    }

    async fn body(&self) -> Option<&str> {
        Some(&self.row().body)
    }

    #[graphql(provides = "username")]
    async fn author(&self) -> Option<User> {
        let index = self.row().author;
        Some(User { data: self.data.clone(), id: ID(self.data.users[index].id.clone()), index: Some(index) })
    }

    async fn product(&self) -> Option<Product> {
        let index = self.row().product;
        Some(Product { data: self.data.clone(), upc: self.data.products[index].upc.clone(), index: Some(index) })
    }
}

pub(crate) struct User {
    data: Arc<DemoData>,
    id: ID,
    index: Option<usize>,
}

#[Object]
impl User {
    async fn id(&self) -> &ID {
        &self.id
    }

    // Owned by accounts; reviews keeps a copy so that it can provide it on `Review.author`.
    #[graphql(external)]
    async fn username(&self) -> Option<&str> {
        self.index.map(|index| self.data.users[index].username.as_str())
    }

    async fn reviews(&self) -> Option<Vec<Option<Review>>> {
        Some(self.index.map(|index| reviews(&self.data, &self.data.reviews_by_author[index])).unwrap_or_default())
    }
}

pub(crate) struct Product {
    data: Arc<DemoData>,
    upc: String,
    index: Option<usize>,
}

#[Object]
impl Product {
    async fn upc(&self) -> &str {
        &self.upc
    }

    async fn reviews(&self) -> Option<Vec<Option<Review>>> {
        Some(self.index.map(|index| reviews(&self.data, &self.data.reviews_by_product[index])).unwrap_or_default())
    }
}
