//! The write side: each mutation changes its rows, computes whose visibility it altered and
//! appends its event in one transaction; after the commit it voids those viewers' cached
//! answers at once (the event's consumers do it again, for every other cache).
//!
//! `employees`, `groups` and `grants` hold the mutations of each; this module the writer and
//! what they share: parsing ids, loading rows, appending events and committing.

use std::sync::Arc;

use braid_access::events::{SOURCE, Visibility};
use braid_access::invalidate::Invalidator;
use braid_kit::ClientError;
use braid_kit::events::{DomainEvent, Envelope, OutboxSignal, outbox};
use chrono::Utc;
use sea_orm::{ColumnTrait, DatabaseConnection, DatabaseTransaction, EntityTrait, QueryFilter};

use crate::entity::{employee, group, refresh_token};

mod employees;
mod grants;
mod groups;

pub use employees::{CreateEmployeeInput, UpdateEmployeeInput, snapshot};
pub use grants::GrantInput;

/// Mutations of the permissions data.
#[derive(Clone)]
pub struct Writer {
    pub db: DatabaseConnection,
    pub outbox: OutboxSignal,
    pub invalidator: Option<Arc<Invalidator>>,
}

/// Parses a GraphQL id into an employee, group or grant id.
pub fn id(value: &async_graphql::ID, field: &str) -> Result<i64, ClientError> {
    value.parse::<i64>().ok().filter(|v| *v > 0).ok_or_else(|| ClientError::bad_input(field, "not a valid id"))
}

async fn append<E: DomainEvent>(txn: &DatabaseTransaction, event: &E) -> Result<(), ClientError> {
    outbox::append(txn, &Envelope::new(SOURCE, event)).await?;
    Ok(())
}

pub(crate) async fn load_employee<C: sea_orm::ConnectionTrait>(
    conn: &C,
    id: i64,
    field: &str,
) -> Result<employee::Model, ClientError> {
    employee::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or_else(|| ClientError::bad_input(field, format!("no employee {id}")))
}

async fn load_group(txn: &DatabaseTransaction, id: i64, field: &str) -> Result<group::Model, ClientError> {
    group::Entity::find_by_id(id).one(txn).await?.ok_or_else(|| ClientError::bad_input(field, format!("no group {id}")))
}

impl Writer {
    async fn begin(&self) -> Result<DatabaseTransaction, ClientError> {
        Ok(braid_kit::db::begin_write(&self.db).await?)
    }

    /// Commits, wakes the relay and voids the affected viewers' cached answers.
    async fn commit(&self, txn: DatabaseTransaction, visibility: &Visibility) -> Result<(), ClientError> {
        txn.commit().await?;
        self.outbox.committed();
        if let Some(invalidator) = &self.invalidator
            && let Err(e) = invalidator.apply(visibility).await
        {
            // The event's consumer retries it; until then the TTL bounds what is served.
            tracing::warn!(error = %e, "permission cache not invalidated after commit");
        }
        Ok(())
    }
}

/// Revokes every live refresh token of `employee`.
pub(crate) async fn revoke_refresh_tokens(txn: &DatabaseTransaction, employee: i64) -> Result<(), ClientError> {
    refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::RevokedAt, sea_orm::sea_query::Expr::value(Utc::now()))
        .filter(refresh_token::Column::EmployeeId.eq(employee))
        .filter(refresh_token::Column::RevokedAt.is_null())
        .exec(txn)
        .await?;
    Ok(())
}
