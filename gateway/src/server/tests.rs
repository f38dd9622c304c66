use super::*;

fn read(body: &str) -> Result<GraphqlRequest, String> {
    request_from_json(&Bytes::copy_from_slice(body.as_bytes())).map_err(|e| {
        assert_eq!(e.status, StatusCode::BAD_REQUEST);
        assert_eq!(e.errors[0].code(), Some(Code::BadRequest.as_str()));
        e.errors[0].message.clone()
    })
}

#[test]
fn post_bodies_are_read_member_by_member() {
    let request =
        read(r#" {"query":"{ a }","operationName":"A","variables":{"x":1},"extensions":{},"other":[1]} "#).unwrap();
    assert_eq!(request.query.as_deref(), Some("{ a }"));
    assert_eq!(request.operation_name.as_deref(), Some("A"));
    assert_eq!(request.variables.unwrap()["x"], 1);
    assert!(request.extensions.unwrap().is_empty());

    let request = read(r#"{"query":null,"operationName":null,"variables":null}"#).unwrap();
    assert!(request.query.is_none() && request.operation_name.is_none() && request.variables.is_none());
    assert!(read("{}").unwrap().extensions.is_none());
}

#[test]
fn bad_post_bodies_say_what_is_wrong() {
    let says = |body: &str, expected: &str| {
        let message = read(body).err().unwrap_or_else(|| panic!("{body} was accepted"));
        assert!(message.contains(expected), "{body}: {message}");
    };
    says(r#"["{ a }"]"#, "must be a JSON object");
    says("42", "must be a JSON object");
    says("", "not valid JSON");
    says("[1,", "not valid JSON");
    says(r#"{"query":"{ a }""#, "not valid JSON");
    says(r#"{"query":"{ a }"} x"#, "not valid JSON");
    says(r#"{"query":"{ a }","query":"{ b }"}"#, "not a GraphQL request: duplicate field `query`");
    says(r#"{"query":1}"#, "`query` must be a string");
    says(r#"{"query":"{ a }","operationName":[]}"#, "`operationName` must be a string");
    says(r#"{"query":"{ a }","variables":"x=1"}"#, "`variables` must be an object");
    says(r#"{"query":"{ a }","extensions":[]}"#, "`extensions` must be an object");
}

fn header(response: &Response, name: header::HeaderName) -> &str {
    response.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
}

#[test]
fn the_web_app_is_served_with_client_routes_falling_back_to_index_html() {
    let index = web::web_file("/");
    assert_eq!(index.status(), StatusCode::OK);
    assert_eq!(header(&index, header::CONTENT_TYPE), "text/html; charset=utf-8");
    assert_eq!(header(&index, header::CACHE_CONTROL), "no-cache");
    assert!(header(&index, header::CONTENT_SECURITY_POLICY).starts_with("default-src 'self'"));
    for route in ["/index.html", "/catalog", "/documents/42/edit", "/people/"] {
        let response = web::web_file(route);
        assert_eq!(response.status(), StatusCode::OK, "{route}");
        assert_eq!(header(&response, header::CONTENT_TYPE), "text/html; charset=utf-8", "{route}");
    }
    for missing in ["/assets/missing", "/assets/index-00000000.js", "/nothing.png", "/graphql/ws", "/graphiql/x"] {
        assert_eq!(web::web_file(missing).status(), StatusCode::NOT_FOUND, "{missing}");
    }
}

#[test]
fn hashed_web_assets_are_cached_for_a_year_with_their_content_type() {
    let script = web::assets::WEB_ASSETS.iter().find(|(url, _)| url.starts_with("/assets/") && url.ends_with(".js"));
    let (url, body) = script.expect("web/dist holds the built app (npm run build in web/)");
    let response = web::web_file(url);
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(header(&response, header::CONTENT_TYPE), "text/javascript; charset=utf-8");
    assert_eq!(header(&response, header::CACHE_CONTROL), "public, max-age=31536000, immutable");
    assert_eq!(header(&response, header::X_CONTENT_TYPE_OPTIONS), "nosniff");
    assert!(!body.is_empty());
    assert!(web::assets::WEB_ASSETS.iter().any(|(url, _)| url.starts_with("/assets/") && url.ends_with(".css")));
}
