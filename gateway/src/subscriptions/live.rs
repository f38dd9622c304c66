//! A subscription while it runs: opened once (authenticated, validated, authorized), then one
//! response per event it may see. Its field is either fed by the event backbone ([`super::fed`])
//! or served by the subgraph that declares it and passed through ([`super::passthrough`]).

use std::sync::Arc;

use http::{HeaderMap, StatusCode};

use super::cursor::Cursor;
use super::fed::{self, Fed};
use super::passthrough::{self, Passthrough};
use super::rewrite;
use super::{Next, Opened};
use crate::authenticate::Identity;
use crate::authorize;
use crate::error::{Code, GraphqlError, RequestError};
use crate::prepare::{Kind, Operation};
use crate::request::GraphqlRequest;
use crate::service::Gateway;
use crate::variables;

/// An open subscription.
pub enum Live {
    /// Fed by events on a topic.
    Fed(Box<Fed>),
    /// Served by a subgraph.
    Passthrough(Box<Passthrough>),
}

/// Opens the subscription `request` as the client of `headers`; `Ok(None)` when the operation
/// is not a subscription (it runs as a query or mutation).
pub async fn open(
    gateway: &Gateway,
    request: &GraphqlRequest,
    headers: &HeaderMap,
) -> Result<Option<Live>, RequestError> {
    let identity = gateway.authenticator.identity(headers).await?;
    let text = gateway.persisted.resolve(request.query.clone(), request.extensions.as_ref())?;
    let runtime = gateway.runtime();
    let supergraph = &runtime.supergraph;
    let operation = gateway.operations.prepare(supergraph, &text, request.operation_name.as_deref())?;
    if operation.kind != Kind::Subscription {
        return Ok(None);
    }
    // What opening costs (the entity's check, an upstream socket) is held by a few at a time;
    // the rest wait with their request only (the rest of the opening is boxed).
    let _turn = gateway.opening.acquire().await.map_err(|_| {
        RequestError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            Code::SubscriptionUnavailable,
            "the gateway is shutting down",
        )
    })?;
    Box::pin(open_subscription(gateway, runtime, operation, identity, request, headers)).await.map(Some)
}

/// Opens the subscription `operation`: checks the viewer may select its fields, then opens
/// it on its source.
async fn open_subscription(
    gateway: &Gateway,
    runtime: Arc<crate::service::Runtime>,
    operation: Arc<Operation>,
    identity: Identity,
    request: &GraphqlRequest,
    headers: &HeaderMap,
) -> Result<Live, RequestError> {
    let supergraph = &runtime.supergraph;
    authorize::whole(supergraph, &operation, &identity)?;
    let variables = variables::coerce(&operation.variables, request.variables.as_ref(), &supergraph.types)?;
    let field = rewrite::root_field_name(&operation.document, operation.requested_name.as_deref())?;
    let binding = supergraph.events.get(&field).cloned();
    let opened = Opened { operation, identity, variables, field, headers };
    Ok(match binding {
        Some(binding) => Live::Fed(Box::new(fed::open(gateway, opened, &binding).await?)),
        None => Live::Passthrough(Box::new(passthrough::open(gateway, runtime, opened).await?)),
    })
}

impl Live {
    /// Waits for the next event this subscriber may see and answers it.
    pub async fn next(&mut self, gateway: &Gateway, headers: &HeaderMap) -> Next {
        match self {
            Live::Fed(fed) => fed.next(gateway, headers).await,
            Live::Passthrough(passthrough) => passthrough.next(gateway).await,
        }
    }

    /// Resumes after `from`, a position this subscription gave out before (see
    /// [`Fed::resume`]). A subscription a subgraph serves has no positions: it goes on from now.
    pub async fn resume(&mut self, gateway: &Gateway, from: Cursor) -> Result<(), RequestError> {
        match self {
            Live::Fed(fed) => fed.resume(gateway, from).await,
            Live::Passthrough(_) => Ok(()),
        }
    }

    /// When the token the subscription was opened with expires.
    pub fn expires_at(&self) -> Option<u64> {
        match self {
            Live::Fed(fed) => fed.expires_at(),
            Live::Passthrough(passthrough) => passthrough.expires_at(),
        }
    }

    /// Where this subscriber stands in its events, to resume from; none for a subscription a
    /// subgraph serves.
    pub fn position(&self) -> Option<&Cursor> {
        match self {
            Live::Fed(fed) => Some(fed.position()),
            Live::Passthrough(_) => None,
        }
    }
}

/// The error that ends a subscription whose feed ended as [`End::Lagged`].
pub fn lagged() -> GraphqlError {
    GraphqlError::new(
        Code::SubscriberLagged,
        "this subscription fell too far behind its events and was ended; subscribe again",
    )
}
