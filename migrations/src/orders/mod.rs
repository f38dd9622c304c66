//! The orders database: carts, the order event streams and their projections, the saga's
//! state, the payment and shipping participants' records, and the event tables.

use sea_orm_migration::prelude::*;

mod m20261203_000001_create_orders;
mod m20261205_000001_trace_context;

/// Migrator for the orders subgraph's database.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(crate::events::CreateEventTables),
            Box::new(m20261203_000001_create_orders::Migration),
            Box::new(m20261205_000001_trace_context::Migration),
        ]
    }
}
