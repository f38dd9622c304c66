//! The documents service's domain events (schemas in `schema/events/`), all on the topic
//! `documents.document`, keyed by document id.

use braid_kit::events::DomainEvent;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::entity::document;

/// Where documents events come from (the CloudEvents `source`).
pub const SOURCE: &str = "/braid/documents";
/// The topic of every document event.
pub const DOCUMENT_TOPIC: &str = "documents.document";

/// A document as events carry it: everything but the body, which can be 1 MiB (consumers
/// that need it ask the subgraph), and its size instead.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DocumentSnapshot {
    pub id: String,
    pub owner_id: String,
    pub title: String,
    pub tags: Vec<String>,
    pub body_bytes: u64,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<&document::Model> for DocumentSnapshot {
    fn from(d: &document::Model) -> Self {
        Self {
            id: d.id.to_string(),
            owner_id: d.owner_id.to_string(),
            title: d.title.clone(),
            tags: d.tag_list(),
            body_bytes: d.body.len() as u64,
            version: d.version,
            created_at: d.created_at,
            updated_at: d.updated_at,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DocumentCreated {
    pub document: DocumentSnapshot,
    /// Who created it (an owner's manager may create documents for them).
    pub created_by: String,
}

impl DomainEvent for DocumentCreated {
    const TYPE: &'static str = "documents.document.created.v1";
    fn subject(&self) -> String {
        self.document.id.clone()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DocumentUpdated {
    pub document: DocumentSnapshot,
    pub updated_by: String,
    /// The GraphQL field names that changed.
    pub changed: Vec<String>,
}

impl DomainEvent for DocumentUpdated {
    const TYPE: &'static str = "documents.document.updated.v1";
    fn subject(&self) -> String {
        self.document.id.clone()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DocumentDeleted {
    pub id: String,
    pub owner_id: String,
    pub version: i64,
    pub deleted_by: String,
}

impl DomainEvent for DocumentDeleted {
    const TYPE: &'static str = "documents.document.deleted.v1";
    fn subject(&self) -> String {
        self.id.clone()
    }
}

/// Who a share names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ShareChange {
    Shared,
    Unshared,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DocumentShared {
    pub id: String,
    pub owner_id: String,
    pub change: ShareChange,
    /// Exactly one of `employeeId` and `groupId`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub employee_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group_id: Option<String>,
    pub shared_by: String,
}

impl DomainEvent for DocumentShared {
    const TYPE: &'static str = "documents.document.shared.v1";
    fn subject(&self) -> String {
        self.id.clone()
    }
}
