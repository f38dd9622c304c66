//! Gateway benchmark: Braid against Hive Router 0.2.0 on the four demo subgraphs, and the latency
//! Braid adds to a query that needs a single subgraph fetch.
//!
//! `cargo bench --bench gateway`. Nothing else to start: the bench builds and runs the test
//! subgraphs (`cargo build --release -p braid-test-subgraphs`), and installs Hive Router with
//! `cargo install --locked hive-router@0.2.0 --features graphiql` when its binary (`hive_router`)
//! is not on PATH. If that fails it says why and measures Braid alone.
//!
//! One subgraphs process serves all four demo subgraphs on free ports for every run. For each
//! query and each inbound deduplication setting (off, on) a fresh Braid and a fresh Hive Router
//! start, so each one's peak memory (`VmHWM`) belongs to that configuration alone; then they are
//! measured one after the other, the order swapped every round. Every response is checked:
//! status 200 and a body equal, as JSON, to the answer both gateways gave before the load (which
//! must agree and carry no `errors`). A failure is counted, shown and makes the bench exit 1.
//!
//! The single-fetch figure is measured with one client against the products subgraph directly,
//! through Braid, through Hive Router and through a bare forwarder (`forward`: the same HTTP
//! stack passing bytes through, no GraphQL), whose added latency is the cost of the extra
//! loopback hop alone on this machine.
//!
//! Environment: `BENCH_SECONDS` (5 per measurement, after a 1 s warm-up), `BENCH_ROUNDS` (3),
//! `BENCH_CONCURRENCY` (50), `BENCH_SCALE` (1: the classic demo data), `BENCH_QUERIES`
//! (`users,topProducts,both`; a name that matches none measures only the single fetch),
//! `BENCH_BRAID_BASELINE` (the path of another `braid` build, or of a script that runs one with
//! other settings, loaded in the same rounds and measured in the single fetch, to compare two
//! versions in one run), `BENCH_HIVE=0` (Hive Router neither installed nor measured: Braid and
//! its baseline alone). Everything shares this machine's cores:
//! ratios measured in one run hold, absolute numbers do not carry to another machine.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use braid_test_subgraphs::Supergraph;
use braid_testkit::load::{self, LoadSpec, Report};
use braid_testkit::process::free_addr;
use braid_testkit::service::Service;
use serde_json::{Value, json};

const BRAID: &str = env!("CARGO_BIN_EXE_braid");
const HIVE_CRATE: &str = "hive-router@0.2.0";
/// The installed binary's name (the crate is `hive-router`, its binary `hive_router`).
const HIVE_BINARIES: &[&str] = &["hive_router", "hive-router"];
const WARMUP: Duration = Duration::from_secs(1);
const SUBGRAPHS: &[&str] = &["accounts", "products", "inventory", "reviews"];

const FRAGMENTS: &str = "fragment User on User { id username name } \
fragment Review on Review { id body } \
fragment Product on Product { inStock name price shippingEstimate upc weight }";
const USERS: &str = "users { ...User reviews { ...Review product { ...Product reviews { ...Review \
author { ...User reviews { ...Review product { ...Product } } } } } } }";
const TOP_PRODUCTS: &str =
    "topProducts { ...Product reviews { ...Review author { ...User reviews { ...Review product { ...Product } } } } }";
/// Answered by the products subgraph alone: one fetch.
const SINGLE_FETCH: &str = "{ topProducts { upc name price } }";

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

struct Settings {
    seconds: u64,
    rounds: usize,
    concurrency: usize,
    scale: u64,
}

impl Settings {
    fn load(&self, addr: &str, concurrency: usize, body: &[u8]) -> LoadSpec {
        LoadSpec {
            addr: addr.to_string(),
            path: "/graphql".into(),
            bodies: vec![body.to_vec()],
            concurrency,
            warmup: WARMUP,
            duration: Duration::from_secs(self.seconds),
        }
    }
}

