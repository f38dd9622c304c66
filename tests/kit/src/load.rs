//! A closed-loop load generator: `concurrency` keep-alive HTTP/1.1 connections, each sending
//! the next request as soon as the previous answer is in and checked.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use hdrhistogram::Histogram;
use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper_util::rt::TokioIo;

/// Checks one response: the index of the body that was sent, the status and the body.
pub type Check = Arc<dyn Fn(usize, u16, &[u8]) -> Result<(), String> + Send + Sync>;

pub struct LoadSpec {
    /// `host:port`.
    pub addr: String,
    pub path: String,
    /// Request bodies, used in turn.
    pub bodies: Vec<Vec<u8>>,
    pub concurrency: usize,
    pub warmup: Duration,
    pub duration: Duration,
}

/// What one run measured.
#[derive(Debug, Clone)]
pub struct Report {
    pub requests: u64,
    pub failures: u64,
    pub first_failure: Option<String>,
    pub rps: f64,
    pub p50: Duration,
    pub p99: Duration,
}

impl Report {
    pub fn ok(&self) -> bool {
        self.failures == 0 && self.requests > 0
    }
}

struct Worker {
    histogram: Histogram<u64>,
    requests: u64,
    failures: u64,
    first_failure: Option<String>,
}

/// Runs the load; counts only requests sent after the warm-up.
pub async fn run(spec: &LoadSpec, check: Check) -> Report {
    let bodies: Arc<Vec<Bytes>> = Arc::new(spec.bodies.iter().cloned().map(Bytes::from).collect());
    let started = Instant::now();
    let measure_from = started + spec.warmup;
    let until = measure_from + spec.duration;
    let mut tasks = Vec::with_capacity(spec.concurrency);
    for w in 0..spec.concurrency {
        let (addr, path, bodies, check) = (spec.addr.clone(), spec.path.clone(), bodies.clone(), check.clone());
        tasks.push(tokio::spawn(async move { worker(w, &addr, &path, &bodies, &check, measure_from, until).await }));
    }
    let mut total = Histogram::<u64>::new(3).expect("histogram");
    let (mut requests, mut failures, mut first_failure) = (0, 0, None);
    for task in tasks {
        let w = task.await.expect("worker finished");
        total.add(&w.histogram).expect("histograms merge");
        requests += w.requests;
        failures += w.failures;
        first_failure = first_failure.or(w.first_failure);
    }
    Report {
        requests,
        failures,
        first_failure,
        rps: requests as f64 / spec.duration.as_secs_f64(),
        p50: Duration::from_micros(total.value_at_quantile(0.50)),
        p99: Duration::from_micros(total.value_at_quantile(0.99)),
    }
}

async fn worker(
    index: usize,
    addr: &str,
    path: &str,
    bodies: &[Bytes],
    check: &Check,
    measure_from: Instant,
    until: Instant,
) -> Worker {
    let mut out =
        Worker { histogram: Histogram::new(3).expect("histogram"), requests: 0, failures: 0, first_failure: None };
    let stream = match tokio::net::TcpStream::connect(addr).await {
        Ok(s) => s,
        Err(e) => {
            out.failures += 1;
            out.first_failure = Some(format!("connect: {e}"));
            return out;
        }
    };
    let _ = stream.set_nodelay(true);
    let (mut sender, connection) = match hyper::client::conn::http1::handshake(TokioIo::new(stream)).await {
        Ok(pair) => pair,
        Err(e) => {
            out.failures += 1;
            out.first_failure = Some(format!("handshake: {e}"));
            return out;
        }
    };
    tokio::spawn(connection);
    let mut n = index;
    loop {
        let now = Instant::now();
        if now >= until {
            break;
        }
        let which = n % bodies.len();
        let body = bodies[which].clone();
        n += 1;
        let request = Request::post(path)
            .header("host", addr)
            .header("content-type", "application/json")
            .body(Full::new(body))
            .expect("request builds");
        let sent = Instant::now();
        let received = match sender.send_request(request).await {
            Ok(response) => {
                let status = response.status().as_u16();
                match response.into_body().collect().await {
                    Ok(b) => Ok((status, b.to_bytes())),
                    Err(e) => Err(format!("body: {e}")),
                }
            }
            Err(e) => Err(format!("send: {e}")),
        };
        // The latency ends with the last byte of the answer; checking it is the client's time.
        let elapsed = sent.elapsed();
        let outcome = received.and_then(|(status, body)| check(which, status, &body));
        if sent < measure_from {
            if outcome.is_err() && out.first_failure.is_none() {
                out.first_failure = outcome.err();
                out.failures += 1;
            }
            continue;
        }
        out.requests += 1;
        let _ = out.histogram.record(elapsed.as_micros() as u64);
        if let Err(e) = outcome {
            out.failures += 1;
            out.first_failure.get_or_insert(e);
            if sender.ready().await.is_err() {
                break;
            }
        }
    }
    out
}
