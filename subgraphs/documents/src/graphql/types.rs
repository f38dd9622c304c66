//! The objects the roots return: documents, their shares and pages, and the entities the
//! permissions subgraph owns.

use async_graphql::dataloader::DataLoader;
use async_graphql::{Context, ID, Object, Result};
use braid_access::directives::ownedBy;
use braid_kit::ClientError;
use braid_kit::connection::{self, Connection, Count, Uncounted, page_size};
use chrono::{DateTime, Utc};

use super::{MAX_PAGE, reader, viewer};
use crate::cursor;
use crate::entity::share;
use crate::read::{BodyLoader, ShareLoader};
use crate::record::Summary;
use crate::visible::{Filter, Reach};

/// A corporate document. Seen by its owner, everyone above the owner, those granted the
/// owner's documents, and those it is shared with (directly or through a group).
pub struct Document(pub(super) Summary);

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

/// A page of documents (Relay connection); its `totalCount` is counted only when asked for.
pub type DocumentConnection = Connection<Document, Uncounted<Matching>>;

/// What a page's `totalCount` counts: the visible documents matching the filter.
pub struct Matching {
    /// What the viewer may see, read once for the page and its count.
    reach: Reach,
    filter: Filter,
}

impl Count for Matching {
    async fn count(&self, ctx: &Context<'_>) -> Result<u64> {
        Ok(reader(ctx).count(&self.reach, &self.filter).await?)
    }
}

pub(super) async fn connection(
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
    let nodes = page.rows.into_iter().map(|d| (cursor::encode(d.id), Document(d)));
    Ok(connection::page(nodes, after_id.is_some(), page.has_next, Uncounted(Matching { reach, filter })))
}
