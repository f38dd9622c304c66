//! The mutation root: creating, changing, deleting and sharing documents.

use async_graphql::{Context, ID, InputObject, Object, Result};
use braid_kit::ClientError;
use braid_kit::auth::RequireScope;

use super::{Document, WRITE, id, viewer, writer};
use crate::entity::document;
use crate::record::Summary;
use crate::write::{Audience, DocumentChanges, NewDocument};

#[derive(InputObject)]
pub struct CreateDocumentInput {
    pub title: String,
    /// At most 1 MiB (UTF-8).
    pub body: String,
    #[graphql(default)]
    pub tags: Vec<String>,
    /// Default: the viewer. Managers may create documents for anyone below them.
    pub owner_id: Option<ID>,
}

/// Fields left out stay as they are.
#[derive(InputObject)]
pub struct UpdateDocumentInput {
    pub title: Option<String>,
    pub body: Option<String>,
    pub tags: Option<Vec<String>>,
}

fn audience(employee_id: Option<ID>, group_id: Option<ID>) -> Result<Audience, ClientError> {
    match (employee_id, group_id) {
        (Some(e), None) => Ok(Audience::Employee(id(&e, "employeeId")?)),
        (None, Some(g)) => Ok(Audience::Group(id(&g, "groupId")?)),
        _ => Err(ClientError::bad_input("employeeId", "name exactly one of employeeId and groupId")),
    }
}

fn model(doc: document::Model) -> Document {
    Document(Summary::from(&doc))
}

pub struct Mutation;

#[Object]
impl Mutation {
    /// Creates a document owned by the viewer (or, for managers, by someone below them).
    #[graphql(guard = "RequireScope(WRITE)", requires_scopes = "documents:write")]
    async fn create_document(&self, ctx: &Context<'_>, input: CreateDocumentInput) -> Result<Document> {
        let owner_id = input.owner_id.as_ref().map(|o| id(o, "ownerId")).transpose()?;
        let input = NewDocument { title: input.title, body: input.body, tags: input.tags, owner_id };
        Ok(model(writer(ctx).create(&viewer(ctx)?, input).await?))
    }

    /// Changes a document still at `expectedVersion` (else CONFLICT, and nothing changes).
    #[graphql(guard = "RequireScope(WRITE)", requires_scopes = "documents:write")]
    async fn update_document(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i64,
        input: UpdateDocumentInput,
    ) -> Result<Document> {
        let doc = self::id(&id, "id")?;
        let changes = DocumentChanges { title: input.title, body: input.body, tags: input.tags };
        Ok(model(writer(ctx).update(&viewer(ctx)?, doc, expected_version, changes).await?))
    }

    /// Deletes a document (at `expectedVersion`, when given); returns its id.
    #[graphql(guard = "RequireScope(WRITE)", requires_scopes = "documents:write")]
    async fn delete_document(&self, ctx: &Context<'_>, id: ID, expected_version: Option<i64>) -> Result<ID> {
        let doc = self::id(&id, "id")?;
        writer(ctx).delete(&viewer(ctx)?, doc, expected_version).await?;
        Ok(id)
    }

    /// Shares a document with an employee or a group (exactly one).
    #[graphql(guard = "RequireScope(WRITE)", requires_scopes = "documents:write")]
    async fn share_document(
        &self,
        ctx: &Context<'_>,
        id: ID,
        employee_id: Option<ID>,
        group_id: Option<ID>,
    ) -> Result<Document> {
        let doc = self::id(&id, "id")?;
        let to = audience(employee_id, group_id)?;
        Ok(model(writer(ctx).share(&viewer(ctx)?, doc, to, true).await?))
    }

    /// Stops sharing a document with an employee or a group (exactly one).
    #[graphql(guard = "RequireScope(WRITE)", requires_scopes = "documents:write")]
    async fn unshare_document(
        &self,
        ctx: &Context<'_>,
        id: ID,
        employee_id: Option<ID>,
        group_id: Option<ID>,
    ) -> Result<Document> {
        let doc = self::id(&id, "id")?;
        let to = audience(employee_id, group_id)?;
        Ok(model(writer(ctx).share(&viewer(ctx)?, doc, to, false).await?))
    }
}
