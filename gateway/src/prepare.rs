//! Stages parse to plan for one operation text, cached: a repeated operation skips all of
//! them. [`Operations::prepare`] runs them in order: [`parse`](crate::parse), [`limits`](crate::limits),
//! [`validate`](crate::validate), [`plan`](crate::plan).

use std::collections::HashSet;
use std::sync::Arc;

use graphql_tools::static_graphql::query::{Document, OperationDefinition, VariableDefinition};
use moka::sync::Cache;

use crate::config::GatewayConfig;
use crate::error::{Code, RequestError};
use crate::plan::shape::{Shape, compile};
use crate::plan::{FieldKey, Plans, PreparedPlan, remember};
use crate::supergraph::Supergraph;
use crate::{defer, limits, parse, policy, validate};

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
    /// The operation's name, asked for or not (rate limits per operation go by it).
    pub name: Option<String>,
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

/// The prepared operations, by text, and the plans they share.
pub struct Operations {
    operations: Cache<u64, Result<Arc<Operation>, RequestError>>,
    /// The operation names used as metric labels so far.
    labels: std::sync::Mutex<HashSet<String>>,
    pub plans: Plans,
    config: Arc<GatewayConfig>,
}

/// Prepared operations served from the cache; registered on first use, after the binary has
/// installed its recorder.
static HITS: std::sync::LazyLock<metrics::Counter> =
    std::sync::LazyLock::new(|| metrics::counter!("braid_gateway_plan_cache_total", "result" => "hit"));

impl Operations {
    pub fn new(config: Arc<GatewayConfig>) -> Self {
        let size = config.traffic.plan_cache_size;
        Self {
            operations: Cache::new(size),
            labels: std::sync::Mutex::new(HashSet::new()),
            plans: Plans::new(size, config.limits.clone()),
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
        let span = tracing::info_span!("graphql.prepare", cached = tracing::field::Empty).entered();
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
            span.record("cached", true);
            return prepared;
        }
        let prepared = self.prepare_uncached(supergraph, text, name, key);
        // A planning timeout may pass on a quieter machine; everything else is a property of the text.
        let timed_out = matches!(&prepared, Err(e) if e.errors[0].code() == Some(Code::PlanningTimeout.as_str()));
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
        let document = tracing::info_span!("graphql.parse").in_scope(|| parse::parse(text, limits))?;
        let operation = parse::select_operation(&document, name)?;
        tracing::info_span!("graphql.validate").in_scope(|| {
            limits::check(&document, operation, limits)?;
            validate::check(supergraph, &document)
        })?;
        // Deferred fragments are answered with the rest: the planner sees none.
        let document = defer::inline(document);
        let operation = parse::select_operation(&document, name)?;
        let (kind, root, variables) = root(supergraph, operation);
        let shape = compile(&document, limits::selection_set(operation), &root, &supergraph.types);
        validate::introspection(&shape, &root, self.config.introspection.enabled)?;
        let (plan, owned) =
            tracing::info_span!("graphql.plan").in_scope(|| self.plans.plan(supergraph, &document, name))?;
        let marked = policy::marked_fields(&document, &supergraph.types, &supergraph.policies);
        let requested = name.map(str::to_string);
        let name = requested.clone().or_else(|| parse::operation_name(operation).map(str::to_string));
        let latency =
            metrics::histogram!("braid_gateway_request_seconds", "operation" => self.operation_label(name.as_deref()));
        Ok(Arc::new(Operation {
            kind,
            variables,
            plan,
            shape,
            root,
            latency,
            document: Arc::new(document),
            requested_name: requested,
            name,
            marked,
            owned,
            key,
        }))
    }
}

impl Operation {
    /// The plan of this operation without the `denied` fields.
    pub fn plan_without(
        &self,
        plans: &Plans,
        supergraph: &Supergraph,
        denied: &HashSet<FieldKey>,
    ) -> Result<Arc<PreparedPlan>, RequestError> {
        plans.without(supergraph, (self.key, &self.document, self.requested_name.as_deref()), denied)
    }
}

/// The kind, root type and variables of `operation`.
fn root(supergraph: &Supergraph, operation: &OperationDefinition) -> (Kind, String, Vec<VariableDefinition>) {
    let types = &supergraph.types;
    match operation {
        OperationDefinition::SelectionSet(_) => (Kind::Query, types.query.clone(), Vec::new()),
        OperationDefinition::Query(q) => (Kind::Query, types.query.clone(), q.variable_definitions.clone()),
        OperationDefinition::Mutation(m) => {
            (Kind::Mutation, types.mutation.clone().unwrap_or_default(), m.variable_definitions.clone())
        }
        OperationDefinition::Subscription(s) => {
            (Kind::Subscription, types.subscription.clone().unwrap_or_default(), s.variable_definitions.clone())
        }
    }
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
        let operations = Operations::new(Arc::new(config));
        // From two threads at once, as the gateway's workers do.
        let prepared: Vec<_> = std::thread::scope(|scope| {
            let halves: Vec<_> = (0..2)
                .map(|half| {
                    let (operations, supergraph) = (&operations, &supergraph);
                    scope.spawn(move || {
                        (0..150)
                            .map(|i| {
                                let text = format!("subscription {{ orderUpdated(id: \"o{half}-{i}\") {{ status }} }}");
                                Arc::downgrade(&operations.prepare(supergraph, &text, None).unwrap())
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
        let operations = Operations::new(Arc::new(GatewayConfig::default()));
        assert_eq!(operations.operation_label(Some("Catalog")), "Catalog");
        for n in 1..MAX_OPERATION_LABELS {
            assert_eq!(operations.operation_label(Some(&format!("op{n}"))), format!("op{n}"));
        }
        // Full: new names share one label; names seen before keep theirs.
        assert_eq!(operations.operation_label(Some("Hostile1")), OTHER_OPERATIONS);
        assert_eq!(operations.operation_label(None), OTHER_OPERATIONS);
        assert_eq!(operations.operation_label(Some("Catalog")), "Catalog");
    }
}
