//! The cluster's processes (payment provider, catalog, orders), each killable and restartable
//! on its own port, and calls to them that tell "down" from an answer.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use braid_testkit::{jwt, process::free_addr, redis_prefix, service::http_get_ok};
use serde_json::{Value, json};
use tokio::sync::Mutex;

const BRAID: &str = env!("CARGO_BIN_EXE_braid");

/// A directory for the processes' logs (`BRAID_CHAOS_LOGS`), appended to across restarts;
/// without it they log errors only, to the test's output.
fn logs() -> Option<String> {
    std::env::var("BRAID_CHAOS_LOGS").ok().filter(|d| !d.is_empty())
}

/// One process of the cluster and how to start it again.
struct Proc {
    args: Vec<String>,
    env: Vec<(String, String)>,
    addr: String,
    child: Option<Child>,
}

impl Proc {
    fn start(args: Vec<String>, env: Vec<(String, String)>, addr: String) -> Self {
        let mut p = Self { args, env, addr, child: None };
        p.spawn();
        p
    }

    fn spawn(&mut self) {
        let mut command = Command::new(BRAID);
        command.args(&self.args).stdin(Stdio::null()).stderr(Stdio::inherit());
        match logs() {
            Some(dir) => {
                let name = format!("{dir}/{}.log", self.args[..self.args.len() - 2].join("-"));
                let file = std::fs::OpenOptions::new().create(true).append(true).open(&name).expect("a log file");
                command.stdout(file).env("RUST_LOG", "info");
            }
            None => {
                command.stdout(Stdio::null()).env("RUST_LOG", "error");
            }
        }
        command.envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        self.child = Some(command.spawn().expect("braid starts"));
        let deadline = Instant::now() + Duration::from_secs(60);
        while !http_get_ok(&self.addr, "/health") {
            assert!(Instant::now() < deadline, "{:?} did not become healthy", self.args);
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Starts the process again if it exited on its own; returns how it exited.
    fn revive(&mut self) -> Option<std::process::ExitStatus> {
        let status = self.child.as_mut()?.try_wait().ok()??;
        self.child = None;
        self.spawn();
        Some(status)
    }

    /// SIGKILL: no draining, no goodbye.
    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    fn terminate(&mut self) {
        if let Some(mut child) = self.child.take() {
            braid_testkit::service::stop(&mut child);
        }
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.kill();
    }
}

/// What a call got.
pub enum Call {
    Data(Value),
    /// A GraphQL error (with its code).
    Error(String),
    /// No answer: the service is down or restarting.
    Down,
}

pub struct Cluster {
    provider: Mutex<Proc>,
    catalog: Mutex<Proc>,
    orders: Mutex<Proc>,
    pub provider_url: String,
    catalog_url: String,
    orders_url: String,
    pub catalog_db: sea_orm::DatabaseConnection,
    pub orders_db: sea_orm::DatabaseConnection,
    http: reqwest::Client,
}

fn subgraph_env(db: &str, brokers: &str, redis: &str, topics: &str) -> Vec<(String, String)> {
    [
        ("BRAID_DATABASE__URL", db.to_string()),
        ("BRAID_DATABASE__MAX_CONNECTIONS", "12".into()),
        ("BRAID_EVENTS__BACKEND", "kafka".into()),
        ("BRAID_EVENTS__BROKERS", brokers.to_string()),
        ("BRAID_EVENTS__TOPIC_PREFIX", topics.to_string()),
        ("BRAID_EVENTS__RELAY_INTERVAL_MS", "50".into()),
        ("BRAID_EVENTS__RETRY_BACKOFF_MS", "20".into()),
        ("BRAID_EVENTS__PUBLISH_TIMEOUT_MS", "3000".into()),
        ("BRAID_CACHE__BACKEND", "redis".into()),
        ("BRAID_CACHE__URL", redis_prefix::url()),
        ("BRAID_CACHE__KEY_PREFIX", redis.to_string()),
        ("BRAID_AUTH__PUBLIC_KEY_PEM", jwt::PUBLIC_PEM.to_string()),
        ("BRAID_AUTH__ISSUER", jwt::ISSUER.to_string()),
        ("BRAID_AUTH__AUDIENCE", jwt::AUDIENCE.to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

impl Cluster {
    /// Starts the provider, the catalog and the orders service; `overrides` are extra
    /// `BRAID_*` settings of the orders service.
    pub async fn start(
        brokers: &str,
        catalog_db: &str,
        orders_db: &str,
        redis: &str,
        overrides: &[(&str, &str)],
    ) -> Self {
        let topics = braid_testkit::broker::topic_prefix();
        let (provider_addr, catalog_addr, orders_addr) = (free_addr(), free_addr(), free_addr());
        let provider_url = format!("http://{provider_addr}");
        let provider = Proc::start(
            vec!["payment-provider".into(), "--listen".into(), provider_addr.clone()],
            Vec::new(),
            provider_addr,
        );
        let catalog_url = format!("http://{catalog_addr}/graphql");
        let catalog = Proc::start(
            vec!["subgraph".into(), "catalog".into(), "--listen".into(), catalog_addr.clone()],
            subgraph_env(catalog_db, brokers, redis, &topics),
            catalog_addr,
        );
        let mut env = subgraph_env(orders_db, brokers, redis, &topics);
        for (k, v) in [
            ("BRAID_ORDERS__CATALOG_URL", catalog_url.clone()),
            // The defaults' timing: enough to ride out a restart and the rebalance after it (a
            // dead member is dropped after 10 s, its partitions handed out again within ~15 s),
            // and retries that back off far enough not to outrun what the participants answer.
            // Retries every few seconds of hundreds of sagas are a storm: the replies queue
            // behind each other past every timeout, and the sagas fail for want of patience.
            ("BRAID_ORDERS__STEP_TIMEOUT_MS", "10000".into()),
            ("BRAID_ORDERS__STEP_ATTEMPTS", "6".into()),
            ("BRAID_ORDERS__RETRY_BACKOFF_MS", "500".into()),
            ("BRAID_ORDERS__MAX_RETRY_BACKOFF_MS", "30000".into()),
            ("BRAID_ORDERS__TIMER_INTERVAL_MS", "100".into()),
            ("BRAID_ORDERS__RESERVATION_TTL_SECS", "120".into()),
            ("BRAID_PAYMENT__URL", provider_url.clone()),
            ("BRAID_PAYMENT__TIMEOUT_MS", "500".into()),
            ("BRAID_SHIPPING__STEP_MS", "200".into()),
        ] {
            env.push((k.to_string(), v));
        }
        env.extend(overrides.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        let orders_url = format!("http://{orders_addr}/graphql");
        let orders = Proc::start(
            vec!["subgraph".into(), "orders".into(), "--listen".into(), orders_addr.clone()],
            env,
            orders_addr,
        );
        let connect = |url: &str| sea_orm::Database::connect(url.to_string());
        let catalog_conn = connect(catalog_db).await.expect("catalog database");
        braid_catalog::seed::seed(&catalog_conn, 0).await.expect("categories");
        Self {
            provider: Mutex::new(provider),
            catalog: Mutex::new(catalog),
            orders: Mutex::new(orders),
            provider_url,
            catalog_url,
            orders_url,
            catalog_db: catalog_conn,
            orders_db: connect(orders_db).await.expect("orders database"),
            http: reqwest::Client::builder().timeout(Duration::from_secs(10)).build().expect("client"),
        }
    }

    async fn call(&self, url: &str, token: &str, query: &str, variables: Value) -> Call {
        let body = json!({ "query": query, "variables": variables });
        let Ok(response) = self.http.post(url).bearer_auth(token).json(&body).send().await else { return Call::Down };
        let Ok(body) = response.json::<Value>().await else { return Call::Down };
        match body["errors"][0]["extensions"]["code"].as_str() {
            Some(code) => Call::Error(code.to_string()),
            None if body["errors"].is_array() => Call::Error("UNKNOWN".into()),
            None => Call::Data(body["data"].clone()),
        }
    }

    pub async fn orders_call(&self, token: &str, query: &str, variables: Value) -> Call {
        self.call(&self.orders_url, token, query, variables).await
    }

    /// A catalog call that must succeed.
    pub async fn catalog_call(&self, token: &str, query: &str, variables: Value) -> Option<Value> {
        let body = json!({ "query": query, "variables": variables });
        let response = self.http.post(&self.catalog_url).bearer_auth(token).json(&body).send().await.ok()?;
        response.json::<Value>().await.ok()
    }

    pub async fn set_faults(&self, faults: &Value) {
        let url = format!("{}/admin/faults", self.provider_url);
        let response = self.http.put(url).json(faults).send().await.expect("provider answers");
        assert!(response.status().is_success(), "faults refused: {}", response.status());
    }

    /// No more faults: the run's end is about recovery.
    pub async fn heal(&self) {
        self.set_faults(&json!({})).await;
    }

    pub async fn ledger(&self) -> Vec<braid_orders::payment::simulated::Entry> {
        let url = format!("{}/v1/ledger", self.provider_url);
        self.http.get(url).send().await.expect("provider answers").json().await.expect("a ledger")
    }

    pub async fn kill_and_restart_orders(&self) {
        restart(&self.orders).await;
    }

    pub async fn kill_and_restart_catalog(&self) {
        restart(&self.catalog).await;
    }

    /// What a supervisor (Kubernetes, systemd) does: restarts every process that exited on
    /// its own, and says which did and how.
    pub async fn revive(&self) -> Vec<String> {
        let mut revived = Vec::new();
        for (name, p) in [("orders", &self.orders), ("catalog", &self.catalog), ("payment provider", &self.provider)] {
            let mut p = p.lock().await;
            if let Some(status) = tokio::task::block_in_place(|| p.revive()) {
                eprintln!("chaos: the {name} process exited on its own ({status}); restarted it");
                revived.push(format!("{name} exited ({status}) and was restarted"));
            }
        }
        revived
    }

    pub async fn stop(&self) {
        for p in [&self.orders, &self.catalog, &self.provider] {
            let mut p = p.lock().await;
            tokio::task::block_in_place(|| p.terminate());
        }
    }
}

async fn restart(p: &Mutex<Proc>) {
    let mut p = p.lock().await;
    tokio::task::block_in_place(|| {
        p.kill();
        std::thread::sleep(Duration::from_millis(500));
        p.spawn();
    });
}
