//! GraphQL over HTTP: body limits, JSON and query-string requests, bearer tokens, the
//! response media type chosen by `Accept`, and the status codes the specification asks for.

use std::sync::Arc;

use async_graphql::parser::types::{DocumentOperations, ExecutableDocument, OperationType};
use async_graphql::{Executor, ServerError};
use axum::body::{Body, Bytes};
use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Response};
use http::header::{AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE, WWW_AUTHENTICATE};
use http::{HeaderMap, HeaderValue, StatusCode};
use serde_json::json;

use crate::accept::{Format, GRAPHQL_RESPONSE, JSON};
use crate::auth::Verifier;
use crate::error::Code;

/// The `/graphql` endpoint of one schema.
pub struct GraphqlEndpoint<E> {
    pub executor: E,
    pub verifier: Option<Arc<Verifier>>,
    pub max_body_bytes: usize,
    pub documents: DocumentCache,
}

/// Parsed operations by query text: clients repeat the same few operations, and parsing is
/// the largest cost of a request served from cache.
#[derive(Clone)]
pub struct DocumentCache {
    cache: moka::sync::Cache<String, Arc<ExecutableDocument>>,
}

/// Longer query texts are parsed every time rather than held.
const MAX_CACHED_QUERY: usize = 16 * 1024;

impl DocumentCache {
    pub fn new(capacity: u64) -> Self {
        Self { cache: moka::sync::Cache::new(capacity) }
    }

    /// Parses `request`'s query once per distinct text; parse errors are never cached.
    fn parse(&self, request: &mut async_graphql::Request) -> Result<(), ServerError> {
        if request.query.len() <= MAX_CACHED_QUERY {
            if let Some(document) = self.cache.get(&request.query) {
                request.set_parsed_query((*document).clone());
                return Ok(());
            }
            let document = request.parsed_query()?.clone();
            self.cache.insert(request.query.clone(), Arc::new(document));
            return Ok(());
        }
        request.parsed_query().map(|_| ())
    }
}

/// A response carrying one error with a stable code.
pub fn error_response(status: StatusCode, code: Code, message: &str) -> Response {
    let body = json!({ "errors": [{ "message": message, "extensions": { "code": code } }] });
    let mut response = (status, body.to_string()).into_response();
    response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("application/json; charset=utf-8"));
    response
}

pub(super) fn panic_response(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    tracing::error!("request handler panicked");
    error_response(StatusCode::INTERNAL_SERVER_ERROR, Code::InternalServerError, "internal error")
}

pub(super) async fn post<E: Executor>(
    State(endpoint): State<Arc<GraphqlEndpoint<E>>>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let content_type = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    if !(content_type.starts_with(JSON) || content_type.starts_with(GRAPHQL_RESPONSE)) {
        return error_response(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Code::UnsupportedMediaType,
            "POST bodies must be application/json",
        );
    }
    let declared = headers.get(CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > endpoint.max_body_bytes) {
        return too_large(endpoint.max_body_bytes);
    }
    let bytes: Bytes = match axum::body::to_bytes(body, endpoint.max_body_bytes).await {
        Ok(b) => b,
        Err(_) => return too_large(endpoint.max_body_bytes),
    };
    let request: async_graphql::Request = match serde_json::from_slice(&bytes) {
        Ok(r) => r,
        Err(e) => {
            return error_response(
                StatusCode::BAD_REQUEST,
                Code::BadRequest,
                &format!("the body is not a GraphQL request: {e}"),
            );
        }
    };
    execute(&endpoint, &headers, request, false).await
}

pub(super) async fn get<E: Executor>(
    State(endpoint): State<Arc<GraphqlEndpoint<E>>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let request = match async_graphql::http::parse_query_string(query.as_deref().unwrap_or("")) {
        Ok(r) => r,
        Err(e) => {
            return error_response(StatusCode::BAD_REQUEST, Code::BadRequest, &format!("bad query string: {e}"));
        }
    };
    execute(&endpoint, &headers, request, true).await
}

fn too_large(limit: usize) -> Response {
    error_response(
        StatusCode::PAYLOAD_TOO_LARGE,
        Code::PayloadTooLarge,
        &format!("the request body is larger than {limit} bytes"),
    )
}

/// In a request's data when the caller sent `Cache-Control: no-cache`: answer from the
/// database, past every cache (the gateway asks so when it resolves an event for subscribers,
/// which may arrive before the event has invalidated the caches).
#[derive(Debug, Clone, Copy)]
pub struct NoCache;

