//! Reads on a streaming replica: a hot standby serves reads while it keeps up with the primary;
//! a read that must see a given write (the writer's token, an invalidation's fence) goes to
//! the standby only once the standby has replayed it, and to the primary otherwise.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr, Statement};
use tokio_util::sync::CancellationToken;

use crate::config::DatabaseConfig;

/// The response header a write carries its token in, and the request header a read that must
/// see that write sends it back in.
pub const READ_AFTER_HEADER: &str = "braid-read-after";

/// In a request's data when it sent [`READ_AFTER_HEADER`]: what it must see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadAfter(pub Lsn);

/// A position in PostgreSQL's write-ahead log (`pg_lsn`, written `16/B374D848`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Lsn(pub u64);

impl Lsn {
    /// Parses PostgreSQL's text form; `None` for anything else.
    pub fn parse(text: &str) -> Option<Self> {
        let (hi, lo) = text.trim().split_once('/')?;
        let (hi, lo) = (u64::from_str_radix(hi, 16).ok()?, u64::from_str_radix(lo, 16).ok()?);
        (hi <= u64::from(u32::MAX) && lo <= u64::from(u32::MAX)).then_some(Self(hi << 32 | lo))
    }
}

impl fmt::Display for Lsn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:X}/{:X}", self.0 >> 32, self.0 & u64::from(u32::MAX))
    }
}

/// What the last check saw of the standby.
#[derive(Debug, Clone)]
struct Seen {
    /// How far it has replayed.
    replayed: Lsn,
    /// Why it serves no reads, if it does not.
    problem: Option<String>,
}

struct Standby {
    db: DatabaseConnection,
    max_lag: Duration,
    seen: RwLock<Seen>,
    /// Reads from the standby must have this much replayed (raised by invalidations).
    fence: AtomicU64,
    /// `braid_db_reads_total` by where they went.
    to_standby: metrics::Counter,
    to_primary: metrics::Counter,
}

/// Where reads go. Without a standby, always the primary.
#[derive(Clone)]
pub struct ReadRouter {
    primary: DatabaseConnection,
    standby: Option<Arc<Standby>>,
}

/// How often the standby is checked.
const CHECK_EVERY: Duration = Duration::from_millis(200);

/// How long a check, or a read's own look at the standby, waits for its answer.
const CHECK_TIMEOUT: Duration = Duration::from_secs(1);

async fn lsn(db: &DatabaseConnection, sql: &str) -> Result<Option<Lsn>, DbErr> {
    let row = db.query_one_raw(Statement::from_string(db.get_database_backend(), sql)).await?;
    Ok(row.and_then(|r| r.try_get::<Option<String>>("", "lsn").ok().flatten()).and_then(|t| Lsn::parse(&t)))
}

impl ReadRouter {
    /// Reads on `primary` alone.
    pub fn primary_only(primary: DatabaseConnection) -> Self {
        Self { primary, standby: None }
    }

    /// Connects to `config.replica_url` when it is set (not checked yet: it serves no reads
    /// until the first check finds it keeping up).
    pub async fn connect(primary: DatabaseConnection, config: &DatabaseConfig) -> Result<Self, DbErr> {
        let Some(url) = &config.replica_url else { return Ok(Self::primary_only(primary)) };
        let replica_config = DatabaseConfig { url: url.clone(), replica_url: None, migrate: false, ..config.clone() };
        let db = crate::db::connect_standby(&replica_config, CHECK_TIMEOUT).await?;
        let standby = Standby {
            db,
            max_lag: Duration::from_millis(config.replica_max_lag_ms),
            seen: RwLock::new(Seen { replayed: Lsn::default(), problem: Some("not checked yet".into()) }),
            fence: AtomicU64::new(0),
            to_standby: metrics::counter!("braid_db_reads_total", "to" => "standby"),
            to_primary: metrics::counter!("braid_db_reads_total", "to" => "primary"),
        };
        Ok(Self { primary, standby: Some(Arc::new(standby)) })
    }

    /// The primary (writes, and reads inside a write).
    pub fn primary(&self) -> &DatabaseConnection {
        &self.primary
    }

    /// Where the primary's log ends now: a token for a read that must see what was committed
    /// (on PostgreSQL, standby or not: another instance may read from one).
    pub async fn primary_position(&self) -> Result<Option<Lsn>, DbErr> {
        if self.primary.get_database_backend() != sea_orm::DbBackend::Postgres {
            return Ok(None);
        }
        lsn(&self.primary, "SELECT pg_current_wal_lsn()::text AS lsn").await
    }

    /// Reads from the standby from now on must see the primary as it is now (called before a
    /// cache entry is invalidated, so that no refill comes from before the change); returns
    /// that position (on PostgreSQL), for fences kept elsewhere.
    pub async fn raise_fence(&self) -> Result<Option<Lsn>, DbErr> {
        let at = self.primary_position().await?;
        if let (Some(standby), Some(at)) = (&self.standby, at) {
            standby.fence.fetch_max(at.0, Ordering::SeqCst);
        }
        Ok(at)
    }

