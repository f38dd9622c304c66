//! The web app's files, embedded in the binary.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// The web app's built files (`web/dist`), embedded by `build.rs`.
pub(super) mod assets {
    include!(concat!(env!("OUT_DIR"), "/web_assets.rs"));
}

/// A file of the web app. Vite names what it builds under `/assets/` by content hash, so those
/// are cached for a year; the rest (`index.html` above all) is revalidated on every load. A path
/// with no file extension is one of the app's own routes and gets `index.html`; the app routes
/// on the client.
pub(super) fn web_file(path: &str) -> Response {
    let path = if path == "/" { "/index.html" } else { path };
    let find = |path: &str| {
        let index = assets::WEB_ASSETS.binary_search_by(|(url, _)| (*url).cmp(path)).ok()?;
        Some(assets::WEB_ASSETS[index])
    };
    let last_segment = path.rsplit('/').next().unwrap_or("");
    let client_route = !last_segment.contains('.')
        && !["/assets/", "/graphql/", "/graphiql/"].iter().any(|prefix| path.starts_with(prefix));
    let Some((file, body)) = find(path).or_else(|| if client_route { find("/index.html") } else { None }) else {
        return (StatusCode::NOT_FOUND, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], "not found\n")
            .into_response();
    };
    let content_type = match file.rsplit_once('.').map_or("", |(_, extension)| extension) {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "json" | "map" => "application/json",
        "webmanifest" => "application/manifest+json",
        "woff2" => "font/woff2",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    };
    let cache = if file.starts_with("/assets/") { "public, max-age=31536000, immutable" } else { "no-cache" };
    let mut response = ([(header::CONTENT_TYPE, content_type), (header::CACHE_CONTROL, cache)], body).into_response();
    response.headers_mut().insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    if file == "/index.html" {
        response.headers_mut().insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'self'; \
                 form-action 'self'; frame-ancestors 'none'",
            ),
        );
    }
    response
}
