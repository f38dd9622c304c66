//! The permissions service's domain events (schemas in `schema/events/`). They live here,
//! with the lookup code, because every consumer of visibility decodes them.

use braid_kit::events::DomainEvent;
use serde::{Deserialize, Serialize};

/// Where permissions events come from (the CloudEvents `source`).
pub const SOURCE: &str = "/braid/permissions";
pub const EMPLOYEE_TOPIC: &str = "permissions.employee";
pub const GRANT_TOPIC: &str = "permissions.grant";
pub const GROUP_TOPIC: &str = "permissions.group";

/// Whose visible sets a change altered: computed by the writer inside the transaction, so
/// consumers invalidate exactly those viewers without reading the permissions database.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Visibility {
    /// Employee ids (empty when `everyone` is set).
    pub affected_viewers: Vec<String>,
    /// Too many to list: every viewer's cached answers are void.
    pub everyone: bool,
}

impl Visibility {
    /// Above this many viewers an event says `everyone` instead of listing them.
    pub const MAX_LISTED: usize = 20_000;

    pub fn of(mut viewers: Vec<i64>) -> Self {
        viewers.sort_unstable();
        viewers.dedup();
        if viewers.len() > Self::MAX_LISTED {
            return Self { affected_viewers: Vec::new(), everyone: true };
        }
        Self { affected_viewers: viewers.iter().map(i64::to_string).collect(), everyone: false }
    }

    pub fn none() -> Self {
        Self::default()
    }

    /// The listed viewers as ids (unparseable entries are skipped: ids are always numbers).
    pub fn viewer_ids(&self) -> Vec<i64> {
        self.affected_viewers.iter().filter_map(|v| v.parse().ok()).collect()
    }
}

/// An employee as events carry it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EmployeeSnapshot {
    pub id: String,
    pub email: String,
    pub name: String,
    pub title: String,
    pub department: String,
    pub manager_id: Option<String>,
    pub scopes: Vec<String>,
    pub version: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EmployeeCreated {
    pub employee: EmployeeSnapshot,
    pub visibility: Visibility,
}

impl DomainEvent for EmployeeCreated {
    const TYPE: &'static str = "permissions.employee.created.v1";
    fn subject(&self) -> String {
        self.employee.id.clone()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EmployeeUpdated {
    pub employee: EmployeeSnapshot,
    /// The GraphQL field names that changed.
    pub changed: Vec<String>,
}

impl DomainEvent for EmployeeUpdated {
    const TYPE: &'static str = "permissions.employee.updated.v1";
    fn subject(&self) -> String {
        self.employee.id.clone()
    }
}

/// The employee is gone: their tokens must stop working and their refresh tokens are revoked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EmployeeDeleted {
    pub employee_id: String,
    pub visibility: Visibility,
}

impl DomainEvent for EmployeeDeleted {
    const TYPE: &'static str = "permissions.employee.deleted.v1";
    fn subject(&self) -> String {
        self.employee_id.clone()
    }
}

/// An employee and their whole subtree now report to a new manager.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EmployeeMoved {
    pub employee_id: String,
    pub old_manager_id: Option<String>,
    pub new_manager_id: Option<String>,
    /// Employees moved with them, themselves included.
    pub subtree_size: u64,
    pub visibility: Visibility,
}

impl DomainEvent for EmployeeMoved {
    const TYPE: &'static str = "permissions.employee.moved.v1";
    fn subject(&self) -> String {
        self.employee_id.clone()
    }
}

/// A grant as events carry it: exactly one grantee and one target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GrantSnapshot {
    pub id: String,
    pub grantee_employee_id: Option<String>,
    pub grantee_group_id: Option<String>,
    pub target_employee_id: Option<String>,
    pub target_group_id: Option<String>,
    pub include_reports: bool,
    pub expires_at: Option<chrono::DateTime<chrono::Utc>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum GrantChange {
    Created,
    Revoked,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GrantChanged {
    pub change: GrantChange,
    pub grant: GrantSnapshot,
    pub visibility: Visibility,
}

impl DomainEvent for GrantChanged {
    const TYPE: &'static str = "permissions.grant.changed.v1";
    fn subject(&self) -> String {
        self.grant.id.clone()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum GroupChange {
    Created,
    Deleted,
    MembersAdded,
    MembersRemoved,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupChanged {
    pub group_id: String,
    pub name: String,
    pub change: GroupChange,
    /// The members added or removed (empty for created and deleted).
    pub members: Vec<String>,
    pub visibility: Visibility,
}

impl DomainEvent for GroupChanged {
    const TYPE: &'static str = "permissions.group.changed.v1";
    fn subject(&self) -> String {
        self.group_id.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn visibility_lists_each_viewer_once_up_to_its_limit_then_says_everyone() {
        let listed = Visibility::of(vec![5, 3, 5, 10]);
        assert_eq!(listed, Visibility { affected_viewers: vec!["3".into(), "5".into(), "10".into()], everyone: false });
        assert_eq!(listed.viewer_ids(), [3, 5, 10]);
        let most = Visibility::of((1..=Visibility::MAX_LISTED as i64).chain([1, 2]).collect());
        assert_eq!((most.affected_viewers.len(), most.everyone), (Visibility::MAX_LISTED, false));
        let too_many = Visibility::of((0..=Visibility::MAX_LISTED as i64).collect());
        assert_eq!(too_many, Visibility { affected_viewers: vec![], everyone: true });
        assert_eq!(Visibility::none(), Visibility::default());
        let odd = Visibility { affected_viewers: vec!["7".into(), "x".into()], everyone: false };
        assert_eq!(odd.viewer_ids(), [7], "what is not an id is skipped");
    }

    #[test]
    fn every_event_is_keyed_by_what_it_is_about() {
        let employee = EmployeeSnapshot {
            id: "11".into(),
            email: "a@b.c".into(),
            name: "A".into(),
            title: "T".into(),
            department: "D".into(),
            manager_id: None,
            scopes: vec![],
            version: 1,
        };
        let visibility = Visibility::none();
        assert_eq!(EmployeeCreated { employee: employee.clone(), visibility: visibility.clone() }.subject(), "11");
        assert_eq!(EmployeeUpdated { employee, changed: vec![] }.subject(), "11");
        assert_eq!(EmployeeDeleted { employee_id: "12".into(), visibility: visibility.clone() }.subject(), "12");
        let moved = EmployeeMoved {
            employee_id: "13".into(),
            old_manager_id: None,
            new_manager_id: None,
            subtree_size: 1,
            visibility: visibility.clone(),
        };
        assert_eq!(moved.subject(), "13");
        let grant = GrantSnapshot {
            id: "14".into(),
            grantee_employee_id: None,
            grantee_group_id: None,
            target_employee_id: None,
            target_group_id: None,
            include_reports: false,
            expires_at: None,
        };
        let changed = GrantChanged { change: GrantChange::Created, grant, visibility: visibility.clone() };
        assert_eq!(changed.subject(), "14");
        let group = GroupChanged {
            group_id: "15".into(),
            name: "g".into(),
            change: GroupChange::Created,
            members: vec![],
            visibility,
        };
        assert_eq!(group.subject(), "15");
    }
}
