//! "Every document the viewer may see", decided in the data layer so that every page holds
//! exactly the visible documents, newest first.
//!
//! A viewer sees the documents of every employee in their visible set (themselves, everyone
//! below them, those granted to them; from the permission lookup library) and the documents
//! shared with them or with a group of theirs. Two plans, chosen by the set's size:
//!
//! - **Listed** (up to [`LIST_MAX`] owners and shared documents): the owners and shared ids go
//!   into the SQL as lists; the database reads them through `documents_owner` and the primary
//!   key and sorts only what they own.
//! - **Scanned** (larger sets, such as a manager of 100,000): the newest documents are read
//!   from the covering index `documents_recent` in growing chunks and kept when their owner is
//!   in the set, until the page is full. A set that large covers a large share of all
//!   documents, so a page is found in the first chunk or two; a list that long would cost the
//!   database more to plan than to run.

use std::collections::HashSet;
use std::sync::Arc;

use braid_access::Visible;
use braid_kit::sql::Sql;
use sea_orm::{ConnectionTrait, DbBackend, DbErr, FromQueryResult};

use crate::record::Summary;

/// The longest owner or shared-document list put into a statement.
pub const LIST_MAX: usize = 3_000;
/// Rows read by the largest chunk of a scan.
const CHUNK_MAX: u64 = 16_384;

/// Which documents, before visibility.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    pub owner: Option<i64>,
    pub tag: Option<String>,
    /// Words that must all occur in the title or body (stemmed, case-insensitive).
    pub text: Option<String>,
}

/// Who is asking, resolved: their visible employees and groups, and what is shared with them.
pub struct Reach {
    pub visible: Arc<Visible>,
    /// Documents shared with the viewer or a group of theirs, sorted.
    pub shared: Vec<i64>,
    /// The longest list put into a statement ([`LIST_MAX`]; tests lower it to force scans).
    pub list_max: usize,
}

impl Reach {
    /// Reads what is shared with `viewer` and their groups.
    pub async fn load<C: ConnectionTrait>(conn: &C, viewer: i64, visible: Arc<Visible>) -> Result<Self, DbErr> {
        let mut sql = Sql::new(conn.get_database_backend());
        sql.push("SELECT DISTINCT document_id FROM document_shares WHERE employee_id = ").bind(viewer);
        if !visible.groups.is_empty() {
            sql.push(" OR group_id IN ").list(&visible.groups);
        }
        let mut shared = braid_kit::sql::ids(conn, sql).await?;
        shared.sort_unstable();
        Ok(Self { visible, shared, list_max: LIST_MAX })
    }

    /// May the viewer see a document with this id and owner?
    pub fn admits(&self, id: i64, owner: i64) -> bool {
        self.visible.ids.contains(owner) || self.is_shared(id)
    }

    pub fn is_shared(&self, id: i64) -> bool {
        self.shared.binary_search(&id).is_ok()
    }

    /// The owners the filter leaves, when they are few enough to list.
    fn listed_owners(&self, filter: &Filter) -> Option<Vec<i64>> {
        let owners = match filter.owner {
            Some(o) if self.visible.ids.contains(o) => vec![o],
            Some(_) => Vec::new(),
            None => self.visible.ids.ids().to_vec(),
        };
        (owners.len() <= self.list_max && self.shared.len() <= self.list_max).then_some(owners)
    }
}

/// One page: `first` documents after the cursor, and whether more follow.
#[derive(Debug, Default)]
pub struct Page {
    pub rows: Vec<Summary>,
    pub has_next: bool,
}

const COLUMNS: &str = "d.id, d.owner_id, d.title, d.tags, d.version, d.created_by, d.created_at, d.updated_at";

/// The page of visible documents matching `filter` older than `after`, newest first.
pub async fn page<C: ConnectionTrait>(
    conn: &C,
    reach: &Reach,
    filter: &Filter,
    first: u64,
    after: Option<i64>,
) -> Result<Page, DbErr> {
    let wanted = first + 1;
    let mut rows = match reach.listed_owners(filter) {
        Some(owners) => listed(conn, reach, &owners, filter, wanted, after).await?,
        None => scanned(conn, reach, filter, wanted, after).await?,
    };
    let has_next = rows.len() as u64 > first;
    rows.truncate(first as usize);
    for row in &mut rows {
        row.shared_with_viewer = reach.is_shared(row.id);
    }
    Ok(Page { rows, has_next })
}

/// How many visible documents match `filter`.
pub async fn count<C: ConnectionTrait>(conn: &C, reach: &Reach, filter: &Filter) -> Result<u64, DbErr> {
    let backend = conn.get_database_backend();
    if let Some(owners) = reach.listed_owners(filter) {
        let mut sql = Sql::new(backend);
        sql.push("SELECT COUNT(*) FROM documents d WHERE ");
        visible_clause(&mut sql, reach, &owners, filter);
        filter_clause(&mut sql, backend, filter);
        return single_count(conn, sql).await;
    }
    if filter.tag.is_none() && filter.text.is_none() && filter.owner.is_none() {
        // Per-owner totals are kept by the writer: no document row is read.
        let mut sql = Sql::new(backend);
        sql.push("SELECT owner_id, documents FROM document_owners");
        let rows = conn.query_all_raw(sql.build()).await?;
        let mut total = 0u64;
        for row in rows {
            let owner: i64 = row.try_get_by_index(0)?;
            let n: i64 = row.try_get_by_index(1)?;
            if reach.visible.ids.contains(owner) {
                total += n.max(0) as u64;
            }
        }
        let mut sql = Sql::new(backend);
        sql.push("SELECT id, owner_id FROM documents WHERE id IN ").list(&reach.shared);
        for row in conn.query_all_raw(sql.build()).await? {
            let owner: i64 = row.try_get_by_index(1)?;
            total += u64::from(!reach.visible.ids.contains(owner));
        }
        return Ok(total);
    }
    let mut sql = Sql::new(backend);
    sql.push("SELECT d.id, d.owner_id FROM documents d WHERE 1 = 1");
    owner_clause(&mut sql, filter);
    filter_clause(&mut sql, backend, filter);
    let mut total = 0;
    for row in conn.query_all_raw(sql.build()).await? {
        let (id, owner): (i64, i64) = (row.try_get_by_index(0)?, row.try_get_by_index(1)?);
        total += u64::from(reach.admits(id, owner));
    }
    Ok(total)
}

