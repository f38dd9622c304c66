//! Random orgs, groups and grants; random moves (cycles included), hires, departures,
//! membership changes, grants and revocations. After each change, cached lookups through the
//! library equal the brute-force oracle for a fixed sample of viewers whose answers were
//! cached before the change: no leak, no over-denial, no stale cache.

use std::collections::BTreeSet;

use braid_access::Viewer;
use braid_permissions::seed::Seeded;
use braid_permissions::write::{CreateEmployeeInput, GrantInput};
use proptest::prelude::*;

use crate::oracle::{Grant, Model, Side, pick, random_org};
use crate::stack::Stack;

#[derive(Debug, Clone)]
enum Op {
    Move { who: u16, to: Option<u16> },
    Hire { manager: u16 },
    Leave { who: u16 },
    Join { group: u8, who: u16 },
    Quit { group: u8, who: u16 },
    Grant { grantee: (bool, u16), target: (bool, u16), include_reports: bool },
    Revoke { which: u16 },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (any::<u16>(), proptest::option::weighted(0.9, any::<u16>())).prop_map(|(who, to)| Op::Move { who, to }),
        1 => any::<u16>().prop_map(|manager| Op::Hire { manager }),
        1 => any::<u16>().prop_map(|who| Op::Leave { who }),
        2 => (any::<u8>(), any::<u16>()).prop_map(|(group, who)| Op::Join { group, who }),
        1 => (any::<u8>(), any::<u16>()).prop_map(|(group, who)| Op::Quit { group, who }),
        3 => (any::<(bool, u16)>(), any::<(bool, u16)>(), any::<bool>())
            .prop_map(|(grantee, target, include_reports)| Op::Grant { grantee, target, include_reports }),
        2 => any::<u16>().prop_map(|which| Op::Revoke { which }),
    ]
}

const GROUPS: usize = 3;
const SAMPLE: usize = 40;

async fn run(managers: Vec<Option<u16>>, ops: Vec<Op>, seed: u64) {
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
            org.iter().filter(|e| (e.id as u64 + seed + g as u64).is_multiple_of(7)).map(|e| e.id).collect();
        let row = stack.writer.create_group(&format!("g{g}"), &members).await.unwrap();
        model.groups.insert(row.id, members.into_iter().collect());
        groups.push(row.id);
    }
    // The same viewers throughout, so their cached answers predate every change.
    let all = model.employees();
    let sample: Vec<i64> = (0..SAMPLE.min(all.len())).map(|i| all[(i * 7919 + seed as usize) % all.len()]).collect();
    let sample: BTreeSet<i64> = sample.into_iter().collect();
    verify(&stack, &model, &sample, "the initial org").await;

    for (step, op) in ops.iter().enumerate() {
        let employees = model.employees();
        let what = format!("step {step}: {op:?}");
        match *op {
            Op::Move { who, to } => {
                let who = pick(&employees, who);
                let to = to.map(|t| pick(&employees, t));
                let result = stack.writer.move_employee(who, to).await;
                if to.is_some_and(|t| model.is_within(who, t)) {
                    let e = result.expect_err("a cycle is refused");
                    assert_eq!(e.code, "BAD_USER_INPUT", "{what}");
                } else {
                    result.unwrap_or_else(|e| panic!("{what}: {e:?}"));
                    model.manager.insert(who, to);
                }
            }
            Op::Hire { manager } => {
                let manager = pick(&employees, manager);
                let n = employees.len();
                let row = stack
                    .writer
                    .create_employee(CreateEmployeeInput {
                        email: format!("hire{step}.{n}@test.braid"),
                        name: format!("Hire {step}"),
                        title: String::new(),
                        department: String::new(),
                        manager_id: Some(manager.to_string().into()),
                        scopes: Vec::new(),
                        password: None,
                    })
                    .await
                    .unwrap();
                model.manager.insert(row.id, Some(manager));
            }
            Op::Leave { who } => {
                let who = pick(&employees, who);
                let result = stack.writer.delete_employee(who).await;
                if model.has_reports(who) || employees.len() == 1 {
                    if model.has_reports(who) {
                        assert_eq!(result.expect_err("reports block it").code, "CONFLICT", "{what}");
                    } else {
                        result.unwrap();
                        model.manager.remove(&who);
                    }
                } else {
                    result.unwrap_or_else(|e| panic!("{what}: {e:?}"));
                    model.manager.remove(&who);
                    for members in model.groups.values_mut() {
                        members.remove(&who);
                    }
                    model.grants.retain(|_, g| g.grantee != Side::Employee(who) && g.target != Side::Employee(who));
                }
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
            Op::Grant { grantee, target, include_reports } => {
                let side = |(is_group, i): (bool, u16)| {
                    if is_group {
                        Side::Group(groups[i as usize % GROUPS])
                    } else {
                        Side::Employee(pick(&employees, i))
                    }
                };
                let (grantee, target) = (side(grantee), side(target));
                let include_reports = include_reports && matches!(target, Side::Employee(_));
                let id = |s: Side| match s {
                    Side::Employee(e) | Side::Group(e) => Some(e.to_string().into()),
                };
                let input = GrantInput {
                    grantee_employee_id: matches!(grantee, Side::Employee(_)).then(|| id(grantee)).flatten(),
                    grantee_group_id: matches!(grantee, Side::Group(_)).then(|| id(grantee)).flatten(),
                    target_employee_id: matches!(target, Side::Employee(_)).then(|| id(target)).flatten(),
                    target_group_id: matches!(target, Side::Group(_)).then(|| id(target)).flatten(),
                    include_reports,
                    expires_at: None,
                };
                let row = stack.writer.create_grant(input).await.unwrap();
                model.grants.insert(row.id, Grant { grantee, target, include_reports });
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
        }
        verify(&stack, &model, &sample, &what).await;
    }
}

/// Every sampled viewer's visible set and a batch check, through the cache, against the oracle.
async fn verify(stack: &Stack, model: &Model, sample: &BTreeSet<i64>, what: &str) {
    let everyone: Vec<i64> = model.employees();
    let max = everyone.iter().max().copied().unwrap_or(0);
    // Existing employees, departed ones and ids nobody ever had.
    let targets: Vec<i64> = (1..=max + 3).collect();
    for &viewer in sample {
        let expected = model.visible(viewer);
        let v = Viewer::new(viewer);
        let got = stack.lookup.visible(&v).await.unwrap();
        let groups: Vec<i64> =
            model.groups.iter().filter(|(_, members)| members.contains(&viewer)).map(|(g, _)| *g).collect();
        assert_eq!(got.groups, groups, "{what}: groups of {viewer}");
        let got: BTreeSet<i64> = got.ids.ids().iter().copied().collect();
        assert_eq!(got, expected, "{what}: visible set of {viewer}");
        let allowed = stack.lookup.check(&v, &targets).await.unwrap();
        for (t, ok) in targets.iter().zip(allowed) {
            assert_eq!(ok, expected.contains(t), "{what}: may {viewer} see {t}?");
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 6, max_shrink_iters: 20, ..ProptestConfig::default() })]

    #[test]
    fn cached_lookups_equal_the_oracle_after_every_change(
        managers in random_org(500, 0.97),
        ops in proptest::collection::vec(op(), 1..20),
        seed in any::<u64>(),
    ) {
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        runtime.block_on(run(managers, ops, seed % 1000));
    }
}
