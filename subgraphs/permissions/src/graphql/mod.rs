//! The GraphQL schema of the permissions subgraph (Apollo Federation v2).
//!
//! `query` and `mutation` hold the root types; `types` the objects they return.

use std::sync::Arc;

use async_graphql::dataloader::DataLoader;
use async_graphql::{Context, EmptySubscription, ID, Result, Schema};
use braid_kit::ClientError;
use braid_kit::auth::viewer;
use braid_kit::error::Code;

use crate::keys::KeyStore;
use crate::read::{EmployeeLoader, Reader};
use crate::session::Sessions;
use crate::write::{Writer, id};

mod mutation;
mod query;
mod types;

pub use mutation::Mutation;
pub use query::Query;
pub use types::{Employee, EmployeeConnection, Grant, Group, VisibilityAnswer, VisibleEmployees};

pub type PermissionsSchema = Schema<Query, Mutation, EmptySubscription>;

/// Largest page of `employees`.
pub const MAX_PAGE: i32 = 100;
/// Most employees one `visibility` call may ask about.
pub const MAX_CHECK: usize = 10_000;
/// Most employees `reports` returns.
pub const MAX_REPORTS: i32 = 10_000;

/// Everything the resolvers need.
pub struct Parts {
    pub reader: Reader,
    pub writer: Writer,
    pub sessions: Arc<Sessions>,
    pub keys: Arc<KeyStore>,
}

/// Builds the schema; `parts` may be absent when only exporting the SDL.
pub fn build(parts: Option<Parts>) -> PermissionsSchema {
    let mut builder = braid_kit::telemetry::traced(Schema::build(Query, Mutation, EmptySubscription))
        .enable_federation()
        .limit_depth(16)
        .limit_complexity(20_000);
    if let Some(parts) = parts {
        let loader = DataLoader::new(EmployeeLoader(parts.reader.clone()), tokio::spawn)
            .delay(std::time::Duration::from_millis(1));
        builder = builder.data(parts.reader).data(parts.writer).data(parts.sessions).data(parts.keys).data(loader);
    }
    builder.finish()
}

/// The SDL as `schema/permissions.graphql` holds it.
pub fn sdl() -> String {
    braid_kit::federation::sdl(&build(None))
}

fn reader<'a>(ctx: &'a Context<'_>) -> &'a Reader {
    ctx.data_unchecked::<Reader>()
}

fn writer<'a>(ctx: &'a Context<'_>) -> &'a Writer {
    ctx.data_unchecked::<Writer>()
}

/// The authenticated viewer's employee id.
fn viewer_id(ctx: &Context<'_>) -> Result<i64> {
    Ok(viewer(ctx)?
        .subject
        .parse::<i64>()
        .map_err(|_| ClientError::new(Code::Forbidden, "the token's subject is not an employee"))?)
}

/// The `viewer` argument if given (admins only), else the authenticated viewer.
fn acting_for(ctx: &Context<'_>, asked: Option<&ID>) -> Result<i64> {
    let me = viewer_id(ctx)?;
    match asked {
        None => Ok(me),
        Some(v) => {
            let v = id(v, "viewer")?;
            let admin = viewer(ctx).is_ok_and(|v| v.has_scope("admin"));
            if v != me && !admin {
                return Err(ClientError::new(Code::Forbidden, "asking for another viewer needs the scope admin").into());
            }
            Ok(v)
        }
    }
}

async fn load(ctx: &Context<'_>, id: i64) -> Result<Option<Employee>> {
    let loader = ctx.data_unchecked::<DataLoader<EmployeeLoader>>();
    Ok(loader.load_one(id).await.map_err(async_graphql::Error::from)?.map(Employee))
}
