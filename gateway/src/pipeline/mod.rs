//! The request path before execution: parse, check limits, validate, normalize and plan, and
//! compile the response shape. The result is cached per operation text (and the plan per
//! normalized operation), so a repeated operation skips all of it.

pub mod limits;
pub mod parse;
pub mod validate;
pub mod variables;

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use graphql_tools::static_graphql::query::{Document, OperationDefinition, VariableDefinition};
use hive_router_query_planner::ast::normalization::normalize_operation;
use hive_router_query_planner::ast::selection_item::SelectionItem;
use hive_router_query_planner::graph::PlannerOverrideContext;
use hive_router_query_planner::planner::PlannerError;
use hive_router_query_planner::planner::plan_nodes::QueryPlan;
use hive_router_query_planner::utils::cancellation::CancellationToken;
use moka::sync::Cache;

use crate::authz::rewrite;
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
    /// The document as the client wrote it (re-planned when the viewer lacks a marked field).
    pub document: Arc<Document>,
    /// The operation name the client asked for.
    pub requested_name: Option<String>,
    /// Fields carrying `@authenticated` or `@requiresScopes` that the operation selects.
    pub marked: Vec<(String, String)>,
    /// Whether the plan fetches owner ids (`@ownedBy`): only then are responses searched for them.
    pub owned: bool,
    /// Identifies the operation in the cache of its per-viewer plans.
    pub key: u64,
}

/// Distinct operation names that label `braid_gateway_request_seconds`: clients choose the
/// names, and every label value is a series kept for the life of the process.
const MAX_OPERATION_LABELS: usize = 200;
/// The label of every operation named after the first [`MAX_OPERATION_LABELS`].
pub const OTHER_OPERATIONS: &str = "__other";

/// The caches of prepared operations and plans.
pub struct Pipeline {
    operations: Cache<u64, Result<Arc<Operation>, RequestError>>,
    /// The operation names used as metric labels so far.
    labels: std::sync::Mutex<HashSet<String>>,
    plans: Cache<u64, Arc<PreparedPlan>>,
    /// Plans of operations with fields taken out, by operation and taken-out fields.
    reduced: Cache<u64, Arc<PreparedPlan>>,
    config: Arc<GatewayConfig>,
}

/// Plan cache hits; registered on first use, after the binary has installed its recorder.
static HITS: std::sync::LazyLock<metrics::Counter> =
    std::sync::LazyLock::new(|| metrics::counter!("braid_gateway_plan_cache_total", "result" => "hit"));

impl Pipeline {
    pub fn new(config: Arc<GatewayConfig>) -> Self {
        let size = config.traffic.plan_cache_size;
        Self {
            operations: Cache::new(size),
            plans: Cache::new(size),
            reduced: Cache::new(size),
            labels: std::sync::Mutex::new(HashSet::new()),
            config,
        }
    }

    /// The metric label for an operation named `name`: the name, while there is room for it.
    fn operation_label(&self, name: Option<&str>) -> String {
        let name = name.unwrap_or_default();
        let mut labels = self.labels.lock().unwrap_or_else(|p| p.into_inner());
        if labels.contains(name) {
            return name.to_string();
        }
        if labels.len() < MAX_OPERATION_LABELS {
            labels.insert(name.to_string());
            return name.to_string();
        }
        OTHER_OPERATIONS.to_string()
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
        let prepared = self.prepare_uncached(supergraph, text, name, key);
        // A planning timeout may pass on a quieter machine; everything else is a property of the text.
        let timed_out = matches!(&prepared, Err(e) if e.errors[0].code() == Some(codes::PLANNING_TIMEOUT));
        if !timed_out {
            remember(&self.operations, key, prepared.clone());
        }
        prepared
    }

    fn prepare_uncached(
        &self,
        supergraph: &Supergraph,
        text: &str,
        name: Option<&str>,
        key: u64,
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
        let marked = rewrite::marked_fields(&document, &supergraph.types, &supergraph.policies);
        let (plan, owned) = if supergraph.policies.is_empty() {
            (self.plan(supergraph, &document, name)?, false)
        } else {
            let (planned, owned) =
                rewrite::rewrite(&document, &supergraph.types, &supergraph.policies, &HashSet::new());
            (self.plan(supergraph, &planned, name)?, owned)
        };
        let requested = name.map(str::to_string);
        let name = name.map(str::to_string).or_else(|| validate::operation_name(operation).map(str::to_string));
        let latency =
            metrics::histogram!("braid_gateway_request_seconds", "operation" => self.operation_label(name.as_deref()));
        Ok(Arc::new(Operation {
            kind,
            name,
            variables,
            plan,
            shape,
            root,
            latency,
            document: Arc::new(document),
            requested_name: requested,
            marked,
            owned,
            key,
        }))
    }

