//! Applies permissions events to the cache: the viewers an event lists lose their cached
//! answers; a deleted employee's tokens are refused until they would have expired anyway.

use std::time::Duration;

use async_trait::async_trait;
use braid_kit::events::{Envelope, Handler, HandlerError};
use sea_orm::DatabaseTransaction;

use crate::cache::AccessCache;
use crate::events::{
    EMPLOYEE_TOPIC, EmployeeCreated, EmployeeDeleted, EmployeeMoved, GRANT_TOPIC, GROUP_TOPIC, GrantChanged,
    GroupChanged, Visibility,
};

/// The event handler (consumer group `<service>.access`).
pub struct Invalidator {
    pub service: &'static str,
    pub cache: AccessCache,
    /// How long a deleted employee's access tokens could still be presented.
    pub token_lifetime: Duration,
}

impl Invalidator {
    /// Applies one visibility change (also called right after a commit, before the event).
    pub async fn apply(&self, visibility: &Visibility) -> Result<(), braid_kit::cache::CacheError> {
        if visibility.everyone {
            self.cache.invalidate_everyone().await
        } else {
            self.cache.invalidate(&visibility.viewer_ids()).await
        }
    }
}

fn decode<E: braid_kit::events::DomainEvent>(event: &Envelope) -> Result<Option<E>, HandlerError> {
    event.decode::<E>().transpose().map_err(|e| HandlerError::Permanent(format!("{}: {e}", event.event_type)))
}

#[async_trait]
impl Handler for Invalidator {
    fn name(&self) -> String {
        format!("{}.access", self.service)
    }

    fn topics(&self) -> Vec<String> {
        vec![EMPLOYEE_TOPIC.into(), GRANT_TOPIC.into(), GROUP_TOPIC.into()]
    }

    async fn handle(&self, _txn: &DatabaseTransaction, event: &Envelope) -> Result<(), HandlerError> {
        let transient = |e: braid_kit::cache::CacheError| HandlerError::Transient(e.to_string());
        let visibility = if let Some(e) = decode::<EmployeeCreated>(event)? {
            e.visibility
        } else if let Some(e) = decode::<EmployeeMoved>(event)? {
            e.visibility
        } else if let Some(e) = decode::<GrantChanged>(event)? {
            e.visibility
        } else if let Some(e) = decode::<GroupChanged>(event)? {
            e.visibility
        } else if let Some(e) = decode::<EmployeeDeleted>(event)? {
            let id = e.employee_id.parse::<i64>().map_err(|_| HandlerError::Permanent("employee id".into()))?;
            self.cache.revoke_subject(id, self.token_lifetime).await.map_err(transient)?;
            e.visibility
        } else {
            return Ok(()); // EmployeeUpdated and future types change no visibility
        };
        self.apply(&visibility).await.map_err(transient)
    }
}
