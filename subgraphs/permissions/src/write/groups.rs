//! Creating and deleting groups, and changing their members.

use braid_access::events::{GroupChange, GroupChanged, Visibility};
use braid_kit::ClientError;
use braid_kit::error::Code;
use braid_kit::text;
use chrono::Utc;
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::sea_query::ExprTrait;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter};

use super::{Writer, append, load_employee, load_group};
use crate::entity::{grant, group, member};
use crate::visibility;

impl Writer {
    pub async fn create_group(&self, name: &str, members: &[i64]) -> Result<group::Model, ClientError> {
        let name = text::required(name, "name", 200)?;
        let txn = self.begin().await?;
        if group::Entity::find().filter(group::Column::Name.eq(&name)).one(&txn).await?.is_some() {
            return Err(ClientError::new(Code::Conflict, format!("a group named {name:?} exists")));
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
}
