//! A plan ready to run many times: each fetch's query text encoded once.

use hive_router_query_planner::planner::plan_nodes::{PlanNode, QueryPlan};
use rustc_hash::FxHashMap;

/// A plan with each fetch's query text already encoded as a JSON string.
pub struct PreparedPlan {
    pub plan: QueryPlan,
    pub(crate) queries: FxHashMap<i64, String>,
}

impl PreparedPlan {
    pub fn new(plan: QueryPlan) -> Self {
        let mut queries = FxHashMap::default();
        if let Some(node) = &plan.node {
            collect_queries(node, &mut queries);
        }
        Self { plan, queries }
    }
}

fn collect_queries(node: &PlanNode, queries: &mut FxHashMap<i64, String>) {
    let encode = |s: &str| serde_json::to_string(s).unwrap_or_default();
    match node {
        PlanNode::Fetch(f) => {
            queries.insert(f.id, encode(&f.operation.document_str));
        }
        PlanNode::BatchFetch(f) => {
            queries.insert(f.id, encode(&f.operation.document_str));
        }
        PlanNode::Sequence(s) => s.nodes.iter().for_each(|n| collect_queries(n, queries)),
        PlanNode::Parallel(p) => p.nodes.iter().for_each(|n| collect_queries(n, queries)),
        PlanNode::Flatten(f) => collect_queries(&f.node, queries),
        PlanNode::Condition(c) => {
            c.if_clause.iter().chain(c.else_clause.iter()).for_each(|n| collect_queries(n, queries));
        }
        PlanNode::Subscription(s) => {
            queries.insert(s.primary.id, encode(&s.primary.operation.document_str));
        }
        PlanNode::Defer(_) => {}
    }
}
