//! The schema mark of hierarchical visibility, for subgraphs to put on their types and fields.
//!
//! `@ownedBy(field: "ownerId")` on a type: an object of this type is shown only to viewers who
//! may see the employee whose id is in the object's `ownerId` field. On a field: the field's
//! value is shown only to viewers who may see the employee whose id is in the field `field` of
//! the same object. The directive is composed into the supergraph (`@composeDirective`), and
//! the gateway enforces it on every object of every response.
#![allow(non_snake_case)] // the directive's GraphQL name is camelCase

/// The spec URL the directive is linked from.
pub const SPEC: &str = "https://braid.dev/access/v0.1";

/// Visible only to viewers who may see the employee named by `field`.
#[async_graphql::TypeDirective(
    location = "Object",
    location = "FieldDefinition",
    composable = "https://braid.dev/access/v0.1"
)]
pub fn ownedBy(field: String) {}
