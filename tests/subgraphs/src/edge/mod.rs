//! The edge-case supergraph: shelf, books, films, ratings, pricing and people.

pub(crate) mod books;
pub(crate) mod data;
pub(crate) mod films;
pub(crate) mod people;
pub(crate) mod pricing;
pub(crate) mod ratings;
pub(crate) mod shelf;
