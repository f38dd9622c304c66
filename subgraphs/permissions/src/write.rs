//! The write side: each mutation changes its rows, computes whose visibility it altered and
//! appends its event in one transaction; after the commit it voids those viewers' cached
//! answers at once (the event's consumers do it again, for every other cache).

use std::sync::Arc;

use braid_access::events::{
    EmployeeCreated, EmployeeDeleted, EmployeeMoved, EmployeeSnapshot, EmployeeUpdated, GrantChange, GrantChanged,
    GrantSnapshot, GroupChange, GroupChanged, SOURCE, Visibility,
};
use braid_access::invalidate::Invalidator;
use braid_kit::ClientError;
use braid_kit::error::codes;
use braid_kit::events::{DomainEvent, Envelope, OutboxSignal, outbox};
use braid_kit::text;
use chrono::{DateTime, Utc};
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::sea_query::ExprTrait;
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, DatabaseTransaction, EntityTrait, QueryFilter};

use crate::entity::{credential, employee, grant, group, member, refresh_token};
use crate::{hierarchy, password, visibility};

/// A new employee.
#[derive(async_graphql::InputObject, Debug, Clone)]
pub struct CreateEmployeeInput {
    pub email: String,
    pub name: String,
    #[graphql(default)]
    pub title: String,
    #[graphql(default)]
    pub department: String,
    pub manager_id: Option<async_graphql::ID>,
    #[graphql(default)]
    pub scopes: Vec<String>,
    /// Without one the employee cannot log in.
    pub password: Option<String>,
}

/// Fields left out stay as they are.
#[derive(async_graphql::InputObject, Debug, Clone, Default)]
pub struct UpdateEmployeeInput {
    pub email: Option<String>,
    pub name: Option<String>,
    pub title: Option<String>,
    pub department: Option<String>,
    pub scopes: Option<Vec<String>>,
    pub password: Option<String>,
}

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

/// Mutations of the permissions data.
#[derive(Clone)]
pub struct Writer {
    pub db: DatabaseConnection,
    pub outbox: OutboxSignal,
    pub invalidator: Option<Arc<Invalidator>>,
}

/// Parses a GraphQL id into an employee, group or grant id.
pub fn id(value: &async_graphql::ID, field: &str) -> Result<i64, ClientError> {
    value.parse::<i64>().ok().filter(|v| *v > 0).ok_or_else(|| ClientError::bad_input(field, "not a valid id"))
}

fn email(value: &str) -> Result<String, ClientError> {
    let value = text::required(value, "email", 254)?.to_lowercase();
    let valid = value.split_once('@').is_some_and(|(local, domain)| {
        !local.is_empty() && domain.contains('.') && !value.contains(char::is_whitespace)
    });
    if !valid {
        return Err(ClientError::bad_input("email", "not an email address"));
    }
    Ok(value)
}

fn scopes(list: &[String]) -> Result<String, ClientError> {
    if list.len() > 50 {
        return Err(ClientError::bad_input("scopes", "at most 50 scopes"));
    }
    for scope in list {
        let ok = !scope.is_empty()
            && scope.len() <= 64
            && scope.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, ':' | '_' | '-' | '.'));
        if !ok {
            return Err(ClientError::bad_input("scopes", format!("{scope:?} is not a scope name")));
        }
    }
    let mut sorted = list.to_vec();
    sorted.sort();
    sorted.dedup();
    Ok(sorted.join(" "))
}

