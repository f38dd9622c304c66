//! Logs and the process-wide Prometheus recorder.

use std::sync::OnceLock;

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

/// Buckets of every `_seconds` histogram: from a cached gateway answer (a millisecond) to an
/// event that waited out a broker restart (minutes). Histograms, not summaries, so that
/// quantiles can be taken over every instance (`histogram_quantile` over summed buckets).
const SECONDS_BUCKETS: &[f64] =
    &[0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0];

/// Structured logs on stdout (`RUST_LOG` filters, `BRAID_LOG_FORMAT=json` for JSON lines),
/// coloured only on a terminal (never in a file or a pipe, nor with `NO_COLOR` set).
pub fn init_logging() {
    use std::io::IsTerminal;
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let colour = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_ansi(colour);
    let result = if std::env::var("BRAID_LOG_FORMAT").as_deref() == Ok("json") {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
    drop(result); // already initialised (tests start several services in one process)
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
