//! Brute-force visibility over a plain model of the org, kept beside the database.

use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Side {
    Employee(i64),
    Group(i64),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    pub grantee: Side,
    pub target: Side,
    pub include_reports: bool,
}

/// Who reports to whom, groups and grants: nothing derived, nothing indexed.
#[derive(Debug, Default, Clone)]
pub struct Model {
    pub manager: BTreeMap<i64, Option<i64>>,
    pub groups: BTreeMap<i64, BTreeSet<i64>>,
    pub grants: BTreeMap<i64, Grant>,
}

impl Model {
    /// Is `a` above `b` (or `b` itself)? Walks `b`'s chain of managers.
    pub fn is_within(&self, a: i64, b: i64) -> bool {
        let mut at = Some(b);
        let mut steps = 0;
        while let Some(e) = at {
            if e == a {
                return true;
            }
            at = self.manager.get(&e).copied().flatten();
            steps += 1;
            assert!(steps <= self.manager.len() + 1, "the model has a cycle");
        }
        false
    }

    fn holds(&self, viewer: i64, side: Side) -> bool {
        match side {
            Side::Employee(e) => e == viewer,
            Side::Group(g) => self.groups.get(&g).is_some_and(|m| m.contains(&viewer)),
        }
    }

    /// Everyone `viewer` may see, by the rules' definition.
    pub fn visible(&self, viewer: i64) -> BTreeSet<i64> {
        let mut out = BTreeSet::new();
        if !self.manager.contains_key(&viewer) {
            return out;
        }
        for &t in self.manager.keys() {
            if self.is_within(viewer, t) {
                out.insert(t);
            }
        }
        for grant in self.grants.values().filter(|g| self.holds(viewer, g.grantee)) {
            match grant.target {
                Side::Employee(te) => {
                    for &t in self.manager.keys() {
                        if t == te || (grant.include_reports && self.is_within(te, t)) {
                            out.insert(t);
                        }
                    }
                }
                Side::Group(g) => out.extend(self.groups.get(&g).into_iter().flatten().copied()),
            }
        }
        out
    }

    pub fn employees(&self) -> Vec<i64> {
        self.manager.keys().copied().collect()
    }

    pub fn has_reports(&self, e: i64) -> bool {
        self.manager.values().any(|m| *m == Some(e))
    }
}

/// Random orgs of 2 to `max` employees as manager indices: each employee but the first reports
/// to someone earlier (so there is no cycle) with probability `managed`, else to nobody.
pub fn random_org(max: usize, managed: f64) -> impl proptest::strategy::Strategy<Value = Vec<Option<u16>>> {
    use proptest::prelude::*;
    (2usize..=max).prop_flat_map(move |n| {
        (0..n)
            .map(|i| if i == 0 { Just(None).boxed() } else { proptest::option::weighted(managed, 0..i as u16).boxed() })
            .collect::<Vec<_>>()
    })
}

/// The item a random `u16` names in a non-empty list.
pub fn pick<T: Copy>(list: &[T], i: u16) -> T {
    list[i as usize % list.len()]
}
