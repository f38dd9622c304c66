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

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use braid_kit::cache::MemoryCache;
    use braid_kit::events::DomainEvent;
    use sea_orm::{Database, TransactionTrait};

    use super::*;
    use crate::cache::Stamp;
    use crate::events::{EmployeeSnapshot, EmployeeUpdated, GrantChange, GrantSnapshot, GroupChange, SOURCE};

    fn invalidator() -> Invalidator {
        let cache = AccessCache::new(Arc::new(MemoryCache::new("t:", 1000)), Duration::from_secs(60));
        Invalidator { service: "documents", cache, token_lifetime: Duration::from_secs(900) }
    }

    /// Handles `event` inside a transaction (of an in-memory SQLite; the handler writes nothing).
    async fn handle(invalidator: &Invalidator, event: &Envelope) -> Result<(), HandlerError> {
        let db = Database::connect("sqlite::memory:").await.unwrap();
        let txn = db.begin().await.unwrap();
        invalidator.handle(&txn, event).await
    }

    async fn versions(invalidator: &Invalidator) -> Vec<i64> {
        let stamps = invalidator.cache.stamps(&[3, 4, 5]).await.unwrap();
        stamps.iter().map(|s: &Stamp| s.epoch * 100 + s.version).collect()
    }

    fn grant() -> GrantSnapshot {
        GrantSnapshot {
            id: "g1".into(),
            grantee_employee_id: Some("3".into()),
            grantee_group_id: None,
            target_employee_id: Some("9".into()),
            target_group_id: None,
            include_reports: false,
            expires_at: None,
        }
    }

    fn employee() -> EmployeeSnapshot {
        EmployeeSnapshot {
            id: "4".into(),
            email: "e@x".into(),
            name: "E".into(),
            title: "T".into(),
            department: "D".into(),
            manager_id: Some("3".into()),
            scopes: vec![],
            version: 2,
        }
    }

    fn envelope<E: DomainEvent>(event: &E) -> Envelope {
        Envelope::new(SOURCE, event)
    }

    #[tokio::test]
    async fn each_visibility_event_voids_the_viewers_it_lists_or_everyone() {
        let invalidator = invalidator();
        assert_eq!(invalidator.name(), "documents.access");
        assert_eq!(invalidator.topics(), [EMPLOYEE_TOPIC, GRANT_TOPIC, GROUP_TOPIC]);
        let moved = EmployeeMoved {
            employee_id: "4".into(),
            old_manager_id: Some("3".into()),
            new_manager_id: Some("5".into()),
            subtree_size: 1,
            visibility: Visibility::of(vec![3, 5]),
        };
        handle(&invalidator, &envelope(&moved)).await.unwrap();
        assert_eq!(versions(&invalidator).await, [1, 0, 1]);
        let created = EmployeeCreated { employee: employee(), visibility: Visibility::of(vec![3]) };
        handle(&invalidator, &envelope(&created)).await.unwrap();
        let group = GroupChanged {
            group_id: "7".into(),
            name: "g".into(),
            change: GroupChange::MembersAdded,
            members: vec!["4".into()],
            visibility: Visibility::of(vec![4]),
        };
        handle(&invalidator, &envelope(&group)).await.unwrap();
        assert_eq!(versions(&invalidator).await, [2, 1, 1]);
        let updated = EmployeeUpdated { employee: employee(), changed: vec!["title".into()] };
        handle(&invalidator, &envelope(&updated)).await.unwrap();
        assert_eq!(versions(&invalidator).await, [2, 1, 1], "a title changes no visibility");
        let revoked = GrantChanged {
            change: GrantChange::Revoked,
            grant: grant(),
            visibility: Visibility { affected_viewers: vec![], everyone: true },
        };
        handle(&invalidator, &envelope(&revoked)).await.unwrap();
        assert_eq!(versions(&invalidator).await, [102, 101, 101]);
    }

    #[tokio::test]
    async fn a_deleted_employees_tokens_are_refused_and_who_saw_them_forgets() {
        let invalidator = invalidator();
        let deleted = EmployeeDeleted { employee_id: "4".into(), visibility: Visibility::of(vec![3]) };
        handle(&invalidator, &envelope(&deleted)).await.unwrap();
        assert!(invalidator.cache.is_revoked(4).await.unwrap());
        assert_eq!(versions(&invalidator).await, [1, 0, 0]);
        let bad = EmployeeDeleted { employee_id: "four".into(), visibility: Visibility::none() };
        assert!(matches!(handle(&invalidator, &envelope(&bad)).await, Err(HandlerError::Permanent(_))));
    }

    #[tokio::test]
    async fn an_event_that_does_not_decode_is_permanent() {
        let invalidator = invalidator();
        let moved = EmployeeMoved {
            employee_id: "4".into(),
            old_manager_id: None,
            new_manager_id: None,
            subtree_size: 1,
            visibility: Visibility::of(vec![3]),
        };
        let mut broken = envelope(&moved);
        broken.data = serde_json::json!({ "employeeId": 4 });
        assert!(matches!(handle(&invalidator, &broken).await, Err(HandlerError::Permanent(_))));
        assert_eq!(versions(&invalidator).await, [0, 0, 0]);
    }
}
