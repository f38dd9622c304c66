//! Changes: each one checks the viewer's authority, writes its rows and its event in one
//! transaction, and wakes the relay.
//!
//! Who may edit a document: its owner and every manager above the owner, asked of the
//! permissions service at the moment of the change (never from a cache). Grants and shares
//! let people read, not edit.

use std::sync::Arc;

use braid_access::{Lookup, Viewer};
use braid_kit::ClientError;
use braid_kit::error::Code;
use braid_kit::events::{DomainEvent, Envelope, OutboxSignal, outbox};
use braid_kit::text;
use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, EntityTrait, QueryFilter,
    Set,
};

use crate::entity::{document, share, tag};
use crate::events::{
    DocumentCreated, DocumentDeleted, DocumentShared, DocumentSnapshot, DocumentUpdated, SOURCE, ShareChange,
};

/// The largest body, in bytes.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;
const MAX_TITLE: usize = 500;
const MAX_TAGS: usize = 20;
pub const MAX_TAG: usize = 64;

/// A new document.
#[derive(Debug, Clone, Default)]
pub struct NewDocument {
    pub title: String,
    pub body: String,
    pub tags: Vec<String>,
    /// Default: the viewer. A manager may create documents for anyone below them.
    pub owner_id: Option<i64>,
}

/// What an update changes (`None`: unchanged).
#[derive(Debug, Clone, Default)]
pub struct DocumentChanges {
    pub title: Option<String>,
    pub body: Option<String>,
    pub tags: Option<Vec<String>>,
}

/// Who a document is shared with: exactly one of the two.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    Employee(i64),
    Group(i64),
}

#[derive(Clone)]
pub struct Writer {
    pub db: DatabaseConnection,
    pub outbox: OutboxSignal,
    pub access: Arc<Lookup>,
}

fn title(value: &str) -> Result<String, ClientError> {
    text::required(value, "title", MAX_TITLE)
}

fn body(value: &str) -> Result<(), ClientError> {
    if value.len() > MAX_BODY_BYTES {
        return Err(ClientError::bad_input(
            "body",
            format!("body is {} bytes; at most {MAX_BODY_BYTES} (1 MiB)", value.len()),
        ));
    }
    Ok(())
}

/// Lowercased, trimmed, duplicates dropped, order kept.
pub fn tags(values: &[String]) -> Result<Vec<String>, ClientError> {
    let mut out: Vec<String> = Vec::new();
    for value in values {
        let tag = text::required(&value.to_lowercase(), "tags", MAX_TAG)?;
        if !out.contains(&tag) {
            out.push(tag);
        }
    }
    if out.len() > MAX_TAGS {
        return Err(ClientError::bad_input("tags", format!("at most {MAX_TAGS} tags")));
    }
    Ok(out)
}

fn conflict(id: i64, current: i64, expected: i64) -> ClientError {
    ClientError {
        code: Code::Conflict,
        message: format!(
            "document {id} is at version {current}, not {expected}: reload it and apply your change again"
        ),
        field: Some("expectedVersion".into()),
    }
}

fn not_found(id: i64) -> ClientError {
    ClientError::not_found(format!("no document {id}"))
}

async fn write_tags(txn: &DatabaseTransaction, id: i64, tags: &[String]) -> Result<(), ClientError> {
    tag::Entity::delete_many().filter(tag::Column::DocumentId.eq(id)).exec(txn).await?;
    if !tags.is_empty() {
        let rows = tags.iter().map(|t| tag::ActiveModel { document_id: Set(id), tag: Set(t.clone()) });
        tag::Entity::insert_many(rows).exec_without_returning(txn).await?;
    }
    Ok(())
}

/// Keeps `document_owners` in step (`delta` is +1 or -1).
async fn count_owner(txn: &DatabaseTransaction, owner: i64, delta: i64) -> Result<(), ClientError> {
    let mut sql = braid_kit::sql::Sql::new(txn.get_database_backend());
    sql.push("INSERT INTO document_owners (owner_id, documents) VALUES (")
        .bind(owner)
        .push(", ")
        .bind(delta.max(0))
        .push(") ON CONFLICT (owner_id) DO UPDATE SET documents = document_owners.documents + ")
        .bind(delta);
    txn.execute_raw(sql.build()).await?;
    Ok(())
}

