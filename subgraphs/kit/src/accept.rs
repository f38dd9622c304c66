//! Which response media type a GraphQL-over-HTTP client accepts, read from its `Accept` header:
//! `application/graphql-response+json` or `application/json`, by their quality values, `q=0`
//! refusing one. One rule for the gateway and every subgraph.

use http::{HeaderMap, HeaderValue, header};

/// The media type of the GraphQL over HTTP specification.
pub const GRAPHQL_RESPONSE: &str = "application/graphql-response+json";
/// The legacy media type, still what most clients ask for.
pub const JSON: &str = "application/json";

/// What a 406 says: the media types a GraphQL response can be written in.
pub const NOT_ACCEPTABLE: &str = "accept application/graphql-response+json or application/json";

/// The media type a response is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `application/graphql-response+json`: 4xx for requests refused before execution.
    GraphqlResponse,
    /// `application/json`: 200 for any well-formed request (the legacy behaviour).
    Json,
}

impl Format {
    /// The format `headers` accept best; `None` when they accept neither (answer 406). Without
    /// `Accept`, JSON; a wildcard (`*/*`, `application/*`) stands for JSON; a tie goes to
    /// `application/graphql-response+json`.
    pub fn from_headers(headers: &HeaderMap) -> Option<Self> {
        let Some(ranges) = media_ranges(headers) else { return Some(Format::Json) };
        let best = |accepts: fn(&str) -> bool| {
            ranges.iter().filter(|(name, _)| accepts(name)).map(|&(_, q)| q).fold(0.0_f32, f32::max)
        };
        let graphql = best(|name| name == GRAPHQL_RESPONSE);
        let json = best(|name| matches!(name, JSON | "application/*" | "*/*"));
        if graphql > 0.0 && graphql >= json {
            Some(Format::GraphqlResponse)
        } else {
            (json > 0.0).then_some(Format::Json)
        }
    }

    /// The `Content-Type` of a response in this format.
    pub fn content_type(self) -> HeaderValue {
        match self {
            Format::GraphqlResponse => HeaderValue::from_static("application/graphql-response+json; charset=utf-8"),
            Format::Json => HeaderValue::from_static("application/json; charset=utf-8"),
        }
    }
}

/// The media types `Accept` names, lowercased and without their parameters, leaving out those
/// refused with `q=0`; `None` without an `Accept` header.
pub fn accepted_media(headers: &HeaderMap) -> Option<Vec<String>> {
    Some(media_ranges(headers)?.into_iter().map(|(name, _)| name).collect())
}

/// Each media range of `Accept` with its quality (1 unless given), those of quality 0 left out.
/// An unreadable quality counts as 1, as an unreadable header counts as none: the request is
/// answered rather than refused over a typo.
fn media_ranges(headers: &HeaderMap) -> Option<Vec<(String, f32)>> {
    let accept = headers.get(header::ACCEPT)?.to_str().ok()?;
    let ranges = accept.split(',').filter_map(|item| {
        let mut parts = item.split(';');
        let name = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        let quality = parts
            .filter_map(|p| p.split_once('='))
            .find(|(key, _)| key.trim().eq_ignore_ascii_case("q"))
            .and_then(|(_, value)| value.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        (quality > 0.0).then_some((name, quality))
    });
    Some(ranges.collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn format(accept: Option<&str>) -> Option<Format> {
        let mut headers = HeaderMap::new();
        if let Some(accept) = accept {
            headers.insert(header::ACCEPT, HeaderValue::from_str(accept).unwrap());
        }
        Format::from_headers(&headers)
    }

    #[test]
    fn the_best_accepted_format_is_chosen_and_q0_refuses() {
        use Format::{GraphqlResponse as G, Json as J};
        let cases = [
            (None, Some(J)),
            (Some("application/json"), Some(J)),
            (Some("application/graphql-response+json"), Some(G)),
            (Some("application/graphql-response+json, application/json"), Some(G)),
            (Some("application/json;q=0.9, application/graphql-response+json"), Some(G)),
            (Some("application/graphql-response+json;q=0.5, application/json"), Some(J)),
            (Some("Application/JSON; charset=utf-8"), Some(J)),
            (Some("*/*"), Some(J)),
            (Some("application/*;q=0.2"), Some(J)),
            (Some("text/html"), None),
            (Some("application/json;q=0"), None),
            (Some("application/json; q=0.000, text/html"), None),
            (Some("application/graphql-response+json;Q=0, application/json;q=0.1"), Some(J)),
            (Some("application/json;q=banana"), Some(J)),
            (Some(""), None),
        ];
        for (accept, expected) in cases {
            assert_eq!(format(accept), expected, "Accept: {accept:?}");
        }
    }

    #[test]
    fn accepted_media_leaves_out_what_q0_refuses() {
        let mut headers = HeaderMap::new();
        assert_eq!(accepted_media(&headers), None);
        headers.insert(header::ACCEPT, HeaderValue::from_static("text/event-stream, multipart/mixed;q=0, */*;q=0.1"));
        assert_eq!(accepted_media(&headers), Some(vec!["text/event-stream".to_string(), "*/*".to_string()]));
    }
}
