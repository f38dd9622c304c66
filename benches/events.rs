//! The event backbone on each broker, same run: outbox on PostgreSQL, the relay, the broker
//! (tansu speaking Kafka's protocol, RabbitMQ; the in-process bus as the floor), a consumer
//! writing each event to its inbox. Two figures per broker and round:
//!
//! - events per second: `BENCH_BACKLOG` (20,000) events waiting in the outbox, then the relay
//!   and the consumer started; until the consumer has applied the last one;
//! - end-to-end latency: `BENCH_RATE` (500) events a second written one per transaction for
//!   `BENCH_SECONDS` (10), over 100 aggregates; from the outbox write to the consumer's
//!   handler, p50, p99 and max.
//!
//! `cargo bench --bench events` (PostgreSQL, tansu on 127.0.0.1:9092 and RabbitMQ on
//! 127.0.0.1:5672; `BENCH_ROUNDS` (3), `BENCH_BROKERS=kafka,rabbitmq,memory`).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use braid_kit::config::{EventsBackend, EventsConfig};
use braid_kit::events::kafka::KafkaBus;
use braid_kit::events::memory::MemoryBus;
use braid_kit::events::rabbitmq::RabbitBus;
use braid_kit::events::{
    Consumer, DomainEvent, Envelope, EventBus, Handler, HandlerError, OutboxSignal, Relay, outbox,
};
use braid_migrations::MigratorTrait;
use braid_testkit::db::TestDb;
use hdrhistogram::Histogram;
use sea_orm::{DatabaseConnection, DatabaseTransaction, TransactionTrait};
use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

const TOPIC: &str = "bench.item";
const GROUP: &str = "bench.sink";

#[derive(Serialize, Deserialize)]
struct ItemChanged {
    item: String,
    seq: u64,
}

impl DomainEvent for ItemChanged {
    const TYPE: &'static str = "bench.item.changed.v1";
    fn subject(&self) -> String {
        self.item.clone()
    }
}

/// Counts what it applies and how long after its write each event arrived.
struct Sink {
    applied: AtomicU64,
    latency_us: Mutex<Histogram<u64>>,
}

