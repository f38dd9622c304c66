//! Stage: plan. The operation is rewritten for the subgraphs ([`rewrite`]: owner ids added,
//! denied fields taken out), normalized and planned by the query planner; plans are cached by
//! normalized operation, so two texts that mean the same share one. The response's [`shape`]
//! is compiled from the operation as the client wrote it.

pub mod prepared;
pub mod rewrite;
pub mod shape;

pub use prepared::PreparedPlan;

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use graphql_tools::static_graphql::query::Document;
use hive_router_query_planner::ast::normalization::normalize_operation;
use hive_router_query_planner::ast::selection_item::SelectionItem;
use hive_router_query_planner::graph::PlannerOverrideContext;
use hive_router_query_planner::planner::PlannerError;
use hive_router_query_planner::planner::plan_nodes::QueryPlan;
use hive_router_query_planner::utils::cancellation::CancellationToken;
use moka::sync::Cache;

use crate::config::LimitsConfig;
use crate::error::{Code, RequestError};
use crate::supergraph::Supergraph;

/// A (parent type, field) pair the viewer may not have.
pub type FieldKey = (String, String);

/// The caches of plans.
pub struct Plans {
    plans: Cache<u64, Arc<PreparedPlan>>,
    /// Plans of operations with fields taken out, by operation and taken-out fields.
    reduced: Cache<u64, Arc<PreparedPlan>>,
    limits: LimitsConfig,
}

impl Plans {
    /// Caches of `size` plans each, planning within `limits.max_planning_ms`.
    pub fn new(size: u64, limits: LimitsConfig) -> Self {
        Self { plans: Cache::new(size), reduced: Cache::new(size), limits }
    }

    /// The plan of `document` as the client wrote it, with owner ids added, and whether any
    /// were (else no response of it holds an owned object).
    pub fn plan(
        &self,
        supergraph: &Supergraph,
        document: &Document,
        name: Option<&str>,
    ) -> Result<(Arc<PreparedPlan>, bool), RequestError> {
        if supergraph.policies.is_empty() {
            return Ok((self.planned(supergraph, document, name)?, false));
        }
        let (rewritten, owned) = rewrite::rewrite(document, &supergraph.types, &supergraph.policies, &HashSet::new());
        Ok((self.planned(supergraph, &rewritten, name)?, owned))
    }

    /// The plan of `document` without the `denied` fields (cached by `key`, which names the
    /// operation, and the set).
    pub fn without(
        &self,
        supergraph: &Supergraph,
        (key, document, name): (u64, &Document, Option<&str>),
        denied: &HashSet<FieldKey>,
    ) -> Result<Arc<PreparedPlan>, RequestError> {
        let key = {
            let mut sorted: Vec<&FieldKey> = denied.iter().collect();
            sorted.sort();
            let mut hasher = xxhash_rust::xxh3::Xxh3::new();
            hasher.update(&key.to_le_bytes());
            for (parent, field) in sorted {
                hasher.update(parent.as_bytes());
                hasher.update(b".");
                hasher.update(field.as_bytes());
                hasher.update(b",");
            }
            hasher.digest()
        };
        if let Some(plan) = self.reduced.get(&key) {
            return Ok(plan);
        }
        let (document, _) = rewrite::rewrite(document, &supergraph.types, &supergraph.policies, denied);
        let plan = self.planned(supergraph, &document, name)?;
        remember(&self.reduced, key, plan.clone());
        Ok(plan)
    }

    /// Normalizes and plans `document` (the plan cached by normalized operation).
    fn planned(
        &self,
        supergraph: &Supergraph,
        document: &Document,
        name: Option<&str>,
    ) -> Result<Arc<PreparedPlan>, RequestError> {
        let mut normalized = normalize_operation(&supergraph.planner.supergraph, document, name).map_err(|e| {
            RequestError::bad(Code::GraphqlValidationFailed, format!("the operation cannot be normalized: {e}"))
        })?;
        // `__schema`, `__type` and `__typename` at the root are answered here, not by subgraphs.
        normalized
            .operation
            .selection_set
            .items
            .retain(|item| !matches!(item, SelectionItem::Field(f) if f.name.starts_with("__")));
        let plan_key = {
            let mut hasher = xxhash_rust::xxh3::Xxh3::new();
            hasher.update(&supergraph.id.to_le_bytes());
            hasher.update(&normalized.operation.hash().to_le_bytes());
            hasher.digest()
        };
        if let Some(plan) = self.plans.get(&plan_key) {
            metrics::counter!("braid_gateway_plan_cache_total", "result" => "hit").increment(1);
            return Ok(plan);
        }
        if normalized.operation.selection_set.items.is_empty() {
            return Ok(Arc::new(PreparedPlan::new(QueryPlan { kind: "QueryPlan", node: None })));
        }
        metrics::counter!("braid_gateway_plan_cache_total", "result" => "miss").increment(1);
        let started = std::time::Instant::now();
        let limit_ms = self.limits.max_planning_ms;
        let token = CancellationToken::with_timeout(Duration::from_millis(limit_ms));
        let plan = supergraph
            .planner
            .plan_from_normalized_operation(&normalized.operation, PlannerOverrideContext::default(), &token)
            .map_err(|e| planning_error(e, token.bail_if_cancelled().is_err(), limit_ms))?;
        metrics::histogram!("braid_gateway_planning_seconds").record(started.elapsed().as_secs_f64());
        tracing::debug!(plan = %serde_json::to_string(&plan).unwrap_or_default(), "planned");
        let plan = Arc::new(PreparedPlan::new(plan));
        remember(&self.plans, plan_key, plan.clone());
        Ok(plan)
    }
}

/// Caches `value` and holds the cache to its bound at once. moka evicts only when its pending
/// work runs, which a burst of new operations (ten thousand subscribers, each with its own
/// document) followed by quiet would leave undone: every one of them kept, not the bound.
pub(crate) fn remember<V: Clone + Send + Sync + 'static>(cache: &Cache<u64, V>, key: u64, value: V) {
    cache.insert(key, value);
    cache.run_pending_tasks();
}

/// The client's error for a failed plan. A timeout surfaces wrapped in several planner errors,
/// so the token's own state decides whether it was one.
fn planning_error(error: PlannerError, timed_out: bool, limit_ms: u64) -> RequestError {
    let cancelled = matches!(error, PlannerError::CancellationError(_));
    if timed_out || cancelled {
        return RequestError::bad(
            Code::PlanningTimeout,
            format!("planning the operation took longer than the maximum of {limit_ms} ms"),
        );
    }
    tracing::warn!(%error, "query planning failed");
    RequestError::bad(Code::QueryPlanningFailed, format!("the operation could not be planned: {error}"))
}
