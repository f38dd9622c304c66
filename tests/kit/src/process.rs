//! Child processes of the `braid` binary, stopped with SIGTERM (graceful) when dropped.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running `braid` process.
pub struct BraidProcess {
    pub addr: String,
    child: Child,
}

impl BraidProcess {
    /// Starts `bin args...` with `env` and waits until `http://addr/health` answers.
    pub fn start(bin: &Path, args: &[&str], env: &[(&str, String)], addr: &str) -> Self {
        let level = std::env::var("RUST_LOG").unwrap_or_else(|_| "warn".into());
        Self::spawn(bin, args, env, addr, (Stdio::null(), &level))
    }

    /// Like [`BraidProcess::start`], logging at `level` (`RUST_LOG`) to the file `log`.
    pub fn start_logged(
        bin: &Path,
        args: &[&str],
        env: &[(&str, String)],
        addr: &str,
        (log, level): (&Path, &str),
    ) -> Self {
        let file = std::fs::File::create(log).expect("a log file");
        Self::spawn(bin, args, env, addr, (Stdio::from(file), level))
    }

    fn spawn(bin: &Path, args: &[&str], env: &[(&str, String)], addr: &str, (stdout, level): (Stdio, &str)) -> Self {
        let mut command = Command::new(bin);
        command.args(args).stdout(stdout).stderr(Stdio::inherit());
        command.env("RUST_LOG", level);
        for (k, v) in env {
            command.env(k, v);
        }
        let child = command.spawn().expect("braid starts");
        let process = Self { addr: addr.to_string(), child };
        process.wait_healthy(Duration::from_secs(60));
        process
    }

    fn wait_healthy(&self, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        loop {
            if crate::service::http_get_ok(&self.addr, "/health") {
                return;
            }
            assert!(Instant::now() < deadline, "braid at {} did not become healthy", self.addr);
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Sends SIGTERM and waits for the exit status.
    pub fn terminate(mut self) -> std::process::ExitStatus {
        self.signal_term();
        self.child.wait().expect("wait for braid")
    }

    /// Waits for the process to exit (after [`BraidProcess::signal_term`]).
    pub fn wait(mut self) -> std::process::ExitStatus {
        self.child.wait().expect("wait for braid")
    }

    /// SIGKILL: no draining, no goodbye.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Sends SIGTERM and returns at once (the process drains while the caller goes on).
    pub fn signal_term(&mut self) {
        let _ = Command::new("kill").arg("-TERM").arg(self.child.id().to_string()).status();
    }
}

impl Drop for BraidProcess {
    fn drop(&mut self) {
        crate::service::stop(&mut self.child);
    }
}

/// A free loopback address.
pub fn free_addr() -> String {
    format!("127.0.0.1:{}", free_port())
}

/// A loopback port free at the time of asking, never handed out twice by this process.
///
/// Drawn below the kernel's ephemeral range (32768 and up), not by binding port 0: a port from
/// that range, free when asked, is soon the source port of some test's outgoing connection,
/// and the process meant to listen on it then fails with "address already in use".
pub fn free_port() -> u16 {
    use std::hash::{BuildHasher, Hasher};
    static GIVEN: std::sync::Mutex<std::collections::BTreeSet<u16>> =
        std::sync::Mutex::new(std::collections::BTreeSet::new());
    loop {
        let random = std::collections::hash_map::RandomState::new().build_hasher().finish();
        let port = 20_000 + (random % 12_000) as u16;
        if GIVEN.lock().unwrap().insert(port) && std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
}