impl Writer {
    /// Appends `event` to the outbox, commits `txn` and wakes the relay.
    // Every writer of every subgraph does these three steps; this belongs in
    // `braid_kit::events::outbox` next to `append`, and lives here until it is there.
    async fn commit_with<E: DomainEvent>(&self, txn: DatabaseTransaction, event: &E) -> Result<(), ClientError> {
        outbox::append(&txn, &Envelope::new(SOURCE, event)).await?;
        txn.commit().await?;
        self.outbox.committed();
        Ok(())
    }

    /// May `viewer` edit what `owner` owns? (The owner, or a manager above them.)
    async fn is_editor(&self, viewer: &Viewer, owner: i64) -> Result<bool, ClientError> {
        if viewer.id == owner {
            return Ok(true);
        }
        let managers = self.access.managers(viewer, owner).await.map_err(|e| ClientError::internal(&e))?;
        Ok(managers.is_some_and(|m| m.contains(&viewer.id)))
    }

    /// The document, if `viewer` may edit it: NOT_FOUND when they may not even see it (its
    /// existence is not disclosed), FORBIDDEN when they may read but not edit it.
    async fn editable(&self, viewer: &Viewer, id: i64) -> Result<document::Model, ClientError> {
        let doc = document::Entity::find_by_id(id).one(&self.db).await?.ok_or_else(|| not_found(id))?;
        if self.is_editor(viewer, doc.owner_id).await? {
            return Ok(doc);
        }
        // Seeing the owner (the visible set) or having it shared: may read, not edit.
        let reach = crate::read::reach(&self.db, &self.access, viewer).await?;
        if reach.admits(doc.id, doc.owner_id) {
            Err(ClientError::new(Code::Forbidden, "only the owner and their managers may change this document"))
        } else {
            Err(not_found(id))
        }
    }