/// The queries measured under load: a name and the request body.
fn queries() -> Vec<(&'static str, Vec<u8>)> {
    let all = [
        ("users", format!("query Users {{ {USERS} }} {FRAGMENTS}")),
        ("topProducts", format!("query TopProducts {{ {TOP_PRODUCTS} }} {FRAGMENTS}")),
        ("both", format!("query Both {{ {USERS} {TOP_PRODUCTS} }} {FRAGMENTS}")),
    ];
    let wanted = std::env::var("BENCH_QUERIES").unwrap_or_default();
    let wanted: Vec<&str> = wanted.split(',').map(str::trim).filter(|s| !s.is_empty()).collect();
    all.into_iter()
        .filter(|(name, _)| wanted.is_empty() || wanted.contains(name))
        .map(|(name, query)| (name, json!({ "query": query }).to_string().into_bytes()))
        .collect()
}

/// A directory removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Self {
        let path = std::env::temp_dir().join(braid_testkit::unique("braid-bench-gateway-"));
        std::fs::create_dir_all(&path).expect("temporary directory");
        Self(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Braid,
    Hive,
    /// Another build of Braid (`BENCH_BRAID_BASELINE`).
    Baseline,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Braid => "braid",
            Kind::Hive => "hive",
            Kind::Baseline => "baseline braid",
        }
    }
}

struct Gateway {
    kind: Kind,
    addr: String,
    service: Service,
}

/// Builds the test subgraphs server and the bare forwarder (binaries of another package, so no
/// `CARGO_BIN_EXE_`) into the target directory `braid` was built in.
fn build_test_subgraphs() -> PathBuf {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml");
    let status = Command::new(cargo)
        .args([
            "build",
            "--release",
            "--quiet",
            "-p",
            "braid-test-subgraphs",
            "--bin",
            "test-subgraphs",
            "--bin",
            "forward",
        ])
        .arg("--manifest-path")
        .arg(&manifest)
        .status()
        .expect("cargo runs");
    assert!(status.success(), "cargo build -p braid-test-subgraphs failed: {status}");
    let bin = Path::new(BRAID).with_file_name("test-subgraphs");
    assert!(bin.is_file(), "{} was not built", bin.display());
    bin
}

/// Starts the bare forwarder (`tests/subgraphs/src/bin/forward.rs`) in front of `upstream`;
/// returns the process and its `host:port`.
fn start_forward(subgraphs_bin: &Path, upstream: &str) -> Result<(Service, String), String> {
    let mut command = Command::new(subgraphs_bin.with_file_name("forward"));
    command.arg("127.0.0.1:0").arg(upstream);
    let mut service = Service::spawn("forward", command, true).map_err(|e| format!("forward: {e}"))?;
    let lines = service.wait_for_line("ready", Duration::from_secs(30))?;
    let url = lines.iter().find_map(|line| line.strip_prefix("forward ")).ok_or("forward printed no address")?;
    Ok((service, host_port(url)))
}

/// `host:port` of an `http://host:port/graphql` URL, as the load generator takes it.
fn host_port(url: &str) -> String {
    url.trim().trim_start_matches("http://").trim_end_matches("/graphql").to_string()
}

/// Starts the four demo subgraphs on free ports; returns the process and each one's URL.
fn start_subgraphs(bin: &Path, scale: u64) -> (Service, BTreeMap<String, String>) {
    let mut command = Command::new(bin);
    command.arg("--scale").arg(scale.to_string());
    command.args(SUBGRAPHS.iter().map(|name| format!("{name}=127.0.0.1:0")));
    let mut service = Service::spawn("test-subgraphs", command, true).expect("test-subgraphs starts");
    let lines = service.wait_for_line("ready", Duration::from_secs(60)).expect("test-subgraphs is ready");
    let urls: BTreeMap<String, String> = lines
        .iter()
        .filter_map(|line| line.split_once(' '))
        .map(|(name, url)| (name.to_string(), url.trim().to_string()))
        .collect();
    for name in SUBGRAPHS {
        assert!(urls.contains_key(*name), "test-subgraphs did not report {name}: {lines:?}");
    }
    (service, urls)
}

/// A figure measured while the subgraphs were down would be meaningless: stop there.
fn subgraphs_alive(subgraphs: &mut Service) {
    if let Some(status) = subgraphs.exit_status() {
        panic!("the test subgraphs process has exited ({status}); stopping");
    }
}

/// The demo supergraph with every `@join__graph` URL replaced by the running subgraph's.
fn supergraph_for(urls: &BTreeMap<String, String>) -> String {
    Supergraph::Demo.sdl_with_urls(urls.iter().map(|(name, url)| (name.as_str(), url.as_str())))
}

