//! accounts: the users.

use std::sync::Arc;

use async_graphql::{EmptyMutation, EmptySubscription, ID, Object, Schema};

use super::data::{DemoData, UserRow};
use crate::entities::Federated;

pub(crate) type AccountsSchema = Schema<Federated<Query>, EmptyMutation, EmptySubscription>;

pub(crate) fn schema(data: Arc<DemoData>) -> AccountsSchema {
    Schema::build(Federated(Query { data }), EmptyMutation, EmptySubscription).enable_federation().finish()
}

pub(crate) struct Query {
    data: Arc<DemoData>,
}

impl Query {
    fn user_at(&self, index: usize) -> User {
        User { data: self.data.clone(), index }
    }

    fn find(&self, id: &str) -> Option<User> {
        DemoData::index(id, self.data.users.len()).map(|index| self.user_at(index))
    }
}

#[Object]
impl Query {
    /// The signed-in user: always user 1.
    async fn me(&self) -> Option<User> {
        self.find("1")
    }

    /// Every user, by id.
    async fn users(&self) -> Vec<User> {
        (0..self.data.users.len()).map(|index| self.user_at(index)).collect()
    }

    async fn user(&self, id: ID) -> Option<User> {
        self.find(&id)
    }

    #[graphql(entity)]
    async fn find_user_by_id(&self, id: ID) -> Option<User> {
        self.find(&id)
    }
}

pub(crate) struct User {
    data: Arc<DemoData>,
    index: usize,
}

impl User {
    fn row(&self) -> &UserRow {
        &self.data.users[self.index]
    }
}

#[Object]
impl User {
    async fn id(&self) -> ID {
        ID(self.row().id.clone())
    }

    async fn name(&self) -> Option<&str> {
        Some(&self.row().name)
    }

    async fn username(&self) -> Option<&str> {
        Some(&self.row().username)
    }

    async fn birth_date(&self) -> Option<&str> {
        Some(&self.row().birth_date)
    }
}
