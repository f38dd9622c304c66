//! sea-orm entities of the documents database.

pub mod document {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "documents")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub owner_id: i64,
        pub title: String,
        pub body: String,
        /// The tags as a JSON array (`document_tags` indexes them for filtering).
        pub tags: String,
        pub version: i64,
        pub created_by: i64,
        pub created_at: ChronoDateTimeUtc,
        pub updated_at: ChronoDateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}

    impl Model {
        pub fn tag_list(&self) -> Vec<String> {
            serde_json::from_str(&self.tags).unwrap_or_default()
        }
    }
}

pub mod tag {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "document_tags")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub document_id: i64,
        #[sea_orm(primary_key, auto_increment = false)]
        pub tag: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod share {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "document_shares")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub document_id: i64,
        pub employee_id: Option<i64>,
        pub group_id: Option<i64>,
        pub shared_by: i64,
        pub created_at: ChronoDateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod deletion {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "document_deletions")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub document_id: i64,
        pub owner_id: i64,
        pub title: String,
        pub version: i64,
        /// The employees it was shared with when deleted, as a JSON array of ids.
        pub shared_employees: String,
        /// The groups it was shared with when deleted, as a JSON array of ids.
        pub shared_groups: String,
        pub deleted_by: i64,
        pub deleted_at: ChronoDateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}

    impl Model {
        pub fn employees(&self) -> Vec<i64> {
            serde_json::from_str(&self.shared_employees).unwrap_or_default()
        }
        pub fn groups(&self) -> Vec<i64> {
            serde_json::from_str(&self.shared_groups).unwrap_or_default()
        }
    }
}
