//! A small GraphQL-over-HTTP client for tests.

use serde_json::{Value, json};

/// The status and JSON body of one GraphQL request.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub body: Value,
}

impl Reply {
    /// `data` of a reply that has no errors (panics with the body otherwise).
    pub fn data(&self) -> &Value {
        assert!(self.body.get("errors").is_none(), "unexpected errors: {}", self.body);
        &self.body["data"]
    }

    /// `extensions.code` of the first error.
    pub fn code(&self) -> &str {
        self.body["errors"][0]["extensions"]["code"]
            .as_str()
            .unwrap_or_else(|| panic!("no error code in {}", self.body))
    }
}

/// Posts GraphQL to one endpoint.
#[derive(Clone)]
pub struct GraphqlClient {
    pub url: String,
    http: reqwest::Client,
}

impl GraphqlClient {
    pub fn new(url: impl Into<String>) -> Self {
        Self { url: url.into(), http: reqwest::Client::new() }
    }

    pub async fn query(&self, query: &str, variables: Value) -> Reply {
        self.send(json!({ "query": query, "variables": variables }), None).await
    }

    pub async fn query_as(&self, token: &str, query: &str, variables: Value) -> Reply {
        self.send(json!({ "query": query, "variables": variables }), Some(token)).await
    }

    pub async fn send(&self, body: Value, token: Option<&str>) -> Reply {
        let mut request = self.http.post(&self.url).json(&body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.expect("request sent");
        let status = response.status().as_u16();
        let text = response.text().await.expect("body read");
        let body = serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON (status {status}): {text}"));
        Reply { status, body }
    }

    /// Posts raw bytes with a content type.
    pub async fn raw(&self, content_type: &str, body: Vec<u8>) -> Reply {
        let response = self
            .http
            .post(&self.url)
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .expect("request sent");
        let status = response.status().as_u16();
        let text = response.text().await.expect("body read");
        let body = serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON (status {status}): {text}"));
        Reply { status, body }
    }
}

/// `/ready` of the service at `base`: its status and which checks failed, by name.
pub async fn readiness(base: &str) -> (u16, Vec<String>) {
    let reply = reqwest::get(format!("{base}/ready")).await.expect("/ready answers");
    let status = reply.status().as_u16();
    let body: Value = reply.json().await.unwrap_or_default();
    let mut failing: Vec<String> = body["checks"]
        .as_object()
        .map(|checks| checks.iter().filter(|(_, v)| *v != "ok").map(|(k, _)| k.clone()).collect())
        .unwrap_or_default();
    failing.sort_unstable();
    (status, failing)
}

/// Waits until `/ready` of `base` answers `status` with exactly `failing` (sorted) failing.
pub async fn ready_becomes(base: &str, status: u16, failing: &[&str], timeout: std::time::Duration) {
    let what = format!("/ready to answer {status} with {failing:?} failing");
    crate::eventually(&what, timeout, || async {
        let (got, failed) = readiness(base).await;
        (got == status && failed == failing).then_some(())
    })
    .await;
}
