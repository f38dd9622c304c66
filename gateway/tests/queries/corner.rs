//! The corner supergraph (posts, digest): values the public schema cannot represent never reach
//! the client, and `@requires` selections with arguments or inline fragments on abstract types
//! are sent to the subgraph exactly as it asked for them.

use braid_test_subgraphs::Supergraph;
use serde_json::json;

use crate::federation::{Builder, start};

#[tokio::test]
async fn an_enum_value_the_public_schema_lacks_is_null_with_an_error() {
    let federation = start(Supergraph::Corner).await;
    // post-2 is a DRAFT, a value posts has and the public schema hides (`@inaccessible`):
    // `visibility` is non-null, so the post itself becomes null.
    let reply = federation.query("{ posts { id title visibility } }", json!(null)).await;
    assert_eq!(reply.status, 200, "{reply:?}");
    assert_eq!(
        reply.body["data"],
        json!({"posts": [
            {"id": "post-1", "title": "Federation in practice", "visibility": "PUBLIC"},
            null,
            {"id": "post-3", "title": "Release notes", "visibility": "UNLISTED"},
        ]})
    );
    assert_eq!(reply.codes(), ["SUBGRAPH_INVALID_RESPONSE"]);
    assert_eq!(reply.body["errors"][0]["path"], json!(["posts", 1, "visibility"]));
    assert_eq!(
        reply.body["errors"][0]["message"],
        "invalid value for Post.visibility: expected a value of the enum Visibility"
    );
    assert!(!reply.text.contains("DRAFT"), "{}", reply.text);

    // In a nullable list of non-null values the list becomes null; the other posts are intact.
    let reply = federation.query("{ posts { id history } }", json!(null)).await;
    assert_eq!(
        reply.body["data"],
        json!({"posts": [
            {"id": "post-1", "history": null},
            {"id": "post-2", "history": []},
            {"id": "post-3", "history": ["PUBLIC"]},
        ]})
    );
    assert_eq!(reply.body["errors"][0]["path"], json!(["posts", 0, "history", 0]));
    assert!(!reply.text.contains("DRAFT"), "{}", reply.text);

    // As an argument the value does not exist either.
    let reply = federation.query("{ posts(visibility: DRAFT) { id } }", json!(null)).await;
    assert_eq!(reply.status, 400);
    assert_eq!(reply.codes(), ["GRAPHQL_VALIDATION_FAILED"]);
    let reply =
        federation.query("query ($v: Visibility) { posts(visibility: $v) { id } }", json!({"v": "DRAFT"})).await;
    assert_eq!(reply.status, 400, "{reply:?}");
    let data = federation.data("{ posts(visibility: UNLISTED) { id visibility } }").await;
    assert_eq!(data, json!({"posts": [{"id": "post-3", "visibility": "UNLISTED"}]}));
}

#[tokio::test]
async fn an_enum_value_the_supergraph_does_not_know_is_null_with_an_error() {
    // A subgraph deployed ahead of the composed supergraph: posts answers UNLISTED, which this
    // supergraph does not have.
    let sdl = Supergraph::Corner.sdl().replace("  UNLISTED @join__enumValue(graph: POSTS)\n", "");
    assert_ne!(sdl, Supergraph::Corner.sdl());
    let federation = Builder::new(Supergraph::Corner).sdl(sdl).start().await;
    let reply = federation.query("{ post(id: \"post-3\") { id visibility } }", json!(null)).await;
    assert_eq!(reply.body["data"], json!({"post": null}));
    assert_eq!(reply.codes(), ["SUBGRAPH_INVALID_RESPONSE"]);
    assert_eq!(reply.body["errors"][0]["path"], json!(["post", "visibility"]));
}

#[tokio::test]
async fn a_scalar_of_the_wrong_kind_is_null_with_an_error_and_an_integer_id_a_string() {
    // The supergraph says `title: Int` and `seconds: ID!` where posts answers a string and an
    // integer: the title cannot be represented, the seconds are written as an ID is.
    let sdl = Supergraph::Corner
        .sdl()
        .replace("  title: String! @join__field(graph: POSTS)", "  title: Int @join__field(graph: POSTS)")
        .replace("  seconds: Int! @join__field(graph: DIGEST", "  seconds: ID! @join__field(graph: DIGEST");
    let federation = Builder::new(Supergraph::Corner).sdl(sdl).start().await;
    let reply = federation
        .query("{ post(id: \"post-3\") { id title attachments { ... on Clip { seconds } } } }", json!(null))
        .await;
    assert_eq!(
        reply.body["data"],
        json!({"post": {"id": "post-3", "title": null, "attachments": [{"seconds": "30"}, {}, {}]}})
    );
    assert_eq!(reply.codes(), ["SUBGRAPH_INVALID_RESPONSE"]);
    assert_eq!(reply.body["errors"][0]["path"], json!(["post", "title"]));
    assert!(reply.body["errors"][0]["message"].as_str().unwrap().contains("expected a value of type Int"), "{reply:?}");
}

