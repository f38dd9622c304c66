//! Which plan a read takes and what it asks the database: a small reach is one listed
//! statement, a large one a scan in growing chunks, capped; a total without filters reads
//! the owners' counts instead of the documents.

use std::sync::Arc;

use braid_access::{Visible, VisibleSet};
use braid_documents::visible::{self, Filter, Reach};
use sea_orm::Statement;

use crate::world::{Audience, Backend, Doc, World, limit};

fn doc(owner: i64) -> Doc {
    Doc { owner, tags: vec!["finance".into()], words: vec!["budget".into()] }
}

async fn reach_of(world: &World, viewer: i64, people: &[i64], groups: &[i64], list_max: usize) -> Reach {
    let visible = Visible { ids: VisibleSet::new(people.to_vec()), groups: groups.to_vec(), valid_until: None };
    let mut reach = Reach::load(&world.db, viewer, Arc::new(visible)).await.unwrap();
    reach.list_max = list_max;
    world.statements();
    reach
}

fn listed(statements: &[Statement]) -> bool {
    statements.len() == 1 && statements[0].sql.contains("d.owner_id IN (")
}

fn limits(statements: &[Statement]) -> Vec<i64> {
    statements.iter().filter_map(limit).collect()
}

/// Owners and shared documents up to the list limit are listed; one more of either is scanned.
#[tokio::test]
async fn the_list_limit_decides_the_plan() {
    let mut world = World::open(Backend::Sqlite).await;
    world.write(&[doc(1), doc(2), doc(3), doc(4), doc(5)]).await;
    world.share(3, Audience::Employee(9)).await;
    world.share(4, Audience::Group(7)).await;
    let filter = Filter::default();

    for (list_max, expect_listed) in [(3, true), (2, false)] {
        let reach = reach_of(&world, 9, &[1, 2, 3], &[7], list_max).await;
        let page = visible::page(&world.db, &reach, &filter, 10, None).await.unwrap();
        let ids: Vec<i64> = page.rows.iter().map(|r| r.id).collect();
        assert_eq!(ids, [4, 3, 2, 1, 0].map(|i| world.ids[i]), "list limit {list_max}");
        assert_eq!(listed(&world.statements()), expect_listed, "three owners, list limit {list_max}");
    }
    for (list_max, expect_listed) in [(2, true), (1, false)] {
        let reach = reach_of(&world, 9, &[1], &[7], list_max).await;
        visible::page(&world.db, &reach, &filter, 10, None).await.unwrap();
        assert_eq!(listed(&world.statements()), expect_listed, "two shared documents, list limit {list_max}");
    }
    // One owner picked out of a visible set too long to list is listed.
    let reach = reach_of(&world, 9, &[1, 2, 3], &[], 1).await;
    let owned = Filter { owner: Some(2), ..Filter::default() };
    let page = visible::page(&world.db, &reach, &owned, 10, None).await.unwrap();
    assert_eq!(page.rows.iter().map(|r| r.id).collect::<Vec<_>>(), [world.ids[1]]);
    assert!(listed(&world.statements()), "one owner of three, list limit 1");
}

/// A listed page asks for one row more than it shows, to know whether more follow.
#[tokio::test]
async fn a_listed_page_reads_one_more_row() {
    let mut world = World::open(Backend::Sqlite).await;
    world.write(&[doc(1), doc(1), doc(1), doc(1)]).await;
    let reach = reach_of(&world, 1, &[1], &[], 100).await;
    for (first, has_next) in [(3, true), (4, false)] {
        let page = visible::page(&world.db, &reach, &Filter::default(), first, None).await.unwrap();
        assert_eq!((page.rows.len() as u64, page.has_next), (first, has_next));
        assert_eq!(limits(&world.statements()), [first as i64 + 1]);
    }
    let count = visible::count(&world.db, &reach, &Filter::default()).await.unwrap();
    assert_eq!(count, 4);
    let statements = world.statements();
    assert!(statements.len() == 1 && statements[0].sql.starts_with("SELECT COUNT(*)"), "{statements:?}");
}

/// A scan reads chunks of twice the page (at least 64 rows), each four times the last,
/// until the page is full or the documents end; then reads the page's rows by id.
#[tokio::test]
async fn a_scan_reads_growing_chunks_until_the_page_is_full() {
    let mut world = World::open(Backend::Sqlite).await;
    // The viewer's five documents are the oldest of 1,400.
    let docs: Vec<Doc> = (0..1_400).map(|i| doc(if i < 5 { 1 } else { 2 })).collect();
    world.write(&docs).await;
    let reach = reach_of(&world, 1, &[1], &[], 0).await;
    let oldest: Vec<i64> = world.ids[..5].iter().rev().copied().collect();

    for (first, chunks) in [(10, vec![64, 256, 1024, 4096]), (99, vec![200, 800, 3200])] {
        let page = visible::page(&world.db, &reach, &Filter::default(), first, None).await.unwrap();
        assert_eq!(page.rows.iter().map(|r| r.id).collect::<Vec<_>>(), oldest);
        assert!(!page.has_next);
        let statements = world.statements();
        assert_eq!(limits(&statements), chunks, "chunks for a page of {first}");
        assert!(statements.last().unwrap().sql.contains("d.id IN ("), "the rows read by id");
    }
    // Every document visible: the first chunk fills the page.
    let everyone = reach_of(&world, 1, &[1, 2], &[], 0).await;
    let page = visible::page(&world.db, &everyone, &Filter::default(), 10, None).await.unwrap();
    assert!(page.has_next);
    assert_eq!(page.rows.len(), 10);
    assert_eq!(limits(&world.statements()), [64]);
    // Nothing visible: no rows are read by id.
    let nobody = reach_of(&world, 3, &[3], &[], 0).await;
    let page = visible::page(&world.db, &nobody, &Filter::default(), 10, None).await.unwrap();
    assert!(page.rows.is_empty() && !page.has_next);
    assert!(world.statements().iter().all(|s| limit(s).is_some()), "only chunks");
}

/// Chunks stop growing at 16,384 rows.
#[tokio::test]
async fn scan_chunks_are_capped() {
    let mut world = World::open(Backend::Sqlite).await;
    let docs: Vec<Doc> = (0..8_100).map(|i| doc(if i < 3 { 1 } else { 2 })).collect();
    world.write(&docs).await;
    let reach = reach_of(&world, 1, &[1], &[], 0).await;
    let page = visible::page(&world.db, &reach, &Filter::default(), 4_000, None).await.unwrap();
    assert_eq!(page.rows.len(), 3);
    assert_eq!(limits(&world.statements()), [8_002, 16_384]);
}

/// Without filters, a reach too large to list is counted from the owners' totals plus the
/// documents shared from outside it, without reading the documents it owns.
#[tokio::test]
async fn an_unfiltered_total_reads_the_owners_counts() {
    let mut world = World::open(Backend::Sqlite).await;
    world.write(&[doc(1), doc(1), doc(2), doc(3), doc(3), doc(4)]).await;
    world.share(0, Audience::Employee(1)).await; // its own: counted once
    world.share(3, Audience::Employee(1)).await; // from outside the reach
    world.share(5, Audience::Group(8)).await; // through a group
    let reach = reach_of(&world, 1, &[1, 2], &[8], 0).await;
    let count = visible::count(&world.db, &reach, &Filter::default()).await.unwrap();
    assert_eq!(count, 5);
    let statements = world.statements();
    assert!(statements[0].sql.contains("FROM document_owners"), "{statements:?}");
    assert_eq!(statements.len(), 2, "the totals, then the shared documents' owners");
}
