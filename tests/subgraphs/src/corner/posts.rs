//! posts: owns `Post`. `comments(limit:)` takes an argument, `attachments` is a list of a union,
//! `cover` an interface; `visibility` is an enum with an `@inaccessible` value (`DRAFT`) that
//! the data does hold, so the gateway must keep it from clients.

use async_graphql::{EmptyMutation, EmptySubscription, Enum, ID, Interface, Object, Schema, SimpleObject, Union};

use super::data::{AttachmentRow, POSTS, PostRow, post_by_id};
use crate::entities::Federated;

pub(crate) type PostsSchema = Schema<Federated<Query>, EmptyMutation, EmptySubscription>;

pub(crate) fn schema() -> PostsSchema {
    Schema::build(Federated(Query), EmptyMutation, EmptySubscription).enable_federation().finish()
}

pub(crate) struct Query;

#[Object]
impl Query {
    /// Every post, or those with this visibility. A post whose visibility the public schema
    /// does not know is null for clients (the gateway's business, not ours).
    async fn posts(&self, visibility: Option<Visibility>) -> Vec<Option<Post>> {
        POSTS.iter().filter(|row| visibility.is_none_or(|v| row.visibility == v)).map(|row| Some(Post(row))).collect()
    }

    async fn post(&self, id: ID) -> Option<Post> {
        post_by_id(&id).map(Post)
    }

    #[graphql(entity)]
    async fn find_post_by_id(&self, id: ID) -> Option<Post> {
        post_by_id(&id).map(Post)
    }
}

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Visibility {
    Public,
    Unlisted,
    /// Not published yet: hidden from the public schema, though posts may still be drafts.
    #[graphql(inaccessible)]
    Draft,
}

pub(crate) struct Post(&'static PostRow);

#[Object]
impl Post {
    async fn id(&self) -> ID {
        ID(self.0.id.to_owned())
    }

    async fn title(&self) -> &str {
        self.0.title
    }

    async fn visibility(&self) -> Visibility {
        self.0.visibility
    }

    /// Earlier visibilities, oldest first.
    async fn history(&self) -> Option<Vec<Visibility>> {
        Some(self.0.history.to_vec())
    }

    /// The first `limit` comments, oldest first.
    async fn comments(&self, limit: i32) -> Vec<Comment> {
        let limit = usize::try_from(limit).unwrap_or(0);
        self.0.comments.iter().take(limit).map(|&(id, body)| Comment { id: ID(id.to_owned()), body }).collect()
    }

    async fn attachments(&self) -> Vec<Attachment> {
        self.0.attachments.iter().map(|&row| attachment(row)).collect()
    }

    async fn cover(&self) -> Option<Media> {
        self.0.cover.map(|index| match attachment(self.0.attachments[index]) {
            Attachment::Image(image) => Media::Image(image),
            Attachment::Clip(clip) => Media::Clip(clip),
        })
    }
}

fn attachment(row: AttachmentRow) -> Attachment {
    match row {
        AttachmentRow::Image(id, url, width, height) => {
            Attachment::Image(Image { id: ID(id.into()), url, width, height })
        }
        AttachmentRow::Clip(id, url, seconds) => Attachment::Clip(Clip { id: ID(id.into()), url, seconds }),
    }
}

#[derive(SimpleObject)]
pub(crate) struct Comment {
    id: ID,
    body: &'static str,
}

#[derive(Union)]
pub(crate) enum Attachment {
    Image(Image),
    Clip(Clip),
}

#[derive(Interface)]
#[graphql(field(name = "id", ty = "&ID"), field(name = "url", ty = "&&'static str"))]
pub(crate) enum Media {
    Image(Image),
    Clip(Clip),
}

#[derive(SimpleObject)]
pub(crate) struct Image {
    id: ID,
    url: &'static str,
    width: i32,
    height: i32,
}

#[derive(SimpleObject)]
pub(crate) struct Clip {
    id: ID,
    url: &'static str,
    seconds: i32,
}
