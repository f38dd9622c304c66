//! RabbitMQ for tests: the shared broker (names under a test's prefix, deleted after it) and
//! private nodes that a test may stop and start again, keeping their data.

use std::os::unix::process::CommandExt as _;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use lapin::options::{ExchangeDeleteOptions, QueueDeleteOptions};
use lapin::{Connection, ConnectionProperties};

const RABBITMQ_BIN: &str = "/usr/lib/rabbitmq/bin";

/// The shared broker (`BRAID_TEST_AMQP`, default guest on 127.0.0.1:5672).
pub fn shared() -> String {
    std::env::var("BRAID_TEST_AMQP").unwrap_or_else(|_| "amqp://guest:guest@127.0.0.1:5672/%2f".into())
}

/// Deletes what the event bus declared under `prefix` for `groups` reading `topics` over
/// `partitions` partitions: each group's partition queues, each topic's dead-letter queue, and
/// both exchanges of each topic.
pub async fn delete_declared(url: &str, prefix: &str, groups: &[&str], topics: &[&str], partitions: i32) {
    let mut queues: Vec<String> = topics.iter().map(|t| format!("{prefix}{t}.dlq")).collect();
    for group in groups {
        for topic in topics {
            queues.extend((0..partitions).map(|p| format!("{prefix}{group}.{topic}.{p}")));
        }
    }
    let exchanges: Vec<String> =
        topics.iter().flat_map(|t| [format!("{prefix}{t}"), format!("{prefix}{t}.dlq")]).collect();
    delete(url, &queues, &exchanges).await;
}

/// Deletes `queues` and `exchanges` (what a test declared under its prefix).
pub async fn delete(url: &str, queues: &[String], exchanges: &[String]) {
    let Ok(connection) = Connection::connect(url, ConnectionProperties::default()).await else { return };
    for queue in queues {
        // A channel per deletion: deleting what does not exist closes the channel.
        if let Ok(channel) = connection.create_channel().await {
            let _ = channel.queue_delete(queue.as_str().into(), QueueDeleteOptions::default()).await;
        }
    }
    for exchange in exchanges {
        if let Ok(channel) = connection.create_channel().await {
            let _ = channel.exchange_delete(exchange.as_str().into(), ExchangeDeleteOptions::default()).await;
        }
    }
    let _ = connection.close(200, "done".into()).await;
}

/// A RabbitMQ node of this test's own (its own name, ports and data directory), removed when
/// dropped. Starts in about five seconds.
pub struct RabbitNode {
    pub port: u16,
    dist_port: u16,
    node: String,
    dir: PathBuf,
    /// The running node's script, leader of its process group.
    child: Option<Child>,
}

impl RabbitNode {
    pub fn start() -> Self {
        let name = crate::unique("braid-");
        let dir = std::env::temp_dir().join(&name);
        std::fs::create_dir_all(&dir).expect("node directory");
        std::fs::write(dir.join("plugins"), "[].").expect("plugins file");
        let mut node = Self {
            port: crate::process::free_port(),
            dist_port: crate::process::free_port(),
            node: format!("{name}@localhost"),
            dir,
            child: None,
        };
        node.start_again();
        node
    }

    pub fn url(&self) -> String {
        format!("amqp://guest:guest@127.0.0.1:{}/%2f", self.port)
    }

    fn command(&self, program: &str) -> Command {
        let mut command = Command::new(format!("{RABBITMQ_BIN}/{program}"));
        let dir = self.dir.display().to_string();
        command
            .current_dir(&self.dir)
            .env("HOME", &dir) // the Erlang cookie, shared by the node and rabbitmqctl
            .env("RABBITMQ_NODENAME", &self.node)
            .env("RABBITMQ_NODE_IP_ADDRESS", "127.0.0.1")
            .env("RABBITMQ_NODE_PORT", self.port.to_string())
            .env("RABBITMQ_DIST_PORT", self.dist_port.to_string())
            .env("RABBITMQ_MNESIA_BASE", format!("{dir}/mnesia"))
            .env("RABBITMQ_LOG_BASE", format!("{dir}/log"))
            .env("RABBITMQ_ENABLED_PLUGINS_FILE", format!("{dir}/plugins"))
            .env("RABBITMQ_CONFIG_FILE", format!("{dir}/none"))
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        command
    }

    /// Starts the node (again, on the same ports and data).
    pub fn start_again(&mut self) {
        let child = self
            .command("rabbitmq-server")
            .process_group(0)
            .spawn()
            .expect("rabbitmq-server starts (Debian's rabbitmq-server package)");
        self.child = Some(child);
        wait_for(Duration::from_secs(60), "the node to listen", || listening(self.port));
    }

    /// Stops the node the way an operator would (`rabbitmqctl stop`): durable queues and
    /// persistent messages stay on disk.
    pub fn stop(&mut self) {
        let _ = self.command("rabbitmqctl").args(["-n", &self.node, "stop"]).status();
        wait_for(Duration::from_secs(60), "the node to stop", || !listening(self.port) && !listening(self.dist_port));
        self.kill();
    }

    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            // The whole group: the script and the Erlang VM it started.
            // (`kill -9 -PID` is read by procps' kill as something else and kills nothing.)
            let group = format!("-{}", child.id());
            let _ = Command::new("kill").args(["-s", "KILL", "--", &group]).stderr(Stdio::null()).status();
            let _ = child.wait();
        }
    }
}

impl Drop for RabbitNode {
    fn drop(&mut self) {
        self.kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn listening(port: u16) -> bool {
    std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
}

fn wait_for(timeout: Duration, what: &str, mut ok: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !ok() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}
