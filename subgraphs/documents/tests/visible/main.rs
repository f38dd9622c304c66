//! Visibility in the data layer, against a brute-force oracle: random documents, shares,
//! visible sets, groups, filters (owner, tag, words) and page sizes, under both plans
//! (listed and scanned, forced by the list limit), on SQLite and on PostgreSQL. Every page
//! holds exactly the oracle's next documents, `has_next` is right, each document carries
//! whether it is shared with the viewer, and the count agrees.

mod plans;
mod world;

use std::collections::BTreeSet;
use std::sync::Arc;

use braid_access::{Visible, VisibleSet};
use braid_documents::visible::{self, Filter, LIST_MAX, Reach};
use proptest::prelude::*;

use world::{Audience, Backend, Doc, World};

/// Words whose stems differ from each other's under both engines' English stemmers.
const WORDS: &[&str] = &["budget", "forecast", "contract", "hiring", "merger", "audit"];
const TAGS: &[&str] = &["finance", "legal", "hr"];
const EMPLOYEES: i64 = 10;
const GROUPS: i64 = 3;

#[derive(Debug, Clone)]
struct Case {
    docs: Vec<Doc>,
    shares: Vec<(usize, Audience)>,
    viewer: i64,
    visible: Vec<i64>,
    groups: Vec<i64>,
    filter: Filter,
    list_max: usize,
    first: u64,
}

fn doc() -> impl Strategy<Value = Doc> {
    (1..=EMPLOYEES, proptest::sample::subsequence(TAGS, 0..=2), proptest::collection::vec(0..WORDS.len(), 1..4))
        .prop_map(|(owner, tags, words)| Doc {
            owner,
            tags: tags.iter().map(|t| t.to_string()).collect(),
            words: words.iter().map(|w| WORDS[*w].to_string()).collect(),
        })
}

fn filter() -> impl Strategy<Value = Filter> {
    let tag = prop_oneof![Just(None), proptest::sample::select(TAGS).prop_map(|t| Some(t.to_string()))];
    let text = prop_oneof![
        3 => Just(None),
        2 => proptest::sample::select(WORDS).prop_map(|w| Some(w.to_uppercase())),
        1 => proptest::sample::subsequence(WORDS, 2).prop_map(|w| Some(format!("{}, {}!", w[0], w[1]))),
        1 => Just(Some("!!! --".to_string())),
    ];
    (proptest::option::of(1..=EMPLOYEES), tag, text).prop_map(|(owner, tag, text)| Filter { owner, tag, text })
}

fn case() -> impl Strategy<Value = Case> {
    let docs = proptest::collection::vec(doc(), 0..90);
    let shares =
        proptest::collection::vec((any::<proptest::sample::Index>(), any::<bool>(), 1..=EMPLOYEES.max(GROUPS)), 0..25);
    let people = proptest::sample::subsequence((1..=EMPLOYEES).collect::<Vec<_>>(), 0..=EMPLOYEES as usize);
    let groups = proptest::sample::subsequence((1..=GROUPS).collect::<Vec<_>>(), 0..=GROUPS as usize);
    let list_max = proptest::sample::select(vec![0, 1, 2, 5, LIST_MAX]);
    (docs, shares, 1..=EMPLOYEES, people, groups, filter(), list_max, 1..8u64).prop_map(
        |(docs, shares, viewer, visible, groups, filter, list_max, first)| {
            let shares: BTreeSet<(usize, Audience)> = shares
                .into_iter()
                .filter(|_| !docs.is_empty())
                .map(|(doc, group, id)| {
                    let with = if group { Audience::Group(1 + id % GROUPS) } else { Audience::Employee(id) };
                    (doc.index(docs.len()), with)
                })
                .collect();
            Case { docs, shares: shares.into_iter().collect(), viewer, visible, groups, filter, list_max, first }
        },
    )
}

/// The words of a search as a reader would take them: letters and digits, any case.
fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_lowercase).collect()
}

impl Case {
    fn shared(&self, doc: usize) -> bool {
        self.shares.iter().any(|(d, with)| {
            *d == doc
                && match with {
                    Audience::Employee(e) => *e == self.viewer,
                    Audience::Group(g) => self.groups.contains(g),
                }
        })
    }

    /// Indexes of the documents the viewer may see that match the filter, newest first.
    fn expected(&self) -> Vec<usize> {
        let f = &self.filter;
        let mut out: Vec<usize> = (0..self.docs.len())
            .filter(|&i| {
                let d = &self.docs[i];
                let wanted = f.text.as_deref().map(words);
                (self.visible.contains(&d.owner) || self.shared(i))
                    && f.owner.is_none_or(|o| o == d.owner)
                    && f.tag.as_ref().is_none_or(|t| d.tags.contains(t))
                    && wanted.is_none_or(|w| !w.is_empty() && w.iter().all(|w| d.words.contains(w)))
            })
            .collect();
        out.reverse();
        out
    }
}

async fn check(backend: Backend, case: Case) {
    let mut world = World::open(backend).await;
    world.write(&case.docs).await;
    for (doc, with) in &case.shares {
        world.share(*doc, *with).await;
    }
    let visible =
        Visible { ids: VisibleSet::new(case.visible.clone()), groups: case.groups.clone(), valid_until: None };
    let mut reach = Reach::load(&world.db, case.viewer, Arc::new(visible)).await.unwrap();
    reach.list_max = case.list_max;

    let expected: Vec<i64> = case.expected().iter().map(|&i| world.ids[i]).collect();
    let mut seen = Vec::new();
    let mut after = None;
    loop {
        let page = visible::page(&world.db, &reach, &case.filter, case.first, after).await.unwrap();
        let at = seen.len();
        let want = &expected[at.min(expected.len())..(at + case.first as usize).min(expected.len())];
        let ids: Vec<i64> = page.rows.iter().map(|r| r.id).collect();
        assert_eq!(ids, want, "the page after {after:?}");
        for row in &page.rows {
            let i = world.ids.iter().position(|id| *id == row.id).unwrap();
            assert_eq!(row.owner_id, case.docs[i].owner, "document {}'s owner", row.id);
            assert_eq!(row.shared_with_viewer, case.shared(i), "document {} shared with the viewer", row.id);
        }
        seen.extend(ids);
        assert_eq!(page.has_next, seen.len() < expected.len(), "has_next after {} of {}", seen.len(), expected.len());
        if !page.has_next {
            break;
        }
        after = seen.last().copied();
    }
    assert_eq!(seen, expected, "every visible document once");
    let count = visible::count(&world.db, &reach, &case.filter).await.unwrap();
    assert_eq!(count, expected.len() as u64, "the count");
}

fn run(backend: Backend, case: Case) {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(check(backend, case));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, max_shrink_iters: 200, ..ProptestConfig::default() })]

    #[test]
    fn pages_and_counts_equal_the_oracle_on_sqlite(case in case()) {
        run(Backend::Sqlite, case);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, max_shrink_iters: 50, ..ProptestConfig::default() })]

    #[test]
    fn pages_and_counts_equal_the_oracle_on_postgres(case in case()) {
        run(Backend::Postgres, case);
    }
}