fn start_braid(supergraph: &Path, dedupe: bool) -> Result<Gateway, String> {
    start_braid_bin(Path::new(BRAID), supergraph, dedupe)
}

/// The other build of Braid named by `BENCH_BRAID_BASELINE`, if any.
fn baseline_bin() -> Option<PathBuf> {
    std::env::var_os("BENCH_BRAID_BASELINE").map(PathBuf::from)
}

fn start_baseline(bin: &Path, supergraph: &Path, dedupe: bool) -> Result<Gateway, String> {
    start_braid_bin(bin, supergraph, dedupe).map(|g| Gateway { kind: Kind::Baseline, ..g })
}

fn start_braid_bin(bin: &Path, supergraph: &Path, dedupe: bool) -> Result<Gateway, String> {
    let addr = free_addr();
    let mut command = Command::new(bin);
    command.arg("gateway").arg("--supergraph").arg(supergraph).arg("--listen").arg(&addr);
    command.env("RUST_LOG", std::env::var("RUST_LOG").unwrap_or_else(|_| "warn".into()));
    command.env("BRAID_TRAFFIC__DEDUPE_CLIENT_REQUESTS", dedupe.to_string());
    let mut service = Service::spawn("braid", command, false).map_err(|e| format!("braid: {e}"))?;
    service.wait_http_ok(&addr, "/health", Duration::from_secs(60))?;
    Ok(Gateway { kind: Kind::Braid, addr, service })
}

/// Hive Router reads `router.config.yaml` (here named by `ROUTER_CONFIG_FILE_PATH`); its
/// environment overrides (`PORT`, `HOST`, `SUPERGRAPH_FILE_PATH`, `LOG_LEVEL`, ...) are cleared so
/// that the file alone decides.
fn start_hive(bin: &Path, dir: &Path, supergraph: &Path, dedupe: bool) -> Result<Gateway, String> {
    let addr = free_addr();
    let port = addr.rsplit_once(':').expect("host:port").1;
    let config = format!(
        "log:\n  level: warn\nsupergraph:\n  source: file\n  path: {}\nhttp:\n  host: 127.0.0.1\n  port: {port}\n\
         traffic_shaping:\n  router:\n    dedupe:\n      enabled: {dedupe}\n",
        supergraph.display()
    );
    let config_path = dir.join(format!("router.config.{}.yaml", if dedupe { "dedupe" } else { "nodedupe" }));
    std::fs::write(&config_path, config).map_err(|e| format!("hive config: {e}"))?;
    let mut command = Command::new(bin);
    command.current_dir(dir).env("ROUTER_CONFIG_FILE_PATH", &config_path);
    for name in [
        "PORT",
        "HOST",
        "ROUTER_HTTP_WORKERS",
        "SUPERGRAPH_FILE_PATH",
        "HIVE_CDN_ENDPOINT",
        "APOLLO_KEY",
        "LOG_LEVEL",
        "LOG_FILTER",
        "LOG_FORMAT",
    ] {
        command.env_remove(name);
    }
    let mut service = Service::spawn("hive-router", command, false).map_err(|e| format!("hive-router: {e}"))?;
    service.wait_http_ok(&addr, "/readiness", Duration::from_secs(60))?;
    Ok(Gateway { kind: Kind::Hive, addr, service })
}

fn find_hive() -> Option<PathBuf> {
    let mut dirs: Vec<PathBuf> =
        std::env::var_os("PATH").map(|p| std::env::split_paths(&p).collect()).unwrap_or_default();
    if let Some(home) = std::env::var_os("CARGO_HOME") {
        dirs.push(PathBuf::from(home).join("bin"));
    }
    if let Some(home) = std::env::var_os("HOME") {
        dirs.push(PathBuf::from(home).join(".cargo/bin"));
    }
    dirs.iter().flat_map(|dir| HIVE_BINARIES.iter().map(move |name| dir.join(name))).find(|p| p.is_file())
}

/// Why there is no Hive Router when it was left out on purpose.
const LEFT_OUT: &str = "BENCH_HIVE=0";

