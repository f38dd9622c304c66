//! Random orgs, documents, groups, grants and shares; random moves, membership changes,
//! grants, revocations, shares, unshares, new and deleted documents. After every change,
//! every page of every sampled viewer's visible documents (both plans: listed and scanned,
//! random page sizes, with and without a tag filter) equals the brute-force oracle, paging
//! yields each visible document exactly once, and the count agrees. The viewers' permission
//! answers are cached in Redis before the change, so a stale cache would show.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use braid_access::Viewer;
use braid_documents::visible::{self, Filter, Reach};
use braid_documents::write::{Audience, NewDocument, Writer};
use braid_kit::events::OutboxSignal;
use braid_migrations::MigratorTrait;
use braid_permissions::seed::Seeded;
use braid_permissions::write::GrantInput;
use braid_testkit::db::TestDb;
use proptest::prelude::*;
use sea_orm::DatabaseConnection;

use crate::oracle::{Grant, Model, Side, pick, random_org};
use crate::stack::Stack;

#[derive(Debug, Clone)]
enum Op {
    Move { who: u16, to: u16 },
    Join { group: u8, who: u16 },
    Quit { group: u8, who: u16 },
    Grant { grantee: (bool, u16), target: u16, include_reports: bool },
    Revoke { which: u16 },
    Share { doc: u16, with: (bool, u16) },
    Unshare { which: u16 },
    Create { owner: u16 },
    Delete { doc: u16 },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (any::<u16>(), any::<u16>()).prop_map(|(who, to)| Op::Move { who, to }),
        1 => (any::<u8>(), any::<u16>()).prop_map(|(group, who)| Op::Join { group, who }),
        1 => (any::<u8>(), any::<u16>()).prop_map(|(group, who)| Op::Quit { group, who }),
        2 => (any::<(bool, u16)>(), any::<u16>(), any::<bool>())
            .prop_map(|(grantee, target, include_reports)| Op::Grant { grantee, target, include_reports }),
        2 => any::<u16>().prop_map(|which| Op::Revoke { which }),
        3 => (any::<u16>(), any::<(bool, u16)>()).prop_map(|(doc, with)| Op::Share { doc, with }),
        2 => any::<u16>().prop_map(|which| Op::Unshare { which }),
        1 => any::<u16>().prop_map(|owner| Op::Create { owner }),
        1 => any::<u16>().prop_map(|doc| Op::Delete { doc }),
    ]
}

const GROUPS: usize = 3;
const SAMPLE: usize = 8;

/// Documents as the oracle knows them: owner, tags and who each is shared with.
#[derive(Default)]
struct Docs {
    owner: BTreeMap<i64, i64>,
    tags: BTreeMap<i64, Vec<String>>,
    shares: BTreeMap<i64, BTreeSet<Side>>,
}

impl Docs {
    /// Newest first: what `viewer` may see, by the rules' definition.
    fn visible(&self, model: &Model, viewer: i64, tag: Option<&str>) -> Vec<i64> {
        let people = model.visible(viewer);
        let mut out: Vec<i64> = self
            .owner
            .iter()
            .filter(|(id, owner)| {
                let shared = self.shares.get(id).is_some_and(|s| {
                    s.iter().any(|side| match side {
                        Side::Employee(e) => *e == viewer,
                        Side::Group(g) => {
                            model.manager.contains_key(&viewer)
                                && model.groups.get(g).is_some_and(|m| m.contains(&viewer))
                        }
                    })
                });
                people.contains(owner) || shared
            })
            .filter(|(id, _)| tag.is_none_or(|t| self.tags[id].iter().any(|x| x == t)))
            .map(|(id, _)| *id)
            .collect();
        out.reverse();
        out
    }
}

struct World {
    stack: Stack,
    docs_db: DatabaseConnection,
    writer: Writer,
    _docs_test_db: TestDb,
}

