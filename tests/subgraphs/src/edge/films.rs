//! films: the `Movie` and `Episode` entities and the entity interface
//! `Video @key(fields: "id")`, which ratings extends as an `@interfaceObject`.

use async_graphql::{EmptyMutation, EmptySubscription, ID, Interface, Object, Schema};

use super::data::{EPISODES, MOVIES};
use crate::entities::Federated;

pub(crate) type FilmsSchema = Schema<Federated<Query>, EmptyMutation, EmptySubscription>;

pub(crate) fn schema() -> FilmsSchema {
    Schema::build(Federated(Query), EmptyMutation, EmptySubscription)
        .enable_federation()
        .register_output_type::<Media>()
        .finish()
}

pub(crate) struct Query;

fn movie(id: &str) -> Option<Movie> {
    MOVIES.iter().position(|row| row.0 == id).map(Movie)
}

fn episode(id: &str) -> Option<Episode> {
    EPISODES.iter().position(|row| row.0 == id).map(Episode)
}

#[Object]
impl Query {
    async fn movies(&self) -> Vec<Movie> {
        (0..MOVIES.len()).map(Movie).collect()
    }

    /// Every video: the movies, then the episodes.
    async fn videos(&self) -> Vec<Video> {
        let movies = (0..MOVIES.len()).map(|index| Video::Movie(Movie(index)));
        movies.chain((0..EPISODES.len()).map(|index| Video::Episode(Episode(index)))).collect()
    }

    #[graphql(entity)]
    async fn find_movie_by_id(&self, id: ID) -> Option<Movie> {
        movie(&id)
    }

    #[graphql(entity)]
    async fn find_episode_by_id(&self, id: ID) -> Option<Episode> {
        episode(&id)
    }

    /// `Video` representations come from the `@interfaceObject` in ratings: this resolves the
    /// concrete type.
    #[graphql(entity)]
    async fn find_video_by_id(&self, id: ID) -> Option<Video> {
        movie(&id).map(Video::Movie).or_else(|| episode(&id).map(Video::Episode))
    }
}

/// Something on the shelf. Each subgraph that knows `Media` declares the fields it can resolve.
#[derive(Interface)]
#[graphql(field(name = "id", ty = "ID"), field(name = "title", ty = "&str"))]
pub(crate) enum Media {
    Movie(Movie),
}

/// Anything one can watch.
#[derive(Interface)]
#[graphql(
    field(name = "id", ty = "ID"),
    field(name = "title", ty = "&str"),
    field(name = "duration_minutes", ty = "i32")
)]
pub(crate) enum Video {
    Movie(Movie),
    Episode(Episode),
}

pub(crate) struct Movie(usize);

#[Object]
impl Movie {
    async fn id(&self) -> ID {
        ID(MOVIES[self.0].0.to_owned())
    }

    async fn title(&self) -> &str {
        MOVIES[self.0].1
    }

    async fn duration_minutes(&self) -> i32 {
        MOVIES[self.0].2
    }

    async fn director(&self) -> &str {
        MOVIES[self.0].3
    }

    async fn release_year(&self) -> i32 {
        MOVIES[self.0].4
    }
}

pub(crate) struct Episode(usize);

#[Object]
impl Episode {
    async fn id(&self) -> ID {
        ID(EPISODES[self.0].0.to_owned())
    }

    async fn title(&self) -> &str {
        EPISODES[self.0].1
    }

    async fn duration_minutes(&self) -> i32 {
        EPISODES[self.0].2
    }

    async fn series(&self) -> &str {
        EPISODES[self.0].3
    }

    async fn number(&self) -> i32 {
        EPISODES[self.0].4
    }
}