    /// The connection for a read that must see `after` (a writer's token): the standby when it
    /// keeps up and has replayed that and the fence, else the primary.
    pub async fn read(&self, after: Option<Lsn>) -> &DatabaseConnection {
        let Some(standby) = &self.standby else { return &self.primary };
        if self.standby_has(standby, after).await {
            standby.to_standby.increment(1);
            &standby.db
        } else {
            standby.to_primary.increment(1);
            &self.primary
        }
    }

    /// Does the standby keep up, and has it replayed `after` and the fence?
    async fn standby_has(&self, standby: &Standby, after: Option<Lsn>) -> bool {
        let replayed = {
            let seen = standby.seen.read().unwrap();
            if seen.problem.is_some() {
                return false;
            }
            seen.replayed
        };
        let needed = Lsn(standby.fence.load(Ordering::SeqCst)).max(after.unwrap_or_default());
        if replayed >= needed {
            return true;
        }
        // The last check is up to CHECK_EVERY old: ask the standby itself.
        let replayed =
            tokio::time::timeout(CHECK_TIMEOUT, lsn(&standby.db, "SELECT pg_last_wal_replay_lsn()::text AS lsn")).await;
        matches!(replayed, Ok(Ok(Some(replayed))) if replayed >= needed)
    }

    /// Why the standby serves no reads (`/ready` reports it); `None` when it does or there
    /// is none.
    pub fn problem(&self) -> Option<String> {
        self.standby.as_ref().and_then(|s| s.seen.read().unwrap().problem.clone())
    }

    /// Is there a standby at all?
    pub fn has_standby(&self) -> bool {
        self.standby.is_some()
    }

    /// Checks the standby every 200 ms until `stop`: reachable, replaying, and caught up to
    /// where the primary was at the check before, or not for longer than
    /// `replica_max_lag_ms`.
    pub async fn watch(self, stop: CancellationToken) {
        let Some(standby) = self.standby.clone() else { return };
        let mut before: Option<Lsn> = None;
        let mut behind_since: Option<Instant> = None;
        loop {
            let (seen, primary_now) = self.check(&standby, before, &mut behind_since).await;
            if seen.problem != standby.seen.read().unwrap().problem {
                match &seen.problem {
                    Some(problem) => tracing::warn!(problem, "replica: reads go to the primary"),
                    None => tracing::info!("replica: serving reads"),
                }
            }
            *standby.seen.write().unwrap() = seen;
            before = primary_now.or(before);
            tokio::select! {
                () = stop.cancelled() => return,
                () = tokio::time::sleep(CHECK_EVERY) => {}
            }
        }
    }

    async fn check(
        &self,
        standby: &Standby,
        before: Option<Lsn>,
        behind_since: &mut Option<Instant>,
    ) -> (Seen, Option<Lsn>) {
        let primary_now = self.primary_position().await.ok().flatten();
        let sql = "SELECT pg_last_wal_replay_lsn()::text AS lsn, pg_is_wal_replay_paused() AS paused";
        let query = standby.db.query_one_raw(Statement::from_string(standby.db.get_database_backend(), sql));
        let row = tokio::time::timeout(CHECK_TIMEOUT, query)
            .await
            .unwrap_or_else(|_| Err(DbErr::Custom("no answer in 1 s".into())));
        let (replayed, paused) = match row {
            Ok(Some(row)) => (
                row.try_get::<Option<String>>("", "lsn").ok().flatten().and_then(|t| Lsn::parse(&t)),
                row.try_get::<bool>("", "paused").unwrap_or(false),
            ),
            Ok(None) => (None, false),
            Err(e) => {
                return (Seen { replayed: Lsn::default(), problem: Some(format!("unreachable: {e}")) }, primary_now);
            }
        };
        let Some(replayed) = replayed else {
            return (
                Seen { replayed: Lsn::default(), problem: Some("not a standby (no replay position)".into()) },
                primary_now,
            );
        };
        if replayed >= before.unwrap_or_default() {
            *behind_since = None;
        } else {
            behind_since.get_or_insert_with(Instant::now);
        }
        let problem = if paused {
            Some(format!("replay paused at {replayed}"))
        } else {
            behind_since.filter(|since| since.elapsed() >= standby.max_lag).map(|since| {
                let bytes = before.unwrap_or_default().0.saturating_sub(replayed.0);
                format!("behind the primary by {bytes} bytes for {} ms", since.elapsed().as_millis())
            })
        };
        (Seen { replayed, problem }, primary_now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_positions_read_and_print_as_postgres_writes_them() {
        let lsn = Lsn::parse("16/B374D848").unwrap();
        assert_eq!(lsn.0, 0x16_B374_D848);
        assert_eq!(lsn.to_string(), "16/B374D848");
        assert!(Lsn::parse("0/5000060").unwrap() < Lsn::parse("1/0").unwrap());
        for bad in ["", "16", "x/1", "1/x", "100000000/0", "1/2/3"] {
            assert_eq!(Lsn::parse(bad), None, "{bad}");
        }
    }
}
