//! Stage: authorize. Before execution, the fields marked `@authenticated` or `@requiresScopes`
//! that the viewer may not have are taken out of the plan, so no subgraph is asked for them,
//! and answer null with an error; after execution, [`owners`] checks the owner of every
//! `@ownedBy` object the response holds. Lookups that fail deny.

pub mod owners;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use http::StatusCode;

use crate::authenticate::Identity;
use crate::error::{Code, RequestError};
use crate::execute::tree::Node;
use crate::plan::{FieldKey, Plans, PreparedPlan};
use crate::policy::OwnedBy;
use crate::prepare::Operation;
use crate::supergraph::Supergraph;
use owners::Owners;

/// Marked fields the viewer may not have, by parent type, then field: `true` when a token was
/// missing (else a scope).
pub type DeniedFields = HashMap<String, HashMap<String, bool>>;

/// What the viewer may run of an operation.
pub struct Authorized {
    /// The operation's plan, or one without the denied fields.
    pub plan: Arc<PreparedPlan>,
    pub denied: DeniedFields,
}

/// The plan `identity` may run of `operation`.
pub fn fields(
    plans: &Plans,
    supergraph: &Supergraph,
    operation: &Operation,
    identity: &Identity,
) -> Result<Authorized, RequestError> {
    let denied = denied_fields(supergraph, operation, identity);
    if denied.is_empty() {
        return Ok(Authorized { plan: operation.plan.clone(), denied });
    }
    let keys: HashSet<FieldKey> =
        denied.iter().flat_map(|(parent, fields)| fields.keys().map(move |f| (parent.clone(), f.clone()))).collect();
    let plan = operation.plan_without(plans, supergraph, &keys)?;
    Ok(Authorized { plan, denied })
}

/// Refuses `operation` as a whole when it selects a field the viewer may not have: for a
/// subscription, whose events would all be partial.
pub fn whole(supergraph: &Supergraph, operation: &Operation, identity: &Identity) -> Result<(), RequestError> {
    let Some((key, missing_token)) = refused(supergraph, operation, identity).next() else { return Ok(()) };
    Err(if missing_token {
        RequestError::new(
            StatusCode::UNAUTHORIZED,
            Code::Unauthenticated,
            format!("{}.{} needs a bearer token", key.0, key.1),
        )
    } else {
        RequestError::new(
            StatusCode::FORBIDDEN,
            Code::Forbidden,
            format!("{}.{} needs a scope the token does not have", key.0, key.1),
        )
    })
}

/// After execution: what the projector enforces on `data`, the owners it holds checked.
pub async fn verdict<'s>(
    owners: &Owners,
    supergraph: &'s Supergraph,
    operation: &Operation,
    identity: &Identity,
    data: &Node<'_>,
    denied: DeniedFields,
) -> Verdict<'s> {
    let policies = &supergraph.policies;
    let mut verdict = Verdict { fields: denied, ..Verdict::default() };
    if !policies.owned_types.is_empty() || !policies.owned_fields.is_empty() {
        if operation.owned {
            verdict.denied_owners = owners.denied_owners(identity, owners::owners(data)).await;
        }
        verdict.owned_types = Some(&policies.owned_types);
        verdict.owned_fields = Some(&policies.owned_fields);
    }
    verdict
}

/// The marked fields the viewer may not have.
fn denied_fields(supergraph: &Supergraph, operation: &Operation, identity: &Identity) -> DeniedFields {
    let mut denied = DeniedFields::new();
    for (key, missing_token) in refused(supergraph, operation, identity) {
        // Selected on an interface: the objects the projector sees carry the mark too.
        let objects = supergraph.types.get(&key.0).map(|t| t.possible_types.iter()).into_iter().flatten();
        for parent in std::iter::once(&key.0).chain(objects) {
            denied.entry(parent.clone()).or_default().insert(key.1.clone(), missing_token);
        }
    }
    denied
}

/// Each marked field of `operation` whose requirement `identity` does not meet, with whether a
/// token was missing (else a scope).
fn refused<'o>(
    supergraph: &'o Supergraph,
    operation: &'o Operation,
    identity: &'o Identity,
) -> impl Iterator<Item = (&'o FieldKey, bool)> {
    operation.marked.iter().filter_map(|key| match supergraph.policies.fields.get(key)?.check(&identity.claims) {
        Ok(()) => None,
        Err(missing_token) => Some((key, missing_token)),
    })
}

/// What the projector enforces for one response.
#[derive(Debug, Default)]
pub struct Verdict<'a> {
    /// Fields taken out for a missing token or scope, by parent type, then field: `true` when
    /// a token was missing.
    pub fields: DeniedFields,
    pub owned_types: Option<&'a HashMap<String, OwnedBy>>,
    pub owned_fields: Option<&'a HashMap<String, HashMap<String, OwnedBy>>>,
    pub denied_owners: HashSet<i64>,
}
