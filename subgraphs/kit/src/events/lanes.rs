//! Per-key concurrency inside one consumer: deliveries with the same key (one aggregate) go
//! through the same lane, in order, as they would through one partition; different keys are
//! applied side by side. The offset acknowledged in a partition is the last one below every
//! delivery still in a lane, so a crash redelivers what was not finished (the inbox drops what
//! was) and nothing is skipped.

use std::collections::{BTreeSet, HashMap};
use std::hash::{Hash, Hasher};

use super::bus::Delivery;

/// Which of `lanes` lanes a delivery's key goes through.
pub fn lane_of(key: Option<&str>, lanes: usize) -> usize {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    key.hash(&mut hasher);
    (hasher.finish() % lanes.max(1) as u64) as usize
}

/// Where a delivery came from: enough to acknowledge it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Position {
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
}

impl Position {
    pub fn of(d: &Delivery) -> Self {
        Self { topic: d.topic.clone(), partition: d.partition, offset: d.offset }
    }
}

#[derive(Default)]
struct Partition {
    in_flight: BTreeSet<i64>,
    highest: i64,
    acked: Option<i64>,
}

/// The deliveries still in lanes, per partition.
#[derive(Default)]
pub struct Watermarks {
    partitions: HashMap<(String, i32), Partition>,
}

impl Watermarks {
    /// A delivery entered a lane.
    pub fn started(&mut self, p: &Position) {
        let part = self.partitions.entry((p.topic.clone(), p.partition)).or_default();
        part.in_flight.insert(p.offset);
        part.highest = part.highest.max(p.offset);
    }

    /// A delivery left its lane; returns the position now safe to acknowledge (every earlier
    /// delivery of its partition is finished), if that moved.
    pub fn finished(&mut self, p: &Position) -> Option<Position> {
        let part = self.partitions.get_mut(&(p.topic.clone(), p.partition))?;
        part.in_flight.remove(&p.offset);
        let done = match part.in_flight.first() {
            Some(first) => first - 1,
            None => part.highest,
        };
        if part.acked.is_some_and(|a| a >= done) || done < 0 {
            return None;
        }
        part.acked = Some(done);
        Some(Position { topic: p.topic.clone(), partition: p.partition, offset: done })
    }

    /// Deliveries still in lanes.
    #[cfg(test)]
    fn in_flight(&self) -> usize {
        self.partitions.values().map(|p| p.in_flight.len()).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(offset: i64) -> Position {
        Position { topic: "t".into(), partition: 0, offset }
    }

    #[test]
    fn only_what_is_finished_below_every_open_delivery_is_acknowledged() {
        let mut marks = Watermarks::default();
        for o in 0..4 {
            marks.started(&at(o));
        }
        // 2 finishes first: 0 and 1 are still open.
        assert_eq!(marks.finished(&at(2)), None);
        assert_eq!(marks.finished(&at(0)), Some(at(0)));
        assert_eq!(marks.finished(&at(1)), Some(at(2)));
        assert_eq!(marks.in_flight(), 1);
        assert_eq!(marks.finished(&at(3)), Some(at(3)));
        assert_eq!(marks.in_flight(), 0);
    }

    #[test]
    fn a_finish_that_does_not_move_the_watermark_acknowledges_nothing_again() {
        let mut marks = Watermarks::default();
        for o in 0..3 {
            marks.started(&at(o));
        }
        assert_eq!(marks.finished(&at(0)), Some(at(0)));
        // 1 is still open: the watermark stays at 0, which is acknowledged already.
        assert_eq!(marks.finished(&at(2)), None);
        assert_eq!(marks.finished(&at(1)), Some(at(2)));
        let unknown = Position { topic: "u".into(), partition: 0, offset: 0 };
        assert_eq!(marks.finished(&unknown), None);
    }

    #[test]
    fn partitions_are_independent() {
        let mut marks = Watermarks::default();
        let other = Position { topic: "t".into(), partition: 1, offset: 7 };
        marks.started(&at(5));
        marks.started(&other);
        assert_eq!(marks.finished(&other), Some(other.clone()));
        assert_eq!(marks.finished(&at(5)), Some(at(5)));
    }

    #[test]
    fn one_key_always_takes_one_lane() {
        assert_eq!(lane_of(Some("order-1"), 8), lane_of(Some("order-1"), 8));
        assert!((0..100).all(|i| lane_of(Some(&format!("k{i}")), 8) < 8));
        let used: BTreeSet<usize> = (0..100).map(|i| lane_of(Some(&format!("k{i}")), 8)).collect();
        assert!(used.len() > 4, "keys spread over the lanes: {used:?}");
    }
}
