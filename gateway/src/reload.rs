//! Hot reload: watch the supergraph file and swap in each new version that loads cleanly.
//! A broken file is logged and ignored; the old schema keeps serving.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use notify::{RecursiveMode, Watcher};
use tokio::sync::mpsc;

use crate::service::Gateway;
use crate::supergraph::Supergraph;

/// Watches `path` until `shutdown` resolves.
pub async fn watch(gateway: Arc<Gateway>, path: PathBuf, shutdown: impl Future<Output = ()>) {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let file_name = path.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    let mut watcher = match notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        if let Ok(event) = event
            && changes(&event, &file_name)
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

/// Whether `event` may have changed the file `file_name`. Opening and reading it may not: the
/// reload itself reads the file, and reacting to that would read it again, forever. A writer
/// closing it may (the last write is then complete).
fn changes(event: &notify::Event, file_name: &std::ffi::OsStr) -> bool {
    use notify::event::{AccessKind, AccessMode};
    let kind_counts = match event.kind {
        notify::EventKind::Access(AccessKind::Close(AccessMode::Write)) => true,
        notify::EventKind::Access(_) => false,
        _ => true,
    };
    kind_counts && event.paths.iter().any(|p| p.file_name() == Some(file_name))
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

#[cfg(test)]
mod tests {
    use notify::event::{AccessKind, AccessMode, CreateKind, DataChange, ModifyKind, RemoveKind, RenameMode};
    use notify::{Event, EventKind};

    use super::*;

    #[test]
    fn writes_and_renames_of_the_file_count_but_reading_it_does_not() {
        let event = |kind, file: &str| Event::new(kind).add_path(PathBuf::from("/etc/braid").join(file));
        let name = std::ffi::OsStr::new("supergraph.graphql");
        let counted = [
            EventKind::Modify(ModifyKind::Data(DataChange::Content)),
            EventKind::Modify(ModifyKind::Name(RenameMode::To)),
            EventKind::Create(CreateKind::File),
            EventKind::Remove(RemoveKind::File),
            EventKind::Access(AccessKind::Close(AccessMode::Write)),
            EventKind::Any,
        ];
        for kind in counted {
            assert!(changes(&event(kind, "supergraph.graphql"), name), "{kind:?}");
            assert!(!changes(&event(kind, "other.graphql"), name), "{kind:?} of another file");
        }
        for kind in [
            EventKind::Access(AccessKind::Open(AccessMode::Any)),
            EventKind::Access(AccessKind::Read),
            EventKind::Access(AccessKind::Close(AccessMode::Read)),
        ] {
            assert!(!changes(&event(kind, "supergraph.graphql"), name), "{kind:?}");
        }
    }
}
