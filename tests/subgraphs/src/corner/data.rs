//! The corner-case data: three posts with their comments and attachments, fixed.

use super::posts::Visibility;

pub(crate) struct PostRow {
    pub(crate) id: &'static str,
    pub(crate) title: &'static str,
    pub(crate) visibility: Visibility,
    /// Earlier visibilities, oldest first.
    pub(crate) history: &'static [Visibility],
    /// `(id, body)`, oldest first.
    pub(crate) comments: &'static [(&'static str, &'static str)],
    pub(crate) attachments: &'static [AttachmentRow],
    /// The index in `attachments` of the cover, if any.
    pub(crate) cover: Option<usize>,
}

#[derive(Clone, Copy)]
pub(crate) enum AttachmentRow {
    /// `id`, `url`, width, height.
    Image(&'static str, &'static str, i32, i32),
    /// `id`, `url`, seconds.
    Clip(&'static str, &'static str, i32),
}

pub(crate) const POSTS: [PostRow; 3] = [
    PostRow {
        id: "post-1",
        title: "Federation in practice",
        visibility: Visibility::Public,
        history: &[Visibility::Draft, Visibility::Unlisted],
        comments: &[
            ("c-1", "First!"),
            ("c-2", "Great read."),
            ("c-3", "What about @defer?"),
            ("c-4", "Thanks for the examples."),
        ],
        attachments: &[
            AttachmentRow::Image("img-1", "https://cdn.example/img-1.png", 800, 600),
            AttachmentRow::Clip("clip-1", "https://cdn.example/clip-1.mp4", 95),
        ],
        cover: Some(0),
    },
    PostRow {
        id: "post-2",
        title: "Drafting the saga",
        visibility: Visibility::Draft,
        history: &[],
        comments: &[("c-5", "Looking forward to it.")],
        attachments: &[],
        cover: None,
    },
    PostRow {
        id: "post-3",
        title: "Release notes",
        visibility: Visibility::Unlisted,
        history: &[Visibility::Public],
        comments: &[],
        attachments: &[
            AttachmentRow::Clip("clip-2", "https://cdn.example/clip-2.mp4", 30),
            AttachmentRow::Image("img-2", "https://cdn.example/img-2.png", 1024, 768),
            AttachmentRow::Image("img-3", "https://cdn.example/img-3.png", 640, 480),
        ],
        cover: Some(0),
    },
];

pub(crate) fn post_by_id(id: &str) -> Option<&'static PostRow> {
    POSTS.iter().find(|row| row.id == id)
}