    pub async fn create(&self, viewer: &Viewer, input: NewDocument) -> Result<document::Model, ClientError> {
        let title = title(&input.title)?;
        body(&input.body)?;
        let tags = tags(&input.tags)?;
        let owner = input.owner_id.unwrap_or(viewer.id);
        if !self.is_editor(viewer, owner).await? {
            return Err(ClientError {
                code: Code::Forbidden,
                message: "documents can be created for yourself or for someone below you".into(),
                field: Some("ownerId".into()),
            });
        }
        let now = Utc::now();
        let txn = braid_kit::db::begin_write(&self.db).await?;
        let row = document::ActiveModel {
            owner_id: Set(owner),
            title: Set(title),
            body: Set(input.body),
            tags: Set(serde_json::to_string(&tags).expect("tags serialize")),
            version: Set(1),
            created_by: Set(viewer.id),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        write_tags(&txn, row.id, &tags).await?;
        count_owner(&txn, owner, 1).await?;
        let event = DocumentCreated { document: DocumentSnapshot::from(&row), created_by: viewer.id.to_string() };
        self.commit_with(txn, &event).await?;
        Ok(row)
    }

    /// Applies `changes` if the document is still at `expected_version`; otherwise CONFLICT
    /// and nothing is written.
    pub async fn update(
        &self,
        viewer: &Viewer,
        id: i64,
        expected_version: i64,
        changes: DocumentChanges,
    ) -> Result<document::Model, ClientError> {
        let new_title = changes.title.as_deref().map(title).transpose()?;
        if let Some(b) = &changes.body {
            body(b)?;
        }
        let new_tags = changes.tags.as_deref().map(tags).transpose()?;
        let current = self.editable(viewer, id).await?;
        let txn = braid_kit::db::begin_write(&self.db).await?;
        let mut row = <document::ActiveModel as Default>::default();
        let mut changed = Vec::new();
        if let Some(t) = new_title.filter(|t| *t != current.title) {
            row.title = Set(t);
            changed.push("title".to_string());
        }
        if let Some(b) = changes.body.filter(|b| *b != current.body) {
            row.body = Set(b);
            changed.push("body".to_string());
        }
        if let Some(t) = new_tags.as_ref().filter(|t| **t != current.tag_list()) {
            row.tags = Set(serde_json::to_string(t).expect("tags serialize"));
            changed.push("tags".to_string());
        }
        if changed.is_empty() {
            // Nothing to change: no new version, no event; a stale version is still a conflict.
            if current.version != expected_version {
                return Err(conflict(id, current.version, expected_version));
            }
            return Ok(current);
        }
        row.version = Set(expected_version + 1);
        row.updated_at = Set(Utc::now());
        // The version guard is in the statement, so two writers racing cannot both win.
        let result = document::Entity::update_many()
            .set(row)
            .filter(document::Column::Id.eq(id))
            .filter(document::Column::Version.eq(expected_version))
            .exec(&txn)
            .await?;
        if result.rows_affected == 0 {
            return Err(conflict(id, current.version, expected_version));
        }
        if let Some(t) = &new_tags
            && changed.iter().any(|c| c == "tags")
        {
            write_tags(&txn, id, t).await?;
        }
        let updated = document::Entity::find_by_id(id).one(&txn).await?.ok_or_else(|| not_found(id))?;
        let event =
            DocumentUpdated { document: DocumentSnapshot::from(&updated), updated_by: viewer.id.to_string(), changed };
        self.commit_with(txn, &event).await?;
        Ok(updated)
    }

    /// Deletes the document (at `expected_version`, when given) with its tags and shares.
    pub async fn delete(&self, viewer: &Viewer, id: i64, expected_version: Option<i64>) -> Result<(), ClientError> {
        let current = self.editable(viewer, id).await?;
        let txn = braid_kit::db::begin_write(&self.db).await?;
        let mut delete = document::Entity::delete_many().filter(document::Column::Id.eq(id));
        if let Some(v) = expected_version {
            delete = delete.filter(document::Column::Version.eq(v));
        }
        // Before its shares go: who could see it is kept with it, to tell them it is gone.
        crate::deleted::record(&txn, &current, viewer.id, Utc::now()).await?;
        tag::Entity::delete_many().filter(tag::Column::DocumentId.eq(id)).exec(&txn).await?;
        share::Entity::delete_many().filter(share::Column::DocumentId.eq(id)).exec(&txn).await?;
        if delete.exec(&txn).await?.rows_affected == 0 {
            return Err(ClientError {
                code: Code::Conflict,
                message: format!("document {id} is at version {}, not the one expected", current.version),
                field: Some("expectedVersion".into()),
            });
        }
        count_owner(&txn, current.owner_id, -1).await?;
        let event = DocumentDeleted {
            id: id.to_string(),
            owner_id: current.owner_id.to_string(),
            version: current.version,
            deleted_by: viewer.id.to_string(),
        };
        self.commit_with(txn, &event).await?;
        Ok(())
    }

    /// Shares (`on`) or stops sharing the document with an employee or a group.
    pub async fn share(
        &self,
        viewer: &Viewer,
        id: i64,
        audience: Audience,
        on: bool,
    ) -> Result<document::Model, ClientError> {
        let doc = self.editable(viewer, id).await?;
        if let Audience::Employee(e) = audience
            && on
            && self.access.managers(viewer, e).await.map_err(|e| ClientError::internal(&e))?.is_none()
        {
            return Err(ClientError::bad_input("employeeId", format!("no employee {e}")));
        }
        let (employee, group) = match audience {
            Audience::Employee(e) => (Some(e), None),
            Audience::Group(g) => (None, Some(g)),
        };
        let txn = braid_kit::db::begin_write(&self.db).await?;
        let existing = share::Entity::find()
            .filter(share::Column::DocumentId.eq(id))
            .filter(match audience {
                Audience::Employee(e) => share::Column::EmployeeId.eq(e),
                Audience::Group(g) => share::Column::GroupId.eq(g),
            })
            .one(&txn)
            .await?;
        match (on, existing) {
            (true, None) => {
                share::ActiveModel {
                    document_id: Set(id),
                    employee_id: Set(employee),
                    group_id: Set(group),
                    shared_by: Set(viewer.id),
                    created_at: Set(Utc::now()),
                    ..Default::default()
                }
                .insert(&txn)
                .await?;
            }
            (false, Some(row)) => {
                share::Entity::delete_by_id(row.id).exec(&txn).await?;
            }
            // Already as asked: nothing changes, nothing is announced.
            _ => return Ok(doc),
        }
        let event = DocumentShared {
            id: id.to_string(),
            owner_id: doc.owner_id.to_string(),
            change: if on { ShareChange::Shared } else { ShareChange::Unshared },
            employee_id: employee.map(|e| e.to_string()),
            group_id: group.map(|g| g.to_string()),
            shared_by: viewer.id.to_string(),
        };
        self.commit_with(txn, &event).await?;
        Ok(doc)
    }
}