/// The Hive Router binary, installed first if missing; `Err` says why there is none.
fn hive_router() -> Result<PathBuf, String> {
    if std::env::var("BENCH_HIVE").is_ok_and(|v| v == "0") {
        return Err(LEFT_OUT.into());
    }
    if let Some(bin) = find_hive() {
        return Ok(bin);
    }
    println!(
        "hive_router is not on PATH: installing it with `cargo install --locked {HIVE_CRATE} --features graphiql`"
    );
    println!("(a few minutes on two cores; cargo waits if another install holds the lock)");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = Command::new(cargo)
        .args(["install", "--locked", HIVE_CRATE, "--features", "graphiql"])
        // A temporary target directory, as `cargo install` uses by default, not the workspace's.
        .env_remove("CARGO_TARGET_DIR")
        .status()
        .map_err(|e| format!("cannot run cargo install: {e}"))?;
    if !status.success() {
        return Err(format!("cargo install --locked {HIVE_CRATE} --features graphiql failed ({status})"));
    }
    find_hive().ok_or_else(|| "cargo install succeeded but hive_router is not in PATH or ~/.cargo/bin".into())
}

/// One request outside the load: status and body.
async fn post(client: &reqwest::Client, addr: &str, body: &[u8]) -> Result<(u16, Vec<u8>), String> {
    let reply = client
        .post(format!("http://{addr}/graphql"))
        .header("content-type", "application/json")
        .body(body.to_vec())
        .send()
        .await
        .map_err(|e| format!("POST http://{addr}/graphql: {e}"))?;
    let status = reply.status().as_u16();
    let bytes = reply.bytes().await.map_err(|e| format!("body: {e}"))?.to_vec();
    Ok((status, bytes))
}

/// What a response must be: its JSON value, and the exact bytes one server sent (a byte-equal
/// body needs no parsing).
#[derive(Clone)]
struct Expected {
    value: Arc<Value>,
    bytes: Arc<Vec<u8>>,
}

/// Sends the body once and checks the answer: 200, JSON, `data` present, no `errors`.
async fn reference(client: &reqwest::Client, addr: &str, body: &[u8]) -> Result<Expected, String> {
    let (status, bytes) = post(client, addr, body).await?;
    let value: Value =
        serde_json::from_slice(&bytes).map_err(|e| format!("status {status}, not JSON ({e}): {}", snippet(&bytes)))?;
    if status != 200 || value.get("errors").is_some() || value.get("data").is_none_or(Value::is_null) {
        return Err(format!("status {status}: {}", snippet(&bytes)));
    }
    Ok(Expected { value: Arc::new(value), bytes: Arc::new(bytes) })
}

fn snippet(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    if text.len() > 300 {
        format!("{}... ({} bytes)", &text[..text.floor_char_boundary(300)], body.len())
    } else {
        text.into()
    }
}

fn checker(expected: Expected) -> load::Check {
    Arc::new(move |_, status, body| {
        if status != 200 {
            return Err(format!("status {status}: {}", snippet(body)));
        }
        if body == expected.bytes.as_slice() {
            return Ok(());
        }
        match serde_json::from_slice::<Value>(body) {
            Ok(value) if value == *expected.value => Ok(()),
            Ok(_) => Err(format!("unexpected body: {}", snippet(body))),
            Err(e) => Err(format!("not JSON ({e}): {}", snippet(body))),
        }
    })
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

fn mib(bytes: Option<u64>) -> String {
    bytes.map_or_else(|| "-".into(), |b| format!("{:.1}", b as f64 / (1024.0 * 1024.0)))
}

fn median(mut values: Vec<f64>) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n % 2 == 1 { values[n / 2] } else { (values[n / 2 - 1] + values[n / 2]) / 2.0 }
}

fn row(label: &str, r: &Report) {
    println!(
        "  {label:<36} {:>9.0} req/s  p50 {:>7.2} ms  p99 {:>7.2} ms  {:>8} requests  {:>6} failed",
        r.rps,
        ms(r.p50),
        ms(r.p99),
        r.requests,
        r.failures
    );
    if let Some(f) = &r.first_failure {
        println!("  !! FAILURES ({}), first: {f}", r.failures);
    }
}

