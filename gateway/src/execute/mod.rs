//! Stage 5: run a query plan against the subgraphs and merge their answers into one tree.

pub mod client;
pub mod entities;
mod errors;
mod prepared;
pub mod tree;

pub(crate) use errors::subgraph_error;
use errors::{fetch_error, json_path};
pub use prepared::PreparedPlan;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use futures::future::{BoxFuture, join_all};
use hive_router_query_planner::ast::selection_set::SelectionSet;
use hive_router_query_planner::planner::plan_nodes::{
    BatchFetchNode, FetchNode, FetchRewrite, FlattenNodePath, PlanNode,
};
use http::HeaderMap;
use serde_json::Map;
use sonic_rs::{JsonContainerTrait, JsonValueTrait, Value};

use crate::error::{GraphqlError, PathSegment, codes};
use crate::supergraph::Supergraph;
use client::{SubgraphClient, SubgraphResponse};
use entities::{Representations, Trail, rewrite, trail_path, visit, visit_mut, write_representation};
use tree::{Arena, Node, Ref, write_str};

/// The merged data and the errors so far.
#[derive(Default)]
pub struct Outcome<'r> {
    /// The root object.
    pub data: Node<'r>,
    pub errors: Vec<GraphqlError>,
}

/// One execution of one plan. The merged data borrows from what `arena` keeps.
pub struct Execution<'a, 'r> {
    pub arena: &'r Arena,
    pub supergraph: &'a Supergraph,
    pub client: &'a SubgraphClient,
    pub plan: &'a PreparedPlan,
    pub variables: &'a Map<String, serde_json::Value>,
    /// Headers sent to every subgraph.
    pub headers: &'a HeaderMap,
    /// Queries may share an identical in-flight fetch; mutations never do.
    pub may_dedupe: bool,
    /// For a subscription a subgraph serves: the subgraph's answer for one event, which stands
    /// in for the plan's subscription fetch (the rest of the plan resolves the other fields).
    pub event: Option<Arc<SubgraphResponse>>,
    pub state: Mutex<Outcome<'r>>,
}

/// Where the entities of one `_entities` field come from.
struct EntityJob<'p> {
    paths: Vec<&'p FlattenNodePath>,
    requires: &'p SelectionSet,
    input_rewrites: Option<&'p [FetchRewrite]>,
    output_rewrites: Option<&'p [FetchRewrite]>,
    variable: &'p str,
    response_key: &'p str,
}

