//! Cache invalidation by event. [`Invalidator`] (one consumer group for all instances)
//! leaves a tombstone at the event's version in the shared cache and bumps the page
//! generation; [`NearInvalidator`] (a group per instance) does the same in its near cache.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use braid_kit::cache::{Cache, Versioned};
use braid_kit::events::{Envelope, Handler, HandlerError};
use sea_orm::DatabaseTransaction;

use crate::events::{PRODUCT_TOPIC, product_version};
use braid_kit::replica::ReadRouter;

use crate::read::{FENCE_KEY, NearProducts, PAGE_GENERATION_KEY, product_key};

/// Consumer `catalog.cache`.
pub struct Invalidator {
    pub cache: Arc<dyn Cache>,
    pub ttl: Duration,
    pub reads: ReadRouter,
}

#[async_trait]
impl Handler for Invalidator {
    fn name(&self) -> String {
        "catalog.cache".into()
    }

    fn topics(&self) -> Vec<String> {
        vec![PRODUCT_TOPIC.into()]
    }

    async fn handle(&self, _txn: &DatabaseTransaction, event: &Envelope) -> Result<(), HandlerError> {
        let (id, version) = product_version(event)
            .ok_or_else(|| HandlerError::Permanent(format!("{} carries no product version", event.event_type)))?;
        // Before anything is evicted: page refills from a standby (this instance's or another's)
        // wait until it has this change.
        if let Some(at) = self.reads.raise_fence().await? {
            let fence = at.to_string();
            self.cache.set(FENCE_KEY, fence.as_bytes(), self.ttl).await.map_err(|e| HandlerError::Transient(e.0))?;
        }
        let tombstone = Versioned { version, value: None };
        self.cache
            .put_versioned(&product_key(&id), &tombstone, self.ttl)
            .await
            .map_err(|e| HandlerError::Transient(e.0))?;
        self.cache.incr(PAGE_GENERATION_KEY).await.map_err(|e| HandlerError::Transient(e.0))?;
        Ok(())
    }
}

/// Consumer `catalog.near.<instance>`: this process's near cache.
pub struct NearInvalidator {
    pub near: Arc<NearProducts>,
    pub instance: String,
    pub reads: ReadRouter,
}

impl NearInvalidator {
    /// The consumer (and inbox) name of the near cache of `instance`.
    pub fn name_of(instance: &str) -> String {
        format!("catalog.near.{instance}")
    }
}

#[async_trait]
impl Handler for NearInvalidator {
    fn name(&self) -> String {
        Self::name_of(&self.instance)
    }

    fn topics(&self) -> Vec<String> {
        vec![PRODUCT_TOPIC.into()]
    }

    async fn handle(&self, _txn: &DatabaseTransaction, event: &Envelope) -> Result<(), HandlerError> {
        let (id, version) = product_version(event)
            .ok_or_else(|| HandlerError::Permanent(format!("{} carries no product version", event.event_type)))?;
        if self.reads.has_standby() {
            self.reads.raise_fence().await?;
        }
        self.near.put(&id, version, None);
        Ok(())
    }
}
