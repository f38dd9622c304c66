//! Hot reload: watch the supergraph file and swap in each new version that loads cleanly.
//! A broken file is logged and ignored; the old schema keeps serving.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use notify::{RecursiveMode, Watcher};
use tokio::sync::mpsc;

use crate::gateway::Gateway;
use crate::supergraph::Supergraph;

/// Watches `path` until `shutdown` resolves.
pub async fn watch(gateway: Arc<Gateway>, path: PathBuf, shutdown: impl Future<Output = ()>) {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let file_name = path.file_name().map(|n| n.to_os_string());
    let mut watcher = match notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        if let Ok(event) = event
            && event.paths.iter().any(|p| p.file_name().map(|n| n.to_os_string()) == file_name)
        {
            let _ = tx.send(());
        }
    }) {
        Ok(watcher) => watcher,
        Err(error) => {
            tracing::error!(%error, "cannot watch the supergraph file; hot reload is off");
            return;
        }
    };
    // Watching the directory sees editors and tools that replace the file by renaming.
    let directory = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    if let Err(error) = watcher.watch(directory, RecursiveMode::NonRecursive) {
        tracing::error!(%error, dir = %directory.display(), "cannot watch the supergraph directory; hot reload is off");
        return;
    }
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            _ = &mut shutdown => return,
            event = rx.recv() => {
                if event.is_none() {
                    return;
                }
                // Let a burst of writes settle, then read once.
                tokio::time::sleep(Duration::from_millis(100)).await;
                while rx.try_recv().is_ok() {}
                reload(&gateway, &path);
            }
        }
    }
}

/// Loads `path` and swaps it in if it is a valid supergraph different from the current one.
pub fn reload(gateway: &Gateway, path: &Path) {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(error) => {
            tracing::error!(%error, path = %path.display(), "supergraph reload: cannot read the file; keeping the current schema");
            metrics::counter!("braid_gateway_schema_reloads_total", "result" => "rejected").increment(1);
            return;
        }
    };
    if xxhash_rust::xxh3::xxh3_64(text.as_bytes()) == gateway.runtime().supergraph.id {
        return;
    }
    match Supergraph::parse(&text).and_then(|s| gateway.replace_supergraph(s)) {
        Ok(()) => {
            tracing::info!(path = %path.display(), "supergraph reloaded");
            metrics::counter!("braid_gateway_schema_reloads_total", "result" => "applied").increment(1);
        }
        Err(error) => {
            tracing::error!(%error, path = %path.display(), "supergraph reload rejected; keeping the current schema");
            metrics::counter!("braid_gateway_schema_reloads_total", "result" => "rejected").increment(1);
        }
    }
}