/// One query under one dedupe setting: every round's report per gateway, and peak memory.
struct Outcome {
    query: &'static str,
    dedupe: bool,
    reports: BTreeMap<Kind, Vec<Report>>,
    peak: BTreeMap<Kind, Option<u64>>,
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let settings = Settings {
        seconds: env_or("BENCH_SECONDS", 5).max(1),
        rounds: env_or("BENCH_ROUNDS", 3).max(1) as usize,
        concurrency: env_or("BENCH_CONCURRENCY", 50).max(1) as usize,
        scale: env_or("BENCH_SCALE", 1).max(1),
    };
    let dir = TempDir::new();
    let hive = hive_router();
    let subgraphs_bin = build_test_subgraphs();
    let (mut subgraphs, urls) = start_subgraphs(&subgraphs_bin, settings.scale);
    let supergraph = dir.0.join("supergraph.graphql");
    std::fs::write(&supergraph, supergraph_for(&urls)).expect("supergraph written");
    let client = reqwest::Client::new();
    let mut problems: Vec<String> = Vec::new();

    println!();
    println!(
        "Braid vs Hive Router 0.2.0: the four demo subgraphs (scale {}: {} users, {} products, {} reviews) in one \
         process, {} concurrent clients, {} s per measurement after a {} s warm-up, {} rounds",
        settings.scale,
        4 * settings.scale,
        5 * settings.scale,
        10 * settings.scale,
        settings.concurrency,
        settings.seconds,
        WARMUP.as_secs(),
        settings.rounds
    );
    println!(
        "Both gateways run with their defaults (subgraph fetch deduplication on in both, logs at warn) apart from the \
         inbound deduplication setting under test."
    );
    match &hive {
        Ok(bin) => println!("hive router: {}", bin.display()),
        Err(why) if why == LEFT_OUT => println!("Hive Router left out ({LEFT_OUT})"),
        Err(why) => {
            println!("!! HIVE ROUTER UNAVAILABLE, measuring Braid alone: {why}");
            problems.push(format!("Hive Router unavailable: {why}"));
        }
    }

    let mut outcomes: Vec<Outcome> = Vec::new();
    let mut answers: BTreeMap<&str, Arc<Value>> = BTreeMap::new();
    for dedupe in [false, true] {
        for (query, body) in queries() {
            let label = format!("{query}, inbound dedupe {}", if dedupe { "on" } else { "off" });
            println!();
            println!("{label}");
            let mut gateways = vec![start_braid(&supergraph, dedupe).expect("braid starts")];
            if let Some(bin) = baseline_bin() {
                gateways.push(start_baseline(&bin, &supergraph, dedupe).expect("the baseline braid starts"));
            }
            if let Ok(bin) = &hive {
                match start_hive(bin, &dir.0, &supergraph, dedupe) {
                    Ok(g) => gateways.push(g),
                    Err(why) => {
                        println!("!! hive router did not start: {why}");
                        problems.push(format!("{label}: hive router did not start: {why}"));
                    }
                }
            }
            // The expected answers: each gateway's own, which must agree as JSON.
            let mut expected: BTreeMap<Kind, Expected> = BTreeMap::new();
            for g in &gateways {
                match reference(&client, &g.addr, &body).await {
                    Ok(e) => {
                        expected.insert(g.kind, e);
                    }
                    Err(why) => {
                        println!("!! {} gives no valid answer: {why}", g.kind.name());
                        problems.push(format!("{label}: {} gives no valid answer: {why}", g.kind.name()));
                    }
                }
            }
            if let Some(braid) = expected.get(&Kind::Braid) {
                let first = answers.entry(query).or_insert_with(|| braid.value.clone());
                if **first != *braid.value {
                    println!("!! Braid's answer changed between configurations");
                    problems.push(format!("{label}: Braid's answer differs from the previous configuration's"));
                }
                println!("  answer: {} bytes", braid.bytes.len());
            }
            if let (Some(b), Some(o)) = (expected.get(&Kind::Braid), expected.get(&Kind::Baseline))
                && b.value != o.value
            {
                println!("!! the baseline build answers differently from this build");
                problems.push(format!("{label}: the baseline build of Braid answers differently"));
            }
            if let (Some(b), Some(h)) = (expected.get(&Kind::Braid), expected.get(&Kind::Hive))
                && b.value != h.value
            {
                println!("!! BRAID AND HIVE ROUTER DISAGREE; each is checked against its own answer from here on");
                println!("  braid: {}", snippet(&b.bytes));
                println!("  hive:  {}", snippet(&h.bytes));
                problems.push(format!("{label}: Braid and Hive Router answer differently"));
            }
            let mut outcome = Outcome { query, dedupe, reports: BTreeMap::new(), peak: BTreeMap::new() };
            for round in 0..settings.rounds {
                // Who goes first rotates from round to round.
                let mut order: Vec<usize> = (0..gateways.len()).collect();
                order.rotate_left(round % gateways.len());
                for i in order {
                    let g = &mut gateways[i];
                    let Some(e) = expected.get(&g.kind) else { continue };
                    let spec = settings.load(&g.addr, settings.concurrency, &body);
                    let report = load::run(&spec, checker(e.clone())).await;
                    row(&format!("round {} {}", round + 1, g.kind.name()), &report);
                    if !report.ok() {
                        let exited = match g.service.exit_status() {
                            Some(status) => format!(" ({} has exited: {status})", g.kind.name()),
                            None => String::new(),
                        };
                        println!("  !! {}{exited}", g.kind.name());
                        problems.push(format!(
                            "{label}: {} round {}: {} of {} requests failed{exited}: {}",
                            g.kind.name(),
                            round + 1,
                            report.failures,
                            report.requests,
                            report.first_failure.as_deref().unwrap_or("no requests")
                        ));
                    }
                    subgraphs_alive(&mut subgraphs);
                    outcome.reports.entry(g.kind).or_default().push(report);
                }
            }
            for g in gateways {
                outcome.peak.insert(g.kind, g.service.peak_rss_bytes());
                g.service.stop();
            }
            outcomes.push(outcome);
        }
    }

