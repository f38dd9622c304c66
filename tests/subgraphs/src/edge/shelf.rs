//! shelf: the entry point of the edge supergraph. `featured` returns the interface `Media`
//! and `search` the union `SearchResult`, both over `Book` (owned by books) and `Movie` (owned
//! by films): shelf only knows their ids (and the `@shareable` book title). Members' favourites
//! extend `Member`, whose nested key `id organization { id }` people owns.

use async_graphql::{
    EmptyMutation, EmptySubscription, ID, InputObject, Interface, Object, Schema, SimpleObject, Union,
};

use super::data::{BOOKS, MEMBERS, MOVIES, book_by_id};
use crate::entities::Federated;

pub(crate) type ShelfSchema = Schema<Federated<Query>, EmptyMutation, EmptySubscription>;

pub(crate) fn schema() -> ShelfSchema {
    Schema::build(Federated(Query), EmptyMutation, EmptySubscription).enable_federation().finish()
}

/// The featured media, in this order.
const FEATURED: [&str; 4] = ["book-2", "movie-1", "book-1", "movie-3"];

fn media(id: &str) -> Option<Media> {
    if let Some(row) = book_by_id(id) {
        return Some(Media::Book(Book { id: ID(row.id.to_owned()), title: row.title }));
    }
    MOVIES.iter().any(|row| row.0 == id).then(|| Media::Movie(Movie { id: ID(id.to_owned()) }))
}

/// The `organization { id }` part of a member's key.
#[derive(InputObject)]
pub(crate) struct OrganizationKey {
    id: ID,
}

pub(crate) struct Query;

#[Object]
impl Query {
    async fn featured(&self) -> Vec<Media> {
        FEATURED.iter().filter_map(|id| media(id)).collect()
    }

    /// Books, then movies, whose title contains `term` (ignoring case).
    async fn search(&self, term: String) -> Vec<SearchResult> {
        let term = term.to_lowercase();
        let books = BOOKS.iter().filter(|row| row.title.to_lowercase().contains(&term));
        let books = books.map(|row| SearchResult::Book(Book { id: ID(row.id.to_owned()), title: row.title }));
        let movies = MOVIES.iter().filter(|row| row.1.to_lowercase().contains(&term));
        books.chain(movies.map(|row| SearchResult::Movie(Movie { id: ID(row.0.to_owned()) }))).collect()
    }

    #[graphql(entity)]
    async fn find_book_by_id(&self, id: ID) -> Option<Book> {
        book_by_id(&id).map(|row| Book { id, title: row.title })
    }

    #[graphql(entity)]
    async fn find_movie_by_id(&self, id: ID) -> Option<Movie> {
        MOVIES.iter().any(|row| row.0 == id.as_str()).then_some(Movie { id })
    }

    /// Any member is an entity; one shelf knows nothing about has no favourites.
    #[graphql(entity)]
    async fn find_member_by_id_and_organization(
        &self,
        #[graphql(key)] id: ID,
        #[graphql(key)] organization: OrganizationKey,
    ) -> Member {
        Member { id, organization: Organization { id: organization.id } }
    }
}

/// Something on the shelf. Each subgraph that knows `Media` declares the fields it can resolve.
#[derive(Interface)]
#[graphql(field(name = "id", ty = "&ID"))]
pub(crate) enum Media {
    Book(Book),
    Movie(Movie),
}

#[derive(Union)]
pub(crate) enum SearchResult {
    Book(Book),
    Movie(Movie),
}

#[derive(SimpleObject)]
pub(crate) struct Book {
    id: ID,
    #[graphql(shareable)]
    title: &'static str,
}

#[derive(SimpleObject)]
pub(crate) struct Movie {
    id: ID,
}

#[derive(SimpleObject)]
#[graphql(unresolvable)]
pub(crate) struct Organization {
    id: ID,
}

pub(crate) struct Member {
    id: ID,
    organization: Organization,
}

#[Object]
impl Member {
    async fn id(&self) -> &ID {
        &self.id
    }

    async fn organization(&self) -> &Organization {
        &self.organization
    }

    /// The media this member likes, most liked first.
    async fn favourites(&self) -> Vec<Media> {
        let row = MEMBERS.iter().find(|row| row.0 == self.id.as_str() && row.1 == self.organization.id.as_str());
        row.map(|row| row.4.iter().filter_map(|id| media(id)).collect()).unwrap_or_default()
    }
}
