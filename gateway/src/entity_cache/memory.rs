//! The in-process tier: entries and tag generations in this instance's memory. Alone it is the
//! whole cache (the demo); in front of Redis it saves the round trip, and this instance's own
//! reading of the events keeps it fresh.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use moka::sync::Cache;

use super::entry::{Entry, now_ms};

pub struct Local {
    entries: Cache<u128, Arc<Entry>>,
    /// Tags bumped at least once; a tag never bumped is at generation 0. A generation is kept
    /// longer than any entry lives, so an entry never outlives the bump that invalidated it.
    generations: Cache<String, u64>,
}

impl Local {
    pub fn new(capacity: u64, max_ttl: Duration) -> Self {
        Self {
            entries: Cache::builder().max_capacity(capacity).time_to_live(max_ttl).build(),
            generations: Cache::builder().time_to_live(max_ttl + Duration::from_secs(60)).build(),
        }
    }

    /// The generation of each tag now.
    pub fn generations(&self, tags: &[String]) -> Vec<u64> {
        tags.iter().map(|tag| self.generations.get(tag).unwrap_or(0)).collect()
    }

    /// The answer under `key`, if it is still fresh for tags now at `generations`.
    pub fn get(&self, key: u128, generations: &[u64]) -> Option<Bytes> {
        let entry = self.entries.get(&key)?;
        entry.is_fresh(generations, now_ms()).then(|| entry.data.clone())
    }

    pub fn put(&self, key: u128, entry: Entry) {
        self.entries.insert(key, Arc::new(entry));
    }

    /// Forgets every entry.
    pub fn clear(&self) {
        self.entries.invalidate_all();
    }

    /// Invalidates every entry carrying `tag`.
    pub fn bump(&self, tag: &str) {
        self.generations.entry(tag.to_string()).and_upsert_with(|now| now.map_or(1, |e| e.into_value() + 1));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bumping_a_tag_invalidates_the_entries_stored_before_and_not_after() {
        let local = Local::new(100, Duration::from_secs(60));
        let tags = vec!["e:Product:1".to_string(), "s:catalog".to_string()];
        let before = local.generations(&tags);
        let entry = |data: &'static [u8], generations: Vec<u64>| Entry {
            generations: generations.into(),
            expires_ms: now_ms() + 60_000,
            data: Bytes::from_static(data),
        };
        local.put(1, entry(b"old", before.clone()));
        assert_eq!(local.get(1, &local.generations(&tags)).as_deref(), Some(&b"old"[..]));
        local.bump("e:Product:1");
        assert_eq!(local.get(1, &local.generations(&tags)), None);
        // A fetch that began before the bump stores what it found: never served.
        local.put(1, entry(b"raced", before));
        assert_eq!(local.get(1, &local.generations(&tags)), None);
        local.put(1, entry(b"new", local.generations(&tags)));
        assert_eq!(local.get(1, &local.generations(&tags)).as_deref(), Some(&b"new"[..]));
    }
}
