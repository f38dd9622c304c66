//! The subscription root: live documents, served by the gateway.

use async_graphql::Result;
use braid_kit::auth::Authenticated;
use braid_kit::federation::{authenticated, event, served_by_gateway};

use super::Document;
use crate::deleted::DeletedDocument;

/// Live documents, served by the gateway from the `documents.document` events (see
/// `braid_kit::federation::event`).
pub struct Subscription;

#[async_graphql::Subscription]
impl Subscription {
    /// Documents the viewer may see, each time one is created, edited or shared: checked
    /// against the viewer's rights when the change is delivered, as `document(id:)` would be.
    #[graphql(
        guard = "Authenticated",
        directive = authenticated::apply(),
        directive = event::apply("documents.document".into(), "document".into(), None, None, None, None)
    )]
    async fn document_changed(&self) -> impl futures::Stream<Item = Result<Option<Document>>> {
        served_by_gateway()
    }

    /// Documents the viewer could see, each time one is deleted: checked when the deletion
    /// is delivered, as `deletedDocument(id:)` would be.
    #[graphql(
        guard = "Authenticated",
        directive = authenticated::apply(),
        directive = event::apply(
            "documents.document".into(),
            "deletedDocument".into(),
            None,
            None,
            None,
            Some("documents.document.deleted".into())
        )
    )]
    async fn document_deleted(&self) -> impl futures::Stream<Item = Result<Option<DeletedDocument>>> {
        served_by_gateway()
    }
}
