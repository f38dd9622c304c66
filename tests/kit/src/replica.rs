//! A hot standby of the shared PostgreSQL server, of this test's own: `pg_basebackup` with a
//! replication slot, its own port and data directory, removed (slot included) when dropped.
//!
//! The primary must accept replication connections from 127.0.0.1 (`scripts/test.sh` adds
//! `host replication all 127.0.0.1/32 trust` to its `pg_hba.conf` when it is missing).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// PostgreSQL's server programs (Debian keeps them off the `PATH`).
fn bin(program: &str) -> PathBuf {
    let base = Path::new("/usr/lib/postgresql");
    let mut versions: Vec<PathBuf> =
        std::fs::read_dir(base).map(|dir| dir.filter_map(|e| e.ok().map(|e| e.path())).collect()).unwrap_or_default();
    versions.sort();
    versions.last().map(|v| v.join("bin").join(program)).unwrap_or_else(|| PathBuf::from(program))
}

/// Runs `program` as the `postgres` user when we are root (the server refuses to run as root).
fn as_postgres(program: &str) -> Command {
    let is_root = Command::new("id").arg("-u").output().is_ok_and(|o| o.stdout.starts_with(b"0"));
    if is_root {
        let mut command = Command::new("runuser");
        command.args(["-u", "postgres", "--"]).arg(bin(program));
        command
    } else {
        Command::new(bin(program))
    }
}

fn run(command: &mut Command, what: &str) {
    let output = command.stdin(Stdio::null()).output().unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(output.status.success(), "{what} failed: {}", String::from_utf8_lossy(&output.stderr));
}

pub struct PgReplica {
    pub port: u16,
    dir: PathBuf,
    slot: String,
}

impl PgReplica {
    /// Copies the primary (a few seconds) and starts the standby streaming from it.
    pub fn start() -> Self {
        let slot = crate::unique("braid_replica_");
        let dir = std::env::temp_dir().join(&slot);
        std::fs::create_dir_all(&dir).expect("replica directory");
        run(Command::new("chown").arg("postgres").arg(&dir), "chown");
        let primary = crate::db::server_url();
        let mut basebackup = as_postgres("pg_basebackup");
        basebackup.args(["--dbname", &primary, "-D"]).arg(dir.join("data")).args([
            "--write-recovery-conf",
            "--wal-method=stream",
            "--create-slot",
            "--slot",
            &slot,
        ]);
        run(&mut basebackup, "pg_basebackup");
        // Debian keeps the configuration outside the data directory: the standby gets its own.
        let data = dir.join("data");
        std::fs::write(data.join("postgresql.conf"), "hot_standby = on\nhot_standby_feedback = on\n").unwrap();
        std::fs::write(data.join("pg_hba.conf"), "local all all trust\nhost all all 127.0.0.1/32 trust\n").unwrap();
        std::fs::write(data.join("pg_ident.conf"), "").unwrap();
        run(Command::new("chown").args(["-R", "postgres"]).arg(&dir), "chown");
        let replica = Self { port: crate::process::free_port(), dir, slot };
        replica.start_again();
        replica
    }

    /// A connection URL to `database` on the standby.
    pub fn url(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
    }

    /// Starts the standby again (after [`PgReplica::stop`]): it catches up through its slot.
    pub fn start_again(&self) {
        let options = format!("-p {} -k {} -c listen_addresses=127.0.0.1", self.port, self.dir.display());
        let mut start = as_postgres("pg_ctl");
        start.arg("-D").arg(self.dir.join("data")).args(["-o", &options, "-l"]).arg(self.dir.join("log"));
        start.args(["-w", "-t", "60", "start"]);
        run(&mut start, "pg_ctl start");
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(Instant::now() < deadline, "the replica did not listen");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Stops the standby at once (`pg_ctl stop -m immediate`: as if it had crashed).
    pub fn stop(&self) {
        let mut stop = as_postgres("pg_ctl");
        stop.arg("-D").arg(self.dir.join("data")).args(["-m", "immediate", "-w", "stop"]);
        let _ = stop.stdout(Stdio::null()).stderr(Stdio::null()).status();
    }
}

impl Drop for PgReplica {
    fn drop(&mut self) {
        self.stop();
        // The slot would keep WAL on the primary for a standby that no longer exists.
        let drop_slot = format!("SELECT pg_drop_replication_slot('{}')", self.slot);
        let _ = Command::new("psql")
            .args([crate::db::server_url().as_str(), "-Atc", &drop_slot])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
