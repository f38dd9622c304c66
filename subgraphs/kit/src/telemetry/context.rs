//! W3C trace context across the process's edges: a span continues the trace its caller sent
//! (HTTP headers, an outbox row, a broker record's headers), and passes its own on.
//!
//! Every function here does nothing for a disabled span (traces off), so the callers need no
//! test of their own.

use std::collections::HashMap;

use opentelemetry::propagation::{Extractor, TextMapPropagator as _};
use opentelemetry::trace::TraceContextExt as _;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use tracing::Span;
use tracing_opentelemetry::OpenTelemetrySpanExt as _;

/// The header (and outbox, envelope and record attribute) the context travels in.
pub const TRACEPARENT: &str = "traceparent";

/// Makes `span` a child of the caller's span named in `headers` (`traceparent`, `tracestate`),
/// if they name a valid one, and records the trace id in its `trace_id` field.
pub fn continue_from_headers(span: &Span, headers: &http::HeaderMap) {
    if span.is_disabled() {
        return;
    }
    adopt(span, &HeaderExtractor(headers));
}

/// Makes `span` a child of the span a `traceparent` value names, if valid, and records the
/// trace id in its `trace_id` field.
pub fn continue_from(span: &Span, traceparent: Option<&str>) {
    if span.is_disabled() {
        return;
    }
    let carrier: HashMap<String, String> =
        traceparent.map(|value| (TRACEPARENT.to_string(), value.to_string())).into_iter().collect();
    adopt(span, &carrier);
}

fn adopt(span: &Span, carrier: &dyn Extractor) {
    let parent = TraceContextPropagator::new().extract(carrier);
    if parent.span().span_context().is_valid() {
        let _ = span.set_parent(parent);
    }
    let context = span.context();
    let trace = context.span().span_context().trace_id();
    span.record("trace_id", tracing::field::display(trace));
}

/// The `traceparent` naming `span` to whatever it calls next; `None` when the span is off.
pub fn traceparent(span: &Span) -> Option<String> {
    if span.is_disabled() {
        return None;
    }
    let context = span.context();
    if !context.span().span_context().is_valid() {
        return None;
    }
    let mut carrier = HashMap::new();
    TraceContextPropagator::new().inject_context(&context, &mut carrier);
    carrier.remove(TRACEPARENT)
}

/// Renames `span` once it has started (`otel.name` counts only until then): a request's span
/// named after its operation, known only once the request is parsed.
pub fn rename(span: &Span, name: String) {
    if !span.is_disabled() {
        span.context().span().update_name(name);
    }
}

/// [`traceparent`] of the current span.
pub fn current_traceparent() -> Option<String> {
    traceparent(&Span::current())
}

/// One event's publishing or handling, as OpenTelemetry's messaging conventions name it.
pub struct Messaging<'a> {
    /// `publish` (a producer span) or `process` (a consumer span).
    pub operation: &'static str,
    pub topic: &'a str,
    /// The CloudEvents id and type.
    pub id: &'a str,
    pub event_type: &'a str,
    /// The consumer group, of a `process`.
    pub group: Option<&'a str>,
}

/// The span of `what`, a child of the span named by the `traceparent` that `parent` gives
/// (asked only when traces are on).
pub fn messaging_span(what: Messaging<'_>, parent: impl FnOnce() -> Option<String>) -> Span {
    let kind = if what.operation == "publish" { "producer" } else { "consumer" };
    let span = tracing::info_span!(
        parent: None,
        "messaging",
        otel.kind = kind,
        otel.name = format!("{} {}", what.topic, what.operation),
        otel.status_code = tracing::field::Empty,
        messaging.operation.type = what.operation,
        messaging.destination.name = what.topic,
        messaging.consumer.group.name = what.group,
        messaging.message.id = what.id,
        cloudevents.event_type = what.event_type,
        trace_id = tracing::field::Empty,
    );
    if !span.is_disabled() {
        continue_from(&span, parent().as_deref());
    }
    span
}

/// A span for a call to another service (`otel.kind = client`) named `name` (`POST /v1/captures`).
/// Off when traces are.
pub fn client_span(name: &str) -> Span {
    tracing::info_span!("http.client", otel.kind = "client", otel.name = name, otel.status_code = tracing::field::Empty)
}

/// `request` carrying `span` as its `traceparent`, so the service called continues the trace.
pub fn traced(request: reqwest::RequestBuilder, span: &Span) -> reqwest::RequestBuilder {
    match traceparent(span) {
        Some(value) => request.header(TRACEPARENT, value),
        None => request,
    }
}

struct HeaderExtractor<'h>(&'h http::HeaderMap);

impl Extractor for HeaderExtractor<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(http::HeaderName::as_str).collect()
    }
}

#[cfg(test)]
mod tests {
    use opentelemetry::trace::TracerProvider as _;
    use opentelemetry_sdk::trace::SdkTracerProvider;
    use tracing_subscriber::layer::SubscriberExt as _;

    use super::*;

    const CALLER: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    /// Runs `test` with spans recorded by OpenTelemetry (nothing exported).
    fn with_traces(test: impl FnOnce()) {
        let provider = SdkTracerProvider::builder().build();
        let layer = tracing_opentelemetry::layer().with_tracer(provider.tracer("test"));
        tracing::subscriber::with_default(tracing_subscriber::registry().with(layer), test);
    }

    fn new_span() -> Span {
        tracing::info_span!("test", trace_id = tracing::field::Empty)
    }

    #[test]
    fn a_span_continues_its_callers_trace_and_names_itself_onwards() {
        with_traces(|| {
            let span = new_span();
            continue_from(&span, Some(CALLER));
            let own = traceparent(&span).expect("a traceparent");
            assert!(own.starts_with("00-4bf92f3577b34da6a3ce929d0e0e4736-"), "the caller's trace: {own}");
            assert!(own.ends_with("-01"), "sampled, as the caller decided: {own}");
            assert!(!own.contains("00f067aa0ba902b7"), "its own span id: {own}");
            let child = tracing::info_span!(parent: &span, "child");
            let below = traceparent(&child).unwrap();
            assert_eq!(below[..36], own[..36], "children stay in the trace");
            assert_ne!(below, own);
        });
    }

    #[test]
    fn headers_carry_the_callers_trace_and_invalid_ones_start_a_new_one() {
        with_traces(|| {
            let mut headers = http::HeaderMap::new();
            headers.insert(TRACEPARENT, CALLER.parse().unwrap());
            let span = new_span();
            continue_from_headers(&span, &headers);
            assert!(traceparent(&span).unwrap().contains("4bf92f3577b34da6a3ce929d0e0e4736"));
            for invalid in [None, Some("garbage"), Some("00-00000000000000000000000000000000-00f067aa0ba902b7-01")] {
                let span = new_span();
                continue_from(&span, invalid);
                let own = traceparent(&span).expect("a trace of its own");
                assert!(
                    !own.contains("4bf92f3577b34da6a3ce929d0e0e4736") && !own.contains("-0000000000000000"),
                    "{own}"
                );
            }
        });
    }

    #[test]
    fn with_traces_off_nothing_is_made() {
        let _none = tracing::subscriber::set_default(tracing::subscriber::NoSubscriber::default());
        let span = new_span();
        continue_from(&span, Some(CALLER));
        assert!(span.is_disabled());
        assert_eq!(traceparent(&span), None);
        assert_eq!(current_traceparent(), None);
        let request = reqwest::Client::new().post("http://127.0.0.1:9/");
        assert!(traced(request, &span).build().unwrap().headers().get(TRACEPARENT).is_none());
    }
}
