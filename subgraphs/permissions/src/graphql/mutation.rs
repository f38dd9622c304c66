//! The mutation root: sessions, employees, groups, grants and the signing key.

use std::sync::Arc;

use async_graphql::{Context, ID, Object, Result};
use braid_kit::ClientError;
use braid_kit::auth::RequireScope;

use super::{Employee, Grant, Group, writer};
use crate::keys::KeyStore;
use crate::session::{Sessions, TokenPair};
use crate::write::{CreateEmployeeInput, GrantInput, UpdateEmployeeInput, id};

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
