//! The request path before execution: parse, check limits, validate, normalize and plan, and
//! compile the response shape. The result is cached per operation text (and the plan per
//! normalized operation), so a repeated operation skips all of it.

pub mod limits;
pub mod parse;
pub mod validate;
pub mod variables;

use std::sync::Arc;
use std::time::Duration;

use graphql_tools::static_graphql::query::{OperationDefinition, VariableDefinition};
use hive_router_query_planner::ast::normalization::normalize_operation;
use hive_router_query_planner::ast::selection_item::SelectionItem;
use hive_router_query_planner::graph::PlannerOverrideContext;
use hive_router_query_planner::planner::PlannerError;
use hive_router_query_planner::planner::plan_nodes::QueryPlan;
use hive_router_query_planner::utils::cancellation::CancellationToken;
use moka::sync::Cache;

use crate::config::GatewayConfig;
use crate::error::{RequestError, codes};
use crate::execute::PreparedPlan;
use crate::respond::shape::{Shape, compile};
use crate::supergraph::Supergraph;

/// What kind of root operation runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Query,
    Mutation,
    Subscription,
}

/// An operation ready to run: everything that does not depend on variables.
pub struct Operation {
    pub kind: Kind,
    pub name: Option<String>,
    pub variables: Vec<VariableDefinition>,
    pub plan: Arc<PreparedPlan>,
    pub shape: Shape,
    /// The root type's name.
    pub root: String,
    /// `braid_gateway_request_seconds` for this operation's name, registered once.
    pub latency: metrics::Histogram,
}

/// The caches of prepared operations and plans.
pub struct Pipeline {
    operations: Cache<u64, Result<Arc<Operation>, RequestError>>,
    plans: Cache<u64, Arc<PreparedPlan>>,
    config: Arc<GatewayConfig>,
}

/// Plan cache hits; registered on first use, after the binary has installed its recorder.
static HITS: std::sync::LazyLock<metrics::Counter> =
    std::sync::LazyLock::new(|| metrics::counter!("braid_gateway_plan_cache_total", "result" => "hit"));

impl Pipeline {
    pub fn new(config: Arc<GatewayConfig>) -> Self {
        let size = config.traffic.plan_cache_size;
        Self { operations: Cache::new(size), plans: Cache::new(size), config }
    }

    /// The prepared operation for `text`, from the cache when it has been seen before.
    pub fn prepare(
        &self,
        supergraph: &Supergraph,
        text: &str,
        name: Option<&str>,
    ) -> Result<Arc<Operation>, RequestError> {
        let key = {
            let mut hasher = xxhash_rust::xxh3::Xxh3::new();
            hasher.update(&supergraph.id.to_le_bytes());
            hasher.update(text.as_bytes());
            hasher.update(&[0xff]);
            hasher.update(name.unwrap_or("").as_bytes());
            hasher.digest()
        };
        if let Some(prepared) = self.operations.get(&key) {
            HITS.increment(1);
            return prepared;
        }
        let prepared = self.prepare_uncached(supergraph, text, name);
        // A planning timeout may pass on a quieter machine; everything else is a property of the text.
        let timed_out = matches!(&prepared, Err(e) if e.errors[0].code() == Some(codes::PLANNING_TIMEOUT));
        if !timed_out {
            self.operations.insert(key, prepared.clone());
        }
        prepared
    }

    fn prepare_uncached(
        &self,
        supergraph: &Supergraph,
        text: &str,
        name: Option<&str>,
    ) -> Result<Arc<Operation>, RequestError> {
        let limits = &self.config.limits;
        let document = parse::parse(text, limits)?;
        let operation = validate::select_operation(&document, name)?;
        limits::check(&document, operation, limits)?;
        validate::check(supergraph, &document)?;
        let selection_set = limits::selection_set(operation);
        let (kind, root, variables) = match operation {
            OperationDefinition::SelectionSet(_) => (Kind::Query, supergraph.types.query.clone(), Vec::new()),
            OperationDefinition::Query(q) => {
                (Kind::Query, supergraph.types.query.clone(), q.variable_definitions.clone())
            }
            OperationDefinition::Mutation(m) => {
                (Kind::Mutation, supergraph.types.mutation.clone().unwrap_or_default(), m.variable_definitions.clone())
            }
            OperationDefinition::Subscription(s) => (
                Kind::Subscription,
                supergraph.types.subscription.clone().unwrap_or_default(),
                s.variable_definitions.clone(),
            ),
        };
        let shape = compile(&document, selection_set, &root, &supergraph.types);
        let introspects = shape.fields_for(Some(&root)).iter().any(|f| f.name == "__schema" || f.name == "__type");
        if introspects && !self.config.introspection.enabled {
            return Err(RequestError::bad(codes::INTROSPECTION_DISABLED, "introspection is disabled on this gateway"));
        }
        let mut normalized = normalize_operation(&supergraph.planner.supergraph, &document, name).map_err(|e| {
            RequestError::bad(codes::GRAPHQL_VALIDATION_FAILED, format!("the operation cannot be normalized: {e}"))
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
        let plan = match self.plans.get(&plan_key) {
            Some(plan) => {
                metrics::counter!("braid_gateway_plan_cache_total", "result" => "hit").increment(1);
                plan
            }
            None if normalized.operation.selection_set.items.is_empty() => {
                Arc::new(PreparedPlan::new(QueryPlan { kind: "QueryPlan", node: None }))
            }
            None => {
                metrics::counter!("braid_gateway_plan_cache_total", "result" => "miss").increment(1);
                let started = std::time::Instant::now();
                let token = CancellationToken::with_timeout(Duration::from_millis(limits.max_planning_ms));
                let plan = supergraph
                    .planner
                    .plan_from_normalized_operation(&normalized.operation, PlannerOverrideContext::default(), &token)
                    .map_err(|e| planning_error(e, token.bail_if_cancelled().is_err(), limits.max_planning_ms))?;
                metrics::histogram!("braid_gateway_planning_seconds").record(started.elapsed().as_secs_f64());
                tracing::debug!(operation = %text, plan = %serde_json::to_string(&plan).unwrap_or_default(), "planned");
                let plan = Arc::new(PreparedPlan::new(plan));
                self.plans.insert(plan_key, plan.clone());
                plan
            }
        };
        let name = name.map(str::to_string).or_else(|| validate::operation_name(operation).map(str::to_string));
        let latency =
            metrics::histogram!("braid_gateway_request_seconds", "operation" => name.clone().unwrap_or_default());
        Ok(Arc::new(Operation { kind, name, variables, plan, shape, root, latency }))
    }
}

/// The client's error for a failed plan. A timeout surfaces wrapped in several planner errors,
/// so the token's own state decides whether it was one.
fn planning_error(error: PlannerError, timed_out: bool, limit_ms: u64) -> RequestError {
    let cancelled = matches!(error, PlannerError::CancellationError(_));
    if timed_out || cancelled {
        return RequestError::bad(
            codes::PLANNING_TIMEOUT,
            format!("planning the operation took longer than the maximum of {limit_ms} ms"),
        );
    }
    tracing::warn!(%error, "query planning failed");
    RequestError::bad(codes::QUERY_PLANNING_FAILED, format!("the operation could not be planned: {error}"))
}
