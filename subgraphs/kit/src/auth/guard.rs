//! async-graphql guards over the [`Viewer`] in the request context.

use async_graphql::{Context, Guard, Result};

use super::Viewer;
use crate::error::{ClientError, Code};

/// Allows any verified viewer.
pub struct Authenticated;

impl Guard for Authenticated {
    async fn check(&self, ctx: &Context<'_>) -> Result<()> {
        viewer(ctx).map(|_| ())
    }
}

/// Allows viewers holding `scope`.
pub struct RequireScope(pub &'static str);

impl Guard for RequireScope {
    async fn check(&self, ctx: &Context<'_>) -> Result<()> {
        let viewer = viewer(ctx)?;
        if viewer.has_scope(self.0) {
            Ok(())
        } else {
            Err(ClientError::new(Code::Forbidden, format!("this operation needs the scope {}", self.0)).into())
        }
    }
}

/// The verified viewer of this request, or `UNAUTHENTICATED`.
pub fn viewer<'a>(ctx: &'a Context<'_>) -> Result<&'a Viewer> {
    ctx.data_opt::<Viewer>()
        .ok_or_else(|| ClientError::new(Code::Unauthenticated, "this operation needs a bearer token").into())
}
