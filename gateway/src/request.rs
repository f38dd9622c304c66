//! One request through the stages, in the order it meets them: [`Gateway::run`] reads as that
//! list. [`answer`] is its tail (execute, authorize the owners, respond), shared with the events
//! of subscriptions that subgraphs serve themselves.

use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use bytes::Bytes;
use futures::FutureExt;
use http::{HeaderMap, HeaderValue, StatusCode};
use serde_json::{Map, Value};
use tracing::Instrument as _;

use crate::authenticate::Identity;
use crate::authorize::owners::Owners;
use crate::authorize::{self, Authorized, DeniedFields};
use crate::cost::{self, Costing, Estimate};
use crate::error::{Code, RequestError};
use crate::execute::client::SubgraphResponse;
use crate::execute::tree::Arena;
use crate::execute::tree::Ref;
use crate::execute::{CacheUse, Execution, Outcome};
use crate::plan::PreparedPlan;
use crate::prepare::{Kind, Operation};
use crate::rate_limit::{Client, Quota};
use crate::respond;
use crate::service::{Gateway, Runtime};
use crate::supergraph::Supergraph;
use crate::variables;

/// A GraphQL request as the client sent it.
#[derive(Debug, Default, Clone)]
pub struct GraphqlRequest {
    pub query: Option<String>,
    pub operation_name: Option<String>,
    pub variables: Option<Map<String, Value>>,
    pub extensions: Option<Map<String, Value>>,
}

/// Where a request came from and how it may run.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Origin {
    /// GET, where only queries may run.
    pub read_only: bool,
    /// The client's address, for its rate limit when it sent no token.
    pub peer: Option<IpAddr>,
    /// Asks the subgraphs not to answer from their caches.
    pub uncached: bool,
}

/// A response body, and the client's budget when rate limits apply.
pub(crate) struct Answer {
    pub body: Bytes,
    pub quota: Option<Quota>,
}

/// Runs one request and answers its response body.
pub(crate) async fn execute(
    gateway: &Gateway,
    request: GraphqlRequest,
    client_headers: &HeaderMap,
    origin: Origin,
) -> Result<Answer, RequestError> {
    if braid_kit::telemetry::traces_on() {
        // Boxed: with traces off, the request's future is no larger for the span it carries on.
        return Box::pin(execute_traced(gateway, request, client_headers, origin)).await;
    }
    run(gateway, request, client_headers, origin).await
}

/// [`execute`] in the request's span.
async fn execute_traced(
    gateway: &Gateway,
    request: GraphqlRequest,
    client_headers: &HeaderMap,
    origin: Origin,
) -> Result<Answer, RequestError> {
    let span = request_span();
    braid_kit::telemetry::context::continue_from_headers(&span, client_headers);
    let result = run(gateway, request, client_headers, origin).instrument(span.clone()).await;
    if result.is_err() {
        span.record("otel.status_code", "ERROR");
    }
    result
}

/// The root span of a request, a child of the client's span when it sent a `traceparent`.
/// Off (and free) when traces are.
fn request_span() -> tracing::Span {
    use tracing::field::Empty;
    tracing::info_span!(
        "graphql.request",
        otel.kind = "server",
        otel.status_code = Empty,
        graphql.operation.type = Empty,
        graphql.operation.name = Empty,
        trace_id = Empty,
    )
}

/// Names the request's span after its operation, as OpenTelemetry's GraphQL conventions do:
/// `query TopProducts`.
fn name_span(operation: &Operation) {
    if !braid_kit::telemetry::traces_on() {
        return;
    }
    let span = tracing::Span::current();
    let kind = match operation.kind {
        Kind::Query => "query",
        Kind::Mutation => "mutation",
        Kind::Subscription => "subscription",
    };
    span.record("graphql.operation.type", kind);
    let name = match operation.name.as_deref() {
        Some(name) => {
            span.record("graphql.operation.name", name);
            format!("{kind} {name}")
        }
        None => kind.to_string(),
    };
    braid_kit::telemetry::context::rename(&span, name);
}

/// Runs the query that answers an event for a subscriber: as [`execute`], with
/// `Cache-Control: no-cache` to the subgraphs, whose caches the same event may not have
/// reached yet. Its span continues the event's trace (`traceparent`, the gateway's reading of
/// it), or the subscriber's request without one.
pub(crate) async fn execute_for_event(
    gateway: &Gateway,
    request: GraphqlRequest,
    client_headers: &HeaderMap,
    traceparent: Option<&str>,
) -> Result<Bytes, RequestError> {
    let origin = Origin { read_only: true, peer: None, uncached: true };
    if !braid_kit::telemetry::traces_on() {
        return Ok(run(gateway, request, client_headers, origin).await?.body);
    }
    let span = request_span();
    match traceparent {
        Some(_) => braid_kit::telemetry::context::continue_from(&span, traceparent),
        None => braid_kit::telemetry::context::continue_from_headers(&span, client_headers),
    }
    Ok(Box::pin(run(gateway, request, client_headers, origin).instrument(span)).await?.body)
}

