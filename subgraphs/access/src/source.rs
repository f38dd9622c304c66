//! The port answers come from, and the values it answers with.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::AccessError;

/// Who is asking: an employee id, and the bearer token sources that call over HTTP forward.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Viewer {
    pub id: i64,
    pub token: Option<Arc<str>>,
}

impl Viewer {
    pub fn new(id: i64) -> Self {
        Self { id, token: None }
    }

    pub fn with_token(id: i64, token: impl Into<Arc<str>>) -> Self {
        Self { id, token: Some(token.into()) }
    }
}

/// Answers for a list of employees, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    pub allowed: Vec<bool>,
    /// When the first grant the answer relied on expires (caches must not outlive it).
    pub valid_until: Option<DateTime<Utc>>,
}

/// Every employee a viewer may see, and the groups the viewer is in (what is shared with a
/// group is shared with its members).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Visible {
    pub ids: VisibleSet,
    pub groups: Vec<i64>,
    pub valid_until: Option<DateTime<Utc>>,
}

impl Visible {
    /// Cache bytes: the expiry (milliseconds since the epoch plus one, or zero), the group
    /// count, the groups, then the employee set.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.ids.len() * 2 + self.groups.len() * 3 + 16);
        let until = self.valid_until.map_or(0, |t| t.timestamp_millis().max(0) as u64 + 1);
        write_varint(&mut out, until);
        write_varint(&mut out, self.groups.len() as u64);
        for g in &self.groups {
            write_varint(&mut out, zigzag(*g));
        }
        out.extend(self.ids.encode());
        out
    }

    /// The inverse of [`encode`](Self::encode).
    pub fn decode(bytes: &[u8]) -> Option<Self> {
        let (until, mut used) = read_varint(bytes)?;
        let valid_until = match until {
            0 => None,
            t => Some(DateTime::<Utc>::from_timestamp_millis(i64::try_from(t - 1).ok()?)?),
        };
        let (count, n) = read_varint(bytes.get(used..)?)?;
        used += n;
        let mut groups = Vec::with_capacity(count.min(4096) as usize);
        for _ in 0..count {
            let (g, n) = read_varint(bytes.get(used..)?)?;
            groups.push(unzigzag(g));
            used += n;
        }
        Some(Self { ids: VisibleSet::decode(&bytes[used..])?, groups, valid_until })
    }
}

/// A sorted, duplicate-free set of employee ids.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VisibleSet(Vec<i64>);

impl VisibleSet {
    pub fn new(mut ids: Vec<i64>) -> Self {
        ids.sort_unstable();
        ids.dedup();
        Self(ids)
    }

    pub fn contains(&self, id: i64) -> bool {
        self.0.binary_search(&id).is_ok()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn ids(&self) -> &[i64] {
        &self.0
    }

    /// Compact bytes for the cache: the first id, then varint gaps (about 2 bytes per id).
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.0.len() * 2 + 8);
        let mut previous = 0i64;
        for (i, id) in self.0.iter().enumerate() {
            let delta = if i == 0 { *id } else { id - previous };
            write_varint(&mut out, zigzag(delta));
            previous = *id;
        }
        out
    }

    /// The inverse of [`encode`](Self::encode); `None` for bytes it did not write.
    pub fn decode(bytes: &[u8]) -> Option<Self> {
        let mut ids = Vec::with_capacity(bytes.len() / 2);
        let mut rest = bytes;
        let mut previous = 0i64;
        while !rest.is_empty() {
            let (value, used) = read_varint(rest)?;
            rest = &rest[used..];
            let delta = unzigzag(value);
            let id = if ids.is_empty() { delta } else { previous.checked_add(delta)? };
            if !ids.is_empty() && id <= previous {
                return None;
            }
            ids.push(id);
            previous = id;
        }
        Some(Self(ids))
    }
}

fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

fn unzigzag(v: u64) -> i64 {
    ((v >> 1) as i64) ^ -((v & 1) as i64)
}

fn write_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn read_varint(bytes: &[u8]) -> Option<(u64, usize)> {
    let mut value = 0u64;
    for (i, b) in bytes.iter().enumerate().take(10) {
        value |= u64::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            return Some((value, i + 1));
        }
    }
    None
}

/// Where answers come from when the cache has none.
#[async_trait]
pub trait Source: Send + Sync + 'static {
    /// May `viewer` see each of `targets`? One round trip.
    async fn check(&self, viewer: &Viewer, targets: &[i64]) -> Result<Checked, AccessError>;
    /// Everything `viewer` may see. One round trip.
    async fn visible(&self, viewer: &Viewer) -> Result<Visible, AccessError>;
    /// `employee`'s managers, nearest first; `None` when there is no such employee.
    /// One round trip.
    async fn managers(&self, viewer: &Viewer, employee: i64) -> Result<Option<Vec<i64>>, AccessError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sets_round_trip_through_their_encoding() {
        for ids in [vec![], vec![7], vec![1, 2, 3, 1_000_000, i64::MAX], vec![-5, 0, 5], vec![3, 1, 2, 2]] {
            let set = VisibleSet::new(ids);
            assert_eq!(VisibleSet::decode(&set.encode()).unwrap(), set);
        }
        assert!(VisibleSet::new(vec![]).is_empty() && !VisibleSet::new(vec![4]).is_empty());
        let dense = VisibleSet::new((1..=100_000).collect());
        assert!(dense.encode().len() < 100_010, "one byte per id when ids are dense");
        assert!(VisibleSet::decode(&[0x80]).is_none());
        assert!(dense.contains(50_000) && !dense.contains(0));
        let until = DateTime::<Utc>::from_timestamp_millis(1_800_000_000_123);
        let visible = Visible { ids: dense, groups: vec![3, -1, 700_000], valid_until: until };
        assert_eq!(Visible::decode(&visible.encode()).unwrap(), visible);
        assert_eq!(Visible::decode(&Visible::default().encode()).unwrap(), Visible::default());
        assert!(Visible::decode(&[0, 5, 1]).is_none(), "fewer groups than announced");
    }
}
