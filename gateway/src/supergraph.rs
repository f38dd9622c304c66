//! A loaded supergraph: the planner, the public schema and the subgraph endpoints.

use std::collections::HashMap;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use graphql_tools::static_graphql::schema::Document;
use graphql_tools::validation::rules::default_rules_validation_plan;
use graphql_tools::validation::validate::ValidationPlan;
use hive_router_query_planner::planner::{Planner, QueryPlannerOptions};
use hive_router_query_planner::utils::parsing::safe_parse_schema;

use crate::error::GatewayError;
use crate::introspection::Introspection;
use crate::policy::Policies;
use crate::types::TypeIndex;

/// Everything derived from one supergraph SDL. Requests hold an `Arc` of the one they started on,
/// so a reload never changes the schema under an in-flight request.
pub struct Supergraph {
    pub planner: Planner,
    /// The public (consumer) schema: no federation internals, no `@inaccessible` elements.
    pub public: Arc<Document>,
    pub types: TypeIndex,
    /// Every type of the supergraph, internal ones included (for entity representations).
    pub all_types: TypeIndex,
    pub validation: ValidationPlan,
    /// Subgraph name to URL, as `join__graph` declares it.
    pub endpoints: HashMap<String, String>,
    pub introspection: Introspection,
    /// Identifies this schema in cache keys, so a reload never serves an old plan.
    pub id: u64,
    /// `@authenticated`, `@requiresScopes` and `@ownedBy` marks.
    pub policies: Policies,
    /// `@cost` and `@listSize` marks, for demand control.
    pub cost: crate::cost::model::CostModel,
    /// Subscription fields fed by events (`@event`), by field name.
    pub events: HashMap<String, crate::subscriptions::binding::Binding>,
    /// Entity keys, reachable types and event topics, for the entity cache.
    pub cache: crate::entity_cache::schema::CacheSchema,
}

impl Supergraph {
    /// Parses and checks a supergraph SDL. Never panics: a bad file is an error.
    pub fn parse(sdl: &str) -> Result<Self, GatewayError> {
        let document = safe_parse_schema(sdl).map_err(|e| GatewayError::Supergraph(format!("parse error: {e}")))?;
        if !sdl.contains("join__Graph") {
            return Err(GatewayError::Supergraph(
                "not a federation supergraph: no join__Graph enum (compose the subgraphs first)".into(),
            ));
        }
        // The planner asserts on malformed input; turn its panics into a refused schema.
        let planner = std::panic::catch_unwind(AssertUnwindSafe(|| {
            Planner::new_from_supergraph(&document, QueryPlannerOptions::default())
        }))
        .map_err(|panic| GatewayError::Supergraph(format!("invalid supergraph: {}", panic_message(&panic))))?
        .map_err(|e| GatewayError::Supergraph(format!("invalid supergraph: {e}")))?;
        let mut public = planner.consumer_schema.document.clone();
        crate::defer::declare(Arc::make_mut(&mut public));
        let types = TypeIndex::new(&public);
        let all_types = TypeIndex::new(&document);
        let endpoints = planner.supergraph.subgraph_endpoint_map.clone();
        let introspection = Introspection::new(&public, &types);
        let id = xxhash_rust::xxh3::xxh3_64(sdl.as_bytes());
        let policies = Policies::new(&all_types);
        let events = crate::subscriptions::binding::bindings(&all_types, &types);
        let cache = crate::entity_cache::schema::CacheSchema::new(&all_types, &events);
        Ok(Self {
            cache,
            planner,
            public,
            types,
            cost: crate::cost::model::CostModel::new(&all_types),
            all_types,
            validation: default_rules_validation_plan(),
            endpoints,
            introspection,
            id,
            policies,
            events,
        })
    }
}

fn panic_message(panic: &Box<dyn std::any::Any + Send>) -> String {
    if let Some(s) = panic.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = panic.downcast_ref::<String>() {
        s.clone()
    } else {
        "the planner rejected it".to_string()
    }
}
