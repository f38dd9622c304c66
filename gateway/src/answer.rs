//! Stages 5 and 6 for a planned operation: execute the plan, check the owners of what it found
//! (`@ownedBy`), and write the response. Shared by requests and by the events of subscriptions
//! that subgraphs serve themselves.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http::HeaderMap;
use serde_json::{Map, Value};

use crate::authz::{self, Authz, Identity, Verdict};
use crate::execute::client::SubgraphResponse;
use crate::execute::tree::Arena;
use crate::execute::{Execution, Outcome, PreparedPlan};
use crate::gateway::Runtime;
use crate::pipeline::{Kind, Operation};
use crate::respond;

/// An operation ready to execute, as one viewer.
pub(crate) struct Planned<'a> {
    pub runtime: &'a Runtime,
    pub operation: &'a Operation,
    /// The operation's plan, or a plan without the fields the viewer may not have.
    pub plan: &'a PreparedPlan,
    pub variables: &'a Map<String, Value>,
    /// Headers sent to every subgraph.
    pub headers: &'a HeaderMap,
    pub identity: &'a Identity,
    /// Marked fields the viewer may not have, by parent type (true when a token is missing):
    /// null with an error in the response.
    pub denied_fields: HashMap<String, HashMap<String, bool>>,
    /// A subscription's event from the subgraph that serves it (see [`Execution::event`]).
    pub event: Option<Arc<SubgraphResponse>>,
}

/// Executes `planned` and returns the response body.
pub(crate) async fn answer(authz: &Authz, planned: Planned<'_>) -> Bytes {
    let Planned { runtime, operation, plan, variables, headers, identity, denied_fields, event } = planned;
    let policies = &runtime.supergraph.policies;
    let arena = Arena::default();
    let execution = Execution {
        arena: &arena,
        supergraph: &runtime.supergraph,
        client: &runtime.client,
        plan,
        variables,
        headers,
        may_dedupe: operation.kind == Kind::Query,
        event,
        state: Mutex::new(Outcome::default()),
    };
    let outcome = execution.run().await;
    let mut verdict = Verdict { fields: denied_fields, ..Verdict::default() };
    if !policies.owned_types.is_empty() || !policies.owned_fields.is_empty() {
        if operation.owned {
            let owners = authz::owners(&outcome.data);
            verdict.denied_owners = authz.denied_owners(identity, owners).await;
        }
        verdict.owned_types = Some(&policies.owned_types);
        verdict.owned_fields = Some(&policies.owned_fields);
    }
    respond::body(
        &outcome.data,
        &operation.shape,
        &operation.root,
        variables,
        &runtime.supergraph.introspection,
        &verdict,
        outcome.errors,
    )
}