    let files = Files { subgraphs_bin: &subgraphs_bin, supergraph: &supergraph, dir: &dir.0 };
    let overhead = single_fetch(&settings, &client, &urls, files, hive.as_ref().ok(), &mut problems).await;

    summary(&settings, &outcomes);
    baseline_summary(&outcomes);
    if let Some(lines) = overhead {
        for line in lines {
            println!("{line}");
        }
    }
    println!();
    if problems.is_empty() {
        println!("every response correct: yes");
    } else {
        println!("!! PROBLEMS ({}): the figures above are not a clean result", problems.len());
        for p in &problems {
            println!("!!   {p}");
        }
    }
    drop(subgraphs);
    drop(dir);
    if !problems.is_empty() {
        std::process::exit(1);
    }
}

fn summary(settings: &Settings, outcomes: &[Outcome]) {
    println!();
    println!(
        "Summary, median over {} rounds ({} clients). Peak = VmHWM of that configuration's gateway process. \
         RPS ratio = Braid/Hive (target >= 1.25), p99 ratio = Braid/Hive (target <= 1.00).",
        settings.rounds, settings.concurrency
    );
    println!(
        "{:<12} {:<6} | {:>8} {:>7} {:>7} {:>8} | {:>8} {:>7} {:>7} {:>8} | {:>6} {:<20} {:>6}  verdict",
        "query",
        "dedupe",
        "braid/s",
        "p50 ms",
        "p99 ms",
        "peak MiB",
        "hive/s",
        "p50 ms",
        "p99 ms",
        "peak MiB",
        "RPS x",
        "(per round)",
        "p99 x"
    );
    for o in outcomes {
        let empty = Vec::new();
        let braid = o.reports.get(&Kind::Braid).unwrap_or(&empty);
        let hive = o.reports.get(&Kind::Hive).unwrap_or(&empty);
        let cols = |rs: &[Report]| {
            let rs: Vec<&Report> = rs.iter().filter(|r| r.ok()).collect();
            if rs.is_empty() {
                return (f64::NAN, f64::NAN, f64::NAN);
            }
            (
                median(rs.iter().map(|r| r.rps).collect()),
                median(rs.iter().map(|r| ms(r.p50)).collect()),
                median(rs.iter().map(|r| ms(r.p99)).collect()),
            )
        };
        let (b_rps, b_p50, b_p99) = cols(braid);
        let (h_rps, h_p50, h_p99) = cols(hive);
        // A round counts towards a ratio only when both gateways answered every request correctly.
        let both_ok = || braid.iter().zip(hive).filter(|(b, h)| b.ok() && h.ok());
        let per_round: Vec<f64> = both_ok().map(|(b, h)| b.rps / h.rps).collect();
        let p99_ratios: Vec<f64> = both_ok().map(|(b, h)| ms(b.p99) / ms(h.p99)).collect();
        let (rps_x, p99_x) = (median(per_round.clone()), median(p99_ratios));
        let verdict = if per_round.is_empty() {
            "-".to_string()
        } else {
            let ok = rps_x >= 1.25 && p99_x <= 1.0;
            if ok { "met".into() } else { "NOT met".into() }
        };
        let rounds = per_round.iter().map(|r| format!("{r:.2}")).collect::<Vec<_>>().join(" ");
        println!(
            "{:<12} {:<6} | {b_rps:>8.0} {b_p50:>7.2} {b_p99:>7.2} {:>8} | \
             {h_rps:>8.0} {h_p50:>7.2} {h_p99:>7.2} {:>8} | {rps_x:>6.2} {:<20} {p99_x:>6.2}  {verdict}",
            o.query,
            if o.dedupe { "on" } else { "off" },
            mib(o.peak.get(&Kind::Braid).copied().flatten()),
            mib(o.peak.get(&Kind::Hive).copied().flatten()),
            format!("({rounds})"),
        );
    }
}

