//! The HTTP source against a stand-in for the permissions subgraph: what it asks (the query,
//! its variables, the viewer's own token) and how it reads every kind of answer.

use std::sync::{Arc, Mutex};

use axum::Json;
use axum::http::HeaderMap;
use axum::routing::post;
use serde_json::Value;

use super::*;

/// What the stand-in was asked: the bearer token and the request body.
type Asked = Arc<Mutex<Vec<(String, Value)>>>;

/// Answers as the permissions subgraph would; the viewer's token picks odd answers.
async fn permissions(asked: Asked, headers: HeaderMap, Json(body): Json<Value>) -> Json<Value> {
    let token = headers["authorization"].to_str().unwrap().trim_start_matches("Bearer ").to_string();
    asked.lock().unwrap().push((token.clone(), body.clone()));
    let query = body["query"].as_str().unwrap();
    let packed = URL_SAFE_NO_PAD.encode(VisibleSet::new(vec![2, 4, 9]).encode());
    Json(match token.as_str() {
        "refused" => json!({ "data": null, "errors": [{ "message": "not allowed" }] }),
        "empty" => json!({}),
        "odd" if query == VISIBLE => {
            json!({ "data": { "visibleEmployees": { "packed": "!!", "groups": [], "validUntil": null } } })
        }
        "odd" if query == MANAGERS => json!({ "data": { "employee": { "chainOfCommand": [{ "id": "boss" }] } } }),
        "groups" => {
            json!({ "data": { "visibleEmployees": { "packed": packed, "groups": ["g"], "validUntil": null } } })
        }
        _ if query == CHECK => {
            let ids = body["variables"]["ids"].as_array().unwrap();
            let allowed: Vec<bool> =
                ids.iter().map(|id| id.as_str().unwrap().parse::<i64>().unwrap() % 2 == 0).collect();
            json!({ "data": { "visibility": { "allowed": allowed, "validUntil": "2030-01-02T03:04:05Z" } } })
        }
        _ if query == VISIBLE => {
            json!({ "data": { "visibleEmployees": { "packed": packed, "groups": ["7", "-3"], "validUntil": null } } })
        }
        _ if body["variables"]["id"] == "404" => json!({ "data": { "employee": null } }),
        _ => json!({ "data": { "employee": { "chainOfCommand": [{ "id": "4" }, { "id": "1" }] } } }),
    })
}

async fn serve() -> (GraphqlSource, Asked) {
    let asked = Asked::default();
    let state = asked.clone();
    let app =
        axum::Router::new().route("/graphql", post(move |headers, body| permissions(state.clone(), headers, body)));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/graphql", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (GraphqlSource::new(url, reqwest::Client::new()), asked)
}

#[tokio::test]
async fn checks_ask_with_the_viewers_token_and_read_the_answers_in_order() {
    let (source, asked) = serve().await;
    let checked = source.check(&Viewer::with_token(3, "t-3"), &[4, 5, 6]).await.unwrap();
    assert_eq!(checked.allowed, [true, false, true]);
    assert_eq!(checked.valid_until, Some("2030-01-02T03:04:05Z".parse().unwrap()));
    let asked = asked.lock().unwrap();
    assert_eq!(asked[0].0, "t-3");
    assert_eq!(asked[0].1, json!({ "query": CHECK, "variables": { "ids": ["4", "5", "6"] } }));
}

#[tokio::test]
async fn a_visible_set_comes_packed_with_the_viewers_groups() {
    let (source, _) = serve().await;
    let visible = source.visible(&Viewer::with_token(3, "t")).await.unwrap();
    assert_eq!(visible, Visible { ids: VisibleSet::new(vec![2, 4, 9]), groups: vec![7, -3], valid_until: None });
}

#[tokio::test]
async fn managers_come_nearest_first_and_an_unknown_employee_has_none() {
    let (source, asked) = serve().await;
    assert_eq!(source.managers(&Viewer::with_token(3, "t"), 9).await.unwrap(), Some(vec![4, 1]));
    assert_eq!(asked.lock().unwrap()[0].1["variables"], json!({ "id": "9" }));
    assert_eq!(source.managers(&Viewer::with_token(3, "t"), 404).await.unwrap(), None);
}

#[tokio::test]
async fn errors_missing_data_and_answers_it_cannot_read_are_source_errors() {
    let (source, _) = serve().await;
    let error = |r: Result<_, AccessError>| match r {
        Err(AccessError::Source(message)) => message,
        other => panic!("not a source error: {other:?}"),
    };
    let refused = Viewer::with_token(3, "refused");
    assert!(error(source.check(&refused, &[1]).await.map(|_| ())).contains("not allowed"));
    let empty = Viewer::with_token(3, "empty");
    assert_eq!(error(source.check(&empty, &[1]).await.map(|_| ())), "an answer without data");
    let odd = Viewer::with_token(3, "odd");
    assert!(error(source.visible(&odd).await.map(|_| ())).contains("cannot read"));
    assert!(error(source.managers(&odd, 1).await.map(|_| ())).contains("bad employee id \"boss\""));
    let groups = Viewer::with_token(3, "groups");
    assert!(error(source.visible(&groups).await.map(|_| ())).contains("bad group id \"g\""));
    assert_eq!(error(source.check(&Viewer::new(3), &[1]).await.map(|_| ())), "no token to ask with");
}
