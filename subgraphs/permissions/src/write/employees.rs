//! Creating, changing, deleting and moving employees.

use braid_access::events::{
    EmployeeCreated, EmployeeDeleted, EmployeeMoved, EmployeeSnapshot, EmployeeUpdated, Visibility,
};
use braid_kit::ClientError;
use braid_kit::error::Code;
use braid_kit::text;
use chrono::Utc;
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::sea_query::ExprTrait;
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter};

use super::{Writer, append, id, load_employee, revoke_refresh_tokens};
use crate::entity::{credential, employee, grant, member, refresh_token};
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

async fn email_taken(txn: &DatabaseTransaction, email: &str, except: Option<i64>) -> Result<(), ClientError> {
    let found = employee::Entity::find().filter(employee::Column::Email.eq(email)).one(txn).await?;
    match found {
        Some(e) if Some(e.id) != except => Err(ClientError::new(Code::Conflict, format!("{email} is already taken"))),
        _ => Ok(()),
    }
}

impl Writer {
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
            return Err(ClientError::new(Code::Conflict, "this employee has reports: move them first"));
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
}
