//! Reads, always for one viewer: a document is returned only when the viewer may see it.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::Loader;
use braid_access::{Lookup, Viewer};
use braid_kit::ClientError;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect};

use crate::entity::{document, share};
use crate::record::Summary;
use crate::visible::{self, Filter, Page, Reach};

#[derive(Clone)]
pub struct Reader {
    pub db: DatabaseConnection,
    pub access: Arc<Lookup>,
}

/// Everything `viewer` may see: their visible employees and groups from the lookup (cached;
/// invalidated by permission changes) and what is shared with them.
pub async fn reach(db: &DatabaseConnection, access: &Lookup, viewer: &Viewer) -> Result<Reach, ClientError> {
    let visible = access.visible(viewer).await.map_err(|e| ClientError::internal(&e))?;
    Ok(Reach::load(db, viewer.id, visible).await?)
}

impl Reader {
    pub async fn reach(&self, viewer: &Viewer) -> Result<Reach, ClientError> {
        reach(&self.db, &self.access, viewer).await
    }

    /// The document, if it exists and the viewer may see it.
    pub async fn document(&self, viewer: &Viewer, id: i64) -> Result<Option<Summary>, ClientError> {
        let Some(doc) = document::Entity::find_by_id(id).one(&self.db).await? else { return Ok(None) };
        let reach = self.reach(viewer).await?;
        Ok(reach
            .admits(doc.id, doc.owner_id)
            .then(|| Summary { shared_with_viewer: reach.is_shared(doc.id), ..Summary::from(&doc) }))
    }

    /// A page of what `reach` admits, newest first.
    pub async fn page(
        &self,
        reach: &Reach,
        filter: &Filter,
        first: u64,
        after: Option<i64>,
    ) -> Result<Page, ClientError> {
        Ok(visible::page(&self.db, reach, filter, first, after).await?)
    }

    /// How many documents `reach` admits match `filter`.
    pub async fn count(&self, reach: &Reach, filter: &Filter) -> Result<u64, ClientError> {
        Ok(visible::count(&self.db, reach, filter).await?)
    }
}

/// Bodies by document id, for the documents of one response (pages never read them).
pub struct BodyLoader(pub DatabaseConnection);

impl Loader<i64> for BodyLoader {
    type Value = String;
    type Error = Arc<sea_orm::DbErr>;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, String>, Self::Error> {
        let rows: Vec<(i64, String)> = document::Entity::find()
            .select_only()
            .column(document::Column::Id)
            .column(document::Column::Body)
            .filter(document::Column::Id.is_in(keys.to_vec()))
            .into_tuple()
            .all(&self.0)
            .await
            .map_err(Arc::new)?;
        Ok(rows.into_iter().collect())
    }
}

/// Shares by document id.
pub struct ShareLoader(pub DatabaseConnection);

impl Loader<i64> for ShareLoader {
    type Value = Vec<share::Model>;
    type Error = Arc<sea_orm::DbErr>;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Vec<share::Model>>, Self::Error> {
        let rows = share::Entity::find()
            .filter(share::Column::DocumentId.is_in(keys.to_vec()))
            .all(&self.0)
            .await
            .map_err(Arc::new)?;
        let mut out: HashMap<i64, Vec<share::Model>> = HashMap::new();
        for row in rows {
            out.entry(row.document_id).or_default().push(row);
        }
        Ok(out)
    }
}
