//! Kafka-protocol brokers for tests: the shared one the test command starts, and private
//! tansu processes that a test may stop and start again.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The shared broker (`BRAID_TEST_KAFKA`, default 127.0.0.1:9092).
pub fn shared() -> String {
    std::env::var("BRAID_TEST_KAFKA").unwrap_or_else(|_| "127.0.0.1:9092".into())
}

/// A topic and group prefix no other test uses.
pub fn topic_prefix() -> String {
    format!("{}.", crate::unique("t"))
}

fn tansu_bin() -> String {
    if let Ok(bin) = std::env::var("TANSU_BIN") {
        return bin;
    }
    let home = std::env::var("HOME").unwrap_or_default();
    let cargo_bin = format!("{home}/.cargo/bin/tansu");
    if std::path::Path::new(&cargo_bin).exists() { cargo_bin } else { "tansu".into() }
}

/// A tansu broker of this test's own, on a port of its own (memory storage).
pub struct Tansu {
    pub port: u16,
    /// The port clients are told to connect to, when it is not `port` (a proxy's).
    advertised: u16,
    child: Option<Child>,
}

impl Tansu {
    pub fn start() -> Self {
        let port = crate::process::free_port();
        Self::start_advertising(port, port)
    }

    /// A broker on `port` that tells its clients to connect to `advertised` instead (a
    /// [`crate::proxy::CutProxy`] forwarding to `port`, so that every connection goes through it).
    pub fn start_advertising(port: u16, advertised: u16) -> Self {
        let mut broker = Self { port, advertised, child: None };
        broker.start_again();
        broker
    }

    pub fn address(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Kills the broker (everything it held is gone: memory storage).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        wait_for(|| std::net::TcpStream::connect(self.address()).is_err(), "broker to stop");
    }

    /// Starts it again on the same port.
    pub fn start_again(&mut self) {
        let url = format!("tcp://127.0.0.1:{}", self.port);
        let advertised = format!("tcp://127.0.0.1:{}", self.advertised);
        let child = Command::new(tansu_bin())
            .args(["broker", "--storage-engine", "memory://tansu/", "--listener-url", &url])
            .args(["--advertised-listener-url", &advertised])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("tansu starts (cargo install --locked tansu --features dynostore,postgres)");
        self.child = Some(child);
        wait_for(|| std::net::TcpStream::connect(self.address()).is_ok(), "broker to listen");
    }
}

impl Drop for Tansu {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn wait_for(mut ok: impl FnMut() -> bool, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !ok() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(25));
    }
}