/// This build against the baseline build, when one was given: the same loads, in the same rounds.
fn baseline_summary(outcomes: &[Outcome]) {
    if !outcomes.iter().any(|o| o.reports.contains_key(&Kind::Baseline)) {
        return;
    }
    println!();
    println!("This build against the baseline build (BENCH_BRAID_BASELINE), medians; ratio = this / baseline.");
    println!(
        "{:<12} {:<6} | {:>8} {:>7} | {:>10} {:>7} | {:>6} {:<20} {:>6}",
        "query", "dedupe", "braid/s", "p99 ms", "baseline/s", "p99 ms", "RPS x", "(per round)", "p99 x"
    );
    for o in outcomes {
        let empty = Vec::new();
        let braid = o.reports.get(&Kind::Braid).unwrap_or(&empty);
        let baseline = o.reports.get(&Kind::Baseline).unwrap_or(&empty);
        let pairs: Vec<(&Report, &Report)> =
            braid.iter().zip(baseline).filter(|(b, base)| b.ok() && base.ok()).collect();
        let rounds = pairs.iter().map(|(b, base)| format!("{:.2}", b.rps / base.rps)).collect::<Vec<_>>().join(" ");
        println!(
            "{:<12} {:<6} | {:>8.0} {:>7.2} | {:>10.0} {:>7.2} | {:>6.2} {:<20} {:>6.2}",
            o.query,
            if o.dedupe { "on" } else { "off" },
            median(pairs.iter().map(|(b, _)| b.rps).collect()),
            median(pairs.iter().map(|(b, _)| ms(b.p99)).collect()),
            median(pairs.iter().map(|(_, base)| base.rps).collect()),
            median(pairs.iter().map(|(_, base)| ms(base.p99)).collect()),
            median(pairs.iter().map(|(b, base)| b.rps / base.rps).collect()),
            format!("({rounds})"),
            median(pairs.iter().map(|(b, base)| ms(b.p99) / ms(base.p99)).collect()),
        );
    }
}

/// The files a measurement starts processes from.
#[derive(Clone, Copy)]
struct Files<'a> {
    /// The `test-subgraphs` binary; `forward` sits beside it.
    subgraphs_bin: &'a Path,
    supergraph: &'a Path,
    /// The bench's temporary directory (Hive Router's config files).
    dir: &'a Path,
}

