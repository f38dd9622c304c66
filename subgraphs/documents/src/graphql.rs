//! The GraphQL schema of the documents subgraph (Apollo Federation v2).

use async_graphql::dataloader::DataLoader;
use async_graphql::{Context, ID, InputObject, Object, Result, Schema, SimpleObject};
use braid_access::directives::ownedBy;
use braid_kit::ClientError;
use braid_kit::auth::{Authenticated, RequireScope};
use braid_kit::connection::{PageInfo, page_size};
use braid_kit::error::codes;
use braid_kit::federation::{authenticated, event, served_by_gateway};
use chrono::{DateTime, Utc};

use crate::cursor;
use crate::deleted::DeletedDocument;
use crate::entity::{document, share};
use crate::read::{BodyLoader, Reader, ShareLoader};
use crate::record::Summary;
use crate::visible::{Filter, Page, Reach};
use crate::write::{self, Audience, DocumentChanges, NewDocument, Writer};

pub type DocumentsSchema = Schema<Query, Mutation, Subscription>;

/// Largest page of a document connection.
pub const MAX_PAGE: i32 = 100;
const WRITE: &str = "documents:write";

/// Live documents, served by the gateway from the `documents.document` events (see
/// `braid_kit::federation::event`).
pub struct Subscription;

#[async_graphql::Subscription]
impl Subscription {
    /// Documents the viewer may see, each time one is created, edited or shared: checked
    /// against the viewer's rights when the change is delivered, as `document(id:)` would be.
    #[graphql(
        guard = "Authenticated",
        directive = authenticated::apply(),
        directive = event::apply("documents.document".into(), "document".into(), None, None, None, None)
    )]
    async fn document_changed(&self) -> impl futures::Stream<Item = Result<Option<Document>>> {
        served_by_gateway()
    }

    /// Documents the viewer could see, each time one is deleted: checked when the deletion
    /// is delivered, as `deletedDocument(id:)` would be.
    #[graphql(
        guard = "Authenticated",
        directive = authenticated::apply(),
        directive = event::apply(
            "documents.document".into(),
            "deletedDocument".into(),
            None,
            None,
            None,
            Some("documents.document.deleted".into())
        )
    )]
    async fn document_deleted(&self) -> impl futures::Stream<Item = Result<Option<DeletedDocument>>> {
        served_by_gateway()
    }
}

/// Everything the resolvers need.
pub struct Parts {
    pub reader: Reader,
    pub writer: Writer,
}

/// Builds the schema; `parts` may be absent when only exporting the SDL.
pub fn build(parts: Option<Parts>) -> DocumentsSchema {
    let mut builder = Schema::build(Query, Mutation, Subscription)
        .enable_federation()
        .enable_subscription_in_federation()
        .limit_depth(16)
        .limit_complexity(20_000);
    if let Some(parts) = parts {
        let delay = std::time::Duration::from_millis(1);
        let bodies = DataLoader::new(BodyLoader(parts.reader.db.clone()), tokio::spawn).delay(delay);
        let shares = DataLoader::new(ShareLoader(parts.reader.db.clone()), tokio::spawn).delay(delay);
        builder = builder.data(parts.reader).data(parts.writer).data(bodies).data(shares);
    }
    builder.finish()
}

/// The SDL as `schema/documents.graphql` holds it.
pub fn sdl() -> String {
    braid_kit::federation::sdl(&build(None))
}

fn reader<'a>(ctx: &'a Context<'_>) -> &'a Reader {
    ctx.data_unchecked::<Reader>()
}

fn writer<'a>(ctx: &'a Context<'_>) -> &'a Writer {
    ctx.data_unchecked::<Writer>()
}

/// The authenticated viewer, with the token the permission lookups are made with.
fn viewer(ctx: &Context<'_>) -> Result<braid_access::Viewer> {
    let viewer = braid_kit::auth::viewer(ctx)?;
    let id = viewer
        .subject
        .parse::<i64>()
        .map_err(|_| ClientError::new(codes::FORBIDDEN, "the token's subject is not an employee"))?;
    Ok(braid_access::Viewer::with_token(id, viewer.token.clone()))
}

fn id(value: &ID, field: &str) -> Result<i64, ClientError> {
    value
        .parse::<i64>()
        .ok()
        .filter(|i| *i > 0)
        .ok_or_else(|| ClientError::bad_input(field, format!("{field} is not an id")))
}

/// A corporate document. Seen by its owner, everyone above the owner, those granted the
/// owner's documents, and those it is shared with (directly or through a group).
pub struct Document(Summary);