impl<'a, 'r: 'a> Execution<'a, 'r> {
    /// Runs the whole plan and returns what it produced.
    pub async fn run(self) -> Outcome<'r> {
        if let Some(node) = &self.plan.plan.node {
            self.node(node).await;
        }
        self.state.into_inner().unwrap_or_else(|p| p.into_inner())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Outcome<'r>> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn node(&'a self, node: &'a PlanNode) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            match node {
                PlanNode::Sequence(s) => {
                    for child in &s.nodes {
                        self.node(child).await;
                    }
                }
                PlanNode::Parallel(p) => {
                    join_all(p.nodes.iter().map(|child| self.node(child))).await;
                }
                PlanNode::Fetch(fetch) => self.root_fetch(fetch).await,
                PlanNode::Flatten(flatten) => match flatten.node.as_ref() {
                    PlanNode::Fetch(fetch) => {
                        let job = EntityJob {
                            paths: vec![&flatten.path],
                            requires: fetch.requires.as_ref().unwrap_or(&EMPTY),
                            input_rewrites: fetch.input_rewrites.as_deref(),
                            output_rewrites: fetch.output_rewrites.as_deref(),
                            variable: "representations",
                            response_key: "_entities",
                        };
                        self.entity_fetch(&fetch.service_name, fetch.id, fetch.variable_usages.as_ref(), vec![job])
                            .await
                    }
                    other => self.node(other).await,
                },
                PlanNode::BatchFetch(batch) => self.batch_fetch(batch).await,
                PlanNode::Condition(condition) => {
                    let on =
                        self.variables.get(&condition.condition).and_then(serde_json::Value::as_bool).unwrap_or(false);
                    let branch = if on { &condition.if_clause } else { &condition.else_clause };
                    if let Some(branch) = branch {
                        self.node(branch).await;
                    }
                }
                PlanNode::Subscription(subscription) => {
                    let event = self.event.clone().map(|event| self.arena.response(event));
                    let event = event.ok_or_else(|| {
                        GraphqlError::new(codes::BAD_REQUEST, "subscriptions are not served over this endpoint")
                    });
                    self.merge_root(&subscription.primary, event);
                }
                PlanNode::Defer(_) => {
                    self.lock()
                        .errors
                        .push(GraphqlError::new(codes::BAD_REQUEST, "@defer is not served by this gateway"));
                }
            }
        })
    }

    async fn batch_fetch(&'a self, batch: &'a BatchFetchNode) {
        let jobs = batch
            .entity_batch
            .aliases
            .iter()
            .map(|alias| EntityJob {
                paths: alias.merge_paths.iter().collect(),
                requires: &alias.requires,
                input_rewrites: alias.input_rewrites.as_deref(),
                output_rewrites: alias.output_rewrites.as_deref(),
                variable: &alias.representations_variable_name,
                response_key: &alias.alias,
            })
            .collect();
        self.entity_fetch(&batch.service_name, batch.id, batch.variable_usages.as_ref(), jobs).await
    }

    fn body(&self, id: i64, usages: Option<&std::collections::BTreeSet<String>>, extra: &[(&str, Vec<u8>)]) -> Bytes {
        let query = self.plan.queries.get(&id).map(String::as_str).unwrap_or("\"\"");
        let mut body = Vec::with_capacity(query.len() + 256);
        body.extend_from_slice(b"{\"query\":");
        body.extend_from_slice(query.as_bytes());
        body.extend_from_slice(b",\"variables\":{");
        let mut first = true;
        // Writes `"name":`, after a comma when it is not the first member.
        let mut key = |body: &mut Vec<u8>, name: &str| {
            if !first {
                body.push(b',');
            }
            first = false;
            write_str(name, body);
            body.push(b':');
        };
        for (name, json) in extra {
            key(&mut body, name);
            body.extend_from_slice(json);
        }
        for name in usages.into_iter().flatten() {
            if let Some(value) = self.variables.get(name) {
                key(&mut body, name);
                serde_json::to_writer(&mut body, value).ok();
            }
        }
        body.extend_from_slice(b"}}");
        Bytes::from(body)
    }

    async fn root_fetch(&'a self, fetch: &'a FetchNode) {
        let body = self.body(fetch.id, fetch.variable_usages.as_ref(), &[]);
        let response = self.send(&fetch.service_name, body).await;
        self.merge_root(fetch, response);
    }

    /// Merges the answer to a root fetch (or a subscription's event) into the tree.
    fn merge_root(&self, fetch: &FetchNode, response: Result<&'r SubgraphResponse, GraphqlError>) {
        let mut state = self.lock();
        match response {
            Ok(response) => {
                for error in response.errors() {
                    let path = error.get("path").and_then(|p| p.as_array()).map(|p| json_path(p));
                    state.errors.push(subgraph_error(&fetch.service_name, error, path));
                }
                let data = match (response.data(), fetch.output_rewrites.as_deref()) {
                    (Some(data), Some(rewrites)) => self.rewritten(data, rewrites),
                    (Some(data), None) => data,
                    (None, _) => return,
                };
                if data.is_object() {
                    state.data.merge(data, &self.supergraph.types);
                }
            }
            Err(error) => state.errors.push(error),
        }
    }

    async fn entity_fetch(
        &'a self,
        service: &'a str,
        id: i64,
        usages: Option<&'a std::collections::BTreeSet<String>>,
        jobs: Vec<EntityJob<'a>>,
    ) {
        // Collect: per job, the distinct representations and, per visited entity, which one it is.
        let mut collected = Vec::with_capacity(jobs.len());
        {
            let state = self.lock();
            let root = Ref::from(&state.data);
            for job in &jobs {
                let mut reps = Representations::default();
                let mut slots: Vec<Option<usize>> = Vec::new();
                let types = &self.supergraph.all_types;
                let mut text = Vec::with_capacity(64);
                for path in &job.paths {
                    visit(root, path.as_slice(), &mut Vec::new(), &mut |entity, _| {
                        text.clear();
                        let rep = write_representation(entity, job.requires, types, &mut text).then(|| {
                            // Rewrites (rare: `@interfaceObject`) apply to a decoded copy.
                            if let Some(rewrites) = job.input_rewrites
                                && let Ok(mut rep) = sonic_rs::from_slice::<Value>(&text)
                            {
                                rewrite(&mut rep, rewrites, types);
                                return reps.add(&rep);
                            }
                            reps.add_text(&text)
                        });
                        slots.push(rep);
                    });
                }
                collected.push((reps, slots));
            }
        }
        if collected.iter().all(|(reps, _)| reps.is_empty()) {
            return;
        }
        let mut slots_by_job = Vec::with_capacity(collected.len());
        let mut extra: Vec<(&str, Vec<u8>)> = Vec::with_capacity(collected.len());
        for (job, (reps, slots)) in jobs.iter().zip(collected) {
            extra.push((job.variable, reps.finish()));
            slots_by_job.push(slots);
        }
        let body = self.body(id, usages, &extra);
        let response = self.send(service, body).await;

        let mut state = self.lock();
        let (data, errors) = match response {
            Ok(response) => (response.data(), response.errors()),
            Err(error) => {
                state.errors.push(error);
                return;
            }
        };
        // Errors by (response key, representation index), re-pathed below to every entity using it.
        let mut by_entity: HashMap<(&str, usize), Vec<EntityError<'_>>> = HashMap::new();
        for error in errors {
            let path = error.get("path").and_then(|p| p.as_array());
            match path.map(|p| p.as_slice()) {
                Some([key, n, rest @ ..]) if key.is_str() && n.as_u64().is_some() => {
                    let key = key.as_str().unwrap_or("");
                    let key = jobs.iter().map(|j| j.response_key).find(|k| *k == key).unwrap_or("");
                    by_entity
                        .entry((key, n.as_u64().unwrap_or(0) as usize))
                        .or_default()
                        .push((error, json_path(rest)));
                }
                _ => state.errors.push(subgraph_error(service, error, None)),
            }
        }
        let state = &mut *state;
        let mut new_errors = Vec::new();
        for (job, slots) in jobs.iter().zip(slots_by_job) {
            let answers: &'r [Value] = match data.and_then(|d| d.get(job.response_key)) {
                Some(list) if list.is_array() => {
                    let list = match job.output_rewrites {
                        Some(rewrites) => self.rewritten(list, rewrites),
                        None => list,
                    };
                    list.as_array().map(|a| a.as_slice()).unwrap_or_default()
                }
                _ => &[],
            };
            let mut slot = 0usize;
            for path in &job.paths {
                visit_mut(&mut state.data, path.as_slice(), &mut Vec::new(), &mut |entity, trail: &[Trail<'_>]| {
                    let Some(Some(index)) = slots.get(slot).copied() else {
                        slot += 1;
                        return;
                    };
                    slot += 1;
                    // Every entity with this representation merges the same answer, uncopied.
                    if let Some(answer) = answers.get(index).and_then(|a| a.as_object()) {
                        entity.merge(answer, &self.supergraph.types);
                    }
                    if let Some(errors) = by_entity.get(&(job.response_key, index)) {
                        for (error, rest) in errors {
                            let mut path = trail_path(trail);
                            path.extend(rest.iter().cloned());
                            new_errors.push(subgraph_error(service, error, Some(path)));
                        }
                    }
                });
            }
        }
        state.errors.extend(new_errors);
    }

    /// A rewritten copy of a shared answer (rare: `@interfaceObject`), kept in the arena.
    fn rewritten(&self, value: &Value, rewrites: &[FetchRewrite]) -> &'r Value {
        let mut copy = value.clone();
        rewrite(&mut copy, rewrites, &self.supergraph.all_types);
        self.arena.value(copy)
    }

    /// Sends one request; the decoded answer is kept in the arena (shared with every request
    /// that joined the fetch, never copied). A failure becomes the error to report.
    async fn send(&self, service: &str, body: Bytes) -> Result<&'r SubgraphResponse, GraphqlError> {
        let shared = self
            .client
            .fetch(service, body, self.headers, self.may_dedupe)
            .await
            .map_err(|e| fetch_error(service, &e))?;
        Ok(self.arena.response(shared))
    }
}

/// A subgraph error about one representation, with the rest of its path below the entity.
type EntityError<'e> = (&'e Value, Vec<PathSegment>);

static EMPTY: SelectionSet = SelectionSet { items: Vec::new() };