async fn verify(world: &World, model: &Model, docs: &Docs, sample: &BTreeSet<i64>, what: &str, seed: u64) {
    for (k, &viewer) in sample.iter().enumerate() {
        let visible = world.stack.lookup.visible(&Viewer::new(viewer)).await.unwrap();
        let mut reach = Reach::load(&world.docs_db, viewer, visible).await.unwrap();
        for (plan, list_max) in [("listed", visible::LIST_MAX), ("scanned", 0)] {
            reach.list_max = list_max;
            for tag in [None, Some("finance")] {
                let expected = docs.visible(model, viewer, tag);
                let filter = Filter { tag: tag.map(str::to_string), ..Filter::default() };
                let first = 1 + (seed as usize + k) % 7;
                let mut seen: Vec<i64> = Vec::new();
                let mut after = None;
                loop {
                    let page = visible::page(&world.docs_db, &reach, &filter, first as u64, after).await.unwrap();
                    let ids: Vec<i64> = page.rows.iter().map(|r| r.id).collect();
                    let at = seen.len();
                    let want = &expected[at.min(expected.len())..(at + first).min(expected.len())];
                    assert_eq!(ids, want, "{what}: {plan} page at {at} (size {first}, tag {tag:?}) for {viewer}");
                    seen.extend(&ids);
                    assert_eq!(page.has_next, seen.len() < expected.len(), "{what}: {plan} hasNextPage for {viewer}");
                    if !page.has_next {
                        break;
                    }
                    after = ids.last().copied();
                }
                assert_eq!(seen, expected, "{what}: {plan}, every visible document once, for {viewer}");
                let count = visible::count(&world.docs_db, &reach, &filter).await.unwrap();
                assert_eq!(count, expected.len() as u64, "{what}: {plan} count (tag {tag:?}) for {viewer}");
            }
        }
    }
}

