//! Child processes that are not `braid` itself (a peer gateway, the test subgraphs server), for
//! benchmarks: started from any `Command`, waited for by HTTP or by a line on stdout, measured
//! (peak resident memory) and stopped with SIGTERM, then SIGKILL, when dropped, including while
//! a panic unwinds.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// A running child process, stopped when dropped.
pub struct Service {
    pub name: String,
    child: Child,
    stdout: Option<mpsc::Receiver<String>>,
}

impl Service {
    /// Spawns `command` with stdin closed. When `capture_stdout` is true, stdout is read line by
    /// line by a thread (see [`Service::wait_for_line`]); otherwise it is discarded. stderr is
    /// inherited.
    pub fn spawn(name: &str, mut command: Command, capture_stdout: bool) -> std::io::Result<Self> {
        command.stdin(Stdio::null()).stderr(Stdio::inherit());
        command.stdout(if capture_stdout { Stdio::piped() } else { Stdio::null() });
        let mut child = command.spawn()?;
        let stdout = child.stdout.take().map(|out| {
            let (tx, rx) = mpsc::channel();
            std::thread::spawn(move || {
                // Keeps draining after the receiver is gone, so the child never blocks on a full pipe.
                for line in BufReader::new(out).lines() {
                    let Ok(line) = line else { break };
                    let _ = tx.send(line);
                }
            });
            rx
        });
        Ok(Self { name: name.to_string(), child, stdout })
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Collects stdout lines until one equals `last`; returns the lines before it.
    pub fn wait_for_line(&mut self, last: &str, timeout: Duration) -> Result<Vec<String>, String> {
        let rx = self.stdout.as_ref().ok_or_else(|| format!("{}: stdout is not captured", self.name))?;
        let deadline = Instant::now() + timeout;
        let mut lines = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok(line) if line.trim() == last => return Ok(lines),
                Ok(line) => lines.push(line),
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    return Err(format!("{}: no `{last}` line within {timeout:?}", self.name));
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    let status = self.child.try_wait().ok().flatten();
                    return Err(format!("{}: stdout closed before `{last}` (exit status {status:?})", self.name));
                }
            }
        }
    }

    /// Waits until `GET http://addr{path}` answers 200; fails early if the process exits.
    pub fn wait_http_ok(&mut self, addr: &str, path: &str, timeout: Duration) -> Result<(), String> {
        let deadline = Instant::now() + timeout;
        loop {
            if http_get_ok(addr, path) {
                return Ok(());
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!("{} exited before answering {path}: {status}", self.name));
            }
            if Instant::now() >= deadline {
                return Err(format!("{} did not answer 200 on http://{addr}{path} within {timeout:?}", self.name));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// How the process ended, if it has (a signal shows as e.g. `signal: 9 (SIGKILL)`).
    pub fn exit_status(&mut self) -> Option<std::process::ExitStatus> {
        self.child.try_wait().ok().flatten()
    }

    /// The process's peak resident set size so far (`VmHWM`), in bytes.
    pub fn peak_rss_bytes(&self) -> Option<u64> {
        peak_rss_bytes(self.child.id())
    }

    /// Stops the process (SIGTERM, SIGKILL after 10 s) and waits for it.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        stop(&mut self.child);
    }
}

/// Stops a child: SIGTERM, then SIGKILL if it is still running after 10 s; reaps it.
pub fn stop(child: &mut Child) {
    if let Ok(None) = child.try_wait() {
        let _ = Command::new("kill").arg("-TERM").arg(child.id().to_string()).status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = child.kill();
    }
    let _ = child.wait();
}

impl Drop for Service {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// `VmHWM` of a process, in bytes (Linux only; `None` elsewhere or once it has exited).
pub fn peak_rss_bytes(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.trim_start_matches("VmHWM:").trim().trim_end_matches("kB").trim().parse().ok()?;
    Some(kib * 1024)
}

/// Does `GET http://addr{path}` answer 200?
pub fn http_get_ok(addr: &str, path: &str) -> bool {
    use std::io::{Read, Write};
    let Ok(mut stream) = std::net::TcpStream::connect(addr) else { return false };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(1)));
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    if stream.write_all(request.as_bytes()).is_err() {
        return false;
    }
    let mut reply = Vec::new();
    let _ = stream.read_to_end(&mut reply);
    reply.starts_with(b"HTTP/1.1 200") || reply.starts_with(b"HTTP/1.0 200")
}