// The gateway checks each document against its owner unless it is shared with the viewer.
#[Object(directive = ownedBy::apply("ownerId".into(), Some("sharedWithViewer".into())))]
impl Document {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn title(&self) -> &str {
        &self.0.title
    }
    /// The text, up to 1 MiB.
    async fn body(&self, ctx: &Context<'_>) -> Result<String> {
        let loader = ctx.data_unchecked::<DataLoader<BodyLoader>>();
        let body = loader.load_one(self.0.id).await.map_err(|e| ClientError::internal(&e))?;
        Ok(body.unwrap_or_default())
    }
    async fn tags(&self) -> Vec<String> {
        self.0.tag_list()
    }
    /// The owning employee's id (the gateway checks it against the viewer).
    async fn owner_id(&self) -> ID {
        ID(self.0.owner_id.to_string())
    }
    async fn owner(&self) -> Employee {
        Employee(self.0.owner_id)
    }
    async fn created_by(&self) -> Employee {
        Employee(self.0.created_by)
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
    /// Increases with every change; updates name the version they expect.
    async fn version(&self) -> i64 {
        self.0.version
    }
    /// Whether it is shared with the viewer (directly or through a group): such a document
    /// is shown even when its owner is not visible to the viewer.
    async fn shared_with_viewer(&self) -> bool {
        self.0.shared_with_viewer
    }
    /// Who it is shared with.
    async fn shared_with(&self, ctx: &Context<'_>) -> Result<Vec<DocumentShare>> {
        let loader = ctx.data_unchecked::<DataLoader<ShareLoader>>();
        let shares = loader.load_one(self.0.id).await.map_err(|e| ClientError::internal(&e))?;
        Ok(shares.unwrap_or_default().into_iter().map(DocumentShare).collect())
    }
}

/// One share of a document: with an employee or with a group.
pub struct DocumentShare(share::Model);

#[Object]
impl DocumentShare {
    async fn employee(&self) -> Option<Employee> {
        self.0.employee_id.map(Employee)
    }
    async fn group(&self) -> Option<Group> {
        self.0.group_id.map(Group)
    }
    async fn shared_by(&self) -> Employee {
        Employee(self.0.shared_by)
    }
    async fn shared_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

/// An employee (owned by the permissions subgraph); this subgraph adds their documents.
pub struct Employee(pub(crate) i64);

#[Object]
impl Employee {
    async fn id(&self) -> ID {
        ID(self.0.to_string())
    }
    /// This employee's documents that the viewer may see, newest first.
    async fn documents(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 20)] first: i32,
        after: Option<String>,
    ) -> Result<DocumentConnection> {
        let filter = Filter { owner: Some(self.0), ..Filter::default() };
        connection(ctx, filter, first, after).await
    }
}

/// A group (owned by the permissions subgraph).
pub struct Group(i64);

#[Object(unresolvable = "id")]
impl Group {
    async fn id(&self) -> ID {
        ID(self.0.to_string())
    }
}

#[derive(SimpleObject)]
pub struct DocumentEdge {
    pub cursor: String,
    pub node: Document,
}

/// A page of documents (Relay connection).
pub struct DocumentConnection {
    page: Page,
    after: bool,
    /// What the viewer may see, read once for the page and its count.
    reach: Reach,
    filter: Filter,
}

#[Object]
impl DocumentConnection {
    async fn edges(&self) -> Vec<DocumentEdge> {
        self.page
            .rows
            .iter()
            .map(|d| DocumentEdge { cursor: cursor::encode(d.id), node: Document(d.clone()) })
            .collect()
    }
    async fn nodes(&self) -> Vec<Document> {
        self.page.rows.iter().cloned().map(Document).collect()
    }
    async fn page_info(&self) -> PageInfo {
        PageInfo {
            has_next_page: self.page.has_next,
            has_previous_page: self.after,
            start_cursor: self.page.rows.first().map(|d| cursor::encode(d.id)),
            end_cursor: self.page.rows.last().map(|d| cursor::encode(d.id)),
        }
    }
    /// Visible documents matching the filter, over all pages (counted only when asked for).
    async fn total_count(&self, ctx: &Context<'_>) -> Result<u64> {
        Ok(reader(ctx).count(&self.reach, &self.filter).await?)
    }
}

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

async fn connection(
    ctx: &Context<'_>,
    filter: Filter,
    first: i32,
    after: Option<String>,
) -> Result<DocumentConnection> {
    let viewer = viewer(ctx)?;
    let first = page_size(first, MAX_PAGE)?;
    let after_id = after.as_deref().map(cursor::decode).transpose()?;
    let reach = reader(ctx).reach(&viewer).await?;
    let page = reader(ctx).page(&reach, &filter, first, after_id).await?;
    Ok(DocumentConnection { page, after: after_id.is_some(), reach, filter })
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
