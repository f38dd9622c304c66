//! Stage 3: pick the operation to run and validate the document against the public schema.

use graphql_tools::static_graphql::query::{Definition, Document, OperationDefinition};
use graphql_tools::validation::validate::validate;

use crate::authz::rewrite;
use crate::error::{GraphqlError, Location, RequestError, codes};
use crate::supergraph::Supergraph;

/// The operation named `name`, or the only one when no name is given.
pub fn select_operation<'d>(
    document: &'d Document,
    name: Option<&str>,
) -> Result<&'d OperationDefinition, RequestError> {
    let mut operations = document.definitions.iter().filter_map(|d| match d {
        Definition::Operation(o) => Some(o),
        _ => None,
    });
    match name {
        Some(name) => operations.find(|o| operation_name(o) == Some(name)).ok_or_else(|| {
            RequestError::bad(codes::OPERATION_NOT_FOUND, format!("unknown operation named \"{name}\""))
        }),
        None => {
            let first = operations
                .next()
                .ok_or_else(|| RequestError::bad(codes::OPERATION_NOT_FOUND, "the document contains no operation"))?;
            if operations.next().is_some() {
                return Err(RequestError::bad(
                    codes::OPERATION_NOT_FOUND,
                    "the document contains several operations: operationName is required",
                ));
            }
            Ok(first)
        }
    }
}

pub fn operation_name(operation: &OperationDefinition) -> Option<&str> {
    match operation {
        OperationDefinition::SelectionSet(_) => None,
        OperationDefinition::Query(q) => q.name.as_deref(),
        OperationDefinition::Mutation(m) => m.name.as_deref(),
        OperationDefinition::Subscription(s) => s.name.as_deref(),
    }
}

/// Every rule of the specification's validation section, against the public schema, and no
/// response key the gateway reserves for itself.
pub fn check(supergraph: &Supergraph, document: &Document) -> Result<(), RequestError> {
    let mut errors: Vec<GraphqlError> = validate(&supergraph.public, document, &supergraph.validation)
        .into_iter()
        .map(|e| {
            GraphqlError::new(codes::GRAPHQL_VALIDATION_FAILED, e.message)
                .with_locations(e.locations.iter().map(|p| Location { line: p.line, column: p.column }).collect())
        })
        .collect();
    errors.extend(rewrite::reserved_keys(document).into_iter().map(|f| {
        let key = f.alias.as_deref().unwrap_or(&f.name);
        GraphqlError::new(codes::GRAPHQL_VALIDATION_FAILED, format!("the response key \"{key}\" is reserved"))
            .with_locations(vec![Location { line: f.position.line, column: f.position.column }])
    }));
    if errors.is_empty() {
        return Ok(());
    }
    Err(RequestError { status: http::StatusCode::BAD_REQUEST, errors })
}