async fn run(managers: Vec<Option<u16>>, doc_owners: Vec<u16>, ops: Vec<Op>, seed: u64) {
    let stack = Stack::new(true).await;
    let managers: Vec<Option<i64>> = managers.iter().map(|m| m.map(|m| m as i64 + 1)).collect();
    let org: Vec<Seeded> = braid_permissions::seed::from_managers(&managers);
    braid_permissions::seed::insert(&stack.db, &org, |_| String::new()).await.unwrap();
    let mut model = Model::default();
    for e in &org {
        model.manager.insert(e.id, e.manager);
    }
    let mut groups = Vec::new();
    for g in 0..GROUPS {
        let members: Vec<i64> =
            org.iter().filter(|e| (e.id as u64 + seed + g as u64).is_multiple_of(5)).map(|e| e.id).collect();
        let row = stack.writer.create_group(&format!("g{g}"), &members).await.unwrap();
        model.groups.insert(row.id, members.into_iter().collect());
        groups.push(row.id);
    }

    let docs_test_db = TestDb::create().await;
    let config = braid_kit::config::DatabaseConfig {
        url: docs_test_db.url.clone(),
        max_connections: 8,
        migrate: true,
        ..Default::default()
    };
    let docs_db = braid_kit::db::connect(&config).await.unwrap();
    braid_migrations::documents::Migrator::up(&docs_db, None).await.unwrap();
    let employees = model.employees();
    let owners: Vec<i64> = doc_owners.iter().map(|o| pick(&employees, *o)).collect();
    let mut docs = Docs::default();
    if !owners.is_empty() {
        let generated: Vec<_> = braid_documents::seed::generate(&employees, owners.len(), seed, chrono::Utc::now())
            .into_iter()
            .zip(&owners)
            .map(|(mut d, o)| {
                d.owner = *o;
                d
            })
            .collect();
        let first = braid_documents::seed::insert(&docs_db, &generated, 0, seed).await.unwrap();
        for (i, d) in generated.iter().enumerate() {
            docs.owner.insert(first + i as i64, d.owner);
            docs.tags.insert(first + i as i64, d.tags.clone());
        }
    }
    let lookup = Arc::new(braid_access::Lookup::new(
        Arc::new(braid_permissions::visibility::SqlSource(stack.db.clone())),
        stack.lookup.cache().cloned(),
    ));
    let writer = Writer { db: docs_db.clone(), outbox: OutboxSignal::default(), access: lookup };
    let world = World { stack, docs_db, writer, _docs_test_db: docs_test_db };

    let sample: BTreeSet<i64> =
        (0..SAMPLE.min(employees.len())).map(|i| employees[(i * 7919 + seed as usize) % employees.len()]).collect();
    verify(&world, &model, &docs, &sample, "the initial org", seed).await;

    let stack = &world.stack;
    for (step, op) in ops.iter().enumerate() {
        let employees = model.employees();
        let doc_ids: Vec<i64> = docs.owner.keys().copied().collect();
        let what = format!("step {step}: {op:?}");
        match *op {
            Op::Move { who, to } => {
                let (who, to) = (pick(&employees, who), pick(&employees, to));
                if model.is_within(who, to) {
                    continue;
                }
                stack.writer.move_employee(who, Some(to)).await.unwrap_or_else(|e| panic!("{what}: {e:?}"));
                model.manager.insert(who, Some(to));
            }
            Op::Join { group, who } | Op::Quit { group, who } => {
                let add = matches!(op, Op::Join { .. });
                let group = groups[group as usize % GROUPS];
                let who = pick(&employees, who);
                stack.writer.change_members(group, &[who], add).await.unwrap();
                let members = model.groups.get_mut(&group).unwrap();
                if add {
                    members.insert(who);
                } else {
                    members.remove(&who);
                }
            }
            Op::Grant { grantee: (is_group, grantee), target, include_reports } => {
                let target = pick(&employees, target);
                let grantee = if is_group {
                    Side::Group(groups[grantee as usize % GROUPS])
                } else {
                    Side::Employee(pick(&employees, grantee))
                };
                let (grantee_employee_id, grantee_group_id) = match grantee {
                    Side::Employee(e) => (Some(e.to_string().into()), None),
                    Side::Group(g) => (None, Some(g.to_string().into())),
                };
                let input = GrantInput {
                    grantee_employee_id,
                    grantee_group_id,
                    target_employee_id: Some(target.to_string().into()),
                    target_group_id: None,
                    include_reports,
                    expires_at: None,
                };
                let row = stack.writer.create_grant(input).await.unwrap();
                model.grants.insert(row.id, Grant { grantee, target: Side::Employee(target), include_reports });
            }
            Op::Revoke { which } => {
                let ids: Vec<i64> = model.grants.keys().copied().collect();
                if ids.is_empty() {
                    continue;
                }
                let id = pick(&ids, which);
                stack.writer.revoke_grant(id).await.unwrap();
                model.grants.remove(&id);
            }
            Op::Share { doc, with: (is_group, with) } => {
                if doc_ids.is_empty() {
                    continue;
                }
                let doc = pick(&doc_ids, doc);
                let owner = Viewer::new(docs.owner[&doc]);
                let (audience, side) = if is_group {
                    let g = groups[with as usize % GROUPS];
                    (Audience::Group(g), Side::Group(g))
                } else {
                    let e = pick(&employees, with);
                    (Audience::Employee(e), Side::Employee(e))
                };
                if !model.manager.contains_key(&owner.id) {
                    continue; // the owner has left: nobody may edit it
                }
                world.writer.share(&owner, doc, audience, true).await.unwrap_or_else(|e| panic!("{what}: {e:?}"));
                docs.shares.entry(doc).or_default().insert(side);
            }
            Op::Unshare { which } => {
                let shared: Vec<(i64, Side)> =
                    docs.shares.iter().flat_map(|(d, s)| s.iter().map(move |side| (*d, *side))).collect();
                if shared.is_empty() {
                    continue;
                }
                let (doc, side) = shared[which as usize % shared.len()];
                let owner = Viewer::new(docs.owner[&doc]);
                let audience = match side {
                    Side::Employee(e) => Audience::Employee(e),
                    Side::Group(g) => Audience::Group(g),
                };
                world.writer.share(&owner, doc, audience, false).await.unwrap_or_else(|e| panic!("{what}: {e:?}"));
                docs.shares.get_mut(&doc).unwrap().remove(&side);
            }
            Op::Create { owner } => {
                let owner = pick(&employees, owner);
                let input = NewDocument {
                    title: format!("Step {step}"),
                    body: "created during the test".into(),
                    tags: vec!["finance".into()],
                    owner_id: None,
                };
                let row = world.writer.create(&Viewer::new(owner), input).await.unwrap();
                docs.owner.insert(row.id, owner);
                docs.tags.insert(row.id, vec!["finance".into()]);
            }
            Op::Delete { doc } => {
                if doc_ids.is_empty() {
                    continue;
                }
                let doc = pick(&doc_ids, doc);
                let owner = docs.owner[&doc];
                world.writer.delete(&Viewer::new(owner), doc, None).await.unwrap_or_else(|e| panic!("{what}: {e:?}"));
                docs.owner.remove(&doc);
                docs.tags.remove(&doc);
                docs.shares.remove(&doc);
            }
        }
        verify(&world, &model, &docs, &sample, &what, seed).await;
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 8, max_shrink_iters: 20, ..ProptestConfig::default() })]

    #[test]
    fn every_page_of_visible_documents_equals_the_oracle(
        managers in random_org(40, 0.95),
        doc_owners in proptest::collection::vec(any::<u16>(), 0..120),
        ops in proptest::collection::vec(op(), 1..16),
        seed in any::<u64>(),
    ) {
        let _serial = crate::SERIAL.blocking_lock();
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        runtime.block_on(run(managers, doc_owners, ops, seed % 1000));
    }
}
