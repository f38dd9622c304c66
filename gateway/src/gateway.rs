//! The gateway: the current schema, the caches, and one request from operation text to
//! response body through the named stages.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use arc_swap::ArcSwap;
use bytes::Bytes;
use futures::FutureExt;
use http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use serde_json::{Map, Value};

use crate::answer::{Planned, answer};
use crate::authz::{Authz, Identity};
use crate::config::GatewayConfig;
use crate::error::{GatewayError, RequestError, codes};
use crate::execute::client::SubgraphClient;
use crate::persisted::Persisted;
use crate::pipeline::{Kind, Operation, Pipeline, variables};
use crate::single_flight::SingleFlight;
use crate::supergraph::Supergraph;

/// A GraphQL request as the client sent it.
#[derive(Debug, Default, Clone)]
pub struct GraphqlRequest {
    pub query: Option<String>,
    pub operation_name: Option<String>,
    pub variables: Option<Map<String, Value>>,
    pub extensions: Option<Map<String, Value>>,
}

/// The schema and the subgraph connections that go with it; swapped as one on reload.
pub struct Runtime {
    pub supergraph: Arc<Supergraph>,
    pub client: SubgraphClient,
}

/// The gateway service.
pub struct Gateway {
    pub config: Arc<GatewayConfig>,
    runtime: ArcSwap<Runtime>,
    pub(crate) pipeline: Pipeline,
    pub(crate) persisted: Persisted,
    propagate: Vec<HeaderName>,
    in_flight: SingleFlight<Bytes>,
    pub(crate) authz: Arc<Authz>,
    /// GraphQL over WebSocket connections open on this instance.
    pub sockets: crate::connections::Connections,
    /// Event streams (SSE, multipart) open on this instance.
    pub streams: crate::connections::Connections,
    /// The subscribers to events on this instance.
    pub hub: Arc<crate::subscriptions::hub::Hub>,
    /// Answers to events shared by identical subscriptions.
    pub resolutions: crate::subscriptions::shared::Resolutions,
    /// Turns to open a subscription (`subscriptions.max_opening`).
    pub(crate) opening: tokio::sync::Semaphore,
    /// Where events are read from (see [`Gateway::consume_events`]); without, event-bound
    /// subscription fields are refused rather than left silent.
    pub(crate) events: std::sync::OnceLock<Arc<dyn braid_kit::events::EventBus>>,
}

impl Gateway {
    /// A gateway over `supergraph`; permission answers are cached in `cache`. Install the
    /// process's metrics recorder before this.
    pub fn new(
        config: GatewayConfig,
        supergraph: Supergraph,
        cache: Arc<dyn braid_kit::cache::Cache>,
    ) -> Result<Arc<Self>, GatewayError> {
        let authz = Arc::new(Authz::new(&config, &supergraph.endpoints, cache)?);
        let config = Arc::new(config);
        let client = SubgraphClient::new(&supergraph.endpoints, &config).map_err(GatewayError::Config)?;
        let mut propagate = Vec::new();
        if config.headers.forward_authorization {
            propagate.push(http::header::AUTHORIZATION);
        }
        for name in &config.headers.propagate {
            let name = HeaderName::try_from(name.as_str())
                .map_err(|_| GatewayError::Config(format!("headers.propagate: invalid header name {name}")))?;
            if !propagate.contains(&name) {
                propagate.push(name);
            }
        }
        Ok(Arc::new(Self {
            pipeline: Pipeline::new(config.clone()),
            persisted: Persisted::new(&config.persisted)?,
            runtime: ArcSwap::from_pointee(Runtime { supergraph: Arc::new(supergraph), client }),
            propagate,
            in_flight: SingleFlight::default(),
            authz,
            opening: tokio::sync::Semaphore::new(config.subscriptions.max_opening),
            config,
            sockets: crate::connections::Connections::new("braid_gateway_websocket_connections"),
            streams: crate::connections::Connections::new("braid_gateway_stream_connections"),
            hub: crate::subscriptions::hub::Hub::new(SUBSCRIBER_BUFFER, SUBSCRIBER_MAX_SKIPPED),
            resolutions: crate::subscriptions::shared::Resolutions::default(),
            events: std::sync::OnceLock::new(),
        }))
    }

    /// The schema and connections requests start on now.
    pub fn runtime(&self) -> Arc<Runtime> {
        self.runtime.load_full()
    }

    /// Swaps in a new schema; requests already running finish on the old one.
    pub fn replace_supergraph(&self, supergraph: Supergraph) -> Result<(), GatewayError> {
        let client = SubgraphClient::new(&supergraph.endpoints, &self.config).map_err(GatewayError::Config)?;
        self.runtime.store(Arc::new(Runtime { supergraph: Arc::new(supergraph), client }));
        Ok(())
    }

