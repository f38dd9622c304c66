//! Logs, traces and the process-wide Prometheus recorder.
//!
//! [`init`] installs the one `tracing` subscriber of the process: logs on stdout and, when
//! `telemetry.otlp_endpoint` is set, OpenTelemetry spans exported over OTLP. Traces off, no
//! layer wants a span, so every `info_span!` on the request paths is disabled at its call site
//! and costs a load and a branch. [`context`] carries W3C trace context across the process's
//! edges (HTTP headers, outbox rows, broker headers).

pub mod context;
mod trace;

use std::sync::OnceLock;

pub use trace::{TelemetryError, init, shutdown};

use crate::config::TelemetryConfig;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

/// Buckets of every `_seconds` histogram: from a cached gateway answer (a millisecond) to an
/// event that waited out a broker restart (minutes). Histograms, not summaries, so that
/// quantiles can be taken over every instance (`histogram_quantile` over summed buckets).
const SECONDS_BUCKETS: &[f64] =
    &[0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0];

/// Structured logs on stdout and no traces: for the commands that serve nothing.
pub fn init_logging() {
    // Without an OTLP endpoint nothing can fail.
    drop(init("braid", &TelemetryConfig::default()));
}

/// Are traces on (an OTLP endpoint set when the subscriber was installed)?
pub fn traces_on() -> bool {
    trace::on()
}

/// `builder` with a span per resolver of an object or list of objects (scalars and enums
/// take none), when traces are on; the extension costs every field a call when they are off.
pub fn traced<Q, M, S>(builder: async_graphql::SchemaBuilder<Q, M, S>) -> async_graphql::SchemaBuilder<Q, M, S> {
    if traces_on() { builder.extension(async_graphql::extensions::Tracing) } else { builder }
}

/// The one Prometheus recorder of this process, installed on first use.
pub fn prometheus() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), SECONDS_BUCKETS)
            .expect("the buckets are not empty")
            .build_recorder();
        let handle = recorder.handle();
        // Fails only if another recorder was set first; the handle still renders ours.
        drop(metrics::set_global_recorder(recorder));
        handle
    })
}
