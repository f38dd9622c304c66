#![allow(elided_lifetimes_in_paths)] // sea-orm-migration's trait is written this way
//! sea-orm migrations: one migrator per subgraph database.
//!
//! Every subgraph database also gets the event tables (`outbox`, `inbox`) from [`events`],
//! because the outbox row must be written in the same transaction as the rows it describes.

pub mod catalog;
pub mod documents;
pub mod events;
pub mod orders;
pub mod permissions;

pub use sea_orm_migration::MigratorTrait;
