//! Stage: respond. The response body: the projected data and every error, as JSON.

pub mod project;
#[cfg(test)]
mod tests;

use bytes::Bytes;
use serde_json::{Map, Value};

use crate::authorize::Verdict;
use crate::error::GraphqlError;
use crate::execute::tree::{Node, Ref};
use crate::introspection::Introspection;
use crate::plan::shape::Shape;
use project::Projector;

/// `{"data": ..., "errors": [...], "extensions": ...}` for an executed operation whose root
/// selection is `shape` on the type `root`.
pub fn body(
    data: &Node<'_>,
    (shape, root): (&Shape, &str),
    variables: &Map<String, Value>,
    introspection: &Introspection,
    verdict: &Verdict<'_>,
    mut errors: Vec<GraphqlError>,
    extensions: Option<&Value>,
) -> Bytes {
    let projector = Projector::new(variables, introspection, verdict, &mut errors);
    let projected = match Ref::from(data).object() {
        Some(data) => projector.project(data, shape, root),
        None => b"null".to_vec(),
    };
    let mut out = Vec::with_capacity(projected.len() + 32);
    out.extend_from_slice(b"{\"data\":");
    out.extend_from_slice(&projected);
    if !errors.is_empty() {
        out.extend_from_slice(b",\"errors\":");
        serde_json::to_writer(&mut out, &errors).ok();
    }
    if let Some(extensions) = extensions {
        out.extend_from_slice(b",\"extensions\":");
        serde_json::to_writer(&mut out, extensions).ok();
    }
    out.push(b'}');
    Bytes::from(out)
}

/// `{"errors": [...]}` for a request refused before execution (no `data` key).
pub fn errors_only(errors: &[GraphqlError]) -> Bytes {
    let mut out = Vec::with_capacity(128);
    out.extend_from_slice(b"{\"errors\":");
    serde_json::to_writer(&mut out, errors).ok();
    out.push(b'}');
    Bytes::from(out)
}