/// Runs one request: the stages in order.
async fn run(
    gateway: &Gateway,
    request: GraphqlRequest,
    client_headers: &HeaderMap,
    origin: Origin,
) -> Result<Answer, RequestError> {
    let started = Instant::now();
    let identity = gateway.authenticator.identity(client_headers).await?;
    let text = gateway.persisted.resolve(request.query, request.extensions.as_ref())?;
    let runtime = gateway.runtime();
    let supergraph = &runtime.supergraph;
    let operation = gateway.operations.prepare(supergraph, &text, request.operation_name.as_deref())?;
    name_span(&operation);
    admit(operation.kind, origin.read_only)?;
    let Authorized { plan, denied } = authorize::fields(&gateway.operations.plans, supergraph, &operation, &identity)?;
    let quota = rate_limit(gateway, &identity, origin.peer, &operation, &plan).await?;
    let variables = variables::coerce(&operation.variables, request.variables.as_ref(), &supergraph.types)?;
    let cost = estimate_cost(gateway, supergraph, &operation, &variables, request.extensions.as_ref())?;
    let headers = subgraph_headers(gateway, client_headers, origin.uncached);
    let shared = shares_in_flight(gateway, operation.kind)
        .then(|| request_key(&text, request.operation_name.as_deref(), request.variables.as_ref(), &headers));
    let (owners, planned_operation) = (gateway.owners.clone(), operation.clone());
    // Queries only: a mutation's fetches must see the write, and their answers are not kept.
    let entity_cache = gateway.entity_cache.get().filter(|_| operation.kind == Kind::Query).cloned();
    let written = (operation.kind == Kind::Mutation).then(|| runtime.supergraph.clone());
    let run = async move {
        let planned = Planned {
            runtime: &runtime,
            operation: &planned_operation,
            plan: &plan,
            variables: &variables,
            headers: &headers,
            identity: &identity,
            denied,
            event: None,
            cost,
            cache: entity_cache.as_deref().map(|cache| CacheUse { cache, read: !origin.uncached }),
        };
        answer(&owners, planned).await
    };
    let body = match shared {
        Some(key) => once(gateway, key, run).await,
        None => run.await,
    };
    if let (Some(supergraph), Some(cache)) = (written, gateway.entity_cache.get()) {
        cache.on_write(&supergraph, &body).await;
    }
    operation.latency.record(started.elapsed().as_secs_f64());
    Ok(Answer { body, quota })
}

/// Takes the request's tokens from its client's buckets, when rate limits are on: by the
/// token's subject, else by the address (a request with neither is not limited).
async fn rate_limit(
    gateway: &Gateway,
    identity: &Identity,
    peer: Option<IpAddr>,
    operation: &Operation,
    plan: &PreparedPlan,
) -> Result<Option<Quota>, RequestError> {
    let Some(limiter) = gateway.rate_limit.get() else { return Ok(None) };
    let client = match (identity.claims.subject.as_deref(), peer) {
        (Some(subject), _) => Client::Subject(subject),
        (None, Some(address)) => Client::Address(address),
        (None, None) => return Ok(None),
    };
    limiter.admit(&client, operation.name.as_deref(), &plan.subgraphs).await
}

/// The headers every subgraph fetch of a request from `client` carries.
pub(crate) fn subgraph_headers(gateway: &Gateway, client: &HeaderMap, uncached: bool) -> HeaderMap {
    let mut headers = gateway.propagate.headers(client);
    if uncached {
        headers.insert(http::header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    }
    headers
}

/// Whether identical requests of `kind` in flight share one execution: queries, when
/// `traffic.dedupe_client_requests` is on.
fn shares_in_flight(gateway: &Gateway, kind: Kind) -> bool {
    gateway.config.traffic.dedupe_client_requests && kind == Kind::Query
}

/// Runs `run`, or joins the identical request (`key`) already in flight.
async fn once(gateway: &Gateway, key: u64, run: impl Future<Output = Bytes> + Send + 'static) -> Bytes {
    let (body, joined) = gateway.in_flight.run(key, || run.boxed()).await;
    if joined {
        JOINED.increment(1);
    }
    body
}
/// An operation ready to execute, as one viewer.
pub(crate) struct Planned<'a> {
    pub runtime: &'a Runtime,
    pub operation: &'a Operation,
    /// The operation's plan, or a plan without the fields the viewer may not have.
    pub plan: &'a PreparedPlan,
    pub variables: &'a Map<String, Value>,
    /// Headers sent to every subgraph.
    pub headers: &'a HeaderMap,
    pub identity: &'a Identity,
    /// Marked fields the viewer may not have: null with an error in the response.
    pub denied: DeniedFields,
    /// A subscription's event from the subgraph that serves it (see [`Execution::event`]).
    pub event: Option<Arc<SubgraphResponse>>,
    /// The estimated cost, when costs are counted.
    pub cost: Option<Estimate>,
    /// The entity cache, when the operation may use it.
    pub cache: Option<CacheUse<'a>>,
}

