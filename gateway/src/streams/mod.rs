//! Subscriptions over HTTP at `/graphql`, in the transport `Accept` asks for: GraphQL over
//! Server-Sent Events (distinct connections mode, resumable with `Last-Event-ID`) or
//! multipart/mixed. Queries and mutations asked for as SSE answer with one event.
//!
//! A stream is a task that answers events into a channel the response body reads; heartbeats
//! go into the same channel from a task of their own, so that none interrupts an event being
//! answered.

mod framing;

pub use framing::Transport;

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde_json::value::RawValue;
use tokio::sync::mpsc;

use crate::connections::{Slot, time_until};
use crate::error::{Code, GraphqlError, RequestError};
use crate::request::GraphqlRequest;
use crate::service::Gateway;
use crate::subscriptions::Next;
use crate::subscriptions::cursor::Cursor;
use crate::subscriptions::hub::End;
use crate::subscriptions::live::{self, Live};

/// A request the caller answers as an ordinary response instead.
pub enum Unstreamed {
    /// Multipart asked for an operation that is no subscription.
    NotSubscription(GraphqlRequest),
    /// Refused before any stream began (multipart; SSE reports these in the stream).
    Refused(RequestError),
}

/// Answers `request` in `transport`; `origin.read_only` for GET, where no mutation runs.
pub async fn respond(
    gateway: &Arc<Gateway>,
    transport: Transport,
    request: GraphqlRequest,
    headers: &HeaderMap,
    origin: crate::request::Origin,
) -> Result<Response, Unstreamed> {
    let config = &gateway.config.streams;
    if !config.enabled {
        let message = "subscriptions over HTTP streams are switched off on this gateway";
        return Err(Unstreamed::Refused(RequestError::new(StatusCode::NOT_ACCEPTABLE, Code::NotAcceptable, message)));
    }
    if gateway.streams.closing().is_cancelled() {
        return Ok(crate::connections::full("the gateway is shutting down"));
    }
    let Some(slot) = gateway.streams.take(config.max_streams) else {
        return Ok(crate::connections::full(
            "this gateway instance holds as many event streams as it may; try again later",
        ));
    };
    let opened = match resume_from(transport, headers) {
        Ok(from) => open(gateway, &request, headers, from).await,
        Err(e) => Err(e),
    };
    match (transport, opened) {
        (_, Ok(Some((live, expires_at)))) => {
            let headers = headers_for(headers);
            Ok(stream(gateway.clone(), transport, slot, move |gateway, tx| {
                run(gateway, transport, live, headers, expires_at, tx)
            }))
        }
        (Transport::Sse, Ok(None)) if deferred(gateway, &request).is_some() => {
            Ok(incremental(gateway, transport, slot, request, headers, origin).await)
        }
        (Transport::Sse, Ok(None)) => {
            let result = crate::request::execute(gateway, request, headers, origin).await;
            Ok(stream(gateway.clone(), transport, slot, move |_, tx| async move {
                let frame = match result
                    .map(|answer| RawValue::from_string(String::from_utf8_lossy(&answer.body).into_owned()))
                {
                    Ok(Ok(body)) => transport.next(&body, None),
                    Ok(Err(_)) => transport.errors(&[GraphqlError::new(Code::InternalServerError, "not JSON")]),
                    Err(e) => transport.errors(&e.errors),
                };
                let _ = tx.send(frame).await;
                let _ = tx.send(transport.complete()).await;
            }))
        }
        (Transport::Sse, Err(e)) => Ok(stream(gateway.clone(), transport, slot, move |_, tx| async move {
            let _ = tx.send(transport.errors(&e.errors)).await;
            let _ = tx.send(transport.complete()).await;
        })),
        (Transport::Multipart, Ok(None)) => Err(Unstreamed::NotSubscription(request)),
        (Transport::Multipart, Err(e)) => Err(Unstreamed::Refused(e)),
    }
}

/// The split of a query asking for incremental delivery (`@defer`), if it is one.
fn deferred(gateway: &Gateway, request: &GraphqlRequest) -> Option<Result<crate::defer::split::Split, RequestError>> {
    crate::defer::deliver::requested(request, gateway.config.limits.max_defers)
}

/// A query with `@defer` over SSE: a `next` event per payload (in the format `Accept` names,
/// else `deferSpec=20220824`), then `complete`.
async fn incremental(
    gateway: &Arc<Gateway>,
    transport: Transport,
    slot: Slot,
    request: GraphqlRequest,
    headers: &HeaderMap,
    origin: crate::request::Origin,
) -> Response {
    use crate::defer::deliver::{Format, payloads};
    let format = Format::from_accept(headers).unwrap_or(Format::Spec20220824);
    let started = match deferred(gateway, &request) {
        Some(Ok(split)) => payloads(gateway, split, request, headers, origin, format).await,
        Some(Err(e)) => Err(e),
        None => Err(RequestError::bad(Code::BadRequest, "no deferred fragment")),
    };
    stream(gateway.clone(), transport, slot, move |_, tx| async move {
        match started {
            Ok(mut payloads) => {
                while let Some(payload) = payloads.recv().await {
                    let Ok(body) = serde_json::value::to_raw_value(&payload) else { continue };
                    if tx.send(transport.next(&body, None)).await.is_err() {
                        return;
                    }
                }
            }
            Err(e) => {
                let _ = tx.send(transport.errors(&e.errors)).await;
            }
        }
        let _ = tx.send(transport.complete()).await;
    })
}

