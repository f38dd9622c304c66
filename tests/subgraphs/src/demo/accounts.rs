//! accounts: the users.

use std::sync::Arc;

use async_graphql::{Context, EmptyMutation, EmptySubscription, ID, Object, Schema};

use super::data::{DemoData, UserRow};
use crate::entities::Federated;
use crate::http::Viewer;

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
    /// The signed-in user: the one the `x-user` header names, else user 1.
    // `x-user` stands in for a token's subject; private, so a gateway's entity cache keeps it
    // per viewer.
    #[graphql(cache_control(private, max_age = 60))]
    async fn me(&self, ctx: &Context<'_>) -> Option<User> {
        self.find(ctx.data_opt::<Viewer>().map_or("1", |v| v.0.as_str()))
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

#[Object(cache_control(max_age = 60))]
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