#[tokio::test]
async fn requires_with_arguments_sends_the_field_with_those_arguments() {
    let federation = start(Supergraph::Corner).await;
    let expected = json!({"posts": [
        {"id": "post-1", "teaser": "First!", "recentCommentIds": ["c-1", "c-2", "c-3"]},
        {"id": "post-2", "teaser": "Looking forward to it.", "recentCommentIds": ["c-5"]},
        {"id": "post-3", "teaser": "", "recentCommentIds": []},
    ]});
    // Two fields that require the same field with different arguments.
    assert_eq!(federation.data("{ posts { id teaser recentCommentIds } }").await, expected);
    assert_eq!(federation.data("{ posts { id teaser } }").await["posts"][0]["teaser"], "First!");
    assert_eq!(
        federation.data("{ posts { id recentCommentIds } }").await["posts"][0]["recentCommentIds"],
        json!(["c-1", "c-2", "c-3"])
    );
    // ... and the client asking for that field itself, with other arguments, under an alias too.
    let data = federation
        .data("{ posts { id teaser comments(limit: 2) { id } recentCommentIds all: comments(limit: 10) { body } } }")
        .await;
    assert_eq!(
        data,
        json!({"posts": [
            {"id": "post-1", "teaser": "First!", "comments": [{"id": "c-1"}, {"id": "c-2"}],
             "recentCommentIds": ["c-1", "c-2", "c-3"],
             "all": [{"body": "First!"}, {"body": "Great read."}, {"body": "What about @defer?"},
                     {"body": "Thanks for the examples."}]},
            {"id": "post-2", "teaser": "Looking forward to it.", "comments": [{"id": "c-5"}],
             "recentCommentIds": ["c-5"], "all": [{"body": "Looking forward to it."}]},
            {"id": "post-3", "teaser": "", "comments": [], "recentCommentIds": [], "all": []},
        ]})
    );
    let data = federation.data("{ post(id: \"post-1\") { comments(limit: 1) { body } teaser } }").await;
    assert_eq!(data, json!({"post": {"comments": [{"body": "First!"}], "teaser": "First!"}}));
}

#[tokio::test]
async fn requires_with_inline_fragments_on_a_union_and_an_interface() {
    let federation = start(Supergraph::Corner).await;
    let data = federation.data("{ posts { id mediaSummary coverNote } }").await;
    assert_eq!(
        data,
        json!({"posts": [
            {"id": "post-1", "mediaSummary": "image 800x600, clip 95s",
             "coverNote": "https://cdn.example/img-1.png (image 800x600)"},
            {"id": "post-2", "mediaSummary": "", "coverNote": null},
            {"id": "post-3", "mediaSummary": "clip 30s, image 1024x768, image 640x480",
             "coverNote": "https://cdn.example/clip-2.mp4 (clip 30s)"},
        ]})
    );
    // The client selecting parts of the same fields, with other fragments, changes nothing.
    let data = federation
        .data(
            "{ post(id: \"post-3\") { attachments { __typename ... on Image { id } } mediaSummary \
             cover { ... on Clip { id url } } coverNote } }",
        )
        .await;
    assert_eq!(
        data,
        json!({"post": {
            "attachments": [{"__typename": "Clip"}, {"__typename": "Image", "id": "img-2"}, {"__typename": "Image", "id": "img-3"}],
            "mediaSummary": "clip 30s, image 1024x768, image 640x480",
            "cover": {"id": "clip-2", "url": "https://cdn.example/clip-2.mp4"},
            "coverNote": "https://cdn.example/clip-2.mp4 (clip 30s)",
        }})
    );
}

#[tokio::test]
async fn a_null_without_an_error_in_a_non_null_position_is_a_non_null_violation() {
    // A subgraph that answers null, and no error, for a field the supergraph says is non-null:
    // the gateway says why the post is null.
    let sdl =
        Supergraph::Corner.sdl().replace("  coverNote: String @join__field(", "  coverNote: String! @join__field(");
    assert_ne!(sdl, Supergraph::Corner.sdl());
    let federation = Builder::new(Supergraph::Corner).sdl(sdl).start().await;
    let reply = federation.query("{ posts { id coverNote } }", json!(null)).await;
    assert_eq!(
        reply.body,
        json!({
            "data": {"posts": [
                {"id": "post-1", "coverNote": "https://cdn.example/img-1.png (image 800x600)"},
                null,
                {"id": "post-3", "coverNote": "https://cdn.example/clip-2.mp4 (clip 30s)"},
            ]},
            "errors": [{
                "message": "Cannot return null for non-nullable field Post.coverNote.",
                "path": ["posts", 1, "coverNote"],
                "extensions": {"code": "NON_NULL_VIOLATION"},
            }],
        })
    );
}
