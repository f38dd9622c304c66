//! ratings: adds ratings to every `Video` through `@interfaceObject` (ratings knows no movie or
//! episode type) and to `Book` through its second key, `isbn`.

use async_graphql::{EmptyMutation, EmptySubscription, ID, Object, Schema};

use super::data::RATINGS;
use crate::entities::Federated;

pub(crate) type RatingsSchema = Schema<Federated<Query>, EmptyMutation, EmptySubscription>;

pub(crate) fn schema() -> RatingsSchema {
    Schema::build(Federated(Query), EmptyMutation, EmptySubscription).enable_federation().finish()
}

fn ratings(key: &str) -> &'static [i32] {
    RATINGS.iter().find(|(rated, _)| *rated == key).map_or(&[], |(_, ratings)| ratings)
}

fn average(ratings: &[i32]) -> Option<f64> {
    (!ratings.is_empty()).then(|| f64::from(ratings.iter().sum::<i32>()) / ratings.len() as f64)
}

pub(crate) struct Query;

#[Object]
impl Query {
    /// The best rated videos first (ties by id), at most `first`.
    async fn top_rated_videos(&self, #[graphql(default = 3)] first: i32) -> Vec<Video> {
        let mut videos: Vec<(&str, f64)> = RATINGS
            .iter()
            .filter(|(id, _)| id.starts_with("movie-") || id.starts_with("episode-"))
            .filter_map(|(id, ratings)| Some((*id, average(ratings)?)))
            .collect();
        videos.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(b.0)));
        videos
            .into_iter()
            .take(usize::try_from(first).unwrap_or(0))
            .map(|(id, _)| Video { id: ID(id.to_owned()) })
            .collect()
    }

    #[graphql(entity)]
    async fn find_video_by_id(&self, id: ID) -> Video {
        Video { id }
    }

    #[graphql(entity)]
    async fn find_book_by_isbn(&self, isbn: String) -> Book {
        Book { isbn }
    }
}

/// Films' `Video` interface, seen as an object: its fields apply to every implementation.
pub(crate) struct Video {
    id: ID,
}

#[Object(interface_object)]
impl Video {
    async fn id(&self) -> &ID {
        &self.id
    }

    /// Null when nobody rated it.
    async fn average_rating(&self) -> Option<f64> {
        average(ratings(&self.id))
    }

    async fn rating_count(&self) -> i32 {
        ratings(&self.id).len() as i32
    }
}

pub(crate) struct Book {
    isbn: String,
}

#[Object]
impl Book {
    async fn isbn(&self) -> &str {
        &self.isbn
    }

    /// Null when nobody rated it.
    async fn average_rating(&self) -> Option<f64> {
        average(ratings(&self.isbn))
    }

    async fn rating_count(&self) -> i32 {
        ratings(&self.isbn).len() as i32
    }
}