fn asks_no_cache(headers: &HeaderMap) -> bool {
    headers
        .get_all(http::header::CACHE_CONTROL)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|directive| directive.trim().eq_ignore_ascii_case("no-cache"))
}

async fn execute<E: Executor>(
    endpoint: &GraphqlEndpoint<E>,
    headers: &HeaderMap,
    mut request: async_graphql::Request,
    is_get: bool,
) -> Response {
    let Some(format) = Format::from_headers(headers) else {
        return error_response(StatusCode::NOT_ACCEPTABLE, Code::NotAcceptable, crate::accept::NOT_ACCEPTABLE);
    };
    if asks_no_cache(headers) {
        request = request.data(NoCache);
    }
    if let Some(value) = headers.get(crate::replica::READ_AFTER_HEADER) {
        match value.to_str().ok().and_then(crate::replica::Lsn::parse) {
            Some(lsn) => request = request.data(crate::replica::ReadAfter(lsn)),
            None => {
                let what = "braid-read-after is not a write's token (a log position like 16/B374D848)";
                return error_response(StatusCode::BAD_REQUEST, Code::BadRequest, what);
            }
        }
    }
    if let Some(value) = headers.get(AUTHORIZATION)
        && let Some(verifier) = &endpoint.verifier
    {
        let header = value.to_str().unwrap_or("");
        match verifier.verify_header(header).await {
            Ok(viewer) => request = request.data(viewer),
            Err(e) => {
                let mut response = error_response(StatusCode::UNAUTHORIZED, Code::InvalidToken, &e.to_string());
                response.headers_mut().insert(WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
                return response;
            }
        }
    }
    let operation_name = request.operation_name.clone();
    if let Err(e) = endpoint.documents.parse(&mut request) {
        return request_error(format, Code::GraphqlParseFailed, e);
    }
    // Parsed just above, so this reads the attached document.
    if is_get && request.parsed_query().is_ok_and(|d| is_mutation(&d.operations, operation_name.as_deref())) {
        let mut response =
            error_response(StatusCode::METHOD_NOT_ALLOWED, Code::MethodNotAllowed, "mutations need POST");
        response.headers_mut().insert(http::header::ALLOW, HeaderValue::from_static("POST"));
        return response;
    }
    let mut response = endpoint.executor.execute(request).await;
    // No data at all: the request itself was rejected (validation, variables, operation name).
    let request_failed = response.data == async_graphql::Value::Null && !response.errors.is_empty();
    if request_failed {
        for error in &mut response.errors {
            let has_code = error.extensions.as_ref().is_some_and(|e| e.get("code").is_some());
            if !has_code {
                error.extensions.get_or_insert_with(Default::default).set("code", Code::GraphqlValidationFailed);
            }
        }
    }
    let status =
        if request_failed && format == Format::GraphqlResponse { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    let body = match serde_json::to_vec(&response) {
        Ok(b) => b,
        Err(e) => {
            tracing::error!(error = %e, "response serialization failed");
            return error_response(StatusCode::INTERNAL_SERVER_ERROR, Code::InternalServerError, "internal error");
        }
    };
    let mut http_response = (status, body).into_response();
    // Headers the resolvers set (a write's read-after token).
    http_response.headers_mut().extend(std::mem::take(&mut response.http_headers));
    http_response.headers_mut().insert(CONTENT_TYPE, format.content_type());
    // The fields' `cache_control` hints, for the gateway's entity cache; none with errors.
    if response.errors.is_empty()
        && let Some(value) = response.cache_control.value().and_then(|v| HeaderValue::from_str(&v).ok())
    {
        http_response.headers_mut().insert(http::header::CACHE_CONTROL, value);
    }
    http_response
}

fn request_error(format: Format, code: Code, error: ServerError) -> Response {
    let status = if format == Format::GraphqlResponse { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    let locations: Vec<_> = error.locations.iter().map(|l| json!({ "line": l.line, "column": l.column })).collect();
    let body = json!({
        "errors": [{ "message": error.message, "locations": locations, "extensions": { "code": code } }]
    });
    let mut response = (status, body.to_string()).into_response();
    response.headers_mut().insert(CONTENT_TYPE, format.content_type());
    response
}

fn is_mutation(operations: &DocumentOperations, name: Option<&str>) -> bool {
    match operations {
        DocumentOperations::Single(op) => op.node.ty == OperationType::Mutation,
        DocumentOperations::Multiple(ops) => match name {
            Some(name) => ops.get(name).is_some_and(|op| op.node.ty == OperationType::Mutation),
            None => false,
        },
    }
}
