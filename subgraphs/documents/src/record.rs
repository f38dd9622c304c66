//! What reads return: a document without its body (pages never carry bodies of up to 1 MiB;
//! the body is loaded only when asked for).

use chrono::{DateTime, Utc};
use sea_orm::FromQueryResult;

use crate::entity::document;

#[derive(Debug, Clone, PartialEq, Eq, FromQueryResult)]
pub struct Summary {
    pub id: i64,
    pub owner_id: i64,
    pub title: String,
    /// A JSON array.
    pub tags: String,
    pub version: i64,
    pub created_by: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Shared with the viewer it was read for, directly or through a group.
    #[sea_orm(skip)]
    pub shared_with_viewer: bool,
}

impl Summary {
    pub fn tag_list(&self) -> Vec<String> {
        serde_json::from_str(&self.tags).unwrap_or_default()
    }
}

impl From<&document::Model> for Summary {
    fn from(d: &document::Model) -> Self {
        Self {
            id: d.id,
            owner_id: d.owner_id,
            title: d.title.clone(),
            tags: d.tags.clone(),
            version: d.version,
            created_by: d.created_by,
            created_at: d.created_at,
            updated_at: d.updated_at,
            shared_with_viewer: false,
        }
    }
}
