//! The read side of the directory: employees by id (batched), filtered pages with keyset
//! cursors, reports, chains of command, groups and grants.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::Loader;
use braid_kit::ClientError;
use braid_kit::connection;
use sea_orm::sea_query::{Expr, ExprTrait, Func, LikeExpr};
use sea_orm::{ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::{Deserialize, Serialize};

use crate::entity::{employee, grant, group, member};
use crate::hierarchy;

/// Filters of `employees`; all given ones must hold.
#[derive(async_graphql::InputObject, Debug, Clone, Default)]
pub struct EmployeeFilter {
    /// Part of the name, any case.
    pub name_contains: Option<String>,
    pub department: Option<String>,
    pub title: Option<String>,
    pub manager_id: Option<async_graphql::ID>,
    pub email: Option<String>,
}

/// Where the last page ended: the sort key (name) and the id.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Cursor {
    n: String,
    i: i64,
}

/// The opaque cursor after `e`.
pub fn encode_cursor(e: &employee::Model) -> String {
    connection::encode(&Cursor { n: e.name.clone(), i: e.id })
}

/// Contains `text`, where `%` and `_` match themselves, not any text.
fn like_contains(text: &str) -> LikeExpr {
    LikeExpr::new(format!("%{}%", braid_kit::db::escape_like(text))).escape('\\')
}

/// One page of employees.
pub struct Page {
    pub items: Vec<employee::Model>,
    pub has_next_page: bool,
    pub has_previous_page: bool,
    pub total_count: u64,
}

/// Directory reads.
#[derive(Clone)]
pub struct Reader {
    pub db: DatabaseConnection,
}

impl Reader {
    pub async fn by_ids(&self, ids: &[i64]) -> Result<HashMap<i64, Arc<employee::Model>>, ClientError> {
        let rows = employee::Entity::find().filter(employee::Column::Id.is_in(ids.to_vec())).all(&self.db).await?;
        Ok(rows.into_iter().map(|e| (e.id, Arc::new(e))).collect())
    }

    /// Employees matching `filter`, by name then id, `first` after `after`.
    pub async fn page(&self, filter: &EmployeeFilter, first: u64, after: Option<&str>) -> Result<Page, ClientError> {
        let mut cond = Condition::all();
        if let Some(text) = filter.name_contains.as_deref().filter(|t| !t.is_empty()) {
            if text.chars().count() > 200 {
                return Err(ClientError::bad_input("filter.nameContains", "at most 200 characters"));
            }
            cond = cond.add(
                Expr::expr(Func::lower(Expr::col(employee::Column::Name))).like(like_contains(&text.to_lowercase())),
            );
        }
        if let Some(d) = &filter.department {
            cond = cond.add(employee::Column::Department.eq(d.as_str()));
        }
        if let Some(t) = &filter.title {
            cond = cond.add(employee::Column::Title.eq(t.as_str()));
        }
        if let Some(e) = &filter.email {
            cond = cond.add(employee::Column::Email.eq(e.trim().to_lowercase()));
        }
        if let Some(m) = &filter.manager_id {
            let m = crate::write::id(m, "filter.managerId")?;
            cond = cond.add(employee::Column::ManagerId.eq(m));
        }
        let total_count =
            sea_orm::PaginatorTrait::count(employee::Entity::find().filter(cond.clone()), &self.db).await?;
        let mut query = employee::Entity::find().filter(cond);
        if let Some(after) = after {
            let c: Cursor = connection::decode(after, "after")?;
            query = query.filter(
                Condition::any()
                    .add(employee::Column::Name.gt(c.n.clone()))
                    .add(Condition::all().add(employee::Column::Name.eq(c.n)).add(employee::Column::Id.gt(c.i))),
            );
        }
        let mut items = query
            .order_by_asc(employee::Column::Name)
            .order_by_asc(employee::Column::Id)
            .limit(first + 1)
            .all(&self.db)
            .await?;
        let has_next_page = items.len() as u64 > first;
        items.truncate(first as usize);
        Ok(Page { items, has_next_page, has_previous_page: after.is_some(), total_count })
    }

