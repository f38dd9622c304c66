//! Stage: execute. Run a query plan against the subgraphs and merge their answers into one tree.

mod cached;
pub mod client;
pub mod entities;
mod entity_fetch;
mod errors;
pub mod headers;
mod response;
pub mod tree;

pub use cached::CacheUse;
pub(crate) use errors::subgraph_error;
use errors::{fetch_error, json_path};

use std::sync::{Arc, Mutex};

use bytes::Bytes;
use futures::future::{BoxFuture, join_all};
use hive_router_query_planner::ast::operation::SubgraphFetchOperation;
use hive_router_query_planner::ast::selection_set::SelectionSet;
use hive_router_query_planner::planner::plan_nodes::{
    BatchFetchNode, FetchNode, FetchRewrite, FlattenNodePath, PlanNode,
};
use http::HeaderMap;
use serde_json::Map;
use sonic_rs::{JsonContainerTrait, JsonValueTrait, Value};

use crate::error::{Code, GraphqlError};
use crate::plan::PreparedPlan;
use crate::supergraph::Supergraph;
use client::{SubgraphClient, SubgraphResponse};
use entities::rewrite;
use tree::{Arena, Node, write_str};

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
    /// The entity cache, for a query's fetches.
    pub cache: Option<CacheUse<'a>>,
    pub state: Mutex<Outcome<'r>>,
}

/// Where the entities of one `_entities` field come from.
struct EntityJob<'p> {
    /// The fetch's operation (its selection names the types the answers hold).
    operation: &'p SubgraphFetchOperation,
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
                            operation: &fetch.operation,
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
                        GraphqlError::new(Code::BadRequest, "subscriptions are not served over this endpoint")
                    });
                    self.merge_root(&subscription.primary, event);
                }
                PlanNode::Defer(_) => {
                    self.lock()
                        .errors
                        .push(GraphqlError::new(Code::BadRequest, "@defer is not served by this gateway"));
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
                operation: &batch.operation,
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
        let response = match self.cache_for(&fetch.service_name) {
            Some(cache) => self.cached_root(cache, fetch, body).await,
            None => self.send(&fetch.service_name, body).await,
        };
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

    /// A rewritten copy of a shared answer (rare: `@interfaceObject`), kept in the arena.
    fn rewritten(&self, value: &Value, rewrites: &[FetchRewrite]) -> &'r Value {
        let mut copy = value.clone();
        rewrite(&mut copy, rewrites, &self.supergraph.all_types);
        self.arena.value(copy)
    }

    /// Sends one request; the decoded answer is kept in the arena (shared with every request
    /// that joined the fetch, never copied). A failure becomes the error to report.
    async fn send(&self, service: &str, body: Bytes) -> Result<&'r SubgraphResponse, GraphqlError> {
        self.send_at(service, body, (0, false)).await
    }

    /// [`Self::send`], sharing an identical fetch in flight only within the same cache `epoch`;
    /// `uncached` asks the subgraph past its own caches (`Cache-Control: no-cache`).
    async fn send_at(&self, service: &str, body: Bytes, at: (u64, bool)) -> Result<&'r SubgraphResponse, GraphqlError> {
        Ok(self.arena.response(self.send_shared(service, body, at).await?))
    }

    /// [`Self::send_at`], answering the shared response itself (the entity cache keeps it).
    async fn send_shared(
        &self,
        service: &str,
        body: Bytes,
        (epoch, uncached): (u64, bool),
    ) -> Result<Arc<SubgraphResponse>, GraphqlError> {
        let fresh;
        let headers = if uncached {
            let mut headers = self.headers.clone();
            headers.insert(http::header::CACHE_CONTROL, http::HeaderValue::from_static("no-cache"));
            fresh = headers;
            &fresh
        } else {
            self.headers
        };
        self.client.fetch(service, body, headers, self.may_dedupe, epoch).await.map_err(|e| fetch_error(service, &e))
    }
}

static EMPTY: SelectionSet = SelectionSet { items: Vec::new() };
