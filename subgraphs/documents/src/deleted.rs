//! Deleted documents, kept for a while: who could see a document before it went (its owner,
//! everyone above the owner, those granted the owner's documents, those it was shared with)
//! is told that it is gone, through the gateway's `documentDeleted` subscription, which asks
//! `deletedDocument(id:)` as the subscriber when the deletion is delivered.

use async_graphql::{ID, Object};
use braid_access::Viewer;
use braid_access::directives::ownedBy;
use braid_kit::ClientError;
use chrono::{DateTime, Duration, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};

use crate::entity::{deletion, document, share};
use crate::graphql::Employee;
use crate::read::Reader;

/// How long a deletion is kept: long enough for any subscriber to have been told.
pub const RETENTION: Duration = Duration::days(7);

/// Keeps what is needed of `doc`, about to be deleted by `deleted_by` at `now` (before its
/// shares are), and drops the deletions older than [`RETENTION`].
pub async fn record<C: ConnectionTrait>(
    conn: &C,
    doc: &document::Model,
    deleted_by: i64,
    now: DateTime<Utc>,
) -> Result<(), sea_orm::DbErr> {
    let shares = share::Entity::find().filter(share::Column::DocumentId.eq(doc.id)).all(conn).await?;
    let employees: Vec<i64> = shares.iter().filter_map(|s| s.employee_id).collect();
    let groups: Vec<i64> = shares.iter().filter_map(|s| s.group_id).collect();
    deletion::Entity::delete_many().filter(deletion::Column::DeletedAt.lt(now - RETENTION)).exec(conn).await?;
    deletion::ActiveModel {
        document_id: Set(doc.id),
        owner_id: Set(doc.owner_id),
        title: Set(doc.title.clone()),
        version: Set(doc.version),
        shared_employees: Set(serde_json::to_string(&employees).unwrap_or_else(|_| "[]".into())),
        shared_groups: Set(serde_json::to_string(&groups).unwrap_or_else(|_| "[]".into())),
        deleted_by: Set(deleted_by),
        deleted_at: Set(now),
    }
    .insert(conn)
    .await?;
    Ok(())
}

/// A deleted document as one viewer may know of it.
pub struct Deleted {
    row: deletion::Model,
    shared_with_viewer: bool,
}

impl Reader {
    /// The deletion of document `id`, if it is still kept and the viewer could see the
    /// document: by its owner now, or by the shares it had when deleted.
    pub async fn deletion(&self, viewer: &Viewer, id: i64) -> Result<Option<Deleted>, ClientError> {
        let Some(row) = deletion::Entity::find_by_id(id).one(&self.db).await? else { return Ok(None) };
        let visible = self.access.visible(viewer).await.map_err(|e| ClientError::internal(&e))?;
        let shared_with_viewer =
            row.employees().contains(&viewer.id) || row.groups().iter().any(|g| visible.groups.contains(g));
        Ok((shared_with_viewer || visible.ids.contains(row.owner_id)).then_some(Deleted { row, shared_with_viewer }))
    }
}

/// A document that was deleted (kept for seven days).
pub struct DeletedDocument(pub Deleted);

// Checked by the gateway as a document is: against its owner, unless it was shared with the viewer.
#[Object(directive = ownedBy::apply("ownerId".into(), Some("sharedWithViewer".into())))]
impl DeletedDocument {
    /// The id the document had.
    async fn id(&self) -> ID {
        ID(self.0.row.document_id.to_string())
    }
    async fn title(&self) -> &str {
        &self.0.row.title
    }
    /// The owning employee's id (the gateway checks it against the viewer).
    async fn owner_id(&self) -> ID {
        ID(self.0.row.owner_id.to_string())
    }
    async fn owner(&self) -> Employee {
        Employee(self.0.row.owner_id)
    }
    /// The version it had when deleted.
    async fn version(&self) -> i64 {
        self.0.row.version
    }
    async fn deleted_by(&self) -> Employee {
        Employee(self.0.row.deleted_by)
    }
    async fn deleted_at(&self) -> DateTime<Utc> {
        self.0.row.deleted_at
    }
    /// Whether it was shared with the viewer (directly or through a group) when deleted.
    async fn shared_with_viewer(&self) -> bool {
        self.0.shared_with_viewer
    }
}
