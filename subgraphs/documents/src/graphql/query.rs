//! The query root: single documents, the viewer's and every visible one, and the entities.

use async_graphql::{Context, ID, InputObject, Object, Result};
use braid_kit::ClientError;
use braid_kit::auth::Authenticated;
use braid_kit::federation::authenticated;

use super::types::connection;
use super::{Document, DocumentConnection, Employee, id, reader, viewer};
use crate::deleted::DeletedDocument;
use crate::visible::Filter;
use crate::write;

/// Which documents to list.
#[derive(InputObject, Default)]
pub struct DocumentFilter {
    /// Only this employee's documents.
    pub owner_id: Option<ID>,
    /// Only documents with this tag.
    pub tag: Option<String>,
    /// Only documents whose title or body contains every word of this text (stemmed,
    /// case-insensitive; PostgreSQL full-text search, SQLite FTS5).
    pub text: Option<String>,
}

impl DocumentFilter {
    fn resolve(self) -> Result<Filter, ClientError> {
        let owner = self.owner_id.as_ref().map(|o| id(o, "ownerId")).transpose()?;
        let tag = match self.tag {
            Some(t) => Some(
                write::tags(std::slice::from_ref(&t))
                    .map_err(|_| ClientError::bad_input("tag", format!("a tag is 1 to {} characters", write::MAX_TAG)))?
                    .remove(0),
            ),
            None => None,
        };
        let text = match self.text {
            Some(t) if t.chars().count() > 256 => {
                return Err(ClientError::bad_input("text", "a search is at most 256 characters"));
            }
            t => t,
        };
        Ok(Filter { owner, tag, text })
    }
}

pub struct Query;

#[Object]
impl Query {
    /// The document, if it exists and the viewer may see it.
    #[graphql(guard = "Authenticated", directive = authenticated::apply())]
    async fn document(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Document>> {
        let Ok(id) = id.parse::<i64>() else { return Ok(None) };
        Ok(reader(ctx).document(&viewer(ctx)?, id).await?.map(Document))
    }

    /// A document deleted in the last seven days, if the viewer could see it: by its owner,
    /// or by the shares it had when it was deleted.
    #[graphql(guard = "Authenticated", directive = authenticated::apply())]
    async fn deleted_document(&self, ctx: &Context<'_>, id: ID) -> Result<Option<DeletedDocument>> {
        let Ok(id) = id.parse::<i64>() else { return Ok(None) };
        Ok(reader(ctx).deletion(&viewer(ctx)?, id).await?.map(DeletedDocument))
    }

    /// The viewer's own documents, newest first.
    #[graphql(guard = "Authenticated", directive = authenticated::apply())]
    async fn my_documents(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 20)] first: i32,
        after: Option<String>,
    ) -> Result<DocumentConnection> {
        let me = viewer(ctx)?.id;
        connection(ctx, Filter { owner: Some(me), ..Filter::default() }, first, after).await
    }

    /// Every document the viewer may see, newest first: their own, those of everyone below
    /// them however deep, those granted to them, and those shared with them or their groups.
    #[graphql(guard = "Authenticated", directive = authenticated::apply())]
    async fn visible_documents(
        &self,
        ctx: &Context<'_>,
        filter: Option<DocumentFilter>,
        #[graphql(default = 20)] first: i32,
        after: Option<String>,
    ) -> Result<DocumentConnection> {
        let filter = filter.unwrap_or_default().resolve()?;
        connection(ctx, filter, first, after).await
    }

    #[graphql(entity)]
    async fn find_document_by_id(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Document>> {
        let Ok(id) = id.parse::<i64>() else { return Ok(None) };
        Ok(reader(ctx).document(&viewer(ctx)?, id).await?.map(Document))
    }

    #[graphql(entity)]
    async fn find_employee_by_id(&self, id: ID) -> Option<Employee> {
        id.parse::<i64>().ok().map(Employee)
    }
}
