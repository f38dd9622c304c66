//! The in-process tier: entries and tag generations in this instance's memory. Alone it is the
//! whole cache (the demo); in front of Redis it saves the round trip, and this instance's own
//! reading of the events keeps it fresh.
//!
//! A hit costs one map lookup: an entry remembers the count of bumps (of any tag) at which it
//! last found its tags unchanged, and compares its tags' generations again only when some tag
//! has been bumped since.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use moka::sync::Cache;

use super::Answer;

/// An answer kept in memory, decoded.
pub struct Entry {
    pub tags: Arc<[String]>,
    /// The generation of each tag when the fetch that filled it began.
    pub generations: Box<[u64]>,
    /// The bump count at which the generations were last found current.
    pub checked: AtomicU64,
    /// Milliseconds since the Unix epoch.
    pub expires_ms: u64,
    pub answer: Answer,
}

pub struct Local {
    entries: Cache<u128, Arc<Entry>>,
    /// Tags bumped at least once; a tag never bumped is at generation 0. A generation is kept
    /// longer than any entry lives, so an entry never outlives the bump that invalidated it.
    generations: Cache<String, u64>,
    /// Bumps so far, of any tag.
    bumps: AtomicU64,
}

impl Local {
    pub fn new(capacity: u64, max_ttl: Duration) -> Self {
        Self {
            entries: Cache::builder().max_capacity(capacity).time_to_live(max_ttl).build(),
            generations: Cache::builder().time_to_live(max_ttl + Duration::from_secs(60)).build(),
            bumps: AtomicU64::new(0),
        }
    }

    /// The bump count now; read before [`Self::generations`] for an entry's `checked`.
    pub fn bumps(&self) -> u64 {
        self.bumps.load(Ordering::SeqCst)
    }

    /// The generation of each tag now.
    pub fn generations(&self, tags: &[String]) -> Box<[u64]> {
        tags.iter().map(|tag| self.generations.get(tag).unwrap_or(0)).collect()
    }

    /// The generation of each tag now, as [`Self::generations`] for borrowed names.
    pub fn generations_of(&self, tags: &[&str]) -> Vec<u64> {
        tags.iter().map(|tag| self.generations.get(*tag).unwrap_or(0)).collect()
    }

    /// The answer under `key`, if none of its tags moved on since it was filled.
    pub fn get(&self, key: u128, now_ms: u64) -> Option<Answer> {
        let entry = self.entries.get(&key)?;
        if now_ms >= entry.expires_ms {
            return None;
        }
        let bumps = self.bumps();
        if entry.checked.load(Ordering::Relaxed) != bumps {
            let current = entry.tags.iter().map(|tag| self.generations.get(tag).unwrap_or(0));
            if !current.eq(entry.generations.iter().copied()) {
                self.entries.invalidate(&key);
                return None;
            }
            entry.checked.store(bumps, Ordering::Relaxed);
        }
        Some(entry.answer.clone())
    }

    pub fn put(&self, key: u128, entry: Entry) {
        self.entries.insert(key, Arc::new(entry));
    }

    /// Forgets every entry.
    pub fn clear(&self) {
        self.entries.invalidate_all();
    }

    /// Invalidates every entry carrying `tag`: its generation first, then the count entries
    /// compare with, so that an entry that sees the new count also sees the new generation.
    pub fn bump(&self, tag: &str) {
        self.generations.entry(tag.to_string()).and_upsert_with(|now| now.map_or(1, |e| e.into_value() + 1));
        self.bumps.fetch_add(1, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::super::entry::now_ms;
    use super::*;
    use crate::execute::client::SubgraphResponse;
    use sonic_rs::JsonValueTrait;

    #[test]
    fn bumping_a_tag_invalidates_the_entries_stored_before_and_not_after() {
        let local = Local::new(100, Duration::from_secs(60));
        let tags: Arc<[String]> = vec!["e:Product:1".to_string(), "s:catalog".to_string()].into();
        let answer = |text: &str| Arc::new(SubgraphResponse::from_value(sonic_rs::json!({ "name": text })));
        let entry = |text: &str, (checked, generations): (u64, Box<[u64]>)| Entry {
            tags: tags.clone(),
            generations,
            checked: AtomicU64::new(checked),
            expires_ms: now_ms() + 60_000,
            answer: answer(text),
        };
        let name = |found: Option<Answer>| found.map(|a| a.body()["name"].as_str().unwrap_or_default().to_string());
        let before = (local.bumps(), local.generations(&tags));
        local.put(1, entry("old", before.clone()));
        assert_eq!(name(local.get(1, now_ms())).as_deref(), Some("old"));
        local.bump("s:orders");
        assert_eq!(name(local.get(1, now_ms())).as_deref(), Some("old"), "another tag moved on");
        local.bump("e:Product:1");
        assert_eq!(name(local.get(1, now_ms())), None);
        // A fetch that began before the bump stores what it found: never served.
        local.put(1, entry("raced", before));
        assert_eq!(name(local.get(1, now_ms())), None);
        local.put(1, entry("new", (local.bumps(), local.generations(&tags))));
        assert_eq!(name(local.get(1, now_ms())).as_deref(), Some("new"));
        assert_eq!(name(local.get(1, now_ms() + 61_000)), None, "expired");
    }
}
