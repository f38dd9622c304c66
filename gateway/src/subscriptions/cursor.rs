//! Where a subscriber stands in a topic: for each partition, the offset of the first record it
//! has not been handed. Sent as the SSE event id, it comes back as `Last-Event-ID` and the
//! stream resumes from there, on this instance or any other: offsets belong to the broker.

use std::collections::BTreeMap;
use std::fmt;

/// A position in a topic: partition -> the next offset.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cursor(BTreeMap<i32, i64>);

/// Longest cursor text read back: a few hundred partitions.
const MAX_TEXT: usize = 4096;

impl Cursor {
    /// The record at `offset` of `partition` has been handed on.
    pub fn pass(&mut self, partition: i32, offset: i64) {
        let next = self.0.entry(partition).or_insert(0);
        *next = (*next).max(offset + 1);
    }

    /// Partitions start at `ends` unless this cursor is already further.
    pub fn seed(&mut self, ends: &[(i32, i64)]) {
        for &(partition, end) in ends {
            let next = self.0.entry(partition).or_insert(end);
            *next = (*next).max(end);
        }
    }

    /// The further of the two on each partition.
    pub fn merge(&mut self, other: &Cursor) {
        for (&partition, &next) in &other.0 {
            let mine = self.0.entry(partition).or_insert(next);
            *mine = (*mine).max(next);
        }
    }

    /// Whether the record at `offset` of `partition` comes before this position.
    pub fn covers(&self, partition: i32, offset: i64) -> bool {
        self.0.get(&partition).is_some_and(|next| offset < *next)
    }

    /// The (partition, next offset) pairs.
    pub fn positions(&self) -> Vec<(i32, i64)> {
        self.0.iter().map(|(p, o)| (*p, *o)).collect()
    }

    /// Reads the text [`fmt::Display`] wrote (`0:12,1:40`).
    pub fn parse(text: &str) -> Option<Cursor> {
        if text.len() > MAX_TEXT {
            return None;
        }
        let mut positions = BTreeMap::new();
        for item in text.split(',').filter(|item| !item.is_empty()) {
            let (partition, offset) = item.split_once(':')?;
            let (partition, offset) = (partition.parse::<i32>().ok()?, offset.parse::<i64>().ok()?);
            if partition < 0 || offset < 0 || positions.insert(partition, offset).is_some() {
                return None;
            }
        }
        Some(Cursor(positions))
    }
}

impl fmt::Display for Cursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, (partition, offset)) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{partition}:{offset}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_reads_back_what_it_wrote_and_refuses_anything_else() {
        let mut cursor = Cursor::default();
        cursor.seed(&[(0, 5), (1, 2)]);
        cursor.pass(1, 7);
        cursor.pass(0, 1);
        assert_eq!(cursor.to_string(), "0:5,1:8");
        assert_eq!(Cursor::parse("0:5,1:8"), Some(cursor.clone()));
        assert!(cursor.covers(1, 7) && !cursor.covers(1, 8) && !cursor.covers(2, 0));
        assert_eq!(Cursor::parse(""), Some(Cursor::default()));
        for bad in
            ["x", "0:", ":1", "0:1,0:2", "-1:0", "0:-4", "0:1;1:2", "0:99999999999999999999", &"0:1,".repeat(2000)]
        {
            assert_eq!(Cursor::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn merging_keeps_the_further_position_of_each_partition() {
        let mut a = Cursor::parse("0:5,1:2").unwrap();
        a.merge(&Cursor::parse("1:9,2:1").unwrap());
        assert_eq!(a.to_string(), "0:5,1:9,2:1");
        a.seed(&[(0, 3), (3, 4)]);
        assert_eq!(a.to_string(), "0:5,1:9,2:1,3:4");
    }
}