/// The event form of an employee row.
pub fn snapshot(e: &employee::Model) -> EmployeeSnapshot {
    EmployeeSnapshot {
        id: e.id.to_string(),
        email: e.email.clone(),
        name: e.name.clone(),
        title: e.title.clone(),
        department: e.department.clone(),
        manager_id: e.manager_id.map(|m| m.to_string()),
        scopes: e.scopes.split_whitespace().map(str::to_string).collect(),
        version: e.version,
    }
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

async fn append<E: DomainEvent>(txn: &DatabaseTransaction, event: &E) -> Result<(), ClientError> {
    outbox::append(txn, &Envelope::new(SOURCE, event)).await?;
    Ok(())
}

pub(crate) async fn load_employee<C: sea_orm::ConnectionTrait>(
    conn: &C,
    id: i64,
    field: &str,
) -> Result<employee::Model, ClientError> {
    employee::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or_else(|| ClientError::bad_input(field, format!("no employee {id}")))
}

async fn load_group(txn: &DatabaseTransaction, id: i64, field: &str) -> Result<group::Model, ClientError> {
    group::Entity::find_by_id(id).one(txn).await?.ok_or_else(|| ClientError::bad_input(field, format!("no group {id}")))
}

async fn email_taken(txn: &DatabaseTransaction, email: &str, except: Option<i64>) -> Result<(), ClientError> {
    let found = employee::Entity::find().filter(employee::Column::Email.eq(email)).one(txn).await?;
    match found {
        Some(e) if Some(e.id) != except => Err(ClientError::new(codes::CONFLICT, format!("{email} is already taken"))),
        _ => Ok(()),
    }
}

impl Writer {
    async fn begin(&self) -> Result<DatabaseTransaction, ClientError> {
        Ok(braid_kit::db::begin_write(&self.db).await?)
    }

    /// Commits, wakes the relay and voids the affected viewers' cached answers.
    async fn commit(&self, txn: DatabaseTransaction, visibility: &Visibility) -> Result<(), ClientError> {
        txn.commit().await?;
        self.outbox.committed();
        if let Some(invalidator) = &self.invalidator
            && let Err(e) = invalidator.apply(visibility).await
        {
            // The event's consumer retries it; until then the TTL bounds what is served.
            tracing::warn!(error = %e, "permission cache not invalidated after commit");
        }
        Ok(())
    }

    pub async fn create_employee(&self, input: CreateEmployeeInput) -> Result<employee::Model, ClientError> {
        let email = email(&input.email)?;
        let name = text::required(&input.name, "name", 200)?;
        let title = text::optional(&input.title, "title", 200)?;
        let department = text::optional(&input.department, "department", 100)?;
        let scopes = scopes(&input.scopes)?;
        let hash = match &input.password {
            Some(p) => Some(password::hash(p)?),
            None => None,
        };
        let txn = self.begin().await?;
        email_taken(&txn, &email, None).await?;
        let manager = match &input.manager_id {
            Some(m) => Some(load_employee(&txn, id(m, "managerId")?, "managerId").await?.id),
            None => None,
        };
        let now = Utc::now();
        let row = employee::ActiveModel {
            id: NotSet,
            email: Set(email),
            name: Set(name),
            title: Set(title),
            department: Set(department),
            manager_id: Set(manager),
            scopes: Set(scopes),
            version: Set(1),
            created_at: Set(now),
            updated_at: Set(now),
        }
        .insert(&txn)
        .await?;
        hierarchy::insert(&txn, row.id, manager).await?;
        if let Some(hash) = hash {
            credential::ActiveModel {
                employee_id: Set(row.id),
                password_hash: Set(hash),
                failed_attempts: Set(0),
                locked_until: Set(None),
            }
            .insert(&txn)
            .await?;
        }
        let visibility = Visibility::of(visibility::viewers_of(&txn, &[row.id]).await?);
        append(&txn, &EmployeeCreated { employee: snapshot(&row), visibility: visibility.clone() }).await?;
        self.commit(txn, &visibility).await?;
        Ok(row)
    }

    pub async fn update_employee(
        &self,
        employee_id: i64,
        input: UpdateEmployeeInput,
    ) -> Result<employee::Model, ClientError> {
        let txn = self.begin().await?;
        let current = load_employee(&txn, employee_id, "id").await?;
        let mut row: employee::ActiveModel = current.clone().into();
        let mut changed = Vec::new();
        if let Some(v) = &input.email {
            let v = email(v)?;
            email_taken(&txn, &v, Some(employee_id)).await?;
            row.email = Set(v);
            changed.push("email");
        }
        if let Some(v) = &input.name {
            row.name = Set(text::required(v, "name", 200)?);
            changed.push("name");
        }
        if let Some(v) = &input.title {
            row.title = Set(text::optional(v, "title", 200)?);
            changed.push("title");
        }
        if let Some(v) = &input.department {
            row.department = Set(text::optional(v, "department", 100)?);
            changed.push("department");
        }
        if let Some(v) = &input.scopes {
            row.scopes = Set(scopes(v)?);
            changed.push("scopes");
        }
        if let Some(p) = &input.password {
            let hash = password::hash(p)?;
            let existing = credential::Entity::find_by_id(employee_id).one(&txn).await?;
            let mut cred = credential::ActiveModel {
                employee_id: Set(employee_id),
                password_hash: Set(hash),
                failed_attempts: Set(0),
                locked_until: Set(None),
            };
            if existing.is_some() {
                cred.employee_id = sea_orm::ActiveValue::Unchanged(employee_id);
                cred.update(&txn).await?;
            } else {
                cred.insert(&txn).await?;
            }
            // A new password logs every session out.
            revoke_refresh_tokens(&txn, employee_id).await?;
        }
        row.version = Set(current.version + 1);
        row.updated_at = Set(Utc::now());
        let row = row.update(&txn).await?;
        let changed = changed.into_iter().map(str::to_string).collect();
        append(&txn, &EmployeeUpdated { employee: snapshot(&row), changed }).await?;
        self.commit(txn, &Visibility::none()).await?;
        Ok(row)
    }

    /// Deletes an employee without reports (move them first): their grants, memberships,
    /// credentials and sessions go with them, and their tokens stop working.
    pub async fn delete_employee(&self, employee_id: i64) -> Result<(), ClientError> {
        let txn = self.begin().await?;
        load_employee(&txn, employee_id, "id").await?;
        if !hierarchy::descendants(&txn, employee_id, Some(1)).await?.is_empty() {
            return Err(ClientError::new(codes::CONFLICT, "this employee has reports: move them first"));
        }
        let visibility = Visibility::of(visibility::viewers_of(&txn, &[employee_id]).await?);
        grant::Entity::delete_many()
            .filter(
                grant::Column::GranteeEmployeeId.eq(employee_id).or(grant::Column::TargetEmployeeId.eq(employee_id)),
            )
            .exec(&txn)
            .await?;
        member::Entity::delete_many().filter(member::Column::EmployeeId.eq(employee_id)).exec(&txn).await?;
        credential::Entity::delete_by_id(employee_id).exec(&txn).await?;
        refresh_token::Entity::delete_many()
            .filter(refresh_token::Column::EmployeeId.eq(employee_id))
            .exec(&txn)
            .await?;
        crate::entity::closure::Entity::delete_many()
            .filter(crate::entity::closure::Column::DescendantId.eq(employee_id))
            .exec(&txn)
            .await?;
        employee::Entity::delete_by_id(employee_id).exec(&txn).await?;
        append(&txn, &EmployeeDeleted { employee_id: employee_id.to_string(), visibility: visibility.clone() }).await?;
        self.commit(txn, &visibility).await?;
        if let Some(invalidator) = &self.invalidator
            && let Err(e) = invalidator.cache.revoke_subject(employee_id, invalidator.token_lifetime).await
        {
            tracing::warn!(error = %e, "deleted employee's tokens not revoked in the cache yet");
        }
        Ok(())
    }

    /// Moves an employee and everyone below them under `manager` (`None`: to the top).
    pub async fn move_employee(&self, employee_id: i64, manager: Option<i64>) -> Result<employee::Model, ClientError> {
        let txn = self.begin().await?;
        let current = load_employee(&txn, employee_id, "id").await?;
        if let Some(m) = manager {
            load_employee(&txn, m, "managerId").await?;
            if hierarchy::is_within(&txn, employee_id, m).await? {
                return Err(ClientError::bad_input(
                    "managerId",
                    "the new manager is this employee or reports to them: that would make a cycle",
                ));
            }
        }
        if current.manager_id == manager {
            return Ok(current);
        }
        let mut viewers = visibility::viewers_of(&txn, &[employee_id]).await?;
        hierarchy::move_subtree(&txn, employee_id, manager).await?;
        viewers.extend(visibility::viewers_of(&txn, &[employee_id]).await?);
        let mut row: employee::ActiveModel = current.clone().into();
        row.manager_id = Set(manager);
        row.version = Set(current.version + 1);
        row.updated_at = Set(Utc::now());
        let row = row.update(&txn).await?;
        let visibility = Visibility::of(viewers);
        let event = EmployeeMoved {
            employee_id: employee_id.to_string(),
            old_manager_id: current.manager_id.map(|m| m.to_string()),
            new_manager_id: manager.map(|m| m.to_string()),
            subtree_size: hierarchy::subtree_size(&txn, employee_id).await?,
            visibility: visibility.clone(),
        };
        append(&txn, &event).await?;
        self.commit(txn, &visibility).await?;
        Ok(row)
    }

    pub async fn create_group(&self, name: &str, members: &[i64]) -> Result<group::Model, ClientError> {
        let name = text::required(name, "name", 200)?;
        let txn = self.begin().await?;
        if group::Entity::find().filter(group::Column::Name.eq(&name)).one(&txn).await?.is_some() {
            return Err(ClientError::new(codes::CONFLICT, format!("a group named {name:?} exists")));
        }
        let row = group::ActiveModel { id: NotSet, name: Set(name), created_at: Set(Utc::now()) }.insert(&txn).await?;
        append(
            &txn,
            &GroupChanged {
                group_id: row.id.to_string(),
                name: row.name.clone(),
                change: GroupChange::Created,
                members: Vec::new(),
                visibility: Visibility::none(),
            },
        )
        .await?;
        self.commit(txn, &Visibility::none()).await?;
        if !members.is_empty() {
            self.change_members(row.id, members, true).await?;
        }
        Ok(row)
    }

    pub async fn delete_group(&self, group_id: i64) -> Result<(), ClientError> {
        let txn = self.begin().await?;
        let row = load_group(&txn, group_id, "id").await?;
        let members: Vec<i64> = member::Entity::find()
            .filter(member::Column::GroupId.eq(group_id))
            .all(&txn)
            .await?
            .iter()
            .map(|m| m.employee_id)
            .collect();
        let mut viewers = visibility::viewers_of_group(&txn, group_id).await?;
        viewers.extend(&members);
        grant::Entity::delete_many()
            .filter(grant::Column::GranteeGroupId.eq(group_id).or(grant::Column::TargetGroupId.eq(group_id)))
            .exec(&txn)
            .await?;
        member::Entity::delete_many().filter(member::Column::GroupId.eq(group_id)).exec(&txn).await?;
        group::Entity::delete_by_id(group_id).exec(&txn).await?;
        let visibility = Visibility::of(viewers);
        let event = GroupChanged {
            group_id: group_id.to_string(),
            name: row.name,
            change: GroupChange::Deleted,
            members: members.iter().map(i64::to_string).collect(),
            visibility: visibility.clone(),
        };
        append(&txn, &event).await?;
        self.commit(txn, &visibility).await
    }

    /// Adds (`add`) or removes members; returns the group.
    pub async fn change_members(
        &self,
        group_id: i64,
        employees: &[i64],
        add: bool,
    ) -> Result<group::Model, ClientError> {
        if employees.len() > 10_000 {
            return Err(ClientError::bad_input("employeeIds", "at most 10,000 employees per call"));
        }
        let txn = self.begin().await?;
        let row = load_group(&txn, group_id, "groupId").await?;
        let existing: Vec<i64> = member::Entity::find()
            .filter(member::Column::GroupId.eq(group_id))
            .filter(member::Column::EmployeeId.is_in(employees.to_vec()))
            .all(&txn)
            .await?
            .iter()
            .map(|m| m.employee_id)
            .collect();
        let mut changed = Vec::new();
        for e in employees {
            if existing.contains(e) != add && !changed.contains(e) {
                changed.push(*e);
            }
        }
        if add {
            for e in &changed {
                load_employee(&txn, *e, "employeeIds").await?;
                member::ActiveModel { group_id: Set(group_id), employee_id: Set(*e) }.insert(&txn).await?;
            }
        } else if !changed.is_empty() {
            member::Entity::delete_many()
                .filter(member::Column::GroupId.eq(group_id))
                .filter(member::Column::EmployeeId.is_in(changed.clone()))
                .exec(&txn)
                .await?;
        }
        if changed.is_empty() {
            return Ok(row);
        }
        let mut viewers = visibility::viewers_of_group(&txn, group_id).await?;
        viewers.extend(&changed);
        let visibility = Visibility::of(viewers);
        let event = GroupChanged {
            group_id: group_id.to_string(),
            name: row.name.clone(),
            change: if add { GroupChange::MembersAdded } else { GroupChange::MembersRemoved },
            members: changed.iter().map(i64::to_string).collect(),
            visibility: visibility.clone(),
        };
        append(&txn, &event).await?;
        self.commit(txn, &visibility).await?;
        Ok(row)
    }

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

/// Revokes every live refresh token of `employee`.
pub(crate) async fn revoke_refresh_tokens(txn: &DatabaseTransaction, employee: i64) -> Result<(), ClientError> {
    refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::RevokedAt, sea_orm::sea_query::Expr::value(Utc::now()))
        .filter(refresh_token::Column::EmployeeId.eq(employee))
        .filter(refresh_token::Column::RevokedAt.is_null())
        .exec(txn)
        .await?;
    Ok(())
}
