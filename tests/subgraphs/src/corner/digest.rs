//! digest: computes `Post` fields from what posts owns, through `@requires` selections that a
//! gateway must build with care: a field with arguments, the same field with two different
//! arguments (`teaser` and `recentCommentIds`), and inline fragments on a union and on an
//! interface (`mediaSummary`, `coverNote`). Each answer shows exactly what it was sent.

use async_graphql::{
    Context, EmptyMutation, EmptySubscription, ID, Interface, Json, MaybeUndefined, Object, Schema, SimpleObject, Union,
};
use serde::{Deserialize, Serialize};

use crate::entities::{Federated, missing_required, null_entity};

pub(crate) type DigestSchema = Schema<Federated<Query>, EmptyMutation, EmptySubscription>;

pub(crate) fn schema() -> DigestSchema {
    Schema::build(Federated(Query), EmptyMutation, EmptySubscription).enable_federation().finish()
}

pub(crate) struct Query;

#[Object]
impl Query {
    #[graphql(entity)]
    async fn find_post_by_id(
        &self,
        #[graphql(key)] id: ID,
        comments: Option<Json<Vec<CommentRep>>>,
        attachments: Option<Json<Vec<AttachmentRep>>>,
        // Null (no cover) is not the same as missing.
        cover: MaybeUndefined<Json<AttachmentRep>>,
    ) -> Post {
        let cover = match cover {
            MaybeUndefined::Undefined => None,
            MaybeUndefined::Null => Some(None),
            MaybeUndefined::Value(cover) => Some(Some(cover.0)),
        };
        Post { id, comments: comments.map(|c| c.0), attachments: attachments.map(|a| a.0), cover }
    }
}

/// A comment as a representation carries it (only the fields required).
#[derive(Deserialize, Serialize)]
pub(crate) struct CommentRep {
    id: Option<String>,
    body: Option<String>,
}

/// An attachment as a representation carries it: `__typename` and the fields its fragment asked.
#[derive(Deserialize, Serialize)]
pub(crate) struct AttachmentRep {
    #[serde(rename = "__typename")]
    typename: Option<String>,
    url: Option<String>,
    width: Option<i32>,
    height: Option<i32>,
    seconds: Option<i32>,
}

impl AttachmentRep {
    /// `image 800x600` or `clip 95s`; what was missing shows as `?`.
    fn describe(&self) -> String {
        let n = |v: Option<i32>| v.map_or_else(|| "?".to_owned(), |v| v.to_string());
        match self.typename.as_deref() {
            Some("Image") => format!("image {}x{}", n(self.width), n(self.height)),
            Some("Clip") => format!("clip {}s", n(self.seconds)),
            other => format!("unknown {other:?}"),
        }
    }
}

pub(crate) struct Post {
    id: ID,
    comments: Option<Vec<CommentRep>>,
    attachments: Option<Vec<AttachmentRep>>,
    cover: Option<Option<AttachmentRep>>,
}

#[Object]
impl Post {
    async fn id(&self) -> &ID {
        &self.id
    }

    // Owned by posts; the gateway never asks digest for it.
    #[graphql(external)]
    async fn comments(&self, limit: i32) -> Vec<Comment> {
        let _ = limit;
        Vec::new()
    }

    #[graphql(external)]
    async fn attachments(&self) -> Vec<Attachment> {
        Vec::new()
    }

    #[graphql(external)]
    async fn cover(&self) -> Option<Media> {
        None
    }

    /// The bodies of the comments it was sent (`comments(limit: 1)`), joined by ` / `.
    #[graphql(requires = "comments(limit: 1) { body }")]
    async fn teaser(&self, ctx: &Context<'_>) -> async_graphql::Result<String> {
        let Some(comments) = &self.comments else { return null_entity(ctx, missing_required("comments")) };
        Ok(comments.iter().map(|c| c.body.as_deref().unwrap_or("?")).collect::<Vec<_>>().join(" / "))
    }

    /// The ids of the comments it was sent (`comments(limit: 3)`).
    #[graphql(requires = "comments(limit: 3) { id }")]
    async fn recent_comment_ids(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<ID>> {
        let Some(comments) = &self.comments else { return null_entity(ctx, missing_required("comments")) };
        Ok(comments.iter().map(|c| ID(c.id.clone().unwrap_or_else(|| "?".into()))).collect())
    }

    /// Each attachment it was sent, described by its type: `image 800x600, clip 95s`.
    #[graphql(requires = "attachments { ... on Image { width height } ... on Clip { seconds } }")]
    async fn media_summary(&self, ctx: &Context<'_>) -> async_graphql::Result<String> {
        let Some(attachments) = &self.attachments else { return null_entity(ctx, missing_required("attachments")) };
        Ok(attachments.iter().map(AttachmentRep::describe).collect::<Vec<_>>().join(", "))
    }

    /// The cover it was sent: its URL and its description; null without a cover.
    #[graphql(requires = "cover { url ... on Image { width height } ... on Clip { seconds } }")]
    async fn cover_note(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<String>> {
        let Some(cover) = &self.cover else { return null_entity(ctx, missing_required("cover")) };
        Ok(cover.as_ref().map(|c| format!("{} ({})", c.url.as_deref().unwrap_or("?"), c.describe())))
    }
}

#[derive(SimpleObject, Default)]
pub(crate) struct Comment {
    #[graphql(external)]
    id: ID,
    #[graphql(external)]
    body: String,
}

#[derive(Union)]
pub(crate) enum Attachment {
    Image(Image),
    Clip(Clip),
}

#[derive(Interface)]
#[graphql(field(name = "url", ty = "&String"))]
pub(crate) enum Media {
    Image(Image),
    Clip(Clip),
}

#[derive(SimpleObject)]
pub(crate) struct Image {
    #[graphql(external)]
    url: String,
    #[graphql(external)]
    width: i32,
    #[graphql(external)]
    height: i32,
}

#[derive(SimpleObject)]
pub(crate) struct Clip {
    #[graphql(external)]
    url: String,
    #[graphql(external)]
    seconds: i32,
}
