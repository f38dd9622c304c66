//! One delivery through a consumer (`Consumer::process`): applied at most once (the inbox row
//! commits with the handler's effect), a transient failure retried with doubling delays and
//! then dead-lettered, a permanent one dead-lettered at once, a malformed envelope dead-lettered
//! without an attempt, the dead letter carrying why and from where, and kept trying until the
//! broker takes it; the handling span continues the publisher's trace and is marked failed
//! only for a dead letter.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use braid_kit::config::EventsConfig;
use braid_kit::events::consumer::Outcome;
use braid_kit::events::outbox::inbox;
use braid_kit::events::{Consumer, Delivery, EventBus, Handler, HandlerError};
use sea_orm::{DatabaseConnection, EntityTrait};
use tracing::field::{Field, Visit};
use tracing_subscriber::layer::{Context, SubscriberExt as _};
use tracing_subscriber::registry::LookupSpan;

use crate::support::*;

const NAME: &str = "test.consumer";

/// Three attempts, 400 ms before the second and 800 ms before the third: far enough apart
/// that a loaded machine does not blur the doubling.
fn config() -> EventsConfig {
    EventsConfig { max_attempts: 3, retry_backoff_ms: 400, ..EventsConfig::default() }
}

fn consumer(db: &DatabaseConnection, bus: &Arc<FaultyBus>, handler: &Arc<Recorder>) -> Consumer {
    Consumer::new(db.clone(), bus.clone() as Arc<dyn EventBus>, handler.clone() as Arc<dyn Handler>, &config())
}

fn header<'d>(d: &'d Delivery, name: &str) -> &'d str {
    d.header(name).unwrap_or_else(|| panic!("no {name} header in {:?}", d.headers))
}

#[tokio::test]
async fn an_event_is_applied_once_and_its_redelivery_is_a_duplicate() {
    let db = sqlite().await;
    let bus = FaultyBus::new().arc();
    let handler = Arc::new(Recorder::new(NAME));
    let consumer = consumer(&db, &bus, &handler);
    let e = event("a", 1);
    assert_eq!(consumer.process(&delivery(&e, 0)).await, Outcome::Applied);
    assert_eq!(handler.committed(), 1, "told once the effect is committed");
    assert_eq!(consumer.process(&delivery(&e, 0)).await, Outcome::Duplicate);
    assert_eq!(consumer.process(&delivery(&e, 1)).await, Outcome::Duplicate, "redelivered elsewhere");
    assert_eq!(handler.ids(), ["a-1"]);
    assert_eq!(handler.committed(), 1);
    assert_eq!(count(&db, "effects").await, 1);
    let rows = inbox::Entity::find().all(&db).await.unwrap();
    assert_eq!(rows.iter().map(|r| (r.consumer.as_str(), r.event_id.as_str())).collect::<Vec<_>>(), [(NAME, "a-1")]);
    // Another event is applied on its own.
    assert_eq!(consumer.process(&delivery(&event("a", 2), 2)).await, Outcome::Applied);
    assert_eq!(count(&db, "effects").await, 2);
    assert!(bus.inner.records(DLQ).is_empty());
}

#[tokio::test]
async fn a_transient_failure_is_retried_with_doubling_delays_then_dead_lettered() {
    let db = sqlite().await;
    let bus = FaultyBus::new().arc();
    let errors = (1..=3).map(|i| HandlerError::Transient(format!("down {i}")));
    let handler = Arc::new(Recorder::new(NAME).failing("a-1", errors));
    let consumer = consumer(&db, &bus, &handler);
    let e = event("a", 1);
    let mut d = delivery(&e, 7);
    d.partition = 2;
    assert_eq!(consumer.process(&d).await, Outcome::DeadLettered);
    assert_eq!(handler.ids(), ["a-1"; 3], "max_attempts attempts");
    let gaps = handler.gaps();
    assert!(gaps[0] >= Duration::from_millis(400) && gaps[0] < Duration::from_millis(780), "{gaps:?}");
    assert!(gaps[1] >= Duration::from_millis(800) && gaps[1] < Duration::from_millis(1_560), "{gaps:?}");
    let dead = bus.inner.records(DLQ);
    assert_eq!(dead.len(), 1);
    let waited = bus.publish_gaps_from(handler.last_call());
    assert!(waited < Duration::from_millis(700), "no wait after the last attempt: {waited:?}");
    let dead = &dead[0];
    assert_eq!((dead.payload.as_slice(), dead.key.as_deref()), (d.payload.as_slice(), Some("a")));
    assert_eq!(header(dead, "ce_id"), "a-1", "the original headers stay");
    assert_eq!(header(dead, "x-braid-error"), "down 3");
    assert_eq!(header(dead, "x-braid-attempts"), "3");
    assert_eq!(header(dead, "x-braid-consumer"), NAME);
    assert_eq!(header(dead, "x-braid-original-topic"), TOPIC);
    assert_eq!(header(dead, "x-braid-original-offset"), "2/7");
    // Every failed attempt was rolled back, its inbox row with it.
    assert_eq!(count(&db, "effects").await, 0);
    assert_eq!(count(&db, "inbox").await, 0);
    assert_eq!(handler.committed(), 0);
}

#[tokio::test]
async fn a_transient_failure_that_clears_is_applied_once() {
    let db = sqlite().await;
    let bus = FaultyBus::new().arc();
    let handler = Arc::new(Recorder::new(NAME).failing("a-1", [HandlerError::Transient("down".into())]));
    let consumer = consumer(&db, &bus, &handler);
    assert_eq!(consumer.process(&delivery(&event("a", 1), 0)).await, Outcome::Applied);
    assert_eq!(handler.ids(), ["a-1"; 2]);
    assert_eq!(count(&db, "effects").await, 1, "the failed attempt's effect was rolled back");
    assert_eq!(handler.committed(), 1);
    assert!(bus.inner.records(DLQ).is_empty());
}

