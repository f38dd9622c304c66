//! Stage: validate the document against the public schema.

use graphql_tools::static_graphql::query::Document;
use graphql_tools::validation::validate::validate;

use crate::error::{Code, GraphqlError, Location, RequestError};
use crate::plan::rewrite;
use crate::plan::shape::Shape;
use crate::supergraph::Supergraph;

/// Every rule of the specification's validation section, against the public schema, and no
/// response key the gateway reserves for itself.
pub fn check(supergraph: &Supergraph, document: &Document) -> Result<(), RequestError> {
    let mut errors: Vec<GraphqlError> = validate(&supergraph.public, document, &supergraph.validation)
        .into_iter()
        .map(|e| {
            GraphqlError::new(Code::GraphqlValidationFailed, e.message)
                .with_locations(e.locations.iter().map(|p| Location { line: p.line, column: p.column }).collect())
        })
        .collect();
    errors.extend(rewrite::reserved_keys(document).into_iter().map(|f| {
        let key = f.alias.as_deref().unwrap_or(&f.name);
        GraphqlError::new(Code::GraphqlValidationFailed, format!("the response key \"{key}\" is reserved"))
            .with_locations(vec![Location { line: f.position.line, column: f.position.column }])
    }));
    if errors.is_empty() {
        return Ok(());
    }
    Err(RequestError::with_errors(http::StatusCode::BAD_REQUEST, errors))
}

/// Refuses an operation that selects `__schema` or `__type` at its root when introspection
/// is disabled.
pub fn introspection(shape: &Shape, root: &str, enabled: bool) -> Result<(), RequestError> {
    let introspects = shape.fields_for(Some(root)).iter().any(|f| f.name == "__schema" || f.name == "__type");
    if introspects && !enabled {
        return Err(RequestError::bad(Code::IntrospectionDisabled, "introspection is disabled on this gateway"));
    }
    Ok(())
}