#[async_trait]
impl Handler for Sink {
    fn name(&self) -> String {
        GROUP.into()
    }
    fn topics(&self) -> Vec<String> {
        vec![TOPIC.into()]
    }
    async fn handle(&self, _txn: &DatabaseTransaction, event: &Envelope) -> Result<(), HandlerError> {
        let age = (chrono::Utc::now() - event.time).num_microseconds().unwrap_or(0).max(1) as u64;
        let _ = self.latency_us.lock().unwrap().record(age);
        self.applied.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Broker {
    Kafka,
    Rabbitmq,
    Memory,
}

impl Broker {
    fn name(self) -> &'static str {
        match self {
            Broker::Kafka => "kafka (tansu)",
            Broker::Rabbitmq => "rabbitmq",
            Broker::Memory => "memory",
        }
    }

    fn connect(self, config: &EventsConfig) -> Arc<dyn EventBus> {
        match self {
            Broker::Kafka => Arc::new(KafkaBus::new(config).unwrap()),
            Broker::Rabbitmq => Arc::new(RabbitBus::new(config).unwrap()),
            Broker::Memory => Arc::new(MemoryBus::new()),
        }
    }
}

struct Figures {
    events_per_sec: f64,
    p50_ms: f64,
    p99_ms: f64,
    max_ms: f64,
}

/// Writes `n` events, one transaction each, `rate` a second over 100 aggregates.
async fn write_at(db: &DatabaseConnection, signal: &OutboxSignal, n: u64, rate: u64, from: u64) {
    let start = tokio::time::Instant::now();
    for i in 0..n {
        tokio::time::sleep_until(start + Duration::from_micros(i * 1_000_000 / rate.max(1))).await;
        let event = ItemChanged { item: format!("item-{}", (from + i) % 100), seq: from + i };
        let txn = db.begin().await.unwrap();
        outbox::append(&txn, &Envelope::new("/braid/bench", &event)).await.unwrap();
        txn.commit().await.unwrap();
        signal.committed();
    }
}

async fn wait_for(sink: &Sink, n: u64) {
    let deadline = Instant::now() + Duration::from_secs(300);
    while sink.applied.load(Ordering::Relaxed) < n {
        assert!(Instant::now() < deadline, "only {} of {n} events arrived", sink.applied.load(Ordering::Relaxed));
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

async fn round(broker: Broker, backlog: u64, rate: u64, seconds: u64) -> Figures {
    let test_db = TestDb::create().await;
    let db =
        braid_kit::db::connect(&braid_kit::config::DatabaseConfig { url: test_db.url.clone(), ..Default::default() })
            .await
            .unwrap();
    braid_migrations::catalog::Migrator::up(&db, None).await.unwrap();
    let config = EventsConfig {
        backend: match broker {
            Broker::Kafka => EventsBackend::Kafka,
            Broker::Rabbitmq => EventsBackend::Rabbitmq,
            Broker::Memory => EventsBackend::Memory,
        },
        brokers: braid_testkit::broker::shared(),
        amqp_url: braid_testkit::rabbitmq::shared(),
        topic_prefix: braid_testkit::broker::topic_prefix(),
        ..EventsConfig::default()
    };
    let bus = broker.connect(&config);
    if broker == Broker::Rabbitmq {
        // A group's queues must exist before anything is published to them.
        drop(bus.subscribe(GROUP, &[TOPIC.to_string()]).await.unwrap());
    }
    let signal = OutboxSignal::default();
    // The backlog, written before the relay and the consumer start.
    for chunk in 0..backlog.div_ceil(1_000) {
        let txn = db.begin().await.unwrap();
        for i in chunk * 1_000..((chunk + 1) * 1_000).min(backlog) {
            let event = ItemChanged { item: format!("item-{}", i % 100), seq: i };
            outbox::append(&txn, &Envelope::new("/braid/bench", &event)).await.unwrap();
        }
        txn.commit().await.unwrap();
    }
    let sink = Arc::new(Sink { applied: AtomicU64::new(0), latency_us: Mutex::new(Histogram::new(3).unwrap()) });
    let token = CancellationToken::new();
    let relay = Relay::new(db.clone(), bus.clone(), signal.clone(), &config);
    let consumer = Consumer::new(db.clone(), bus.clone(), sink.clone(), &config);
    let started = Instant::now();
    let tasks = [
        tokio::spawn(relay.run(token.clone().cancelled_owned())),
        tokio::spawn(consumer.run(token.clone().cancelled_owned())),
    ];
    wait_for(&sink, backlog).await;
    let events_per_sec = backlog as f64 / started.elapsed().as_secs_f64();

    sink.latency_us.lock().unwrap().reset();
    let n = rate * seconds;
    write_at(&db, &signal, n, rate, backlog).await;
    wait_for(&sink, backlog + n).await;
    let histogram = sink.latency_us.lock().unwrap().clone();
    token.cancel();
    for task in tasks {
        task.await.unwrap();
    }
    bus.flush().await;
    if broker == Broker::Rabbitmq {
        let (url, prefix) = (&config.amqp_url, &config.topic_prefix);
        braid_testkit::rabbitmq::delete_declared(url, prefix, &[GROUP], &[TOPIC], config.partitions).await;
    }
    let ms = |us: u64| us as f64 / 1000.0;
    Figures {
        events_per_sec,
        p50_ms: ms(histogram.value_at_quantile(0.5)),
        p99_ms: ms(histogram.value_at_quantile(0.99)),
        max_ms: ms(histogram.max()),
    }
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

#[tokio::main]
async fn main() {
    let backlog = env_or("BENCH_BACKLOG", 20_000);
    let rate = env_or("BENCH_RATE", 500);
    let seconds = env_or("BENCH_SECONDS", 10);
    let rounds = env_or("BENCH_ROUNDS", 3);
    let brokers: Vec<Broker> = std::env::var("BENCH_BROKERS")
        .unwrap_or_else(|_| "kafka,rabbitmq,memory".into())
        .split(',')
        .map(|b| match b.trim() {
            "kafka" => Broker::Kafka,
            "rabbitmq" => Broker::Rabbitmq,
            "memory" => Broker::Memory,
            other => panic!("BENCH_BROKERS: unknown broker {other}"),
        })
        .collect();
    println!("backlog {backlog} events; then {rate} events/s for {seconds} s; {rounds} rounds, brokers in turn");
    let mut all: Vec<(Broker, Vec<Figures>)> = brokers.iter().map(|b| (*b, Vec::new())).collect();
    for r in 1..=rounds {
        for (broker, figures) in &mut all {
            let f = round(*broker, backlog, rate, seconds).await;
            println!(
                "round {r} {:<14} {:>8.0} events/s   latency p50 {:>7.2} ms  p99 {:>7.2} ms  max {:>7.2} ms",
                broker.name(),
                f.events_per_sec,
                f.p50_ms,
                f.p99_ms,
                f.max_ms
            );
            figures.push(f);
        }
    }
    println!();
    println!("| broker | events/s (median) | p50 ms | p99 ms | max ms |");
    println!("| --- | ---: | ---: | ---: | ---: |");
    for (broker, figures) in &all {
        let pick = |f: fn(&Figures) -> f64| median(&mut figures.iter().map(f).collect::<Vec<_>>());
        println!(
            "| {} | {:.0} | {:.2} | {:.2} | {:.2} |",
            broker.name(),
            pick(|f| f.events_per_sec),
            pick(|f| f.p50_ms),
            pick(|f| f.p99_ms),
            pick(|f| f.max_ms)
        );
    }
}