/// `{ topProducts { upc name price } }` with one client: the products subgraph directly, through
/// Braid and through Hive Router. Returns the summary lines.
async fn single_fetch(
    settings: &Settings,
    client: &reqwest::Client,
    urls: &BTreeMap<String, String>,
    files: Files<'_>,
    hive: Option<&PathBuf>,
    problems: &mut Vec<String>,
) -> Option<Vec<String>> {
    let Files { subgraphs_bin, supergraph, dir } = files;
    let body = json!({ "query": SINGLE_FETCH }).to_string().into_bytes();
    let products = host_port(&urls["products"]);
    println!();
    println!("single fetch `{SINGLE_FETCH}`, 1 client, dedupe off");
    let braid = start_braid(supergraph, false).expect("braid starts");
    let hive = match hive.map(|bin| start_hive(bin, dir, supergraph, false)) {
        Some(Ok(g)) => Some(g),
        Some(Err(why)) => {
            problems.push(format!("single fetch: hive router did not start: {why}"));
            None
        }
        None => None,
    };
    let direct = match reference(client, &products, &body).await {
        Ok(e) => e,
        Err(why) => {
            problems.push(format!("single fetch: the products subgraph gives no valid answer: {why}"));
            return None;
        }
    };
    // Another build of braid (`BENCH_BRAID_BASELINE=path`), measured in the same rounds: how a
    // change moved the figure, side by side rather than across runs.
    let baseline =
        baseline_bin().map(|bin| start_baseline(&bin, supergraph, false).expect("the baseline braid starts"));
    let mut targets: Vec<(&str, String)> = vec![("products subgraph directly", products.clone())];
    targets.push(("through braid", braid.addr.clone()));
    if let Some(h) = &hive {
        targets.push(("through hive router", h.addr.clone()));
    }
    if let Some(b) = &baseline {
        targets.push(("through baseline braid", b.addr.clone()));
    }
    // The same hop with no GraphQL work: what any gateway pays for the extra loopback round trip.
    let forward = match start_forward(subgraphs_bin, &urls["products"]) {
        Ok((service, addr)) => {
            targets.push(("through a bare forwarder", addr));
            Some(service)
        }
        Err(why) => {
            problems.push(format!("single fetch: the bare forwarder did not start: {why}"));
            None
        }
    };
    for (name, addr) in &targets[1..] {
        match reference(client, addr, &body).await {
            Ok(e) if e.value == direct.value => {}
            Ok(e) => {
                problems.push(format!("single fetch {name}: answer differs from the subgraph's: {}", snippet(&e.bytes)))
            }
            Err(why) => problems.push(format!("single fetch {name}: no valid answer: {why}")),
        }
    }
    let mut reports: Vec<Vec<Report>> = vec![Vec::new(); targets.len()];
    for round in 0..settings.rounds {
        for k in 0..targets.len() {
            let i = (k + round) % targets.len();
            let (name, addr) = &targets[i];
            let report = load::run(&settings.load(addr, 1, &body), checker(direct.clone())).await;
            row(&format!("round {} {name}", round + 1), &report);
            if !report.ok() {
                problems.push(format!(
                    "single fetch {name} round {}: {} failed: {}",
                    round + 1,
                    report.failures,
                    report.first_failure.as_deref().unwrap_or("no requests")
                ));
            }
            reports[i].push(report);
        }
    }
    drop(braid);
    drop(hive);
    drop(baseline);
    drop(forward);
    let p50s: Vec<f64> =
        reports.iter().map(|rs| median(rs.iter().filter(|r| r.ok()).map(|r| us(r.p50)).collect())).collect();
    let mut lines = vec![
        String::new(),
        format!("Single fetch `{SINGLE_FETCH}`, 1 client, median over {} rounds:", settings.rounds),
        format!("  {:<28} {:>9} {:>9} {:>9}", "", "req/s", "p50 µs", "p99 µs"),
    ];
    for (i, (name, _)) in targets.iter().enumerate() {
        let rps = median(reports[i].iter().filter(|r| r.ok()).map(|r| r.rps).collect());
        let p99 = median(reports[i].iter().filter(|r| r.ok()).map(|r| us(r.p99)).collect());
        lines.push(format!("  {name:<28} {rps:>9.0} {:>9.0} {p99:>9.0}", p50s[i]));
    }
    let added = p50s[1] - p50s[0];
    lines.push(format!(
        "  Braid adds {added:.0} µs at p50 over calling the subgraph directly (target < 100 µs): {}",
        if added < 100.0 { "met" } else { "NOT met" }
    ));
    for (i, (name, _)) in targets.iter().enumerate().skip(2) {
        let who = name.trim_start_matches("through ");
        lines.push(format!("  {who} adds {:.0} µs at p50", p50s[i] - p50s[0]));
    }
    if let Some(floor) = targets.iter().position(|(name, _)| name.ends_with("forwarder")) {
        lines.push(format!(
            "  Braid's own work (Braid minus the bare forwarder): {:.0} µs at p50",
            p50s[1] - p50s[floor]
        ));
    }
    Some(lines)
}
