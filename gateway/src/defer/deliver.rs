//! Incremental delivery over multipart/mixed: the primary operation's answer first, then each
//! deferred fragment's data, at every place in the primary answer where it belongs, as soon as
//! its operation is answered (and its parent's was sent). The deferred operations start with the
//! primary one, so a slow subgraph delays only the fragments that need it.
//!
//! Two formats, as clients ask for them: `deferSpec=20220824` (Apollo Client: `incremental`
//! items with `path` and `label`) and `incrementalSpec=v0.2` (graphql-js 17: `pending` ids,
//! then `incremental` by id and `completed`).

use std::sync::Arc;

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use futures::StreamExt;
use futures::stream::FuturesUnordered;
use serde_json::{Value, json};
use tokio::sync::mpsc;

use super::incremental::Delivery;
use super::split::Split;
use crate::error::{Code, RequestError};
use crate::request::{GraphqlRequest, Origin};
use crate::service::Gateway;

/// The incremental delivery format a client asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `multipart/mixed;deferSpec=20220824`.
    Spec20220824,
    /// `multipart/mixed;incrementalSpec=v0.2`.
    V02,
}

impl Format {
    /// The format `Accept` asks for, if it names multipart/mixed with either parameter.
    pub fn from_accept(headers: &HeaderMap) -> Option<Format> {
        headers.get_all(header::ACCEPT).iter().filter_map(|v| v.to_str().ok()).find_map(Self::from_accept_value)
    }

    fn from_accept_value(accept: &str) -> Option<Format> {
        // Most requests name no multipart at all: no parsing for them.
        if !accept.as_bytes().windows(9).any(|w| w.eq_ignore_ascii_case(b"multipart")) {
            return None;
        }
        accept.split(',').find_map(|media| {
            let mut parts = media.split(';').map(str::trim);
            if !parts.next()?.eq_ignore_ascii_case("multipart/mixed") {
                return None;
            }
            parts.find_map(|p| match p.replace('"', "").to_ascii_lowercase().as_str() {
                "deferspec=20220824" => Some(Format::Spec20220824),
                "incrementalspec=v0.2" => Some(Format::V02),
                _ => None,
            })
        })
    }

    fn content_type(self) -> &'static str {
        match self {
            Format::Spec20220824 => "multipart/mixed; boundary=\"-\"; deferSpec=20220824",
            Format::V02 => "multipart/mixed; boundary=\"-\"; incrementalSpec=v0.2",
        }
    }
}

/// One part of the body.
fn part(payload: &Value) -> Bytes {
    Bytes::from(format!("\r\n---\r\nContent-Type: application/json; charset=utf-8\r\n\r\n{payload}"))
}

const END: &[u8] = b"\r\n-----\r\n";

/// The split of `request` when it asks for incremental delivery: a query with active
/// `@defer`s; refused above `max` deferred fragments.
pub fn requested(request: &GraphqlRequest, max: usize) -> Option<Result<Split, RequestError>> {
    let text = request.query.as_deref().filter(|q| q.contains("@defer"))?;
    let variables = request.variables.clone().unwrap_or_default();
    let split = super::split::split(text, request.operation_name.as_deref(), &variables)?;
    if split.deferred.len() > max {
        let message = format!("the operation defers {} fragments; the limit is {max}", split.deferred.len());
        return Some(Err(RequestError::bad(Code::MaxDefersExceeded, message)));
    }
    Some(Ok(split))
}

/// Runs `request`, split as `split`: the primary operation and every deferred one at once.
/// Answers the payloads in `format`, in the order they are to be sent, once the primary one is
/// in; a refused primary operation (a bad request) is answered as its error.
pub async fn payloads(
    gateway: &Arc<Gateway>,
    split: Split,
    request: GraphqlRequest,
    headers: &HeaderMap,
    origin: Origin,
    format: Format,
) -> Result<mpsc::Receiver<Value>, RequestError> {
    let run = |query: String| {
        let (gateway, headers) = (gateway.clone(), headers.clone());
        let request = GraphqlRequest { query: Some(query), extensions: None, ..request.clone() };
        async move {
            let answer = crate::request::execute(&gateway, request, &headers, origin).await;
            answer.map(|a| serde_json::from_slice::<Value>(&a.body).unwrap_or(Value::Null))
        }
    };
    let mut deferred: FuturesUnordered<_> = split
        .deferred
        .iter()
        .enumerate()
        .map(|(index, d)| {
            let answer = tokio::spawn(run(d.query.clone()));
            async move { (index, answer.await.ok()) }
        })
        .collect();
    let primary = run(split.primary.clone()).await?;
    let (tx, rx) = mpsc::channel::<Value>(16);
    tokio::spawn(async move {
        let mut state = Delivery::new(split, format);
        let _ = tx.send(state.initial(primary)).await;
        while let Some((index, answer)) = deferred.next().await {
            let answer = answer.map(|a| a.unwrap_or_else(|e| json!({ "data": null, "errors": e.errors })));
            for payload in state.arrived(index, answer.unwrap_or(Value::Null)) {
                let _ = tx.send(payload).await;
            }
        }
    });
    Ok(rx)
}

/// A query with active `@defer`s from a client that asked for incremental delivery over
/// multipart, answered so (or refused); `None` for any other request.
pub async fn multipart(
    gateway: &Arc<Gateway>,
    request: &GraphqlRequest,
    headers: &HeaderMap,
    origin: Origin,
) -> Option<Result<Response, RequestError>> {
    let format = Format::from_accept(headers)?;
    let split = match requested(request, gateway.config.limits.max_defers)? {
        Ok(split) => split,
        Err(error) => return Some(Err(error)),
    };
    Some(respond(gateway, split, request.clone(), headers, origin, format).await)
}

/// Answers `request`, split as `split`, incrementally over multipart/mixed in `format`.
pub async fn respond(
    gateway: &Arc<Gateway>,
    split: Split,
    request: GraphqlRequest,
    headers: &HeaderMap,
    origin: Origin,
    format: Format,
) -> Result<Response, RequestError> {
    let mut payloads = payloads(gateway, split, request, headers, origin, format).await?;
    let parts = futures::stream::poll_fn(move |cx| payloads.poll_recv(cx))
        .map(|payload| Ok::<_, std::convert::Infallible>(part(&payload)))
        .chain(futures::stream::once(async { Ok(Bytes::from_static(END)) }));
    let mut response = (StatusCode::OK, Body::from_stream(parts)).into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(format.content_type()));
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_format_comes_from_accept() {
        let accept = |value: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(header::ACCEPT, value.parse().unwrap());
            Format::from_accept(&headers)
        };
        assert_eq!(accept("multipart/mixed;deferSpec=20220824,application/json"), Some(Format::Spec20220824));
        assert_eq!(accept("multipart/mixed; incrementalSpec=\"v0.2\""), Some(Format::V02));
        assert_eq!(accept("multipart/mixed;subscriptionSpec=\"1.0\""), None);
        assert_eq!(accept("application/json"), None);
    }
}
