//! Who may see whom, answered from the permissions database: the [`Source`] the lookup
//! library caches, and the reverse question ("who can see any of these?") that tells each
//! change's event which viewers it affected.

use async_trait::async_trait;
use braid_access::{AccessError, Checked, Source, Viewer, Visible, VisibleSet};
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, DbErr};

use braid_kit::sql::{Sql, ids};

/// The grants a viewer holds right now, reduced to what they open up.
struct Reach {
    /// Subtree roots: the viewer, and targets of grants with `include_reports`.
    roots: Vec<i64>,
    /// Single employees granted without their reports.
    singles: Vec<i64>,
    groups: Vec<i64>,
    valid_until: Option<DateTime<Utc>>,
}

async fn reach<C: ConnectionTrait>(conn: &C, viewer: i64, now: DateTime<Utc>) -> Result<Reach, DbErr> {
    let mut sql = Sql::new(conn.get_database_backend());
    sql.push(
        "SELECT target_employee_id, target_group_id, include_reports, expires_at FROM grants \
         WHERE (grantee_employee_id = ",
    )
    .bind(viewer)
    .push(" OR grantee_group_id IN (SELECT group_id FROM group_members WHERE employee_id = ")
    .bind(viewer)
    .push(")) AND (expires_at IS NULL OR expires_at > ")
    .bind(now)
    .push(")");
    let rows = conn.query_all_raw(sql.build()).await?;
    let mut reach = Reach { roots: vec![viewer], singles: Vec::new(), groups: Vec::new(), valid_until: None };
    for row in rows {
        let employee: Option<i64> = row.try_get_by_index(0)?;
        let group: Option<i64> = row.try_get_by_index(1)?;
        let include_reports: bool = row.try_get_by_index(2)?;
        let expires: Option<DateTime<Utc>> = row.try_get_by_index(3)?;
        match (employee, group) {
            (Some(e), _) if include_reports => reach.roots.push(e),
            (Some(e), _) => reach.singles.push(e),
            (None, Some(g)) => reach.groups.push(g),
            (None, None) => {}
        }
        if let Some(t) = expires {
            reach.valid_until = Some(reach.valid_until.map_or(t, |u| u.min(t)));
        }
    }
    Ok(reach)
}

/// Does the viewer exist? (A deleted viewer sees nothing, not even through old grants.)
async fn exists<C: ConnectionTrait>(conn: &C, viewer: i64) -> Result<bool, DbErr> {
    let mut sql = Sql::new(conn.get_database_backend());
    sql.push("SELECT id FROM employees WHERE id = ").bind(viewer);
    Ok(!ids(conn, sql).await?.is_empty())
}

/// Of `targets`, those `viewer` may see.
pub async fn visible_among<C: ConnectionTrait>(
    conn: &C,
    viewer: i64,
    targets: &[i64],
    now: DateTime<Utc>,
) -> Result<(Vec<bool>, Option<DateTime<Utc>>), DbErr> {
    if targets.is_empty() || !exists(conn, viewer).await? {
        return Ok((vec![false; targets.len()], None));
    }
    let reach = reach(conn, viewer, now).await?;
    let mut sql = Sql::new(conn.get_database_backend());
    sql.push("SELECT descendant_id FROM org_closure WHERE ancestor_id IN ")
        .list(&reach.roots)
        .push(" AND descendant_id IN ")
        .list(targets)
        .push(" UNION ALL SELECT employee_id FROM group_members WHERE group_id IN ")
        .list(&reach.groups)
        .push(" AND employee_id IN ")
        .list(targets);
    let mut seen = ids(conn, sql).await?;
    seen.extend(reach.singles.iter().copied());
    let seen = VisibleSet::new(seen);
    Ok((targets.iter().map(|t| seen.contains(*t)).collect(), reach.valid_until))
}

