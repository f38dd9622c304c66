//! The GraphQL schema of the documents subgraph (Apollo Federation v2).
//!
//! `query`, `mutation` and `subscription` hold the root types; `types` the objects they
//! return.

use async_graphql::dataloader::DataLoader;
use async_graphql::{Context, ID, Result, Schema};
use braid_kit::ClientError;
use braid_kit::error::Code;

use crate::read::{BodyLoader, Reader, ShareLoader};
use crate::write::Writer;

mod mutation;
mod query;
mod subscription;
mod types;

pub use mutation::{CreateDocumentInput, Mutation, UpdateDocumentInput};
pub use query::{DocumentFilter, Query};
pub use subscription::Subscription;
pub use types::{Document, DocumentConnection, DocumentShare, Employee, Group};

pub type DocumentsSchema = Schema<Query, Mutation, Subscription>;

/// Largest page of a document connection.
pub const MAX_PAGE: i32 = 100;
const WRITE: &str = "documents:write";

/// Everything the resolvers need.
pub struct Parts {
    pub reader: Reader,
    pub writer: Writer,
}

/// Builds the schema; `parts` may be absent when only exporting the SDL.
pub fn build(parts: Option<Parts>) -> DocumentsSchema {
    let mut builder = braid_kit::telemetry::traced(Schema::build(Query, Mutation, Subscription))
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
        .map_err(|_| ClientError::new(Code::Forbidden, "the token's subject is not an employee"))?;
    Ok(braid_access::Viewer::with_token(id, viewer.token.clone()))
}

fn id(value: &ID, field: &str) -> Result<i64, ClientError> {
    value
        .parse::<i64>()
        .ok()
        .filter(|i| *i > 0)
        .ok_or_else(|| ClientError::bad_input(field, format!("{field} is not an id")))
}