/// The last stages for a planned operation: execute the plan, check the owners of what it
/// found (`@ownedBy`), and write the response body.
pub(crate) async fn answer(owners: &Owners, planned: Planned<'_>) -> Bytes {
    let Planned { runtime, operation, plan, variables, headers, identity, denied, event, cost, cache } = planned;
    let supergraph = &runtime.supergraph;
    let arena = Arena::default();
    let execution = Execution {
        arena: &arena,
        supergraph,
        client: &runtime.client,
        plan,
        variables,
        headers,
        may_dedupe: operation.kind == Kind::Query,
        event,
        cache,
        state: Mutex::new(Outcome::default()),
    };
    let outcome = if braid_kit::telemetry::traces_on() {
        Box::pin(execution.run().instrument(tracing::info_span!("graphql.execute"))).await
    } else {
        execution.run().await
    };
    let verdict = authorize::verdict(owners, supergraph, operation, identity, &outcome.data, denied).await;
    let _respond = tracing::info_span!("graphql.respond").entered();
    let extensions = cost.filter(|c| c.report).map(|estimate| {
        let costing = costing(supergraph, variables, estimate.list_size);
        let mutation = operation.kind == Kind::Mutation;
        let actual = Ref::from(&outcome.data)
            .object()
            .map_or(0.0, |data| costing.actual(&operation.shape, &operation.root, data, mutation));
        serde_json::json!({"cost": {"estimated": estimate.estimated, "actual": actual, "max": estimate.max}})
    });
    respond::body(
        &outcome.data,
        (&operation.shape, &operation.root),
        variables,
        &supergraph.introspection,
        &verdict,
        outcome.errors,
        extensions.as_ref(),
    )
}

/// How costs are counted for a request with these variables.
fn costing<'a>(supergraph: &'a Supergraph, variables: &'a Map<String, Value>, list_size: f64) -> Costing<'a> {
    Costing { model: &supergraph.cost, types: &supergraph.types, variables, list_size }
}

/// The operation's estimated cost when `cost.mode` counts costs; refused above `cost.max`.
fn estimate_cost(
    gateway: &Gateway,
    supergraph: &Supergraph,
    operation: &Operation,
    variables: &Map<String, Value>,
    extensions: Option<&Map<String, Value>>,
) -> Result<Option<Estimate>, RequestError> {
    let config = &gateway.config.cost;
    let costing = costing(supergraph, variables, f64::from(config.list_size));
    let shape = (&operation.shape, operation.root.as_str(), operation.kind == Kind::Mutation);
    cost::check(config, &costing, shape, extensions)
}

/// Client requests that joined an identical one in flight; registered on first use.
static JOINED: std::sync::LazyLock<metrics::Counter> =
    std::sync::LazyLock::new(|| metrics::counter!("braid_gateway_requests_deduplicated_total"));

fn request_key(text: &str, name: Option<&str>, variables: Option<&Map<String, Value>>, headers: &HeaderMap) -> u64 {
    let mut hasher = xxhash_rust::xxh3::Xxh3::new();
    hasher.update(text.as_bytes());
    hasher.update(&[0]);
    hasher.update(name.unwrap_or("").as_bytes());
    hasher.update(&[0]);
    if let Some(variables) = variables {
        // Written straight into the hasher: no copy of the variables.
        serde_json::to_writer(HashWriter(&mut hasher), variables).ok();
    }
    for (key, value) in headers {
        if key != "traceparent" {
            hasher.update(key.as_str().as_bytes());
            hasher.update(value.as_bytes());
        }
    }
    hasher.digest()
}

struct HashWriter<'h>(&'h mut xxhash_rust::xxh3::Xxh3);

impl std::io::Write for HashWriter<'_> {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.update(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Whether an operation of `kind` may run as a single response: not a mutation sent with GET,
/// not a subscription (which answers with a stream).
fn admit(kind: Kind, read_only: bool) -> Result<(), RequestError> {
    if read_only && kind != Kind::Query {
        return Err(RequestError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            Code::MethodNotAllowed,
            "only queries may be sent with GET; send mutations with POST",
        ));
    }
    if kind == Kind::Subscription {
        return Err(RequestError::new(
            StatusCode::NOT_ACCEPTABLE,
            Code::StreamingRequired,
            "a subscription answers with a stream: accept text/event-stream (GraphQL over SSE) or \
             multipart/mixed, or open a WebSocket",
        ));
    }
    Ok(())
}
