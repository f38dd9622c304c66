//! The subscriber: logs on stdout, and OpenTelemetry spans exported over OTLP/HTTP when traces
//! are on.

use std::sync::OnceLock;
use std::time::Duration;

use opentelemetry::trace::{Link, SamplingDecision, SamplingResult, SpanKind, TraceId, TracerProvider as _};
use opentelemetry::{Context, KeyValue};
use opentelemetry_otlp::{WithExportConfig as _, WithHttpConfig as _};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::trace::{BatchConfigBuilder, BatchSpanProcessor, Sampler, SdkTracerProvider, ShouldSample};
use tracing_subscriber::filter::{EnvFilter, FilterExt as _, LevelFilter, Targets, filter_fn};
use tracing_subscriber::layer::{Layer, SubscriberExt as _};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::util::SubscriberInitExt as _;

use crate::config::TelemetryConfig;

/// Traces could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum TelemetryError {
    #[error("telemetry: the OTLP exporter for {endpoint}: {source}")]
    Exporter { endpoint: String, source: opentelemetry_otlp::ExporterBuildError },
}

/// The provider spans are exported through, kept to flush it at exit ([`shutdown`]).
static PROVIDER: OnceLock<SdkTracerProvider> = OnceLock::new();

/// Installs the process's subscriber: logs on stdout (`RUST_LOG` filters, `BRAID_LOG_FORMAT=json`
/// for JSON lines, coloured only on a terminal without `NO_COLOR`) and, when
/// `config.otlp_endpoint` is set, spans of `service.name` `braid-<component>` (or
/// `config.service_name`) exported there. A second call does nothing (tests start several
/// services in one process).
pub fn init(component: &str, config: &TelemetryConfig) -> Result<(), TelemetryError> {
    let provider = config.otlp_endpoint.as_deref().map(|endpoint| provider(component, endpoint, config)).transpose()?;
    let installed = match &provider {
        None => logs_only().try_init(),
        Some(provider) => logs_and_spans(provider).try_init(),
    };
    if installed.is_ok()
        && let Some(provider) = provider
    {
        let _ = PROVIDER.set(provider);
    }
    Ok(())
}

/// Are spans exported?
pub(super) fn on() -> bool {
    PROVIDER.get().is_some()
}

/// Sends the spans still held and stops the exporter; call once the runtime has stopped.
pub fn shutdown() {
    if let Some(provider) = PROVIDER.get()
        && let Err(e) = provider.shutdown()
    {
        eprintln!("telemetry: flushing the last spans failed: {e}");
    }
}

/// Traces off: the logs alone, behind global filters that take no span. No layer is
/// interested in a span then, so the spans of the request paths are off at their call sites
/// (a per-layer filter, or an absent layer, would leave every call site to be asked each time).
fn logs_only() -> impl tracing::Subscriber + Send + Sync {
    tracing_subscriber::registry().with(log_filter()).with(filter_fn(|meta| !meta.is_span())).with(log_layer())
}

/// Traces on: the logs, and the spans and events at INFO and above for OpenTelemetry, whatever
/// `RUST_LOG` says of the logs.
fn logs_and_spans(provider: &SdkTracerProvider) -> impl tracing::Subscriber + Send + Sync {
    // What a span costs is paid for every span, sampled or not: none of the extras (source
    // location, thread, target, busy and idle time, an OpenTelemetry context activated on each
    // poll of an instrumented future; the context is read from the span where it is needed).
    let spans = tracing_opentelemetry::layer()
        .with_tracer(provider.tracer("braid"))
        .with_location(false)
        .with_threads(false)
        .with_target(false)
        .with_tracked_inactivity(false)
        .with_context_activation(false)
        .with_filter(Targets::new().with_default(LevelFilter::INFO));
    // The logs take only the spans that name the trace (a request's, an event's): a log line
    // says which trace it belongs to, and no other span pays for being formatted.
    let roots = filter_fn(|meta| !meta.is_span() || meta.fields().field("trace_id").is_some());
    tracing_subscriber::registry().with(log_layer().with_filter(log_filter().and(roots))).with(spans)
}

fn log_filter() -> EnvFilter {
    EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"))
}