    /// The plan of `operation` without the `denied` fields (cached per operation and set).
    pub fn plan_without(
        &self,
        supergraph: &Supergraph,
        operation: &Operation,
        denied: &HashSet<(String, String)>,
    ) -> Result<Arc<PreparedPlan>, RequestError> {
        let key = {
            let mut sorted: Vec<&(String, String)> = denied.iter().collect();
            sorted.sort();
            let mut hasher = xxhash_rust::xxh3::Xxh3::new();
            hasher.update(&operation.key.to_le_bytes());
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
        let (document, _) = rewrite::rewrite(&operation.document, &supergraph.types, &supergraph.policies, denied);
        let plan = self.plan(supergraph, &document, operation.requested_name.as_deref())?;
        remember(&self.reduced, key, plan.clone());
        Ok(plan)
    }

    /// Normalizes and plans `document` (the plan cached by normalized operation).
    fn plan(
        &self,
        supergraph: &Supergraph,
        document: &Document,
        name: Option<&str>,
    ) -> Result<Arc<PreparedPlan>, RequestError> {
        let limits = &self.config.limits;
        let mut normalized = normalize_operation(&supergraph.planner.supergraph, document, name).map_err(|e| {
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
        Ok(match self.plans.get(&plan_key) {
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
                tracing::debug!(plan = %serde_json::to_string(&plan).unwrap_or_default(), "planned");
                let plan = Arc::new(PreparedPlan::new(plan));
                remember(&self.plans, plan_key, plan.clone());
                plan
            }
        })
    }
}

/// Caches `value` and holds the cache to its bound at once. moka evicts only when its pending
/// work runs, which a burst of new operations (ten thousand subscribers, each with its own
/// document) followed by quiet would leave undone: every one of them kept, not the bound.
fn remember<V: Clone + Send + Sync + 'static>(cache: &Cache<u64, V>, key: u64, value: V) {
    cache.insert(key, value);
    cache.run_pending_tasks();
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prepared_operations_are_released_beyond_the_cache_bound() {
        let sdl =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../schema/supergraph.graphql")).unwrap();
        let supergraph = crate::Supergraph::parse(&sdl).unwrap();
        let mut config = GatewayConfig::default();
        config.traffic.plan_cache_size = 10;
        let pipeline = Pipeline::new(Arc::new(config));
        // From two threads at once, as the gateway's workers do.
        let prepared: Vec<_> = std::thread::scope(|scope| {
            let halves: Vec<_> = (0..2)
                .map(|half| {
                    let (pipeline, supergraph) = (&pipeline, &supergraph);
                    scope.spawn(move || {
                        (0..150)
                            .map(|i| {
                                let text = format!("subscription {{ orderUpdated(id: \"o{half}-{i}\") {{ status }} }}");
                                Arc::downgrade(&pipeline.prepare(supergraph, &text, None).unwrap())
                            })
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            halves.into_iter().flat_map(|h| h.join().unwrap()).collect()
        });
        let live = prepared.iter().filter(|w| w.strong_count() > 0).count();
        // Besides the ten cached, one per thread may wait for moka's deferred release.
        assert!(live <= 12, "{live} of 300 prepared operations still held with a cache of 10");
    }

    #[test]
    fn operation_names_label_the_latency_metric_up_to_a_bound() {
        let pipeline = Pipeline::new(Arc::new(GatewayConfig::default()));
        assert_eq!(pipeline.operation_label(Some("Catalog")), "Catalog");
        for n in 1..MAX_OPERATION_LABELS {
            assert_eq!(pipeline.operation_label(Some(&format!("op{n}"))), format!("op{n}"));
        }
        // Full: new names share one label; names seen before keep theirs.
        assert_eq!(pipeline.operation_label(Some("Hostile1")), OTHER_OPERATIONS);
        assert_eq!(pipeline.operation_label(None), OTHER_OPERATIONS);
        assert_eq!(pipeline.operation_label(Some("Catalog")), "Catalog");
    }
}
