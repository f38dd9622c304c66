//! `braid backup` and `braid restore`: a subgraph's PostgreSQL database to a directory and
//! back, through `pg_dump` and `pg_restore` in their custom format.
//!
//! A restore brings the outbox and the inbox back with everything else, which is what keeps
//! it from doubling an effect: an event the backup shows as published is not published again,
//! one it shows waiting is published again under its own id (consumers' inboxes drop it if
//! they had it), and a consumer's inbox remembers every event whose effect the backup holds.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context as _, bail};
use serde::{Deserialize, Serialize};

/// What a backup directory says about its dump.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Manifest {
    subgraph: String,
    taken_at: String,
    /// `pg_dump --version` of the tool that wrote the dump.
    pg_dump: String,
    dump: String,
}

fn manifest_path(dir: &Path, subgraph: &str) -> PathBuf {
    dir.join(format!("{subgraph}.backup.json"))
}

/// The database URL as libpq reads it: PostgreSQL only.
fn postgres_url(url: &str) -> anyhow::Result<&str> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(url)
    } else {
        bail!(
            "backups are of PostgreSQL databases (postgres://...); for SQLite, copy its file while the service is stopped"
        )
    }
}

fn run(command: &mut Command, what: &str) -> anyhow::Result<String> {
    let output = command.output().with_context(|| format!("running {what} (PostgreSQL's client tools)"))?;
    if !output.status.success() {
        bail!("{what} failed: {}", String::from_utf8_lossy(&output.stderr).trim());
    }
    Ok(String::from_utf8_lossy(&output.stdout).trim().to_string())
}

/// Dumps `subgraph`'s database into `dir` (created if missing): `<subgraph>.dump` and a manifest.
pub fn backup(subgraph: &str, database_url: &str, dir: &Path) -> anyhow::Result<PathBuf> {
    let url = postgres_url(database_url)?;
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let dump = format!("{subgraph}.dump");
    let partial = dir.join(format!("{dump}.partial"));
    run(
        Command::new("pg_dump")
            .arg("--format=custom")
            .arg("--no-owner")
            .arg("--file")
            .arg(&partial)
            .arg("--dbname")
            .arg(url),
        "pg_dump",
    )?;
    // Only a complete dump takes the name a restore reads.
    std::fs::rename(&partial, dir.join(&dump))?;
    let manifest = Manifest {
        subgraph: subgraph.to_string(),
        taken_at: chrono::Utc::now().to_rfc3339(),
        pg_dump: run(Command::new("pg_dump").arg("--version"), "pg_dump --version")?,
        dump,
    };
    let path = manifest_path(dir, subgraph);
    std::fs::write(&path, serde_json::to_string_pretty(&manifest)?)?;
    Ok(dir.join(&manifest.dump))
}

/// Replaces `subgraph`'s database with the backup in `dir`, in one transaction (the service
/// should be stopped: its open transactions would hold the tables).
pub fn restore(subgraph: &str, database_url: &str, dir: &Path) -> anyhow::Result<String> {
    let url = postgres_url(database_url)?;
    let path = manifest_path(dir, subgraph);
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("reading {} (no backup of {subgraph} in {})", path.display(), dir.display()))?;
    let manifest: Manifest = serde_json::from_str(&text).with_context(|| format!("reading {}", path.display()))?;
    if manifest.subgraph != subgraph {
        bail!("{} is a backup of {}, not of {subgraph}", path.display(), manifest.subgraph);
    }
    run(
        Command::new("pg_restore")
            .args(["--clean", "--if-exists", "--no-owner", "--single-transaction", "--exit-on-error"])
            .arg("--dbname")
            .arg(url)
            .arg(dir.join(&manifest.dump)),
        "pg_restore",
    )?;
    Ok(manifest.taken_at)
}
