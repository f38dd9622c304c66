//! The headers sent with every subgraph fetch of a request: those the config propagates from
//! the client, and a W3C `traceparent` that continues the client's trace (the fetch's own span
//! when traces are on).

use std::borrow::Cow;

use http::{HeaderMap, HeaderName, HeaderValue};

use crate::config::GatewayConfig;
use crate::error::GatewayError;

/// Which client headers go to the subgraphs.
pub struct Propagate {
    names: Vec<HeaderName>,
}

impl Propagate {
    /// From `headers` in the config.
    pub fn new(config: &GatewayConfig) -> Result<Self, GatewayError> {
        let mut names = Vec::new();
        if config.headers.forward_authorization {
            names.push(http::header::AUTHORIZATION);
        }
        for name in &config.headers.propagate {
            let name = HeaderName::try_from(name.as_str())
                .map_err(|source| GatewayError::HeaderName { name: name.clone(), source })?;
            if !names.contains(&name) {
                names.push(name);
            }
        }
        Ok(Self { names })
    }

    /// The headers every subgraph fetch of a request from `client` carries.
    pub fn headers(&self, client: &HeaderMap) -> HeaderMap {
        let mut headers = HeaderMap::with_capacity(self.names.len() + 1);
        for name in &self.names {
            for value in client.get_all(name) {
                headers.append(name.clone(), value.clone());
            }
        }
        headers.insert(HeaderName::from_static("traceparent"), traceparent(client.get("traceparent")));
        headers
    }
}

/// `headers` with the `traceparent` of `span` (a subgraph fetch's), when traces are on: the
/// subgraph then continues the fetch's span rather than the request's.
pub fn traced<'h>(headers: &'h HeaderMap, span: &tracing::Span) -> Cow<'h, HeaderMap> {
    match braid_kit::telemetry::context::traceparent(span).and_then(|v| HeaderValue::try_from(v).ok()) {
        Some(value) => {
            let mut headers = headers.clone();
            headers.insert(HeaderName::from_static("traceparent"), value);
            Cow::Owned(headers)
        }
        None => Cow::Borrowed(headers),
    }
}

/// A W3C `traceparent` for the subgraph fetches (traces off): the client's trace with a new span id, or a
/// new trace when the client sent none (or an invalid one). Written into a fixed buffer: it is
/// made once per request.
fn traceparent(incoming: Option<&HeaderValue>) -> HeaderValue {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    fn write_hex(out: &mut [u8], mut value: u128) {
        for byte in out.iter_mut().rev() {
            *byte = HEX[(value & 0xf) as usize];
            value >>= 4;
        }
    }
    // version-trace(32)-parent(16)-flags(2)
    let mut out = *b"00-00000000000000000000000000000000-0000000000000000-01";
    match incoming.map(|v| v.as_bytes().trim_ascii()).filter(|v| valid_traceparent(v)) {
        Some(client) => {
            out[3..35].copy_from_slice(&client[3..35]);
            out[3..35].make_ascii_lowercase();
            out[53..55].copy_from_slice(&client[53..55]);
        }
        None => write_hex(&mut out[3..35], rand::random::<u128>() | 1),
    }
    write_hex(&mut out[36..52], u128::from(rand::random::<u64>() | 1));
    HeaderValue::from_bytes(&out)
        .unwrap_or(HeaderValue::from_static("00-00000000000000000000000000000001-0000000000000001-01"))
}

/// `version-trace-parent-flags` with the lengths and hex digits the W3C format asks for, a
/// version other than `ff` and a trace id other than zero.
fn valid_traceparent(v: &[u8]) -> bool {
    let hex = |range: std::ops::Range<usize>| v[range].iter().all(u8::is_ascii_hexdigit);
    v.len() == 55
        && v[2] == b'-'
        && v[35] == b'-'
        && v[52] == b'-'
        && hex(0..2)
        && hex(3..35)
        && hex(36..52)
        && hex(53..55)
        && !v[0..2].eq_ignore_ascii_case(b"ff")
        && v[3..35].iter().any(|&b| b != b'0')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traceparent_keeps_the_clients_trace() {
        let incoming = HeaderValue::from_static("00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-00");
        let out = traceparent(Some(&incoming));
        let out = out.to_str().unwrap();
        assert!(out.starts_with("00-4bf92f3577b34da6a3ce929d0e0e4736-"), "{out}");
        assert!(out.ends_with("-00"), "the client's flags are kept: {out}");
        assert!(!out.contains("00f067aa0ba902b7"), "a new span id: {out}");
        assert!(valid_traceparent(out.as_bytes()), "{out}");
    }

    #[test]
    fn traceparent_starts_a_trace_when_the_clients_is_invalid() {
        let invalid = [
            "garbage",
            "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0g",
            "00-4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7-01",
            "00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7_01",
            "0g-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902bg-01",
        ];
        for text in invalid {
            let out = traceparent(Some(&HeaderValue::from_static(text)));
            let out = out.to_str().unwrap().to_string();
            assert!(valid_traceparent(out.as_bytes()), "{text} -> {out}");
            assert!(!out.contains("4bf92f3577b34da6a3ce929d0e0e4736"), "{text} -> {out}");
            assert!(out.ends_with("-01"), "{text} -> {out}");
        }
        // Each request its own trace, and each fetch its own span: random ids, in every digit.
        let made: Vec<String> = (0..32).map(|_| traceparent(None).to_str().unwrap().to_string()).collect();
        let traces: std::collections::HashSet<&str> = made.iter().map(|t| &t[3..35]).collect();
        let spans: std::collections::HashSet<&str> = made.iter().map(|t| &t[36..52]).collect();
        assert_eq!((traces.len(), spans.len()), (32, 32), "{made:?}");
        assert!(made.iter().all(|t| !t[36..52].starts_with("0000000")), "{made:?}");
    }
}
