//! The staleness bound of cached permission answers.
//!
//! Bound: once the revoking mutation has returned, no lookup that starts afterwards answers
//! from before the revocation (the writer bumps the affected viewers' cache versions right
//! after its commit). If that bump fails (Redis unreachable at that instant), the event's
//! consumer applies it; the window is then the relay and delivery delay, and at worst the
//! cache TTL.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use braid_access::{Source, Viewer};
use braid_kit::config::EventsConfig;
use braid_kit::events::memory::MemoryBus;
use braid_kit::events::{Consumer, EventBus, Relay};
use braid_permissions::seed;
use braid_permissions::write::GrantInput;
use tokio_util::sync::CancellationToken;

use crate::stack::Stack;

/// Viewer 2 and target 3 are in separate branches under 1; a grant joins them.
async fn two_branches(stack: &Stack) -> i64 {
    let org = seed::from_managers(&[None, Some(1), Some(1)]);
    seed::insert(&stack.db, &org, |_| String::new()).await.unwrap();
    let grant = stack
        .writer
        .create_grant(GrantInput {
            grantee_employee_id: Some("2".into()),
            target_employee_id: Some("3".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    grant.id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_lookup_started_after_a_revocation_returned_sees_the_revoked_object() {
    let stack = Arc::new(Stack::new(true).await);
    let grant = two_branches(&stack).await;
    let viewer = Viewer::new(2);
    assert_eq!(stack.lookup.check(&viewer, &[3]).await.unwrap(), vec![true]);

    // Readers hammer the cached answer while the grant is revoked.
    let stop = Arc::new(AtomicBool::new(false));
    let mut readers = Vec::new();
    for _ in 0..4 {
        let (stack, stop, viewer) = (stack.clone(), stop.clone(), viewer.clone());
        readers.push(tokio::spawn(async move {
            let mut seen = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                let started = Instant::now();
                let allowed = stack.lookup.check(&viewer, &[3]).await.unwrap()[0];
                seen.push((started, allowed));
            }
            seen
        }));
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    stack.writer.revoke_grant(grant).await.unwrap();
    let returned = Instant::now();
    tokio::time::sleep(Duration::from_millis(300)).await;
    stop.store(true, Ordering::Relaxed);
    let mut before = 0;
    let mut after = 0;
    for reader in readers {
        for (started, allowed) in reader.await.unwrap() {
            if started > returned {
                after += 1;
                assert!(!allowed, "a lookup started {:?} after the revocation returned saw it", started - returned);
            } else if allowed {
                before += 1;
            }
        }
    }
    assert!(before > 0 && after > 0, "readers ran on both sides of the revocation ({before} before, {after} after)");
    println!("{before} allowed lookups before the revocation returned, {after} denied after");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_event_alone_invalidates_within_the_relay_and_delivery_delay() {
    // No invalidation after the commit: only the outbox -> bus -> consumer path.
    let stack = Stack::new(false).await;
    let grant = two_branches(&stack).await;
    let viewer = Viewer::new(2);
    assert_eq!(stack.lookup.check(&viewer, &[3]).await.unwrap(), vec![true]);

    let config = EventsConfig { relay_interval_ms: 50, ..EventsConfig::default() };
    let bus: Arc<dyn EventBus> = Arc::new(MemoryBus::new());
    let token = CancellationToken::new();
    let relay = Relay::new(stack.db.clone(), bus.clone(), stack.writer.outbox.clone(), &config);
    let consumer = Consumer::new(stack.db.clone(), bus.clone(), stack.invalidator.clone(), &config);
    let tasks = [
        tokio::spawn(relay.run(token.clone().cancelled_owned())),
        tokio::spawn(consumer.run(token.clone().cancelled_owned())),
    ];
    // The consumer subscribes before the revocation is published.
    tokio::time::sleep(Duration::from_millis(200)).await;

    stack.writer.revoke_grant(grant).await.unwrap();
    let returned = Instant::now();
    let elapsed = braid_testkit::eventually("the revocation to reach the cache", Duration::from_secs(10), || {
        let (lookup, viewer) = (stack.lookup.clone(), viewer.clone());
        async move { (!lookup.check(&viewer, &[3]).await.unwrap()[0]).then(|| returned.elapsed()) }
    })
    .await;
    println!("revocation enforced through the event {elapsed:?} after it returned");
    // And it stays revoked: no older answer comes back.
    for _ in 0..20 {
        assert_eq!(stack.lookup.check(&viewer, &[3]).await.unwrap(), vec![false]);
    }
    token.cancel();
    for task in tasks {
        task.await.unwrap();
    }
}

/// Counts the round trips a lookup makes to its source.
struct Counting {
    inner: braid_permissions::visibility::SqlSource,
    asked: std::sync::atomic::AtomicUsize,
}

#[async_trait::async_trait]
impl Source for Counting {
    async fn check(
        &self,
        viewer: &Viewer,
        targets: &[i64],
    ) -> Result<braid_access::source::Checked, braid_access::AccessError> {
        self.asked.fetch_add(1, Ordering::SeqCst);
        self.inner.check(viewer, targets).await
    }
    async fn visible(&self, viewer: &Viewer) -> Result<braid_access::source::Visible, braid_access::AccessError> {
        self.asked.fetch_add(1, Ordering::SeqCst);
        self.inner.visible(viewer).await
    }
    async fn managers(&self, viewer: &Viewer, employee: i64) -> Result<Option<Vec<i64>>, braid_access::AccessError> {
        self.asked.fetch_add(1, Ordering::SeqCst);
        self.inner.managers(viewer, employee).await
    }
}

/// A visible set one service fetched answers another service's checks of the same viewer
/// (the gateway's checks of a page of documents), until that viewer's answers are voided.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn checks_are_answered_from_a_cached_visible_set_until_it_is_voided() {
    let stack = Stack::new(true).await;
    let grant = two_branches(&stack).await;
    let counting = |db: &sea_orm::DatabaseConnection| {
        Arc::new(Counting { inner: braid_permissions::visibility::SqlSource(db.clone()), asked: Default::default() })
    };
    let (documents, gateway) = (counting(&stack.db), counting(&stack.db));
    let cache = stack.lookup.cache().cloned();
    let documents_lookup = braid_access::Lookup::new(documents.clone(), cache.clone());
    let gateway_lookup = braid_access::Lookup::new(gateway.clone(), cache);
    let viewer = Viewer::new(2);

    let set = documents_lookup.visible(&viewer).await.unwrap();
    assert_eq!(set.ids.ids(), [2, 3]);
    assert_eq!(gateway_lookup.check(&viewer, &[3, 1, 2]).await.unwrap(), [true, false, true]);
    assert_eq!(gateway.asked.load(Ordering::SeqCst), 0, "answered from the set the other lookup left");

    stack.writer.revoke_grant(grant).await.unwrap();
    assert_eq!(gateway_lookup.check(&viewer, &[3, 2]).await.unwrap(), [false, true]);
    assert_eq!(gateway.asked.load(Ordering::SeqCst), 1, "the voided set is not used");
    assert_eq!(documents_lookup.visible(&viewer).await.unwrap().ids.ids(), [2]);
    assert_eq!(documents.asked.load(Ordering::SeqCst), 2);
}
