//! Logs and the process-wide Prometheus recorder.

use std::sync::OnceLock;

use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

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
        let recorder = PrometheusBuilder::new().build_recorder();
        let handle = recorder.handle();
        // Fails only if another recorder was set first; the handle still renders ours.
        drop(metrics::set_global_recorder(recorder));
        handle
    })
}