async fn listed<C: ConnectionTrait>(
    conn: &C,
    reach: &Reach,
    owners: &[i64],
    filter: &Filter,
    wanted: u64,
    after: Option<i64>,
) -> Result<Vec<Summary>, DbErr> {
    let backend = conn.get_database_backend();
    let mut sql = Sql::new(backend);
    sql.push("SELECT ").push(COLUMNS).push(" FROM documents d WHERE ");
    visible_clause(&mut sql, reach, owners, filter);
    filter_clause(&mut sql, backend, filter);
    if let Some(id) = after {
        sql.push(" AND d.id < ").bind(id);
    }
    sql.push(" ORDER BY d.id DESC LIMIT ").bind(wanted as i64);
    Summary::find_by_statement(sql.build()).all(conn).await
}

async fn scanned<C: ConnectionTrait>(
    conn: &C,
    reach: &Reach,
    filter: &Filter,
    wanted: u64,
    after: Option<i64>,
) -> Result<Vec<Summary>, DbErr> {
    let backend = conn.get_database_backend();
    let mut found: Vec<i64> = Vec::with_capacity(wanted as usize);
    let mut cursor = after;
    let mut chunk = (wanted * 2).max(64);
    'scan: loop {
        let mut sql = Sql::new(backend);
        sql.push("SELECT d.id, d.owner_id FROM documents d WHERE 1 = 1");
        owner_clause(&mut sql, filter);
        filter_clause(&mut sql, backend, filter);
        if let Some(id) = cursor {
            sql.push(" AND d.id < ").bind(id);
        }
        sql.push(" ORDER BY d.id DESC LIMIT ").bind(chunk as i64);
        let rows = conn.query_all_raw(sql.build()).await?;
        for row in &rows {
            let (id, owner): (i64, i64) = (row.try_get_by_index(0)?, row.try_get_by_index(1)?);
            cursor = Some(id);
            if reach.admits(id, owner) {
                found.push(id);
                if found.len() as u64 == wanted {
                    break 'scan;
                }
            }
        }
        if (rows.len() as u64) < chunk {
            break;
        }
        chunk = (chunk * 4).min(CHUNK_MAX);
    }
    if found.is_empty() {
        return Ok(Vec::new());
    }
    let mut sql = Sql::new(backend);
    sql.push("SELECT ").push(COLUMNS).push(" FROM documents d WHERE d.id IN ").list(&found).push(" ORDER BY d.id DESC");
    Summary::find_by_statement(sql.build()).all(conn).await
}

/// `(owned by a listed owner OR shared)`.
fn visible_clause(sql: &mut Sql, reach: &Reach, owners: &[i64], filter: &Filter) {
    sql.push("(d.owner_id IN ").list(owners);
    if !reach.shared.is_empty() {
        sql.push(" OR d.id IN ").list(&reach.shared);
    }
    sql.push(")");
    owner_clause(sql, filter);
}

fn owner_clause(sql: &mut Sql, filter: &Filter) {
    if let Some(owner) = filter.owner {
        sql.push(" AND d.owner_id = ").bind(owner);
    }
}

/// ` AND ...` for the tag and text filters (the owner filter is part of the visible clause,
/// or of the scan's filter when there is no list).
fn filter_clause(sql: &mut Sql, backend: DbBackend, filter: &Filter) {
    if let Some(tag) = &filter.tag {
        sql.push(" AND d.id IN (SELECT document_id FROM document_tags WHERE tag = ").bind(tag.clone()).push(")");
    }
    if let Some(text) = &filter.text {
        let words = search_words(text);
        if words.is_empty() {
            // Nothing searchable (punctuation only): nothing matches, as on PostgreSQL.
            sql.push(" AND 1 = 0");
        } else if backend == DbBackend::Postgres {
            sql.push(" AND d.search @@ plainto_tsquery('english', ").bind(words.join(" ")).push(")");
        } else {
            let query: Vec<String> = words.iter().map(|w| format!("\"{w}\"")).collect();
            sql.push(" AND d.id IN (SELECT rowid FROM documents_fts WHERE documents_fts MATCH ")
                .bind(query.join(" "))
                .push(")");
        }
    }
}

/// The words of a search: runs of letters and digits, lowercased. Both backends then require
/// every word (stemmed); no operator syntax reaches either engine.
pub fn search_words(text: &str) -> Vec<String> {
    let mut seen = HashSet::new();
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .filter(|w| seen.insert(w.clone()))
        .take(32)
        .collect()
}

async fn single_count<C: ConnectionTrait>(conn: &C, sql: Sql) -> Result<u64, DbErr> {
    let row = conn.query_one_raw(sql.build()).await?;
    let n: i64 = match row {
        Some(row) => row.try_get_by_index(0)?,
        None => 0,
    };
    Ok(n.max(0) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_words_drop_operators_and_repeats() {
        assert_eq!(search_words("Quarterly -plan OR \"budget\" plan*"), ["quarterly", "plan", "or", "budget"]);
        assert!(search_words("!!! ---").is_empty());
    }
}