    /// Ends every WebSocket and event stream, and refuses new ones (the server is shutting down).
    pub fn close_connections(&self) {
        self.sockets.close_all();
        self.streams.close_all();
    }

    /// Feeds the event-bound subscription fields from `bus`, reading with a consumer group of
    /// this instance's own from the latest offsets, until `shutdown` resolves.
    pub fn consume_events(
        &self,
        bus: Arc<dyn braid_kit::events::EventBus>,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> tokio::task::JoinHandle<()> {
        let mut topics: Vec<String> = self.runtime().supergraph.events.values().map(|b| b.topic.clone()).collect();
        topics.sort();
        topics.dedup();
        let group = format!("braid-gateway-{:016x}", rand::random::<u64>());
        let _ = self.events.set(bus.clone());
        let pump = crate::subscriptions::pump::pump(self.hub.clone(), bus, group, topics, shutdown);
        tokio::spawn(pump)
    }

    /// Verifies the bearer token in `headers`, if any (a WebSocket's `connection_init`);
    /// answers when the token expires (seconds since the Unix epoch).
    pub async fn authenticate(&self, headers: &HeaderMap) -> Result<Option<u64>, RequestError> {
        self.authz.authenticate(headers).await.map(|identity| identity.expires_at)
    }

    /// Runs one request: resolve the text, prepare, coerce variables, execute, respond.
    /// `read_only` is true for GET, where only queries may run.
    pub async fn execute(
        &self,
        request: GraphqlRequest,
        client_headers: &HeaderMap,
        read_only: bool,
    ) -> Result<Bytes, RequestError> {
        self.run(request, client_headers, read_only, false).await
    }

    /// Runs the query that answers an event for a subscriber: as [`Gateway::execute`], with
    /// `Cache-Control: no-cache` to the subgraphs, whose caches the same event may not have
    /// reached yet.
    pub(crate) async fn execute_for_event(
        &self,
        request: GraphqlRequest,
        client_headers: &HeaderMap,
    ) -> Result<Bytes, RequestError> {
        self.run(request, client_headers, true, true).await
    }

    async fn run(
        &self,
        request: GraphqlRequest,
        client_headers: &HeaderMap,
        read_only: bool,
        uncached: bool,
    ) -> Result<Bytes, RequestError> {
        let started = Instant::now();
        let identity = self.authz.authenticate(client_headers).await?;
        let text = self.persisted.resolve(request.query, request.extensions.as_ref())?;
        let runtime = self.runtime();
        let operation = self.pipeline.prepare(&runtime.supergraph, &text, request.operation_name.as_deref())?;
        admit(operation.kind, read_only)?;
        let variables = variables::coerce(&operation.variables, request.variables.as_ref(), &runtime.supergraph.types)?;
        let mut headers = self.subgraph_headers(client_headers);
        if uncached {
            headers.insert(http::header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        }
        let denied_fields = denied_fields(&runtime.supergraph, &operation, &identity);
        let plan = if denied_fields.is_empty() {
            operation.plan.clone()
        } else {
            let denied = denied_fields
                .iter()
                .flat_map(|(parent, fields)| fields.keys().map(move |f| (parent.clone(), f.clone())))
                .collect();
            self.pipeline.plan_without(&runtime.supergraph, &operation, &denied)?
        };

        let run = {
            let runtime = runtime.clone();
            let operation = operation.clone();
            let headers = headers.clone();
            let authz = self.authz.clone();
            async move {
                let planned = Planned {
                    runtime: &runtime,
                    operation: &operation,
                    plan: &plan,
                    variables: &variables,
                    headers: &headers,
                    identity: &identity,
                    denied_fields,
                    event: None,
                };
                answer(&authz, planned).await
            }
        };
        let body = if self.config.traffic.dedupe_client_requests && operation.kind == Kind::Query {
            let key = request_key(&text, request.operation_name.as_deref(), request.variables.as_ref(), &headers);
            let (body, joined) = self.in_flight.run(key, || run.boxed()).await;
            if joined {
                JOINED.increment(1);
            }
            body
        } else {
            run.await
        };
        operation.latency.record(started.elapsed().as_secs_f64());
        Ok(body)
    }

    /// The headers every subgraph fetch of this request carries.
    pub(crate) fn subgraph_headers(&self, client: &HeaderMap) -> HeaderMap {
        let mut headers = HeaderMap::with_capacity(self.propagate.len() + 1);
        for name in &self.propagate {
            for value in client.get_all(name) {
                headers.append(name.clone(), value.clone());
            }
        }
        headers.insert(HeaderName::from_static("traceparent"), traceparent(client.get("traceparent")));
        headers
    }
}

/// Events a subscriber's feed holds before further ones are skipped.
const SUBSCRIBER_BUFFER: usize = 64;
/// Events skipped in a row after which a subscriber's feed ends.
const SUBSCRIBER_MAX_SKIPPED: u64 = 256;

/// Client requests that joined an identical one in flight; registered on first use.
static JOINED: std::sync::LazyLock<metrics::Counter> =
    std::sync::LazyLock::new(|| metrics::counter!("braid_gateway_requests_deduplicated_total"));

/// A W3C `traceparent` for the subgraph fetches: the client's trace with a new span id, or a
/// new trace when the client sent none (or an invalid one). Written into a fixed buffer: it is
/// made once per request.
fn traceparent(incoming: Option<&HeaderValue>) -> HeaderValue {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    fn write_hex(out: &mut [u8], mut value: u128) {
        for byte in out.iter_mut().rev() {
            *byte = HEX[(value & 0xf) as usize];
            value >>= 4;
        }
    }
    // version-trace(32)-parent(16)-flags(2)
    let mut out = *b"00-00000000000000000000000000000000-0000000000000000-01";
    match incoming.map(|v| v.as_bytes().trim_ascii()).filter(|v| valid_traceparent(v)) {
        Some(client) => {
            out[3..35].copy_from_slice(&client[3..35]);
            out[3..35].make_ascii_lowercase();
            out[53..55].copy_from_slice(&client[53..55]);
        }
        None => write_hex(&mut out[3..35], rand::random::<u128>() | 1),
    }
    write_hex(&mut out[36..52], u128::from(rand::random::<u64>() | 1));
    HeaderValue::from_bytes(&out)
        .unwrap_or(HeaderValue::from_static("00-00000000000000000000000000000001-0000000000000001-01"))
}

/// `version-trace-parent-flags` with the lengths and hex digits the W3C format asks for, a
/// version other than `ff` and a trace id other than zero.
fn valid_traceparent(v: &[u8]) -> bool {
    let hex = |range: std::ops::Range<usize>| v[range].iter().all(u8::is_ascii_hexdigit);
    v.len() == 55
        && v[2] == b'-'
        && v[35] == b'-'
        && v[52] == b'-'
        && hex(0..2)
        && hex(3..35)
        && hex(36..52)
        && hex(53..55)
        && !v[0..2].eq_ignore_ascii_case(b"ff")
        && v[3..35].iter().any(|&b| b != b'0')
}

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
            codes::METHOD_NOT_ALLOWED,
            "only queries may be sent with GET; send mutations with POST",
        ));
    }
    if kind == Kind::Subscription {
        return Err(RequestError::new(
            StatusCode::NOT_ACCEPTABLE,
            codes::STREAMING_REQUIRED,
            "a subscription answers with a stream: accept text/event-stream (GraphQL over SSE) or \
             multipart/mixed, or open a WebSocket",
        ));
    }
    Ok(())
}

