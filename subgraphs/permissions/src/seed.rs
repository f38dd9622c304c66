//! Generated orgs: the demo org (about 2,000 employees in 6 levels, with groups, grants and
//! two logins) and the large orgs of the benchmarks, inserted in bulk with their closure rows.

use chrono::Utc;
use sea_orm::ActiveValue::Set;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, DbErr, EntityTrait, PaginatorTrait, TransactionTrait};

use crate::entity::{closure, credential, employee};

/// The demo password of both demo logins.
pub const DEMO_PASSWORD: &str = "braid-demo";
/// The top of the demo org.
pub const DEMO_CEO: &str = "ceo@demo.braid";
/// An individual contributor at the bottom of the demo org.
pub const DEMO_IC: &str = "ic@demo.braid";
/// Employees of the demo org (ids `1..=DEMO_EMPLOYEES`).
pub const DEMO_EMPLOYEES: usize = 2_000;

const FIRST: &[&str] = &[
    "Ada", "Ben", "Chloe", "Dev", "Elif", "Femi", "Greta", "Hugo", "Ines", "Jonas", "Kira", "Luca", "Mina", "Nils",
    "Olga", "Pablo", "Quinn", "Rosa", "Sami", "Tess", "Uma", "Vik", "Wren", "Yara", "Zane",
];
const LAST: &[&str] = &[
    "Abara", "Berg", "Costa", "Dahl", "Eze", "Fischer", "Gupta", "Haas", "Ito", "Jensen", "Kowalski", "Lind", "Moreau",
    "Novak", "Okafor", "Petrov", "Quist", "Rossi", "Silva", "Tanaka", "Ueda", "Varga", "Weber", "Xu", "Young",
];
const DEPARTMENTS: &[&str] = &["Engineering", "Sales", "Marketing", "Finance", "People", "Operations"];
const TITLES: &[&str] = &[
    "Chief Executive Officer",
    "Vice President",
    "Director",
    "Senior Manager",
    "Manager",
    "Team Lead",
    "Specialist",
    "Associate",
    "Analyst",
    "Engineer",
];

/// One generated employee: ids are 1..=n in level order, so a manager's id is smaller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seeded {
    pub id: i64,
    pub manager: Option<i64>,
    pub level: usize,
    pub name: String,
    pub email: String,
    pub title: String,
    pub department: String,
}

/// `n` employees, `fan_out` reports per manager, level by level; the last level is spread
/// evenly over the one above.
pub fn generate(n: usize, fan_out: usize) -> Vec<Seeded> {
    let mut out: Vec<Seeded> = Vec::with_capacity(n);
    let mut previous: Vec<usize> = Vec::new();
    let mut level = 0;
    while out.len() < n {
        let size = if level == 0 { 1 } else { (previous.len() * fan_out).min(n - out.len()) };
        let mut current = Vec::with_capacity(size);
        for k in 0..size {
            let id = out.len() as i64 + 1;
            let i = id as usize;
            let (manager, department) = match level {
                0 => (None, "Executive".to_string()),
                1 => (Some(out[0].id), DEPARTMENTS[k % DEPARTMENTS.len()].to_string()),
                _ => {
                    let parent = &out[previous[k % previous.len()]];
                    (Some(parent.id), parent.department.clone())
                }
            };
            let (first, last) = (FIRST[i % FIRST.len()], LAST[(i / FIRST.len()) % LAST.len()]);
            out.push(Seeded {
                id,
                manager,
                level,
                name: format!("{first} {last}"),
                email: format!("{}.{}.{id}@demo.braid", first.to_lowercase(), last.to_lowercase()),
                title: TITLES[level.min(TITLES.len() - 1)].to_string(),
                department,
            });
            current.push(out.len() - 1);
        }
        previous = current;
        level += 1;
    }
    out
}

/// An org given by each employee's manager: employee `i + 1` reports to `managers[i]`, which
/// must be an earlier employee (or `None`: a root). Names `E000001`... sort in id order.
pub fn from_managers(managers: &[Option<i64>]) -> Vec<Seeded> {
    let mut org: Vec<Seeded> = Vec::with_capacity(managers.len());
    for (i, manager) in managers.iter().enumerate() {
        let id = i as i64 + 1;
        assert!(manager.is_none_or(|m| (1..id).contains(&m)), "employee {id}'s manager must come before it");
        let level = manager.map_or(0, |m| org[m as usize - 1].level + 1);
        org.push(Seeded {
            id,
            manager: *manager,
            level,
            name: format!("E{id:06}"),
            email: format!("e{id}@test.braid"),
            title: String::new(),
            department: String::new(),
        });
    }
    org
}