/// The position an SSE client resumes from (`Last-Event-ID`, the id of the last event it got).
fn resume_from(transport: Transport, headers: &HeaderMap) -> Result<Option<Cursor>, RequestError> {
    let Some(value) = headers.get("last-event-id").filter(|_| transport == Transport::Sse) else { return Ok(None) };
    let parsed = value.to_str().ok().and_then(Cursor::parse);
    parsed.map(Some).ok_or_else(|| {
        RequestError::bad(Code::InvalidLastEventId, "Last-Event-ID is not the id of an event this gateway sent")
    })
}

/// Opens the subscription, resumed after `from` when given; with when its token expires.
async fn open(
    gateway: &Gateway,
    request: &GraphqlRequest,
    headers: &HeaderMap,
    from: Option<Cursor>,
) -> Result<Option<(Live, Option<u64>)>, RequestError> {
    let Some(mut live) = Box::pin(live::open(gateway, request, headers)).await? else { return Ok(None) };
    if let Some(from) = from {
        live.resume(gateway, from).await?;
    }
    let expires_at = live.expires_at();
    Ok(Some((live, expires_at)))
}

/// The headers each event is answered with: the client's, as a query's would be.
fn headers_for(headers: &HeaderMap) -> HeaderMap {
    let mut kept = headers.clone();
    kept.remove("last-event-id");
    kept
}

/// A streaming response whose frames `produce` sends, with heartbeats between them.
fn stream<F, Fut>(gateway: Arc<Gateway>, transport: Transport, slot: Slot, produce: F) -> Response
where
    F: FnOnce(Arc<Gateway>, mpsc::Sender<Bytes>) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let (tx, mut rx) = mpsc::channel::<Bytes>(16);
    let every = Duration::from_millis(gateway.config.streams.heartbeat_ms.max(1));
    let beats = tokio::spawn({
        let tx = tx.clone();
        async move {
            loop {
                tokio::time::sleep(every).await;
                if tx.send(transport.heartbeat()).await.is_err() {
                    break;
                }
            }
        }
    });
    let closing = gateway.streams.closing();
    tokio::spawn(async move {
        let _slot = slot;
        if tx.send(transport.start()).await.is_err() {
            beats.abort();
            return;
        }
        let done = tx.clone();
        tokio::select! {
            () = produce(gateway, tx) => {}
            // No completion: the client reconnects (over SSE, resuming where it was).
            () = closing.cancelled() => {}
            () = done.closed() => {}
        }
        beats.abort();
    });
    let body =
        Body::from_stream(futures::stream::poll_fn(move |cx| rx.poll_recv(cx).map(|f| f.map(Ok::<_, std::io::Error>))));
    let mut response = (StatusCode::OK, body).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(transport.content_type()));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    // nginx would otherwise hold the events back in its buffer.
    headers.insert("x-accel-buffering", HeaderValue::from_static("no"));
    response
}

/// A subscription's events until it ends, the client goes or its token expires.
async fn run(
    gateway: Arc<Gateway>,
    transport: Transport,
    mut live: Live,
    headers: HeaderMap,
    expires_at: Option<u64>,
    tx: mpsc::Sender<Bytes>,
) {
    let expiry = tokio::time::sleep(expires_at.map_or(Duration::MAX / 4, time_until));
    tokio::pin!(expiry);
    loop {
        let next = tokio::select! {
            () = &mut expiry => {
                // No completion: the client reconnects with a fresh token.
                let error = GraphqlError::new(Code::TokenExpired, "the token has expired; subscribe again with a fresh one");
                let _ = tx.send(transport.errors(&[error])).await;
                return;
            }
            next = live.next(&gateway, &headers) => next,
        };
        let frame = match next {
            Next::Response { body } => {
                let id = live.position().filter(|_| transport == Transport::Sse).map(ToString::to_string);
                transport.next(&body, id.as_deref())
            }
            Next::Ended(End::Lagged) => {
                let _ = tx.send(transport.errors(&[live::lagged()])).await;
                let _ = tx.send(transport.complete()).await;
                return;
            }
            Next::Ended(End::Closed) => return,
            Next::Complete => {
                let _ = tx.send(transport.complete()).await;
                return;
            }
            Next::Failed(errors) => {
                let _ = tx.send(transport.errors(&errors)).await;
                let _ = tx.send(transport.complete()).await;
                return;
            }
        };
        if tx.send(frame).await.is_err() {
            return;
        }
    }
}
