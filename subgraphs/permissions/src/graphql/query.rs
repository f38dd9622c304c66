//! The query root: the viewer, the directory, groups and grants, who may see whom, and the
//! entities.

use async_graphql::{Context, ID, Object, Result};
use base64::Engine as _;
use braid_kit::ClientError;
use braid_kit::auth::{Authenticated, viewer};
use braid_kit::connection::page_size;
use braid_kit::error::Code;
use braid_kit::federation::authenticated;
use chrono::Utc;

use super::{
    Employee, EmployeeConnection, Grant, Group, MAX_CHECK, MAX_PAGE, VisibilityAnswer, VisibleEmployees, acting_for,
    load, reader, viewer_id,
};
use crate::read::EmployeeFilter;

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
        Ok(page.into())
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
                return Err(ClientError::new(Code::Forbidden, "listing every grant needs the scope admin").into());
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
