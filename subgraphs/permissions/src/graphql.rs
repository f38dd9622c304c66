//! The GraphQL schema of the permissions subgraph (Apollo Federation v2).

use std::sync::Arc;

use async_graphql::dataloader::DataLoader;
use async_graphql::{Context, EmptySubscription, ID, Object, Result, Schema, SimpleObject};
use base64::Engine as _;
use braid_access::directives::ownedBy;
use braid_kit::ClientError;
use braid_kit::auth::{Authenticated, RequireScope, viewer};
use braid_kit::connection::{PageInfo, page_size};
use braid_kit::error::codes;
use braid_kit::federation::authenticated;
use chrono::{DateTime, Utc};

use crate::entity::{employee, grant, group};
use crate::keys::KeyStore;
use crate::read::{EmployeeFilter, EmployeeLoader, Page, Reader, encode_cursor};
use crate::session::{Sessions, TokenPair};
use crate::write::{CreateEmployeeInput, GrantInput, UpdateEmployeeInput, Writer, id};

pub type PermissionsSchema = Schema<Query, Mutation, EmptySubscription>;

/// Largest page of `employees`.
pub const MAX_PAGE: i32 = 100;
/// Most employees one `visibility` call may ask about.
pub const MAX_CHECK: usize = 10_000;
/// Most employees `reports` returns.
pub const MAX_REPORTS: i32 = 10_000;

/// Everything the resolvers need.
pub struct Parts {
    pub reader: Reader,
    pub writer: Writer,
    pub sessions: Arc<Sessions>,
    pub keys: Arc<KeyStore>,
}

/// Builds the schema; `parts` may be absent when only exporting the SDL.
pub fn build(parts: Option<Parts>) -> PermissionsSchema {
    let mut builder =
        Schema::build(Query, Mutation, EmptySubscription).enable_federation().limit_depth(16).limit_complexity(20_000);
    if let Some(parts) = parts {
        let loader = DataLoader::new(EmployeeLoader(parts.reader.clone()), tokio::spawn)
            .delay(std::time::Duration::from_millis(1));
        builder = builder.data(parts.reader).data(parts.writer).data(parts.sessions).data(parts.keys).data(loader);
    }
    builder.finish()
}

/// The SDL as `schema/permissions.graphql` holds it.
pub fn sdl() -> String {
    braid_kit::federation::sdl(&build(None))
}

fn reader<'a>(ctx: &'a Context<'_>) -> &'a Reader {
    ctx.data_unchecked::<Reader>()
}

fn writer<'a>(ctx: &'a Context<'_>) -> &'a Writer {
    ctx.data_unchecked::<Writer>()
}

/// The authenticated viewer's employee id.
fn viewer_id(ctx: &Context<'_>) -> Result<i64> {
    Ok(viewer(ctx)?
        .subject
        .parse::<i64>()
        .map_err(|_| ClientError::new(codes::FORBIDDEN, "the token's subject is not an employee"))?)
}

/// The `viewer` argument if given (admins only), else the authenticated viewer.
fn acting_for(ctx: &Context<'_>, asked: Option<&ID>) -> Result<i64> {
    let me = viewer_id(ctx)?;
    match asked {
        None => Ok(me),
        Some(v) => {
            let v = id(v, "viewer")?;
            let admin = viewer(ctx).is_ok_and(|v| v.has_scope("admin"));
            if v != me && !admin {
                return Err(
                    ClientError::new(codes::FORBIDDEN, "asking for another viewer needs the scope admin").into()
                );
            }
            Ok(v)
        }
    }
}

async fn load(ctx: &Context<'_>, id: i64) -> Result<Option<Employee>> {
    let loader = ctx.data_unchecked::<DataLoader<EmployeeLoader>>();
    Ok(loader.load_one(id).await.map_err(async_graphql::Error::from)?.map(Employee))
}

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

#[derive(SimpleObject)]
pub struct EmployeeEdge {
    pub cursor: String,
    pub node: Employee,
}

/// A page of employees (Relay connection).
pub struct EmployeeConnection(Page);

