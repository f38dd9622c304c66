//! A plan ready to run many times: each fetch's query text encoded once.

use hive_router_query_planner::planner::plan_nodes::{PlanNode, QueryPlan};
use rustc_hash::FxHashMap;

/// A plan with each fetch's query text already encoded as a JSON string.
pub struct PreparedPlan {
    pub plan: QueryPlan,
    pub(crate) queries: FxHashMap<i64, String>,
    /// The subgraphs it fetches from, each once.
    pub subgraphs: Vec<String>,
}

impl PreparedPlan {
    pub fn new(plan: QueryPlan) -> Self {
        let mut queries = FxHashMap::default();
        let mut subgraphs = Vec::new();
        if let Some(node) = &plan.node {
            collect_queries(node, &mut queries, &mut subgraphs);
        }
        Self { plan, queries, subgraphs }
    }
}

fn collect_queries(node: &PlanNode, queries: &mut FxHashMap<i64, String>, subgraphs: &mut Vec<String>) {
    let encode = |s: &str| serde_json::to_string(s).unwrap_or_default();
    let mut fetches_from = |name: &String| {
        if !subgraphs.contains(name) {
            subgraphs.push(name.clone());
        }
    };
    match node {
        PlanNode::Fetch(f) => {
            fetches_from(&f.service_name);
            queries.insert(f.id, encode(&f.operation.document_str));
        }
        PlanNode::BatchFetch(f) => {
            fetches_from(&f.service_name);
            queries.insert(f.id, encode(&f.operation.document_str));
        }
        PlanNode::Sequence(s) => s.nodes.iter().for_each(|n| collect_queries(n, queries, subgraphs)),
        PlanNode::Parallel(p) => p.nodes.iter().for_each(|n| collect_queries(n, queries, subgraphs)),
        PlanNode::Flatten(f) => collect_queries(&f.node, queries, subgraphs),
        PlanNode::Condition(c) => {
            c.if_clause.iter().chain(c.else_clause.iter()).for_each(|n| collect_queries(n, queries, subgraphs));
        }
        PlanNode::Subscription(s) => {
            fetches_from(&s.primary.service_name);
            queries.insert(s.primary.id, encode(&s.primary.operation.document_str));
        }
        PlanNode::Defer(_) => {}
    }
}
