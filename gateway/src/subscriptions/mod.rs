//! Subscriptions. Most are fed by the event backbone: a subscription field is bound to a topic
//! and to a lookup field that takes the entity's key; each event on the topic whose key the
//! subscriber asked for is answered by running the subscription's selection under that lookup,
//! as the subscriber ([`rewrite`], [`fed`]). A subscription field a subgraph serves itself is
//! passed through: the subgraph's events are completed by the rest of the plan
//! ([`passthrough`]).

pub mod binding;
pub mod cursor;
pub mod fed;
pub mod hub;
pub mod live;
pub mod passthrough;
pub mod pump;
pub mod rewrite;
pub mod shared;
pub mod upstream;

use std::sync::Arc;

use http::HeaderMap;
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use crate::authenticate::Identity;
use crate::error::GraphqlError;
use crate::prepare::Operation;
use hub::End;

/// What the next event gave.
pub enum Next {
    /// A response to send (events the slow client skipped before it are counted in its
    /// `extensions.skippedEvents`).
    Response { body: Box<RawValue> },
    /// The feed ended.
    Ended(End),
    /// The subgraph serving the subscription completed it.
    Complete,
    /// The subgraph serving the subscription failed, or could not be reached.
    Failed(Vec<GraphqlError>),
}

/// A subscription as checked when it opens, before its source is chosen.
pub(crate) struct Opened<'a> {
    pub operation: Arc<Operation>,
    pub identity: Identity,
    pub variables: Map<String, Value>,
    /// The root field's name.
    pub field: String,
    pub headers: &'a HeaderMap,
}