#[Object]
impl EmployeeConnection {
    async fn edges(&self) -> Vec<EmployeeEdge> {
        self.0
            .items
            .iter()
            .map(|e| EmployeeEdge { cursor: encode_cursor(e), node: Employee(Arc::new(e.clone())) })
            .collect()
    }
    async fn page_info(&self) -> PageInfo {
        PageInfo {
            has_next_page: self.0.has_next_page,
            has_previous_page: self.0.has_previous_page,
            start_cursor: self.0.items.first().map(encode_cursor),
            end_cursor: self.0.items.last().map(encode_cursor),
        }
    }
    /// Employees matching the filter, over all pages.
    async fn total_count(&self) -> u64 {
        self.0.total_count
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

pub struct Query;

#[Object]
impl Query {
    /// The employee the token belongs to.
    #[graphql(guard = "Authenticated", directive = authenticated::apply())]
    async fn me(&self, ctx: &Context<'_>) -> Result<Option<Employee>> {
        load(ctx, viewer_id(ctx)?).await
    }

    #[graphql(guard = "Authenticated", directive = authenticated::apply())]
    async fn employee(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Employee>> {
        match id.parse::<i64>() {
            Ok(i) => load(ctx, i).await,
            Err(_) => Ok(None),
        }
    }

    /// The directory, by name, `first` (1-100, default 20) at a time.
    #[graphql(guard = "Authenticated", directive = authenticated::apply())]
    async fn employees(
        &self,
        ctx: &Context<'_>,
        filter: Option<EmployeeFilter>,
        #[graphql(default = 20)] first: i32,
        after: Option<String>,
    ) -> Result<EmployeeConnection> {
        let first = page_size(first, MAX_PAGE)?;
        let page = reader(ctx).page(&filter.unwrap_or_default(), first, after.as_deref()).await?;
        Ok(EmployeeConnection(page))
    }

    #[graphql(guard = "Authenticated", directive = authenticated::apply())]
    async fn group(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Group>> {
        match id.parse::<i64>() {
            Ok(i) => Ok(reader(ctx).group(i).await?.map(Group)),
            Err(_) => Ok(None),
        }
    }

    #[graphql(guard = "Authenticated", directive = authenticated::apply())]
    async fn groups(&self, ctx: &Context<'_>) -> Result<Vec<Group>> {
        Ok(reader(ctx).groups().await?.into_iter().map(Group).collect())
    }

    /// Grants to `granteeId` (default: me) and their groups; every grant when an admin
    /// passes `all`.
    #[graphql(guard = "Authenticated", directive = authenticated::apply())]
    async fn grants(
        &self,
        ctx: &Context<'_>,
        grantee_id: Option<ID>,
        #[graphql(default)] all: bool,
    ) -> Result<Vec<Grant>> {
        let employee = if all {
            if !viewer(ctx).is_ok_and(|v| v.has_scope("admin")) {
                return Err(ClientError::new(codes::FORBIDDEN, "listing every grant needs the scope admin").into());
            }
            None
        } else {
            Some(acting_for(ctx, grantee_id.as_ref())?)
        };
        Ok(reader(ctx).grants(employee).await?.into_iter().map(Grant).collect())
    }

    /// Which of `employeeIds` the viewer (default: me; others need `admin`) may see.
    #[graphql(guard = "Authenticated", directive = authenticated::apply())]
    async fn visibility(
        &self,
        ctx: &Context<'_>,
        employee_ids: Vec<ID>,
        viewer: Option<ID>,
    ) -> Result<VisibilityAnswer> {
        let viewer = acting_for(ctx, viewer.as_ref())?;
        if employee_ids.len() > MAX_CHECK {
            return Err(ClientError::bad_input("employeeIds", format!("at most {MAX_CHECK} ids")).into());
        }
        // Ids that are not numbers name nobody: never visible.
        let targets: Vec<i64> = employee_ids.iter().map(|i| i.parse::<i64>().unwrap_or(0)).collect();
        let (allowed, valid_until) = crate::visibility::visible_among(&reader(ctx).db, viewer, &targets, Utc::now())
            .await
            .map_err(ClientError::from)?;
        Ok(VisibilityAnswer { allowed, valid_until })
    }

    /// Everyone the viewer (default: me; others need `admin`) may see, by id.
    #[graphql(guard = "Authenticated", directive = authenticated::apply())]
    async fn visible_employees(&self, ctx: &Context<'_>, viewer: Option<ID>) -> Result<VisibleEmployees> {
        let viewer = acting_for(ctx, viewer.as_ref())?;
        let visible =
            crate::visibility::visible_set(&reader(ctx).db, viewer, Utc::now()).await.map_err(ClientError::from)?;
        let ids = if ctx.look_ahead().field("ids").exists() {
            visible.ids.ids().iter().map(|i| ID(i.to_string())).collect()
        } else {
            Vec::new()
        };
        let packed = if ctx.look_ahead().field("packed").exists() {
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(visible.ids.encode())
        } else {
            String::new()
        };
        Ok(VisibleEmployees {
            count: visible.ids.len() as u64,
            ids,
            packed,
            groups: visible.groups.iter().map(|g| ID(g.to_string())).collect(),
            valid_until: visible.valid_until,
        })
    }

    #[graphql(entity)]
    async fn find_employee_by_id(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Employee>> {
        match id.parse::<i64>() {
            Ok(i) => load(ctx, i).await,
            Err(_) => Ok(None),
        }
    }

    #[graphql(entity)]
    async fn find_group_by_id(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Group>> {
        match id.parse::<i64>() {
            Ok(i) => Ok(reader(ctx).group(i).await?.map(Group)),
            Err(_) => Ok(None),
        }
    }
}

fn ids(list: &[ID], field: &str) -> Result<Vec<i64>, ClientError> {
    list.iter().map(|v| id(v, field)).collect()
}

pub struct Mutation;

#[Object]
impl Mutation {
    /// Exchanges an email and password for tokens. Repeated failures lock the account for a
    /// while (`TOO_MANY_ATTEMPTS`).
    async fn login(&self, ctx: &Context<'_>, email: String, password: String) -> Result<TokenPair> {
        Ok(ctx.data_unchecked::<Arc<Sessions>>().login(&email, &password).await?)
    }

    /// Exchanges a refresh token (single use) for a new pair.
    async fn refresh(&self, ctx: &Context<'_>, refresh_token: String) -> Result<TokenPair> {
        Ok(ctx.data_unchecked::<Arc<Sessions>>().refresh(&refresh_token).await?)
    }

    /// Ends the session the refresh token belongs to.
    async fn logout(&self, ctx: &Context<'_>, refresh_token: String) -> Result<bool> {
        ctx.data_unchecked::<Arc<Sessions>>().logout(&refresh_token).await?;
        Ok(true)
    }

    #[graphql(guard = "RequireScope(\"admin\")", requires_scopes = "admin")]
    async fn create_employee(&self, ctx: &Context<'_>, input: CreateEmployeeInput) -> Result<Employee> {
        Ok(Employee(Arc::new(writer(ctx).create_employee(input).await?)))
    }

    #[graphql(guard = "RequireScope(\"admin\")", requires_scopes = "admin")]
    async fn update_employee(&self, ctx: &Context<'_>, id: ID, input: UpdateEmployeeInput) -> Result<Employee> {
        let id = crate::write::id(&id, "id")?;
        Ok(Employee(Arc::new(writer(ctx).update_employee(id, input).await?)))
    }

    /// Deletes an employee without reports; returns its id.
    #[graphql(guard = "RequireScope(\"admin\")", requires_scopes = "admin")]
    async fn delete_employee(&self, ctx: &Context<'_>, id: ID) -> Result<ID> {
        writer(ctx).delete_employee(crate::write::id(&id, "id")?).await?;
        Ok(id)
    }

    /// Moves an employee with everyone below them under `managerId` (null: to the top).
    #[graphql(guard = "RequireScope(\"admin\")", requires_scopes = "admin")]
    async fn move_employee(&self, ctx: &Context<'_>, id: ID, manager_id: Option<ID>) -> Result<Employee> {
        let id = crate::write::id(&id, "id")?;
        let manager = manager_id.as_ref().map(|m| crate::write::id(m, "managerId")).transpose()?;
        Ok(Employee(Arc::new(writer(ctx).move_employee(id, manager).await?)))
    }

    #[graphql(guard = "RequireScope(\"admin\")", requires_scopes = "admin")]
    async fn create_group(
        &self,
        ctx: &Context<'_>,
        name: String,
        #[graphql(default)] member_ids: Vec<ID>,
    ) -> Result<Group> {
        let members = ids(&member_ids, "memberIds")?;
        Ok(Group(writer(ctx).create_group(&name, &members).await?))
    }

    #[graphql(guard = "RequireScope(\"admin\")", requires_scopes = "admin")]
    async fn delete_group(&self, ctx: &Context<'_>, id: ID) -> Result<ID> {
        writer(ctx).delete_group(crate::write::id(&id, "id")?).await?;
        Ok(id)
    }

    #[graphql(guard = "RequireScope(\"admin\")", requires_scopes = "admin")]
    async fn add_group_members(&self, ctx: &Context<'_>, group_id: ID, employee_ids: Vec<ID>) -> Result<Group> {
        let group = crate::write::id(&group_id, "groupId")?;
        Ok(Group(writer(ctx).change_members(group, &ids(&employee_ids, "employeeIds")?, true).await?))
    }

    #[graphql(guard = "RequireScope(\"admin\")", requires_scopes = "admin")]
    async fn remove_group_members(&self, ctx: &Context<'_>, group_id: ID, employee_ids: Vec<ID>) -> Result<Group> {
        let group = crate::write::id(&group_id, "groupId")?;
        Ok(Group(writer(ctx).change_members(group, &ids(&employee_ids, "employeeIds")?, false).await?))
    }

    #[graphql(guard = "RequireScope(\"admin\")", requires_scopes = "admin")]
    async fn create_grant(&self, ctx: &Context<'_>, input: GrantInput) -> Result<Grant> {
        Ok(Grant(writer(ctx).create_grant(input).await?))
    }

    /// Revokes a grant; returns its id.
    #[graphql(guard = "RequireScope(\"admin\")", requires_scopes = "admin")]
    async fn revoke_grant(&self, ctx: &Context<'_>, id: ID) -> Result<ID> {
        writer(ctx).revoke_grant(crate::write::id(&id, "id")?).await?;
        Ok(id)
    }

    /// Publishes a new signing key, which signs from `issuer.key_publish_ahead_secs` on; the
    /// old one signs until then and stays in the JWKS until its last token has expired.
    /// Returns the new `kid`.
    #[graphql(guard = "RequireScope(\"admin\")", requires_scopes = "admin")]
    async fn rotate_signing_key(&self, ctx: &Context<'_>) -> Result<String> {
        Ok(ctx.data_unchecked::<Arc<KeyStore>>().rotate().await.map_err(ClientError::from)?)
    }
}
