//! Lookups against a source that counts its round trips, over a process-local cache: what is
//! asked, what is answered from which cache, and what an invalidation forgets.

mod doubles;

use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};

use braid_kit::cache::MemoryCache;
use braid_testkit::metrics::sum;
use chrono::TimeDelta;

use super::*;
use crate::source::VisibleSet;
use doubles::{Counting, Down, Multiples};

fn shared_cache() -> AccessCache {
    AccessCache::new(Arc::new(MemoryCache::new("t:", 10_000)), Duration::from_secs(60))
}

fn lookup(source: &Arc<Multiples>, cache: Option<AccessCache>) -> Lookup {
    Lookup::new(source.clone(), cache)
}

/// Waits for the cache writes a lookup makes off the request path: until `viewer`'s answers
/// about `targets` are all cached.
async fn filled(cache: &AccessCache, viewer: i64, targets: &[i64]) {
    for _ in 0..200 {
        let stamp = cache.stamps(&[viewer]).await.unwrap()[0];
        let keys: Vec<String> = targets.iter().map(|t| AccessCache::pair_key(stamp, viewer, *t)).collect();
        if cache.get_many(&keys).await.unwrap().iter().all(Option::is_some) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    panic!("the answers of {viewer} about {targets:?} were never cached");
}

#[test]
fn a_question_is_its_viewer_and_target_whatever_the_token() {
    let with_token = Check::key(&Viewer::with_token(3, "a"), 6);
    assert_eq!(with_token, Check::key(&Viewer::new(3), 6));
    assert_ne!(with_token, Check::key(&Viewer::new(3), 9));
    assert_ne!(with_token, Check::key(&Viewer::new(2), 6));
    let keys: HashSet<Check> =
        [Check::key(&Viewer::new(3), 6), Check::key(&Viewer::with_token(3, "b"), 6), Check::key(&Viewer::new(6), 3)]
            .into_iter()
            .collect();
    assert_eq!(keys.len(), 2);
}

#[test]
fn answers_are_cached_no_longer_than_the_grants_they_relied_on() {
    let minute = Duration::from_secs(60);
    assert_eq!(ttl_until(minute, None), Some(minute));
    let soon = ttl_until(minute, Some(Utc::now() + TimeDelta::seconds(20))).unwrap();
    assert!(soon > Duration::from_secs(18) && soon <= Duration::from_secs(20), "{soon:?}");
    assert_eq!(ttl_until(minute, Some(Utc::now() + TimeDelta::hours(2))), Some(minute));
    assert_eq!(ttl_until(minute, Some(Utc::now() + TimeDelta::milliseconds(900))), None, "under a second");
    assert_eq!(ttl_until(minute, Some(Utc::now() + TimeDelta::milliseconds(1500))).map(|d| d.as_secs()), Some(1));
    assert_eq!(ttl_until(minute, Some(Utc::now() - TimeDelta::seconds(5))), None, "already expired");
}

#[tokio::test]
async fn without_a_cache_every_check_asks_the_source() {
    let source = Arc::new(Multiples::default());
    let lookup = lookup(&source, None);
    assert!(lookup.cache().is_none());
    assert_eq!(lookup.check(&Viewer::new(3), &[3, 4, 6]).await.unwrap(), [true, false, true]);
    assert_eq!(lookup.check(&Viewer::new(3), &[3, 4, 6]).await.unwrap(), [true, false, true]);
    assert_eq!(source.checks(), 2);
    let set = lookup.visible(&Viewer::new(20)).await.unwrap();
    assert_eq!(set.ids.ids(), [20, 40, 60]);
    lookup.visible(&Viewer::new(20)).await.unwrap();
    assert_eq!(source.sets(), 2);
}

#[tokio::test]
async fn cached_answers_are_not_asked_again_until_the_viewer_is_invalidated() {
    let source = Arc::new(Multiples::default());
    let cache = shared_cache();
    let lookup = lookup(&source, Some(cache.clone()));
    assert!(lookup.cache().is_some());
    let viewer = Viewer::new(3);
    assert_eq!(lookup.check(&viewer, &[3, 4, 6]).await.unwrap(), [true, false, true]);
    filled(&cache, 3, &[3, 4, 6]).await;
    assert_eq!(lookup.check(&viewer, &[6, 4, 3]).await.unwrap(), [true, false, true]);
    assert_eq!(source.checks(), 1);

    // Only what the cache lacks is asked.
    assert_eq!(lookup.check(&viewer, &[4, 9, 3, 10]).await.unwrap(), [false, true, true, false]);
    assert_eq!(source.asked.lock().unwrap().last().unwrap(), &(3, vec![9, 10]));
    filled(&cache, 3, &[9, 10]).await;

    // Another viewer's change leaves these answers; this viewer's forgets them.
    cache.invalidate(&[5]).await.unwrap();
    lookup.check(&viewer, &[3, 4]).await.unwrap();
    assert_eq!(source.checks(), 2);
    cache.invalidate(&[3]).await.unwrap();
    assert_eq!(lookup.check(&viewer, &[3, 4]).await.unwrap(), [true, false]);
    assert_eq!(source.checks(), 3);
    filled(&cache, 3, &[3, 4]).await;
    cache.invalidate_everyone().await.unwrap();
    lookup.check(&viewer, &[3, 4]).await.unwrap();
    assert_eq!(source.checks(), 4);
}

#[tokio::test]
async fn several_viewers_cost_one_source_round_trip_each_for_their_misses_only() {
    let source = Arc::new(Multiples::default());
    let cache = shared_cache();
    let lookup = lookup(&source, Some(cache.clone()));
    lookup.check(&Viewer::new(2), &[2, 3]).await.unwrap();
    filled(&cache, 2, &[2, 3]).await;
    let answers = lookup
        .check_many(&[(Viewer::new(2), vec![3, 2]), (Viewer::new(5), vec![10, 11]), (Viewer::new(7), vec![14])])
        .await
        .unwrap();
    assert_eq!(answers, [vec![false, true], vec![true, false], vec![true]]);
    let mut asked = source.asked.lock().unwrap().clone();
    asked.sort();
    assert_eq!(asked, [(2, vec![2, 3]), (5, vec![10, 11]), (7, vec![14])]);
}

#[tokio::test]
async fn a_visible_set_answers_checks_in_this_process_and_in_another_sharing_the_cache() {
    let source = Arc::new(Multiples::default());
    let cache = shared_cache();
    let here = lookup(&source, Some(cache.clone()));
    let set = here.visible(&Viewer::new(2)).await.unwrap();
    assert_eq!(set.ids.len(), 30);
    assert_eq!(set.groups, [200]);
    assert_eq!(here.check(&Viewer::new(2), &[4, 5]).await.unwrap(), [true, false]);
    let there = lookup(&source, Some(cache.clone()));
    assert_eq!(there.check(&Viewer::new(2), &[6, 7, 8]).await.unwrap(), [true, false, true]);
    assert_eq!(there.visible(&Viewer::new(2)).await.unwrap(), set);
    assert_eq!((source.checks(), source.sets()), (0, 1), "answered from the set, wherever it was");

    cache.invalidate(&[2]).await.unwrap();
    assert_eq!(there.check(&Viewer::new(2), &[4]).await.unwrap(), [true]);
    assert_eq!(here.visible(&Viewer::new(2)).await.unwrap(), set);
    assert_eq!((source.checks(), source.sets()), (1, 2), "an invalidated set answers nothing");
}

#[tokio::test]
async fn sets_and_answers_expire_with_the_grants_they_relied_on() {
    let source = Arc::new(Multiples::default());
    let cache = shared_cache();
    *source.valid_until.lock().unwrap() = Some(Utc::now() + TimeDelta::milliseconds(1300));
    let here = lookup(&source, Some(cache.clone()));
    here.visible(&Viewer::new(4)).await.unwrap();
    assert_eq!(here.check(&Viewer::new(4), &[8]).await.unwrap(), [true]);
    assert_eq!(source.checks(), 0);
    tokio::time::sleep(Duration::from_millis(1400)).await;
    *source.valid_until.lock().unwrap() = None;
    assert_eq!(here.check(&Viewer::new(4), &[8]).await.unwrap(), [true]);
    assert_eq!(source.checks(), 1, "the expired set answered nothing");
    here.visible(&Viewer::new(4)).await.unwrap();
    assert_eq!(source.sets(), 2);

    // A set in the shared cache past its grants' expiry (its entry outlived it) is passed over.
    let stamp = cache.stamps(&[9]).await.unwrap()[0];
    let stale = Visible {
        ids: VisibleSet::new(vec![9, 10]),
        groups: vec![],
        valid_until: Some(Utc::now() - TimeDelta::seconds(1)),
    };
    cache.put_many(&[(AccessCache::set_key(stamp, 9), stale.encode())], Duration::from_secs(60)).await.unwrap();
    assert_eq!(here.check(&Viewer::new(9), &[10]).await.unwrap(), [false]);
    assert_eq!(source.checks(), 2);

    // A set whose grants expire within a second is kept in no shared cache.
    *source.valid_until.lock().unwrap() = Some(Utc::now() + TimeDelta::milliseconds(800));
    here.visible(&Viewer::new(5)).await.unwrap();
    lookup(&source, Some(cache.clone())).visible(&Viewer::new(5)).await.unwrap();
    assert_eq!(source.sets(), 4);
}

#[tokio::test]
async fn answers_relying_on_a_grant_about_to_expire_are_not_cached() {
    let source = Arc::new(Multiples::default());
    let cache = shared_cache();
    *source.valid_until.lock().unwrap() = Some(Utc::now() + TimeDelta::milliseconds(500));
    let lookup = lookup(&source, Some(cache.clone()));
    lookup.check(&Viewer::new(3), &[6]).await.unwrap();
    tokio::time::sleep(Duration::from_millis(50)).await;
    lookup.check(&Viewer::new(3), &[6]).await.unwrap();
    assert_eq!(source.checks(), 2);
}

#[tokio::test]
async fn a_source_answering_the_wrong_number_of_questions_is_an_error() {
    let source = Arc::new(Multiples::default());
    source.short.store(true, Ordering::SeqCst);
    let err = lookup(&source, None).check(&Viewer::new(3), &[3, 6]).await.unwrap_err();
    assert!(matches!(&err, AccessError::Source(m) if m.contains("asked about 2 employees, got 1")), "{err}");
}

#[tokio::test]
async fn with_the_cache_down_the_source_answers_everything() {
    let source = Arc::new(Multiples::default());
    let lookup = lookup_with_cache_down(&source);
    assert_eq!(lookup.check(&Viewer::new(3), &[3, 4]).await.unwrap(), [true, false]);
    assert_eq!(lookup.visible(&Viewer::new(30)).await.unwrap().ids.ids(), [30, 60]);
    assert_eq!((source.checks(), source.sets()), (1, 1));
}

#[tokio::test]
async fn the_loader_answers_every_key_of_every_viewer() {
    let source = Arc::new(Multiples::default());
    let lookup = lookup(&source, Some(shared_cache()));
    let keys = [
        Check::key(&Viewer::new(2), 4),
        Check::key(&Viewer::with_token(3, "t"), 4),
        Check::key(&Viewer::new(3), 9),
        Check::key(&Viewer::new(2), 5),
    ];
    let answers = lookup.load(&keys).await.unwrap();
    assert_eq!(answers.len(), 4);
    let answer = |k: &Check| answers[k];
    assert_eq!(keys.iter().map(answer).collect::<Vec<_>>(), [true, false, true, false]);
    assert_eq!(source.checks(), 2, "one round trip per viewer");
}

#[tokio::test]
async fn managers_always_come_from_the_source() {
    let source = Arc::new(Multiples::default());
    let lookup = lookup(&source, Some(shared_cache()));
    assert_eq!(lookup.managers(&Viewer::new(1), 7).await.unwrap(), Some(vec![8, 9]));
    assert_eq!(lookup.managers(&Viewer::new(1), 0).await.unwrap(), None);
}

#[tokio::test]
async fn a_set_decoded_in_this_process_is_used_without_reading_the_shared_cache() {
    let source = Arc::new(Multiples::default());
    let counting = Arc::new(Counting { inner: MemoryCache::new("t:", 1000), reads: AtomicUsize::new(0) });
    let lookup = lookup(&source, Some(AccessCache::new(counting.clone(), Duration::from_secs(60))));
    // Its grants hold for an hour: the set is kept, and stays valid.
    *source.valid_until.lock().unwrap() = Some(Utc::now() + TimeDelta::hours(1));
    lookup.visible(&Viewer::new(2)).await.unwrap();
    let reads = counting.reads.load(Ordering::SeqCst);
    lookup.visible(&Viewer::new(2)).await.unwrap();
    assert_eq!(counting.reads.load(Ordering::SeqCst), reads + 1, "the viewer's stamp only");
    lookup.check(&Viewer::new(2), &[4, 5]).await.unwrap();
    assert_eq!(counting.reads.load(Ordering::SeqCst), reads + 3, "stamps and pairs; the set is at hand");
    assert_eq!((source.checks(), source.sets()), (0, 1));
}

/// The value of `name{labels}` in the Prometheus text.
/// Hits, misses, source requests and cache errors as the dashboards read them. The recorder is
/// this thread's own and the runtime has one thread, so no other test's lookups count here.
#[tokio::test(flavor = "current_thread")]
async fn hits_misses_source_requests_and_cache_errors_are_counted() {
    let recorder = metrics_exporter_prometheus::PrometheusBuilder::new().build_recorder();
    let handle = recorder.handle();
    let _guard = metrics::set_default_local_recorder(&recorder);
    let counts = || {
        let text = handle.render();
        let source = |kind: &str| sum(&text, &format!("braid_access_source_requests_total{{kind=\"{kind}\"}}"));
        [
            sum(&text, "braid_access_cache_hits_total"),
            sum(&text, "braid_access_cache_misses_total"),
            source("check"),
            source("visible"),
            source("managers"),
            sum(&text, "braid_access_cache_errors_total"),
        ]
    };
    let source = Arc::new(Multiples::default());
    let cache = shared_cache();
    let lookup = lookup(&source, Some(cache.clone()));
    assert!(handle.render().contains("braid_access_cache_hits_total 0"), "the series exist from the start");
    lookup.check(&Viewer::new(3), &[3, 4, 6]).await.unwrap();
    assert_eq!(counts(), [0, 3, 1, 0, 0, 0]);
    filled(&cache, 3, &[3, 4, 6]).await;
    lookup.check(&Viewer::new(3), &[3, 4, 6, 9]).await.unwrap();
    assert_eq!(counts(), [3, 4, 2, 0, 0, 0]);
    filled(&cache, 3, &[9]).await;
    lookup.check(&Viewer::new(3), &[9, 3]).await.unwrap();
    assert_eq!(counts(), [5, 4, 2, 0, 0, 0], "all hits: no miss counted");
    lookup.visible(&Viewer::new(5)).await.unwrap();
    lookup.visible(&Viewer::new(5)).await.unwrap();
    lookup.managers(&Viewer::new(5), 6).await.unwrap();
    assert_eq!(counts(), [6, 5, 2, 1, 1, 0]);

    let down = lookup_with_cache_down(&source);
    down.check(&Viewer::new(3), &[3]).await.unwrap();
    assert_eq!(counts()[5], 1, "the stamps could not be read");
    down.visible(&Viewer::new(3)).await.unwrap();
    assert_eq!(counts()[5], 2);
}

fn lookup_with_cache_down(source: &Arc<Multiples>) -> Lookup {
    lookup(source, Some(AccessCache::new(Arc::new(Down), Duration::from_secs(60))))
}