#[tokio::test]
async fn a_permanent_failure_is_dead_lettered_at_once() {
    let db = sqlite().await;
    let bus = FaultyBus::new().arc();
    let handler = Arc::new(Recorder::new(NAME).failing("a-1", [HandlerError::Permanent("bad payload".into())]));
    let consumer = consumer(&db, &bus, &handler);
    assert_eq!(consumer.process(&delivery(&event("a", 1), 3)).await, Outcome::DeadLettered);
    assert_eq!(handler.ids(), ["a-1"]);
    let dead = bus.inner.records(DLQ);
    assert_eq!(dead.len(), 1);
    assert_eq!(header(&dead[0], "x-braid-error"), "bad payload");
    assert_eq!(header(&dead[0], "x-braid-attempts"), "1");
    assert_eq!(header(&dead[0], "x-braid-original-offset"), "0/3");
    assert_eq!(count(&db, "effects").await, 0);
}

#[tokio::test]
async fn a_malformed_envelope_is_dead_lettered_without_an_attempt() {
    let db = sqlite().await;
    let bus = FaultyBus::new().arc();
    let handler = Arc::new(Recorder::new(NAME));
    let consumer = consumer(&db, &bus, &handler);
    let mut wrong_version = event("a", 1);
    wrong_version.specversion = "0.3".into();
    for (offset, payload) in [(0, b"not json".to_vec()), (1, wrong_version.to_bytes())] {
        let d = Delivery { payload, ..delivery(&event("a", 1), offset) };
        assert_eq!(consumer.process(&d).await, Outcome::DeadLettered);
    }
    assert!(handler.ids().is_empty());
    let dead = bus.inner.records(DLQ);
    assert_eq!(dead.len(), 2);
    for (d, offset) in dead.iter().zip(["0/0", "0/1"]) {
        assert!(header(d, "x-braid-error").starts_with("malformed envelope: "), "{:?}", d.headers);
        assert_eq!(header(d, "x-braid-attempts"), "0");
        assert_eq!(header(d, "x-braid-original-offset"), offset);
        assert_eq!(d.key.as_deref(), Some("a"));
    }
    assert_eq!(dead[0].payload, b"not json", "kept as it came");
}

#[tokio::test]
async fn the_dead_letter_is_retried_with_back_off_until_the_broker_takes_it() {
    let db = sqlite().await;
    let bus = FaultyBus::new().failing_publishes([0, 0, 0]).arc();
    let handler = Arc::new(Recorder::new(NAME).failing("a-1", [HandlerError::Permanent("bad".into())]));
    let consumer = consumer(&db, &bus, &handler);
    assert_eq!(consumer.process(&delivery(&event("a", 1), 0)).await, Outcome::DeadLettered);
    assert_eq!(bus.inner.records(DLQ).len(), 1);
    let gaps = bus.publish_gaps();
    let least = [100, 200, 400].map(Duration::from_millis);
    assert!(gaps.len() == 3 && gaps.iter().zip(least).all(|(gap, least)| *gap >= least), "{gaps:?}");
}

/// The handling span continues the trace the record names, so the handler's work is in it.
#[tokio::test]
async fn the_handler_runs_in_the_publishers_trace() {
    let db = sqlite().await;
    let bus = FaultyBus::new().arc();
    let handler = Arc::new(Recorder::new(NAME));
    let consumer = consumer(&db, &bus, &handler);
    let _traces = traces_on();
    let mut d = delivery(&event("a", 1), 0);
    d.headers.push(("traceparent".into(), WRITER_TRACE.into()));
    assert_eq!(consumer.process(&d).await, Outcome::Applied);
    let seen = handler.traceparents()[0].clone().expect("handled in a span");
    assert_eq!(trace_id(&seen), trace_id(WRITER_TRACE));
}

/// `otel.status_code` values recorded on messaging spans.
#[derive(Clone, Default)]
struct Statuses(Arc<Mutex<Vec<String>>>);

impl<S: tracing::Subscriber + for<'a> LookupSpan<'a>> tracing_subscriber::Layer<S> for Statuses {
    fn on_record(&self, id: &tracing::span::Id, values: &tracing::span::Record<'_>, ctx: Context<'_, S>) {
        if ctx.span(id).is_none_or(|span| span.name() != "messaging") {
            return;
        }
        struct Status<'v>(&'v Mutex<Vec<String>>);
        impl Visit for Status<'_> {
            fn record_str(&mut self, field: &Field, value: &str) {
                if field.name() == "otel.status_code" {
                    self.0.lock().unwrap().push(value.into());
                }
            }
            fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
                self.record_str(field, &format!("{value:?}"));
            }
        }
        values.record(&mut Status(&self.0));
    }
}

#[tokio::test]
async fn only_a_dead_letter_marks_its_span_failed() {
    let db = sqlite().await;
    let bus = FaultyBus::new().arc();
    let handler = Arc::new(Recorder::new(NAME).failing("a-2", [HandlerError::Permanent("bad".into())]));
    let consumer = consumer(&db, &bus, &handler);
    let statuses = Statuses::default();
    let _spans = tracing::subscriber::set_default(tracing_subscriber::registry().with(statuses.clone()));
    assert_eq!(consumer.process(&delivery(&event("a", 1), 0)).await, Outcome::Applied);
    assert!(statuses.0.lock().unwrap().is_empty(), "an applied event's span is fine");
    assert_eq!(consumer.process(&delivery(&event("a", 2), 1)).await, Outcome::DeadLettered);
    assert_eq!(*statuses.0.lock().unwrap(), ["ERROR"]);
}
