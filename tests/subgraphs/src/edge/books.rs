//! books: the `Book` entity, with two keys (`id` and `isbn`), a `@shareable` title, a field
//! with arguments that pricing `@requires`, the legacy `price` that pricing `@override`s, and
//! `@inaccessible` parts (a field, a type and an enum value) that the public schema must hide.

use async_graphql::{EmptyMutation, EmptySubscription, Enum, ID, Interface, Object, Schema, SimpleObject};

use super::data::{BOOKS, BookRow, book_by_id, book_by_isbn};
use crate::entities::Federated;

pub(crate) type BooksSchema = Schema<Federated<Query>, EmptyMutation, EmptySubscription>;

pub(crate) fn schema() -> BooksSchema {
    Schema::build(Federated(Query), EmptyMutation, EmptySubscription)
        .enable_federation()
        .register_output_type::<Media>()
        .finish()
}

pub(crate) struct Query;

#[Object]
impl Query {
    async fn books(&self) -> Vec<Book> {
        BOOKS.iter().map(Book).collect()
    }

    async fn book(&self, id: ID) -> Option<Book> {
        book_by_id(&id).map(Book)
    }

    async fn book_by_isbn(&self, isbn: String) -> Option<Book> {
        book_by_isbn(&isbn).map(Book)
    }

    #[graphql(entity)]
    async fn find_book_by_id(&self, id: ID) -> Option<Book> {
        book_by_id(&id).map(Book)
    }

    #[graphql(entity)]
    async fn find_book_by_isbn(&self, isbn: String) -> Option<Book> {
        book_by_isbn(&isbn).map(Book)
    }
}

/// Something on the shelf. Each subgraph that knows `Media` declares the fields it can resolve.
#[derive(Interface)]
#[graphql(field(name = "id", ty = "ID"), field(name = "title", ty = "&str"))]
pub(crate) enum Media {
    Book(Book),
}

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BookFormat {
    Hardcover,
    Paperback,
    Ebook,
    /// Not published yet: hidden from the public schema.
    #[graphql(inaccessible)]
    Manuscript,
}

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WeightUnit {
    Gram,
    Kilogram,
}

/// Bookkeeping that only subgraphs see.
#[derive(SimpleObject)]
#[graphql(inaccessible)]
pub(crate) struct Audit {
    created_by: &'static str,
    revision: i32,
}

pub(crate) struct Book(&'static BookRow);

#[Object]
impl Book {
    async fn id(&self) -> ID {
        ID(self.0.id.to_owned())
    }

    async fn isbn(&self) -> &str {
        self.0.isbn
    }

    #[graphql(shareable)]
    async fn title(&self) -> &str {
        self.0.title
    }

    async fn pages(&self) -> i32 {
        self.0.pages
    }

    async fn format(&self) -> BookFormat {
        self.0.format
    }

    /// The legacy list price in cents; pricing owns `price` now (`@override(from: "books")`).
    async fn price(&self) -> i32 {
        self.0.list_price
    }

    async fn weight(&self, #[graphql(default_with = "WeightUnit::Gram")] unit: WeightUnit) -> f64 {
        match unit {
            WeightUnit::Gram => self.0.grams,
            WeightUnit::Kilogram => self.0.grams / 1000.0,
        }
    }

    #[graphql(inaccessible)]
    async fn internal_notes(&self) -> Option<String> {
        Some(format!("shelf mark {}", self.0.id))
    }

    #[graphql(inaccessible)]
    async fn audit(&self) -> Audit {
        Audit { created_by: "import", revision: 1 }
    }
}
