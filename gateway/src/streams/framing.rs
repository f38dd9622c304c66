//! How each transport writes a stream: GraphQL over Server-Sent Events (the `graphql-sse`
//! protocol, github.com/enisdenjo/graphql-sse, PROTOCOL.md) and multipart/mixed (Apollo's
//! multipart HTTP protocol for subscriptions, with its `{}` heartbeats).

use bytes::Bytes;
use serde_json::value::RawValue;

use crate::error::GraphqlError;

/// A streaming transport over HTTP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    Sse,
    Multipart,
}

/// The boundary between multipart parts.
const BOUNDARY: &str = "graphql";

impl Transport {
    /// The streaming transport the request's `Accept` names, if any: SSE before multipart.
    pub fn from_accepted(media: &[String]) -> Option<Transport> {
        if media.iter().any(|m| m == "text/event-stream") {
            Some(Transport::Sse)
        } else if media.iter().any(|m| m == "multipart/mixed") {
            Some(Transport::Multipart)
        } else {
            None
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Transport::Sse => "text/event-stream; charset=utf-8",
            Transport::Multipart => "multipart/mixed; boundary=\"graphql\"; subscriptionSpec=\"1.0\"",
        }
    }

    /// What opens the stream (an SSE comment, the first multipart boundary), so that the
    /// client knows at once it is connected.
    pub fn start(self) -> Bytes {
        match self {
            Transport::Sse => Bytes::from_static(b":\n\n"),
            Transport::Multipart => Bytes::from(format!("\r\n--{BOUNDARY}")),
        }
    }

    /// A response; `id` (SSE) is where the client resumes from with `Last-Event-ID`.
    pub fn next(self, body: &RawValue, id: Option<&str>) -> Bytes {
        match self {
            Transport::Sse => {
                let mut frame = String::from("event: next\n");
                if let Some(id) = id {
                    frame.push_str(&format!("id: {id}\n"));
                }
                // The gateway writes compact JSON; a newline would still be split as SSE asks.
                for line in body.get().split('\n') {
                    frame.push_str("data: ");
                    frame.push_str(line);
                    frame.push('\n');
                }
                frame.push('\n');
                Bytes::from(frame)
            }
            Transport::Multipart => part(&format!("{{\"payload\":{}}}", body.get())),
        }
    }

    /// Errors that end the stream: a response with `errors` (SSE), the transport error part
    /// (multipart).
    pub fn errors(self, errors: &[GraphqlError]) -> Bytes {
        let errors = serde_json::to_string(errors).unwrap_or_else(|_| "[]".into());
        match self {
            Transport::Sse => {
                let body = RawValue::from_string(format!("{{\"errors\":{errors}}}")).expect("errors serialize");
                self.next(&body, None)
            }
            Transport::Multipart => part(&format!("{{\"payload\":null,\"errors\":{errors}}}")),
        }
    }

    /// Something to read while no event comes, so that proxies and clients keep the
    /// connection and a gone client is noticed.
    pub fn heartbeat(self) -> Bytes {
        match self {
            Transport::Sse => Bytes::from_static(b":\n\n"),
            Transport::Multipart => part("{}"),
        }
    }

    /// The operation is over.
    pub fn complete(self) -> Bytes {
        match self {
            Transport::Sse => Bytes::from_static(b"event: complete\ndata: \n\n"),
            Transport::Multipart => Bytes::from_static(b"--\r\n"),
        }
    }
}

/// One multipart part after the boundary that opens it, and the boundary after it: a client
/// reads a part once the next boundary arrives, so each part brings it along.
fn part(json: &str) -> Bytes {
    Bytes::from(format!("\r\ncontent-type: application/json; charset=utf-8\r\n\r\n{json}\r\n--{BOUNDARY}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Code;

    fn text(bytes: Bytes) -> String {
        String::from_utf8(bytes.to_vec()).unwrap()
    }

    #[test]
    fn sse_frames_follow_the_graphql_sse_protocol() {
        let body = RawValue::from_string(r#"{"data":{"a":1}}"#.into()).unwrap();
        let sse = Transport::Sse;
        assert_eq!(text(sse.next(&body, Some("0:4"))), "event: next\nid: 0:4\ndata: {\"data\":{\"a\":1}}\n\n");
        assert_eq!(text(sse.next(&body, None)), "event: next\ndata: {\"data\":{\"a\":1}}\n\n");
        assert_eq!(text(sse.complete()), "event: complete\ndata: \n\n");
        let error = GraphqlError::new(Code::SubscriberLagged, "behind");
        let frame = text(sse.errors(&[error]));
        assert!(frame.starts_with("event: next\ndata: {\"errors\":[{\"message\":\"behind\""), "{frame}");
    }

    #[test]
    fn multipart_parts_each_end_with_the_next_boundary() {
        let body = RawValue::from_string(r#"{"data":{"a":1}}"#.into()).unwrap();
        let mp = Transport::Multipart;
        let whole = [mp.start(), mp.heartbeat(), mp.next(&body, Some("ignored")), mp.complete()].map(text).concat();
        assert_eq!(
            whole,
            "\r\n--graphql\r\ncontent-type: application/json; charset=utf-8\r\n\r\n{}\r\n--graphql\
             \r\ncontent-type: application/json; charset=utf-8\r\n\r\n{\"payload\":{\"data\":{\"a\":1}}}\r\n--graphql--\r\n"
        );
    }

    #[test]
    fn the_transport_is_the_one_accept_names() {
        let of = |media: &[&str]| Transport::from_accepted(&media.iter().map(|m| m.to_string()).collect::<Vec<_>>());
        assert_eq!(of(&["text/event-stream"]), Some(Transport::Sse));
        assert_eq!(of(&["multipart/mixed", "application/json"]), Some(Transport::Multipart));
        assert_eq!(of(&["multipart/mixed", "text/event-stream"]), Some(Transport::Sse));
        assert_eq!(of(&["application/json"]), None);
    }
}