/// Inserts `org` (employees and closure rows) in bulk; the table must be empty.
pub async fn insert(db: &DatabaseConnection, org: &[Seeded], scopes: impl Fn(&Seeded) -> String) -> Result<(), DbErr> {
    let txn = db.begin().await?;
    let now = Utc::now();
    for chunk in org.chunks(2_000) {
        let rows = chunk.iter().map(|e| employee::ActiveModel {
            id: Set(e.id),
            email: Set(e.email.clone()),
            name: Set(e.name.clone()),
            title: Set(e.title.clone()),
            department: Set(e.department.clone()),
            manager_id: Set(e.manager),
            scopes: Set(scopes(e)),
            version: Set(1),
            created_at: Set(now),
            updated_at: Set(now),
        });
        employee::Entity::insert_many(rows).exec_without_returning(&txn).await?;
    }
    // Ancestor chains, built from the managers' chains (managers come first).
    let mut chains: Vec<Vec<i64>> = Vec::with_capacity(org.len() + 1);
    chains.push(Vec::new());
    let mut pairs: Vec<closure::ActiveModel> = Vec::with_capacity(5_000);
    for e in org {
        let mut chain = e.manager.map(|m| chains[m as usize].clone()).unwrap_or_default();
        chain.push(e.id);
        let depth_of = |i: usize| (chain.len() - 1 - i) as i32;
        for (i, ancestor) in chain.iter().enumerate() {
            pairs.push(closure::ActiveModel {
                ancestor_id: Set(*ancestor),
                descendant_id: Set(e.id),
                depth: Set(depth_of(i)),
            });
        }
        chains.push(chain);
        if pairs.len() >= 5_000 {
            closure::Entity::insert_many(std::mem::take(&mut pairs)).exec_without_returning(&txn).await?;
        }
    }
    if !pairs.is_empty() {
        closure::Entity::insert_many(pairs).exec_without_returning(&txn).await?;
    }
    if txn.get_database_backend() == DbBackend::Postgres {
        txn.execute_unprepared(
            "SELECT setval(pg_get_serial_sequence('employees', 'id'), (SELECT MAX(id) FROM employees))",
        )
        .await?;
    }
    txn.commit().await
}

/// Seeds the demo org once: about 2,000 employees in 6 levels, groups, grants, and the two
/// demo logins. Returns false when the database already held employees.
pub async fn demo(writer: &crate::write::Writer) -> Result<bool, braid_kit::ClientError> {
    let db = &writer.db;
    if employee::Entity::find().count(db).await? > 0 {
        return Ok(false);
    }
    let mut org = generate(DEMO_EMPLOYEES, 5);
    org[0].email = DEMO_CEO.into();
    let ic = org.len() - 1;
    org[ic].email = DEMO_IC.into();
    insert(db, &org, |e| {
        if e.level == 0 { "admin catalog:write documents:write".into() } else { "documents:write".into() }
    })
    .await?;
    let hash = crate::password::hash(DEMO_PASSWORD)?;
    for id in [org[0].id, org[ic].id] {
        credential::Entity::insert(credential::ActiveModel {
            employee_id: Set(id),
            password_hash: Set(hash.clone()),
            failed_attempts: Set(0),
            locked_until: Set(None),
        })
        .exec_without_returning(db)
        .await?;
    }
    // The VPs form the leadership group; People's VP may see everyone; the leadership group
    // may see the first director's whole team.
    let vps: Vec<i64> = org.iter().filter(|e| e.level == 1).map(|e| e.id).collect();
    let leadership = writer.create_group("Leadership", &vps).await?;
    let people_vp = org.iter().find(|e| e.level == 1 && e.department == "People").map(|e| e.id);
    if let Some(vp) = people_vp {
        writer
            .create_grant(crate::write::GrantInput {
                grantee_employee_id: Some(vp.to_string().into()),
                target_employee_id: Some(org[0].id.to_string().into()),
                include_reports: true,
                ..Default::default()
            })
            .await?;
    }
    if let Some(director) = org.iter().find(|e| e.level == 2) {
        writer
            .create_grant(crate::write::GrantInput {
                grantee_group_id: Some(leadership.id.to_string().into()),
                target_employee_id: Some(director.id.to_string().into()),
                include_reports: true,
                ..Default::default()
            })
            .await?;
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_orgs_have_the_asked_size_and_shape() {
        let org = generate(2_000, 5);
        assert_eq!(org.len(), 2_000);
        assert_eq!(org.iter().map(|e| e.level).max(), Some(5), "six levels");
        for e in &org[1..] {
            let m = e.manager.unwrap();
            assert!(m < e.id);
            assert_eq!(org[m as usize - 1].level + 1, e.level);
        }
        let reports = |id: i64| org.iter().filter(|e| e.manager == Some(id)).count();
        assert!(org.iter().filter(|e| e.level < 4).all(|e| reports(e.id) == 5));
        let small = from_managers(&[None, Some(1), Some(2), Some(1)]);
        assert_eq!(small.iter().map(|e| e.level).collect::<Vec<_>>(), [0, 1, 2, 1]);
        assert!(small.windows(2).all(|w| w[0].name < w[1].name), "names sort in id order");
        let big = generate(100_000, 5);
        let levels = big.iter().map(|e| e.level).max().unwrap() + 1;
        assert!((8..=10).contains(&levels), "{levels} levels");
    }
}
