//! The org hierarchy as a closure table: one row per (ancestor, descendant) pair, each
//! employee paired with itself at depth 0. Subtrees and ancestor chains are one indexed
//! range read; inserting a leaf copies its manager's chain; moving a subtree rewrites only
//! the pairs that cross its root.

use sea_orm::{ConnectionTrait, DbErr};

use braid_kit::sql::{Sql, ids};

/// Adds `id` below `manager` (or as a root).
pub async fn insert<C: ConnectionTrait>(conn: &C, id: i64, manager: Option<i64>) -> Result<(), DbErr> {
    let backend = conn.get_database_backend();
    let mut sql = Sql::new(backend);
    sql.push("INSERT INTO org_closure (ancestor_id, descendant_id, depth) VALUES (")
        .bind(id)
        .push(", ")
        .bind(id)
        .push(", 0)");
    conn.execute_raw(sql.build()).await?;
    if let Some(manager) = manager {
        let mut sql = Sql::new(backend);
        sql.push("INSERT INTO org_closure (ancestor_id, descendant_id, depth) SELECT ancestor_id, ")
            .bind(id)
            .push(", depth + 1 FROM org_closure WHERE descendant_id = ")
            .bind(manager);
        conn.execute_raw(sql.build()).await?;
    }
    Ok(())
}

/// Is `descendant` in the subtree of `ancestor` (itself included)?
pub async fn is_within<C: ConnectionTrait>(conn: &C, ancestor: i64, descendant: i64) -> Result<bool, DbErr> {
    let mut sql = Sql::new(conn.get_database_backend());
    sql.push("SELECT ancestor_id FROM org_closure WHERE ancestor_id = ")
        .bind(ancestor)
        .push(" AND descendant_id = ")
        .bind(descendant);
    Ok(!ids(conn, sql).await?.is_empty())
}

/// Re-attaches `id` and its whole subtree below `manager` (or as a root). The caller has
/// checked that `manager` is not inside the subtree.
pub async fn move_subtree<C: ConnectionTrait>(conn: &C, id: i64, manager: Option<i64>) -> Result<(), DbErr> {
    let backend = conn.get_database_backend();
    // Pairs from the root's strict ancestors into the subtree go...
    let mut sql = Sql::new(backend);
    sql.push(
        "DELETE FROM org_closure WHERE descendant_id IN (SELECT descendant_id FROM org_closure WHERE ancestor_id = ",
    )
    .bind(id)
    .push(") AND ancestor_id IN (SELECT ancestor_id FROM org_closure WHERE descendant_id = ")
    .bind(id)
    .push(" AND ancestor_id <> ")
    .bind(id)
    .push(")");
    conn.execute_raw(sql.build()).await?;
    // ...and the new manager's chain times the subtree comes.
    if let Some(manager) = manager {
        let mut sql = Sql::new(backend);
        sql.push(
            "INSERT INTO org_closure (ancestor_id, descendant_id, depth) \
             SELECT sup.ancestor_id, sub.descendant_id, sup.depth + sub.depth + 1 \
             FROM org_closure sup, org_closure sub WHERE sup.descendant_id = ",
        )
        .bind(manager)
        .push(" AND sub.ancestor_id = ")
        .bind(id);
        conn.execute_raw(sql.build()).await?;
    }
    Ok(())
}

/// Managers above `id`, nearest first.
pub async fn ancestors<C: ConnectionTrait>(conn: &C, id: i64) -> Result<Vec<i64>, DbErr> {
    let mut sql = Sql::new(conn.get_database_backend());
    sql.push("SELECT ancestor_id FROM org_closure WHERE descendant_id = ")
        .bind(id)
        .push(" AND depth > 0 ORDER BY depth");
    ids(conn, sql).await
}

/// Everyone below `id`, at most `max_depth` levels down (`None`: however deep).
pub async fn descendants<C: ConnectionTrait>(conn: &C, id: i64, max_depth: Option<i32>) -> Result<Vec<i64>, DbErr> {
    let mut sql = Sql::new(conn.get_database_backend());
    sql.push("SELECT descendant_id FROM org_closure WHERE ancestor_id = ").bind(id).push(" AND depth > 0");
    if let Some(depth) = max_depth {
        sql.push(" AND depth <= ").bind(depth);
    }
    ids(conn, sql).await
}

/// How many employees the subtree of `id` holds, itself included.
pub async fn subtree_size<C: ConnectionTrait>(conn: &C, id: i64) -> Result<u64, DbErr> {
    let mut sql = Sql::new(conn.get_database_backend());
    sql.push("SELECT COUNT(*) FROM org_closure WHERE ancestor_id = ").bind(id);
    Ok(ids(conn, sql).await?.first().copied().unwrap_or(0) as u64)
}