fn log_layer<S>() -> Box<dyn Layer<S> + Send + Sync>
where
    S: tracing::Subscriber + for<'a> LookupSpan<'a>,
{
    use std::io::IsTerminal;
    let colour = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let layer = tracing_subscriber::fmt::layer().with_ansi(colour);
    if std::env::var("BRAID_LOG_FORMAT").as_deref() == Ok("json") { layer.json().boxed() } else { layer.boxed() }
}

/// Batches of spans posted to `<endpoint>/v1/traces` as protobuf, from a thread of their own;
/// traces started here kept at `sampling_ratio`, those continued from a caller as it decided.
fn provider(component: &str, endpoint: &str, config: &TelemetryConfig) -> Result<SdkTracerProvider, TelemetryError> {
    let url = format!("{}/v1/traces", endpoint.trim_end_matches('/'));
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_endpoint(url)
        .with_timeout(Duration::from_millis(config.export_timeout_ms))
        .with_headers(config.otlp_headers.clone().into_iter().collect())
        .build()
        .map_err(|source| TelemetryError::Exporter { endpoint: endpoint.to_string(), source })?;
    let batches = BatchConfigBuilder::default()
        .with_scheduled_delay(Duration::from_millis(config.export_interval_ms))
        .with_max_queue_size(config.max_queue)
        .build();
    let processor = BatchSpanProcessor::builder(exporter).with_batch_config(batches).build();
    let name = config.service_name.clone().unwrap_or_else(|| format!("braid-{component}"));
    Ok(SdkTracerProvider::builder()
        .with_span_processor(processor)
        .with_sampler(Sampler::ParentBased(Box::new(WorkArrives(Sampler::TraceIdRatioBased(config.sampling_ratio)))))
        .with_resource(Resource::builder().with_service_name(name).build())
        .build())
}

/// Where a trace may begin: where work arrives, a request served (`server`), an event taken
/// up (`consumer`) or published on its own (`producer`), kept at the ratio. A database call
/// or a fetch with no parent (the relay's polling, a timer's round) begins none: they would be
/// thousands of one-span traces.
#[derive(Debug, Clone)]
struct WorkArrives(Sampler);

impl ShouldSample for WorkArrives {
    fn should_sample(
        &self,
        parent: Option<&Context>,
        trace_id: TraceId,
        name: &str,
        kind: &SpanKind,
        attributes: &[KeyValue],
        links: &[Link],
    ) -> SamplingResult {
        match kind {
            SpanKind::Server | SpanKind::Consumer | SpanKind::Producer => {
                self.0.should_sample(parent, trace_id, name, kind, attributes, links)
            }
            SpanKind::Client | SpanKind::Internal => SamplingResult {
                decision: SamplingDecision::Drop,
                attributes: Vec::new(),
                trace_state: Default::default(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request_span() -> tracing::Span {
        tracing::info_span!("graphql.request", trace_id = tracing::field::Empty)
    }

    #[test]
    fn traces_off_the_spans_are_off_at_their_call_sites_and_logs_still_written() {
        let call_site = tracing::subscriber::with_default(tracing_subscriber::registry(), || {
            request_span().metadata().expect("an enabled span's call site")
        });
        tracing::subscriber::with_default(logs_only(), || {
            let span = request_span();
            assert!(span.is_disabled());
            assert_eq!(crate::telemetry::context::traceparent(&span), None);
            // Off for good at the call site, not asked again at each span (what the request
            // paths rely on to pay nothing): the subscriber's interest in it is `never`.
            assert!(tracing::dispatcher::get_default(|d| d.register_callsite(call_site)).is_never());
            assert!(tracing::enabled!(tracing::Level::INFO), "info events are still logged");
        });
    }

    #[test]
    fn a_trace_begins_only_where_work_arrives() {
        let sampler = WorkArrives(Sampler::AlwaysOn);
        let decide = |kind| sampler.should_sample(None, TraceId::from(7), "span", &kind, &[], &[]).decision;
        for kind in [SpanKind::Server, SpanKind::Consumer, SpanKind::Producer] {
            assert_eq!(decide(kind), SamplingDecision::RecordAndSample);
        }
        for kind in [SpanKind::Client, SpanKind::Internal] {
            assert_eq!(decide(kind), SamplingDecision::Drop);
        }
    }
}
