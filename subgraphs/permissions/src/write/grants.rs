//! Creating and revoking grants.

use braid_access::events::{GrantChange, GrantChanged, GrantSnapshot, Visibility};
use braid_kit::ClientError;
use chrono::{DateTime, Utc};
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::{ActiveModelTrait, EntityTrait};

use super::{Writer, append, id, load_employee, load_group};
use crate::entity::grant;
use crate::visibility;

/// Exactly one grantee and one target.
#[derive(async_graphql::InputObject, Debug, Clone, Default)]
pub struct GrantInput {
    pub grantee_employee_id: Option<async_graphql::ID>,
    pub grantee_group_id: Option<async_graphql::ID>,
    pub target_employee_id: Option<async_graphql::ID>,
    pub target_group_id: Option<async_graphql::ID>,
    /// With a target employee: everyone below them too.
    #[graphql(default)]
    pub include_reports: bool,
    pub expires_at: Option<DateTime<Utc>>,
}

fn grant_snapshot(g: &grant::Model) -> GrantSnapshot {
    GrantSnapshot {
        id: g.id.to_string(),
        grantee_employee_id: g.grantee_employee_id.map(|v| v.to_string()),
        grantee_group_id: g.grantee_group_id.map(|v| v.to_string()),
        target_employee_id: g.target_employee_id.map(|v| v.to_string()),
        target_group_id: g.target_group_id.map(|v| v.to_string()),
        include_reports: g.include_reports,
        expires_at: g.expires_at,
    }
}

impl Writer {
    pub async fn create_grant(&self, input: GrantInput) -> Result<grant::Model, ClientError> {
        let pick = |a: &Option<async_graphql::ID>, b: &Option<async_graphql::ID>, what: &str| match (a, b) {
            (Some(_), None) | (None, Some(_)) => Ok(()),
            _ => Err(ClientError::bad_input(what, format!("give exactly one {what} employee or group"))),
        };
        pick(&input.grantee_employee_id, &input.grantee_group_id, "grantee")?;
        pick(&input.target_employee_id, &input.target_group_id, "target")?;
        if input.include_reports && input.target_employee_id.is_none() {
            return Err(ClientError::bad_input("includeReports", "only a target employee has reports"));
        }
        if input.expires_at.is_some_and(|t| t <= Utc::now()) {
            return Err(ClientError::bad_input("expiresAt", "the expiry is in the past"));
        }
        let parse = |v: &Option<async_graphql::ID>, f: &str| v.as_ref().map(|v| id(v, f)).transpose();
        let grantee_employee = parse(&input.grantee_employee_id, "granteeEmployeeId")?;
        let grantee_group = parse(&input.grantee_group_id, "granteeGroupId")?;
        let target_employee = parse(&input.target_employee_id, "targetEmployeeId")?;
        let target_group = parse(&input.target_group_id, "targetGroupId")?;
        let txn = self.begin().await?;
        if let Some(e) = grantee_employee {
            load_employee(&txn, e, "granteeEmployeeId").await?;
        }
        if let Some(e) = target_employee {
            load_employee(&txn, e, "targetEmployeeId").await?;
        }
        if let Some(g) = grantee_group {
            load_group(&txn, g, "granteeGroupId").await?;
        }
        if let Some(g) = target_group {
            load_group(&txn, g, "targetGroupId").await?;
        }
        let row = grant::ActiveModel {
            id: NotSet,
            grantee_employee_id: Set(grantee_employee),
            grantee_group_id: Set(grantee_group),
            target_employee_id: Set(target_employee),
            target_group_id: Set(target_group),
            include_reports: Set(input.include_reports),
            expires_at: Set(input.expires_at),
            created_at: Set(Utc::now()),
        }
        .insert(&txn)
        .await?;
        let visibility = Visibility::of(visibility::grantees(&txn, &[row.id]).await?);
        let event =
            GrantChanged { change: GrantChange::Created, grant: grant_snapshot(&row), visibility: visibility.clone() };
        append(&txn, &event).await?;
        self.commit(txn, &visibility).await?;
        Ok(row)
    }

    pub async fn revoke_grant(&self, grant_id: i64) -> Result<(), ClientError> {
        let txn = self.begin().await?;
        let row = grant::Entity::find_by_id(grant_id)
            .one(&txn)
            .await?
            .ok_or_else(|| ClientError::not_found(format!("no grant {grant_id}")))?;
        let visibility = Visibility::of(visibility::grantees(&txn, &[grant_id]).await?);
        grant::Entity::delete_by_id(grant_id).exec(&txn).await?;
        let event =
            GrantChanged { change: GrantChange::Revoked, grant: grant_snapshot(&row), visibility: visibility.clone() };
        append(&txn, &event).await?;
        self.commit(txn, &visibility).await
    }
}