/// Everyone `viewer` may see, and the groups `viewer` is in.
pub async fn visible_set<C: ConnectionTrait>(conn: &C, viewer: i64, now: DateTime<Utc>) -> Result<Visible, DbErr> {
    if !exists(conn, viewer).await? {
        return Ok(Visible::default());
    }
    let reach = reach(conn, viewer, now).await?;
    // Up to a million ids: aggregated into one text value in the database, which crosses the
    // wire and decodes far faster than a row per id.
    let backend = conn.get_database_backend();
    let aggregate = match backend {
        DbBackend::Postgres => "SELECT string_agg(id::text, ',') FROM (",
        _ => "SELECT group_concat(id) FROM (",
    };
    let mut sql = Sql::new(backend);
    sql.push(aggregate)
        .push("SELECT descendant_id AS id FROM org_closure WHERE ancestor_id IN ")
        .list(&reach.roots)
        .push(" UNION ALL SELECT employee_id AS id FROM group_members WHERE group_id IN ")
        .list(&reach.groups)
        .push(") v");
    let row = conn.query_one_raw(sql.build()).await?;
    let text: Option<String> = match row {
        Some(row) => row.try_get_by_index(0)?,
        None => None,
    };
    let mut all: Vec<i64> = Vec::new();
    for id in text.as_deref().unwrap_or_default().split(',').filter(|s| !s.is_empty()) {
        all.push(id.parse().map_err(|_| DbErr::Custom(format!("not an id: {id:?}")))?);
    }
    all.extend(reach.singles.iter().copied());
    let mut sql = Sql::new(backend);
    sql.push("SELECT group_id FROM group_members WHERE employee_id = ").bind(viewer).push(" ORDER BY group_id");
    let groups = ids(conn, sql).await?;
    Ok(Visible { ids: VisibleSet::new(all), groups, valid_until: reach.valid_until })
}

/// Everyone who can see any of `employees` (through the hierarchy or a grant, expired or
/// not): the viewers whose answers change when these employees move, come or go.
pub async fn viewers_of<C: ConnectionTrait>(conn: &C, employees: &[i64]) -> Result<Vec<i64>, DbErr> {
    let backend = conn.get_database_backend();
    let mut sql = Sql::new(backend);
    sql.push("SELECT ancestor_id FROM org_closure WHERE descendant_id IN ").list(employees);
    let chain = ids(conn, sql).await?;
    let mut sql = Sql::new(backend);
    sql.push("SELECT group_id FROM group_members WHERE employee_id IN ").list(employees);
    let groups = ids(conn, sql).await?;
    let mut sql = Sql::new(backend);
    sql.push("SELECT id FROM grants WHERE target_employee_id IN ")
        .list(employees)
        .push(" OR target_group_id IN ")
        .list(&groups)
        .push(" OR (include_reports = ")
        .bind(true)
        .push(" AND target_employee_id IN ")
        .list(&chain)
        .push(")");
    let grants = ids(conn, sql).await?;
    let mut viewers = chain;
    viewers.extend(grantees(conn, &grants).await?);
    Ok(viewers)
}

/// Grantees of grants on `group` (a membership change of the group alters what they see).
pub async fn viewers_of_group<C: ConnectionTrait>(conn: &C, group: i64) -> Result<Vec<i64>, DbErr> {
    let mut sql = Sql::new(conn.get_database_backend());
    sql.push("SELECT id FROM grants WHERE target_group_id = ").bind(group);
    let grants = ids(conn, sql).await?;
    grantees(conn, &grants).await
}

/// The employees `grants` give something to: grantee employees and grantee groups' members.
pub async fn grantees<C: ConnectionTrait>(conn: &C, grants: &[i64]) -> Result<Vec<i64>, DbErr> {
    if grants.is_empty() {
        return Ok(Vec::new());
    }
    let backend = conn.get_database_backend();
    let mut sql = Sql::new(backend);
    sql.push("SELECT grantee_employee_id FROM grants WHERE grantee_employee_id IS NOT NULL AND id IN ")
        .list(grants)
        .push(" UNION ALL SELECT m.employee_id FROM grants g JOIN group_members m ON m.group_id = g.grantee_group_id WHERE g.id IN ")
        .list(grants);
    ids(conn, sql).await
}

/// The [`Source`] over this database.
pub struct SqlSource(pub DatabaseConnection);

#[async_trait]
impl Source for SqlSource {
    async fn check(&self, viewer: &Viewer, targets: &[i64]) -> Result<Checked, AccessError> {
        let (allowed, valid_until) = visible_among(&self.0, viewer.id, targets, Utc::now()).await?;
        Ok(Checked { allowed, valid_until })
    }

    async fn visible(&self, viewer: &Viewer) -> Result<Visible, AccessError> {
        Ok(visible_set(&self.0, viewer.id, Utc::now()).await?)
    }

    async fn managers(&self, _viewer: &Viewer, employee: i64) -> Result<Option<Vec<i64>>, AccessError> {
        if !exists(&self.0, employee).await? {
            return Ok(None);
        }
        Ok(Some(crate::hierarchy::ancestors(&self.0, employee).await?))
    }
}
