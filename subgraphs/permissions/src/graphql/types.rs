//! The objects the roots return: employees, groups, grants, pages of employees and the
//! answers of the visibility queries.

use std::sync::Arc;

use async_graphql::{Context, ID, Object, Result, SimpleObject};
use braid_access::directives::ownedBy;
use braid_kit::ClientError;
use braid_kit::connection::{self, Connection, Counted};
use chrono::{DateTime, Utc};

use super::{MAX_REPORTS, load, reader};
use crate::entity::{employee, grant, group};
use crate::read::{Page, encode_cursor};

/// A person in the org.
pub struct Employee(pub Arc<employee::Model>);

#[Object]
impl Employee {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn email(&self) -> &str {
        &self.0.email
    }
    async fn title(&self) -> &str {
        &self.0.title
    }
    async fn department(&self) -> &str {
        &self.0.department
    }
    /// What this employee's tokens allow (`admin`, `documents:write`, ...). Null for viewers
    /// who may not see this employee (the gateway enforces it).
    #[graphql(directive = ownedBy::apply("id".into(), None))]
    async fn scopes(&self) -> Option<Vec<&str>> {
        Some(self.0.scopes.split_whitespace().collect())
    }
    /// Null at the top of the org.
    async fn manager(&self, ctx: &Context<'_>) -> Result<Option<Employee>> {
        match self.0.manager_id {
            Some(m) => load(ctx, m).await,
            None => Ok(None),
        }
    }
    /// The employees reporting to this one directly.
    async fn direct_reports(&self, ctx: &Context<'_>) -> Result<Vec<Employee>> {
        Ok(reader(ctx).direct_reports(self.0.id).await?.into_iter().map(|e| Employee(Arc::new(e))).collect())
    }
    /// Everyone below, to `depth` levels (default: however deep), nearest levels first, at
    /// most `limit` (default 1,000, at most 10,000).
    async fn reports(
        &self,
        ctx: &Context<'_>,
        depth: Option<i32>,
        #[graphql(default = 1000)] limit: i32,
    ) -> Result<Vec<Employee>> {
        if depth.is_some_and(|d| d < 1) {
            return Err(ClientError::bad_input("depth", "depth is at least 1").into());
        }
        if !(1..=MAX_REPORTS).contains(&limit) {
            return Err(ClientError::bad_input("limit", format!("limit is between 1 and {MAX_REPORTS}")).into());
        }
        let rows = reader(ctx).reports(self.0.id, depth, limit as u64).await?;
        Ok(rows.into_iter().map(|e| Employee(Arc::new(e))).collect())
    }
    /// The managers above, nearest first.
    async fn chain_of_command(&self, ctx: &Context<'_>) -> Result<Vec<Employee>> {
        Ok(reader(ctx).chain_of_command(self.0.id).await?.into_iter().map(|e| Employee(Arc::new(e))).collect())
    }
    /// Null for viewers who may not see this employee (the gateway enforces it).
    #[graphql(directive = ownedBy::apply("id".into(), None))]
    async fn groups(&self, ctx: &Context<'_>) -> Result<Option<Vec<Group>>> {
        Ok(Some(reader(ctx).groups_of(self.0.id).await?.into_iter().map(Group).collect()))
    }
    /// Increases with every change.
    async fn version(&self) -> i64 {
        self.0.version
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

/// A named set of employees; grants can name it as grantee or as target.
pub struct Group(pub group::Model);

#[Object]
impl Group {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// Members by name, at most `limit` (default 1,000).
    async fn members(&self, ctx: &Context<'_>, #[graphql(default = 1000)] limit: i32) -> Result<Vec<Employee>> {
        if !(1..=MAX_REPORTS).contains(&limit) {
            return Err(ClientError::bad_input("limit", format!("limit is between 1 and {MAX_REPORTS}")).into());
        }
        let rows = reader(ctx).members(self.0.id, limit as u64).await?;
        Ok(rows.into_iter().map(|e| Employee(Arc::new(e))).collect())
    }
}

/// Lets a grantee (an employee, or every member of a group) see the data of a target (an
/// employee, with or without everyone below them, or every member of a group).
pub struct Grant(pub grant::Model);

#[Object]
impl Grant {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn grantee_employee(&self, ctx: &Context<'_>) -> Result<Option<Employee>> {
        match self.0.grantee_employee_id {
            Some(e) => load(ctx, e).await,
            None => Ok(None),
        }
    }
    async fn grantee_group(&self, ctx: &Context<'_>) -> Result<Option<Group>> {
        match self.0.grantee_group_id {
            Some(g) => Ok(reader(ctx).group(g).await?.map(Group)),
            None => Ok(None),
        }
    }
    async fn target_employee(&self, ctx: &Context<'_>) -> Result<Option<Employee>> {
        match self.0.target_employee_id {
            Some(e) => load(ctx, e).await,
            None => Ok(None),
        }
    }
    async fn target_group(&self, ctx: &Context<'_>) -> Result<Option<Group>> {
        match self.0.target_group_id {
            Some(g) => Ok(reader(ctx).group(g).await?.map(Group)),
            None => Ok(None),
        }
    }
    async fn include_reports(&self) -> bool {
        self.0.include_reports
    }
    /// Null: never.
    async fn expires_at(&self) -> Option<DateTime<Utc>> {
        self.0.expires_at
    }
}

/// A page of employees (Relay connection).
pub type EmployeeConnection = Connection<Employee>;

impl From<Page> for EmployeeConnection {
    fn from(page: Page) -> Self {
        let nodes = page.items.into_iter().map(|e| (encode_cursor(&e), Employee(Arc::new(e))));
        connection::page(nodes, page.has_previous_page, page.has_next_page, Counted(page.total_count))
    }
}

/// Answers of `visibility`, in the order asked.
#[derive(SimpleObject)]
pub struct VisibilityAnswer {
    pub allowed: Vec<bool>,
    /// Until when the answer holds at the latest (a grant it relied on expires then).
    pub valid_until: Option<DateTime<Utc>>,
}

/// Everyone a viewer may see, and the viewer's groups.
#[derive(SimpleObject)]
pub struct VisibleEmployees {
    pub ids: Vec<ID>,
    pub count: u64,
    /// The ids compactly, for services that ask for large sets: URL-safe base64 (no padding)
    /// of the first id then the gaps, each a zigzag LEB128 varint.
    pub packed: String,
    /// The groups the viewer is in.
    pub groups: Vec<ID>,
    pub valid_until: Option<DateTime<Utc>>,
}