    pub async fn direct_reports(&self, manager: i64) -> Result<Vec<employee::Model>, ClientError> {
        Ok(employee::Entity::find()
            .filter(employee::Column::ManagerId.eq(manager))
            .order_by_asc(employee::Column::Name)
            .order_by_asc(employee::Column::Id)
            .all(&self.db)
            .await?)
    }

    /// Everyone below `id` to `depth` levels, nearest levels first, at most `limit`.
    pub async fn reports(&self, id: i64, depth: Option<i32>, limit: u64) -> Result<Vec<employee::Model>, ClientError> {
        let mut sql = braid_kit::sql::Sql::new(self.db.get_database_backend());
        sql.push("SELECT e.id FROM employees e JOIN org_closure c ON c.descendant_id = e.id WHERE c.ancestor_id = ")
            .bind(id)
            .push(" AND c.depth > 0");
        if let Some(depth) = depth {
            sql.push(" AND c.depth <= ").bind(depth);
        }
        sql.push(" ORDER BY c.depth, e.name, e.id LIMIT ").bind(limit as i64);
        let ids = braid_kit::sql::ids(&self.db, sql).await?;
        let mut found = self.by_ids(&ids).await?;
        Ok(ids.iter().filter_map(|i| found.remove(i)).map(Arc::unwrap_or_clone).collect())
    }

    /// Managers above `id`, nearest first.
    pub async fn chain_of_command(&self, id: i64) -> Result<Vec<employee::Model>, ClientError> {
        let ids = hierarchy::ancestors(&self.db, id).await?;
        let mut found = self.by_ids(&ids).await?;
        Ok(ids.iter().filter_map(|i| found.remove(i)).map(Arc::unwrap_or_clone).collect())
    }

    pub async fn groups_of(&self, employee: i64) -> Result<Vec<group::Model>, ClientError> {
        let ids: Vec<i64> = member::Entity::find()
            .filter(member::Column::EmployeeId.eq(employee))
            .all(&self.db)
            .await?
            .iter()
            .map(|m| m.group_id)
            .collect();
        Ok(group::Entity::find()
            .filter(group::Column::Id.is_in(ids))
            .order_by_asc(group::Column::Name)
            .all(&self.db)
            .await?)
    }

    pub async fn members(&self, group: i64, limit: u64) -> Result<Vec<employee::Model>, ClientError> {
        let ids: Vec<i64> = member::Entity::find()
            .filter(member::Column::GroupId.eq(group))
            .all(&self.db)
            .await?
            .iter()
            .map(|m| m.employee_id)
            .collect();
        Ok(employee::Entity::find()
            .filter(employee::Column::Id.is_in(ids))
            .order_by_asc(employee::Column::Name)
            .order_by_asc(employee::Column::Id)
            .limit(limit)
            .all(&self.db)
            .await?)
    }

    pub async fn group(&self, id: i64) -> Result<Option<group::Model>, ClientError> {
        Ok(group::Entity::find_by_id(id).one(&self.db).await?)
    }

    pub async fn groups(&self) -> Result<Vec<group::Model>, ClientError> {
        Ok(group::Entity::find().order_by_asc(group::Column::Name).all(&self.db).await?)
    }

    /// Grants to `employee` directly or to one of their groups (`None`: every grant).
    pub async fn grants(&self, employee: Option<i64>) -> Result<Vec<grant::Model>, ClientError> {
        let mut query = grant::Entity::find();
        if let Some(e) = employee {
            let groups: Vec<i64> = self.groups_of(e).await?.iter().map(|g| g.id).collect();
            query = query.filter(
                Condition::any()
                    .add(grant::Column::GranteeEmployeeId.eq(e))
                    .add(grant::Column::GranteeGroupId.is_in(groups)),
            );
        }
        Ok(query.order_by_asc(grant::Column::Id).all(&self.db).await?)
    }
}

/// Batches employee lookups (managers, `_entities`).
pub struct EmployeeLoader(pub Reader);

impl Loader<i64> for EmployeeLoader {
    type Value = Arc<employee::Model>;
    type Error = ClientError;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Arc<employee::Model>>, ClientError> {
        self.0.by_ids(keys).await
    }
}
