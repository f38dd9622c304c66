//! A subscription over an HTTP stream read as a client would: Server-Sent Events (the
//! graphql-sse protocol) or multipart/mixed parts, heartbeats left out.

use std::time::Duration;

use serde_json::{Value, json};

/// An HTTP response read as a stream of SSE events or multipart parts.
pub struct Stream {
    response: reqwest::Response,
    buffer: String,
}

/// One SSE event: its name, its id and its data.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub event: String,
    pub id: Option<String>,
    pub data: Value,
}

impl Stream {
    /// POSTs `query` (and `variables`) to `url` with `accept` and a bearer `token`, and
    /// `Last-Event-ID` when given; the response must be a 200.
    pub async fn open(
        url: &str,
        token: &str,
        accept: &str,
        query: &str,
        variables: Value,
        last_event_id: Option<&str>,
    ) -> Self {
        let mut request = reqwest::Client::new()
            .post(url)
            .header("accept", accept)
            .header("content-type", "application/json")
            .bearer_auth(token)
            .body(json!({ "query": query, "variables": variables }).to_string());
        if let Some(id) = last_event_id {
            request = request.header("last-event-id", id);
        }
        let response = request.send().await.expect("the stream opens");
        assert_eq!(response.status(), 200);
        Self { response, buffer: String::new() }
    }

    pub fn content_type(&self) -> &str {
        self.response.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("")
    }

    /// Everything up to the next `separator`, reading more as needed; `None` when the stream ends.
    async fn until(&mut self, separator: &str) -> Option<String> {
        loop {
            if let Some(at) = self.buffer.find(separator) {
                let item = self.buffer[..at].to_string();
                self.buffer.drain(..at + separator.len());
                return Some(item);
            }
            let chunk = self.response.chunk().await.expect("the stream reads")?;
            self.buffer.push_str(std::str::from_utf8(&chunk).expect("UTF-8"));
        }
    }

    /// The next SSE event within `wait`, heartbeats aside.
    pub async fn event(&mut self, wait: Duration) -> Option<Event> {
        let next = async {
            loop {
                let block = self.until("\n\n").await?;
                let field = |name: &str| block.lines().find_map(|l| l.strip_prefix(name)).map(str::to_string);
                let Some(event) = field("event: ") else { continue };
                let data = field("data: ").filter(|d| !d.is_empty()).map(|d| serde_json::from_str(&d).expect("JSON"));
                return Some(Event { event, id: field("id: "), data: data.unwrap_or(Value::Null) });
            }
        };
        tokio::time::timeout(wait, next).await.ok().flatten()
    }

    /// The next multipart part within `wait`, heartbeats aside.
    pub async fn part(&mut self, wait: Duration) -> Option<Value> {
        let next = async {
            loop {
                let part = self.until("\r\n--graphql").await?;
                let Some((_, json)) = part.split_once("\r\n\r\n") else { continue };
                let part: Value = serde_json::from_str(json).expect("JSON");
                if part != json!({}) {
                    return Some(part);
                }
            }
        };
        tokio::time::timeout(wait, next).await.ok().flatten()
    }
}