/// The marked fields the viewer may not have, by parent type, each with whether a token was
/// missing: they are taken out of the plan and answer null with an error.
fn denied_fields(
    supergraph: &Supergraph,
    operation: &Operation,
    identity: &Identity,
) -> HashMap<String, HashMap<String, bool>> {
    let mut denied: HashMap<String, HashMap<String, bool>> = HashMap::new();
    for key in &operation.marked {
        if let Some(Err(missing_token)) = supergraph.policies.fields.get(key).map(|r| r.check(&identity.claims)) {
            // Selected on an interface: the objects the projector sees carry the mark too.
            let objects = supergraph.types.get(&key.0).map(|t| t.possible_types.iter()).into_iter().flatten();
            for parent in std::iter::once(&key.0).chain(objects) {
                denied.entry(parent.clone()).or_default().insert(key.1.clone(), missing_token);
            }
        }
    }
    denied
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traceparent_keeps_the_clients_trace() {
        let incoming = HeaderValue::from_static("00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-00");
        let out = traceparent(Some(&incoming));
        let out = out.to_str().unwrap();
        assert!(out.starts_with("00-4bf92f3577b34da6a3ce929d0e0e4736-"), "{out}");
        assert!(out.ends_with("-00"), "the client's flags are kept: {out}");
        assert!(!out.contains("00f067aa0ba902b7"), "a new span id: {out}");
        assert!(valid_traceparent(out.as_bytes()), "{out}");
    }

    #[test]
    fn traceparent_starts_a_trace_when_the_clients_is_invalid() {
        let invalid = [
            "garbage",
            "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0g",
            "00-4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7-01",
        ];
        for text in invalid {
            let out = traceparent(Some(&HeaderValue::from_static(text)));
            let out = out.to_str().unwrap().to_string();
            assert!(valid_traceparent(out.as_bytes()), "{text} -> {out}");
            assert!(!out.contains("4bf92f3577b34da6a3ce929d0e0e4736"), "{text} -> {out}");
            assert!(out.ends_with("-01"), "{text} -> {out}");
        }
        let (a, b) = (traceparent(None), traceparent(None));
        assert_ne!(a, b, "each request its own trace");
    }
}
