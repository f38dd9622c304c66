//! people: organizations and their members. A member is identified by a nested key,
//! `@key(fields: "id organization { id }")`: member ids repeat across organizations.

use async_graphql::{EmptyMutation, EmptySubscription, Enum, ID, InputObject, Object, Schema};

use super::data::{MEMBERS, ORGANIZATIONS};
use crate::entities::Federated;

pub(crate) type PeopleSchema = Schema<Federated<Query>, EmptyMutation, EmptySubscription>;

pub(crate) fn schema() -> PeopleSchema {
    Schema::build(Federated(Query), EmptyMutation, EmptySubscription).enable_federation().finish()
}

fn organization(id: &str) -> Option<Organization> {
    ORGANIZATIONS.iter().position(|row| row.0 == id).map(Organization)
}

fn member(id: &str, organization: &str) -> Option<Member> {
    MEMBERS.iter().position(|row| row.0 == id && row.1 == organization).map(Member)
}

/// The `organization { id }` part of a member's key.
#[derive(InputObject)]
pub(crate) struct OrganizationKey {
    id: ID,
}

pub(crate) struct Query;

#[Object]
impl Query {
    async fn organizations(&self) -> Vec<Organization> {
        (0..ORGANIZATIONS.len()).map(Organization).collect()
    }

    /// Every member of every organization.
    async fn members(&self) -> Vec<Member> {
        (0..MEMBERS.len()).map(Member).collect()
    }

    async fn member(&self, id: ID, organization_id: ID) -> Option<Member> {
        member(&id, &organization_id)
    }

    #[graphql(entity)]
    async fn find_organization_by_id(&self, id: ID) -> Option<Organization> {
        organization(&id)
    }

    #[graphql(entity)]
    async fn find_member_by_id_and_organization(
        &self,
        #[graphql(key)] id: ID,
        #[graphql(key)] organization: OrganizationKey,
    ) -> Option<Member> {
        member(&id, &organization.id)
    }
}

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    Librarian,
    Reader,
}

pub(crate) struct Organization(usize);

#[Object]
impl Organization {
    async fn id(&self) -> ID {
        ID(ORGANIZATIONS[self.0].0.to_owned())
    }

    async fn name(&self) -> &str {
        ORGANIZATIONS[self.0].1
    }

    async fn members(&self) -> Vec<Member> {
        let id = ORGANIZATIONS[self.0].0;
        MEMBERS.iter().enumerate().filter(|(_, row)| row.1 == id).map(|(index, _)| Member(index)).collect()
    }
}

pub(crate) struct Member(usize);

#[Object]
impl Member {
    /// Unique within its organization only.
    async fn id(&self) -> ID {
        ID(MEMBERS[self.0].0.to_owned())
    }

    async fn organization(&self) -> Organization {
        let id = MEMBERS[self.0].1;
        Organization(ORGANIZATIONS.iter().position(|row| row.0 == id).unwrap_or_default())
    }

    async fn name(&self) -> &str {
        MEMBERS[self.0].2
    }

    async fn role(&self) -> Role {
        MEMBERS[self.0].3
    }
}
