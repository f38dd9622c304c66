//! One cached answer as it is kept in either tier: the generations its tags had when it was
//! looked up, when it expires, and the answer's JSON.

use bytes::Bytes;

/// A cached answer. It is valid while every tag still has the generation it was stored with:
/// bumping a tag's generation invalidates every entry carrying it, without finding them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The generations of the tags its key implies, then those of `cache_tags`.
    pub generations: Box<[u64]>,
    /// The tags the subgraph put on the answer (see [`super::tags`]), as [`super::keys::cache_tag`]
    /// writes them: unknown to a lookup until the entry is read.
    pub cache_tags: Box<[String]>,
    /// Milliseconds since the Unix epoch.
    pub expires_ms: u64,
    pub data: Bytes,
}

impl Entry {
    /// Whether it may still be served as far as the tags its key implies tell (`implied`, their
    /// generations now); its cache tags are to be checked with [`Self::tagged_generations`].
    pub fn is_fresh_but_for_cache_tags(&self, implied: &[u64], now_ms: u64) -> bool {
        self.generations.len() == implied.len() + self.cache_tags.len()
            && self.generations[..implied.len()] == *implied
            && now_ms < self.expires_ms
    }

    /// The generations its cache tags had when it was stored.
    pub fn tagged_generations(&self) -> &[u64] {
        &self.generations[self.generations.len() - self.cache_tags.len()..]
    }

    /// `[count: u8][generations: u64 LE …][expires: u64 LE][data]`; with cache tags, the
    /// count's high bit is set and `[tags: u8]([length: u8][tag])…` follows `expires`.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(1 + 8 * (self.generations.len() + 1) + self.data.len());
        let tagged = if self.cache_tags.is_empty() { 0 } else { TAGGED };
        out.push(self.generations.len() as u8 | tagged);
        for generation in &self.generations {
            out.extend_from_slice(&generation.to_le_bytes());
        }
        out.extend_from_slice(&self.expires_ms.to_le_bytes());
        if tagged != 0 {
            out.push(self.cache_tags.len() as u8);
            for tag in &self.cache_tags {
                out.push(tag.len() as u8);
                out.extend_from_slice(tag.as_bytes());
            }
        }
        out.extend_from_slice(&self.data);
        out
    }

    /// The entry `bytes` encode; `None` for anything else (a key written by something else).
    pub fn decode(bytes: &[u8]) -> Option<Self> {
        let (&first, rest) = bytes.split_first()?;
        let count = usize::from(first & !TAGGED);
        let words = count + 1;
        if rest.len() < 8 * words {
            return None;
        }
        let (head, mut data) = rest.split_at(8 * words);
        let mut numbers = head.chunks_exact(8).map(|c| u64::from_le_bytes(c.try_into().unwrap_or_default()));
        let generations: Box<[u64]> = numbers.by_ref().take(count).collect();
        let expires_ms = numbers.next()?;
        let mut cache_tags = Vec::new();
        if first & TAGGED != 0 {
            let (&tags, mut tail) = data.split_first()?;
            for _ in 0..tags {
                let (&length, after) = tail.split_first()?;
                let (tag, after) = after.split_at_checked(usize::from(length))?;
                cache_tags.push(std::str::from_utf8(tag).ok()?.to_string());
                tail = after;
            }
            data = tail;
        }
        if cache_tags.len() > count {
            return None;
        }
        Some(Self { generations, cache_tags: cache_tags.into(), expires_ms, data: Bytes::copy_from_slice(data) })
    }
}

/// The count byte's flag for an entry with cache tags.
const TAGGED: u8 = 0x80;

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_survives_encoding_and_a_foreign_value_is_refused() {
        let entry = Entry {
            generations: vec![0, 7, 1].into(),
            cache_tags: Box::default(),
            expires_ms: 42,
            data: Bytes::from_static(b"{\"a\":1}"),
        };
        assert_eq!(Entry::decode(&entry.encode()), Some(entry.clone()));
        let tagged = Entry { cache_tags: vec!["c:catalog:p-1".to_string()].into(), ..entry.clone() };
        assert_eq!(Entry::decode(&tagged.encode()), Some(tagged.clone()));
        let encoded = tagged.encode();
        assert_eq!(Entry::decode(&encoded[..encoded.len() - entry.data.len() - 2]), None, "a tag cut short");
        assert_eq!(Entry::decode(b""), None);
        assert_eq!(Entry::decode(b"\x05short"), None);
        assert!(entry.is_fresh_but_for_cache_tags(&[0, 7, 1], 41));
        assert!(!entry.is_fresh_but_for_cache_tags(&[0, 8, 1], 41), "a bumped tag");
        assert!(!entry.is_fresh_but_for_cache_tags(&[0, 7, 1], 42), "expired");
        let tagged = Entry { generations: vec![0, 7, 1, 3].into(), ..tagged };
        assert!(tagged.is_fresh_but_for_cache_tags(&[0, 7, 1], 41));
        assert_eq!(tagged.tagged_generations(), [3]);
        assert!(!tagged.is_fresh_but_for_cache_tags(&[0, 7], 41), "another number of tags");
        assert!(!tagged.is_fresh_but_for_cache_tags(&[0, 8, 1], 41));
    }
}
