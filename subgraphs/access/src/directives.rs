//! The schema mark of hierarchical visibility, for subgraphs to put on their types and fields.
//!
//! `@ownedBy(field: "ownerId")` on a type: an object of this type is shown only to viewers who
//! may see the employee whose id is in the object's `ownerId` field. On a field: the field's
//! value is shown only to viewers who may see the employee whose id is in the field `field` of
//! the same object. The directive is composed into the supergraph (`@composeDirective`), and
//! the gateway enforces it on every object of every response.
//!
//! `@ownedBy(field: "ownerId", unless: "sharedWithViewer")`: as above, except that an object
//! whose `Boolean` field `sharedWithViewer` is `true` is shown without the owner check. The
//! subgraph computes that field for the requesting viewer (a document shared with them, say,
//! whose owner they may not see). Every `@ownedBy` on one type should name the same fields.
#![allow(non_snake_case)] // the directive's GraphQL name is camelCase

/// The spec URL the directive is linked from.
pub const SPEC: &str = "https://braid.dev/access/v0.1";

/// Visible only to viewers who may see the employee named by `field`, or for whom the
/// `Boolean` field named by `unless` is true.
#[async_graphql::TypeDirective(
    location = "Object",
    location = "FieldDefinition",
    composable = "https://braid.dev/access/v0.1"
)]
pub fn ownedBy(field: String, unless: Option<String>) {}
