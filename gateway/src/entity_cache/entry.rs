//! One cached answer as it is kept in either tier: the generations its tags had when it was
//! looked up, when it expires, and the answer's JSON.

use bytes::Bytes;

/// A cached answer. It is valid while every tag still has the generation it was stored with:
/// bumping a tag's generation invalidates every entry carrying it, without finding them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub generations: Box<[u64]>,
    /// Milliseconds since the Unix epoch.
    pub expires_ms: u64,
    pub data: Bytes,
}

impl Entry {
    /// Whether it may still be served, given its tags' generations now.
    pub fn is_fresh(&self, generations: &[u64], now_ms: u64) -> bool {
        *self.generations == *generations && now_ms < self.expires_ms
    }

    /// `[count: u8][generations: u64 LE …][expires: u64 LE][data]`.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(1 + 8 * (self.generations.len() + 1) + self.data.len());
        out.push(self.generations.len() as u8);
        for generation in &self.generations {
            out.extend_from_slice(&generation.to_le_bytes());
        }
        out.extend_from_slice(&self.expires_ms.to_le_bytes());
        out.extend_from_slice(&self.data);
        out
    }

    /// The entry `bytes` encode; `None` for anything else (a key written by something else).
    pub fn decode(bytes: &[u8]) -> Option<Self> {
        let (&count, rest) = bytes.split_first()?;
        let words = usize::from(count) + 1;
        if rest.len() < 8 * words {
            return None;
        }
        let (head, data) = rest.split_at(8 * words);
        let mut numbers = head.chunks_exact(8).map(|c| u64::from_le_bytes(c.try_into().unwrap_or_default()));
        let generations: Box<[u64]> = numbers.by_ref().take(usize::from(count)).collect();
        let expires_ms = numbers.next()?;
        Some(Self { generations, expires_ms, data: Bytes::copy_from_slice(data) })
    }
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_survives_encoding_and_a_foreign_value_is_refused() {
        let entry = Entry { generations: vec![0, 7, 1].into(), expires_ms: 42, data: Bytes::from_static(b"{\"a\":1}") };
        assert_eq!(Entry::decode(&entry.encode()), Some(entry.clone()));
        assert_eq!(Entry::decode(b""), None);
        assert_eq!(Entry::decode(b"\x05short"), None);
        assert!(entry.is_fresh(&[0, 7, 1], 41));
        assert!(!entry.is_fresh(&[0, 8, 1], 41), "a bumped tag");
        assert!(!entry.is_fresh(&[0, 7, 1], 42), "expired");
    }
}
