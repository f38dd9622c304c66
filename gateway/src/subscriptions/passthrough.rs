//! A subscription field that a subgraph serves itself (an async-graphql `Subscription`, say),
//! passed through: the gateway subscribes to the subgraph with the plan's subscription fetch,
//! and each event the subgraph sends stands in for that fetch while the rest of the plan
//! resolves the fields other subgraphs own, as the subscriber, as in a query.

use std::sync::Arc;

use hive_router_query_planner::planner::plan_nodes::{FetchNode, PlanNode};
use http::{HeaderMap, StatusCode};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use super::fed::DELIVERED;
use super::upstream::{Upstream, Upstreamed};
use super::{Next, Opened};
use crate::authenticate::Identity;
use crate::error::{Code, GraphqlError, RequestError};
use crate::execute::client::SubgraphResponse;
use crate::prepare::Operation;
use crate::request::{Planned, answer};
use crate::service::{Gateway, Runtime};

/// An open subscription on the subgraph that serves it.
pub struct Passthrough {
    upstream: Upstream,
    /// The schema and connections it opened on: its plan belongs to them.
    runtime: Arc<Runtime>,
    operation: Arc<Operation>,
    variables: Map<String, Value>,
    /// The headers sent to subgraphs for every event.
    headers: HeaderMap,
    identity: Identity,
}

/// Subscribes to the subgraph that serves `opened`'s field.
pub(super) async fn open(
    gateway: &Gateway,
    runtime: Arc<Runtime>,
    opened: Opened<'_>,
) -> Result<Passthrough, RequestError> {
    let Opened { operation, identity, variables, field, headers } = opened;
    let primary = operation.plan.plan.node.as_ref().and_then(subscription_fetch).ok_or_else(|| {
        RequestError::bad(Code::SubscriptionUnavailable, format!("Subscription.{field} is served by no subgraph"))
    })?;
    let service = primary.service_name.as_str();
    let target = runtime.client.subscription_endpoint(service).ok_or_else(|| {
        RequestError::bad(Code::SubscriptionUnavailable, format!("the subgraph {service} is not known to this gateway"))
    })?;
    let subgraph_headers = crate::request::subgraph_headers(gateway, headers, false);
    let used: Map<String, Value> = primary
        .variable_usages
        .iter()
        .flatten()
        .filter_map(|name| variables.get(name).map(|value| (name.clone(), value.clone())))
        .collect();
    let document = &primary.operation.document_str;
    let max = gateway.config.websocket.max_message_bytes;
    let upstream = Upstream::open(service, target, &subgraph_headers, document, &used, max)
        .await
        .map_err(|error| RequestError::with_errors(StatusCode::BAD_GATEWAY, vec![error]))?;
    Ok(Passthrough { upstream, runtime, operation, variables, headers: subgraph_headers, identity })
}

/// The fetch that opens the subscription: the plan's first.
fn subscription_fetch(node: &PlanNode) -> Option<&FetchNode> {
    match node {
        PlanNode::Subscription(subscription) => Some(&subscription.primary),
        PlanNode::Sequence(sequence) => sequence.nodes.first().and_then(subscription_fetch),
        _ => None,
    }
}

impl Passthrough {
    /// Waits for the subgraph's next event and answers it.
    pub async fn next(&mut self, gateway: &Gateway) -> Next {
        let event = match self.upstream.next().await {
            Upstreamed::Next(event) => event,
            Upstreamed::Complete => return Next::Complete,
            Upstreamed::Failed(errors) => return Next::Failed(errors),
        };
        let event = match SubgraphResponse::decode(&event) {
            Ok(event) => Arc::new(event),
            Err(e) => {
                let service = self.upstream.service();
                let error = GraphqlError::new(Code::SubgraphInvalidResponse, format!("an event from {service}: {e}"))
                    .with_extension("serviceName", service);
                return Next::Failed(vec![error]);
            }
        };
        let planned = Planned {
            runtime: &self.runtime,
            operation: &self.operation,
            plan: &self.operation.plan,
            variables: &self.variables,
            headers: &self.headers,
            identity: &self.identity,
            denied: Default::default(),
            event: Some(event),
            cost: None,
            cache: None,
        };
        // Boxed: a subscriber waits far longer than it answers (see `Fed::next`).
        let body = Box::pin(answer(&gateway.owners, planned)).await;
        match RawValue::from_string(String::from_utf8_lossy(&body).into_owned()) {
            Ok(body) => {
                DELIVERED.increment(1);
                Next::Response { body }
            }
            Err(e) => Next::Failed(vec![GraphqlError::new(Code::InternalServerError, e.to_string())]),
        }
    }

    /// When the token the subscription was opened with expires.
    pub fn expires_at(&self) -> Option<u64> {
        self.identity.expires_at
    }
}
