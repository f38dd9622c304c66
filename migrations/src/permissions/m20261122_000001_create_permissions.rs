use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Employees {
    Table,
    Id,
    Email,
    Name,
    Title,
    Department,
    ManagerId,
    Scopes,
    Version,
    CreatedAt,
    UpdatedAt,
}

/// One row per (ancestor, descendant) pair, including each employee with itself at depth 0.
#[derive(DeriveIden)]
enum OrgClosure {
    Table,
    AncestorId,
    DescendantId,
    Depth,
}

#[derive(DeriveIden)]
enum Groups {
    Table,
    Id,
    Name,
    CreatedAt,
}

#[derive(DeriveIden)]
enum GroupMembers {
    Table,
    GroupId,
    EmployeeId,
}

/// Exactly one grantee column and one target column is set (checked by the writer).
#[derive(DeriveIden)]
enum Grants {
    Table,
    Id,
    GranteeEmployeeId,
    GranteeGroupId,
    TargetEmployeeId,
    TargetGroupId,
    IncludeReports,
    ExpiresAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Credentials {
    Table,
    EmployeeId,
    PasswordHash,
    FailedAttempts,
    LockedUntil,
}

#[derive(DeriveIden)]
enum RefreshTokens {
    Table,
    TokenHash,
    EmployeeId,
    Family,
    ExpiresAt,
    UsedAt,
    RevokedAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum SigningKeys {
    Table,
    Kid,
    PrivatePem,
    PublicJwk,
    CreatedAt,
    RetiredAt,
}

fn employee_fk(table: impl IntoIden, col: impl IntoIden, name: &str) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from(table, col)
        .to(Employees::Table, Employees::Id)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

fn index(name: &str, table: impl IntoIden, cols: &[&'static str]) -> IndexCreateStatement {
    let mut index = Index::create();
    index.name(name).table(table).if_not_exists();
    for col in cols {
        index.col(Alias::new(*col));
    }
    index.to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Employees::Table)
                    .if_not_exists()
                    .col(ColumnDef::new(Employees::Id).big_integer().not_null().auto_increment().primary_key())
                    .col(ColumnDef::new(Employees::Email).string_len(254).not_null().unique_key())
                    .col(ColumnDef::new(Employees::Name).string_len(200).not_null())
                    .col(ColumnDef::new(Employees::Title).string_len(200).not_null())
                    .col(ColumnDef::new(Employees::Department).string_len(100).not_null())
                    .col(ColumnDef::new(Employees::ManagerId).big_integer().null())
                    .col(ColumnDef::new(Employees::Scopes).string_len(1000).not_null())
                    .col(ColumnDef::new(Employees::Version).big_integer().not_null())
                    .col(ColumnDef::new(Employees::CreatedAt).timestamp_with_time_zone().not_null())
                    .col(ColumnDef::new(Employees::UpdatedAt).timestamp_with_time_zone().not_null())
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("employees_manager", Employees::Table, &["manager_id", "id"])).await?;
        manager.create_index(index("employees_name", Employees::Table, &["name", "id"])).await?;
        manager
            .create_table(
                Table::create()
                    .table(OrgClosure::Table)
                    .if_not_exists()
                    .col(ColumnDef::new(OrgClosure::AncestorId).big_integer().not_null())
                    .col(ColumnDef::new(OrgClosure::DescendantId).big_integer().not_null())
                    .col(ColumnDef::new(OrgClosure::Depth).integer().not_null())
                    .primary_key(Index::create().col(OrgClosure::AncestorId).col(OrgClosure::DescendantId))
                    .foreign_key(&mut employee_fk(OrgClosure::Table, OrgClosure::AncestorId, "closure_ancestor"))
                    .foreign_key(&mut employee_fk(OrgClosure::Table, OrgClosure::DescendantId, "closure_descendant"))
                    .to_owned(),
            )
            .await?;
        // Ancestor chains ("who is above me") read this one.
        manager
            .create_index(index("closure_up", OrgClosure::Table, &["descendant_id", "ancestor_id", "depth"]))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Groups::Table)
                    .if_not_exists()
                    .col(ColumnDef::new(Groups::Id).big_integer().not_null().auto_increment().primary_key())
                    .col(ColumnDef::new(Groups::Name).string_len(200).not_null().unique_key())
                    .col(ColumnDef::new(Groups::CreatedAt).timestamp_with_time_zone().not_null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(GroupMembers::Table)
                    .if_not_exists()
                    .col(ColumnDef::new(GroupMembers::GroupId).big_integer().not_null())
                    .col(ColumnDef::new(GroupMembers::EmployeeId).big_integer().not_null())
                    .primary_key(Index::create().col(GroupMembers::GroupId).col(GroupMembers::EmployeeId))
                    .foreign_key(
                        ForeignKey::create()
                            .name("members_group")
                            .from(GroupMembers::Table, GroupMembers::GroupId)
                            .to(Groups::Table, Groups::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(&mut employee_fk(GroupMembers::Table, GroupMembers::EmployeeId, "members_employee"))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("members_by_employee", GroupMembers::Table, &["employee_id", "group_id"])).await?;
        manager
            .create_table(
                Table::create()
                    .table(Grants::Table)
                    .if_not_exists()
                    .col(ColumnDef::new(Grants::Id).big_integer().not_null().auto_increment().primary_key())
                    .col(ColumnDef::new(Grants::GranteeEmployeeId).big_integer().null())
                    .col(ColumnDef::new(Grants::GranteeGroupId).big_integer().null())
                    .col(ColumnDef::new(Grants::TargetEmployeeId).big_integer().null())
                    .col(ColumnDef::new(Grants::TargetGroupId).big_integer().null())
                    .col(ColumnDef::new(Grants::IncludeReports).boolean().not_null())
                    .col(ColumnDef::new(Grants::ExpiresAt).timestamp_with_time_zone().null())
                    .col(ColumnDef::new(Grants::CreatedAt).timestamp_with_time_zone().not_null())
                    .to_owned(),
            )
            .await?;
        for (name, col) in [
            ("grants_grantee_employee", "grantee_employee_id"),
            ("grants_grantee_group", "grantee_group_id"),
            ("grants_target_employee", "target_employee_id"),
            ("grants_target_group", "target_group_id"),
        ] {
            manager.create_index(index(name, Grants::Table, &[col])).await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(Credentials::Table)
                    .if_not_exists()
                    .col(ColumnDef::new(Credentials::EmployeeId).big_integer().not_null().primary_key())
                    .col(ColumnDef::new(Credentials::PasswordHash).string_len(255).not_null())
                    .col(ColumnDef::new(Credentials::FailedAttempts).integer().not_null())
                    .col(ColumnDef::new(Credentials::LockedUntil).timestamp_with_time_zone().null())
                    .foreign_key(&mut employee_fk(Credentials::Table, Credentials::EmployeeId, "credentials_employee"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(RefreshTokens::Table)
                    .if_not_exists()
                    .col(ColumnDef::new(RefreshTokens::TokenHash).string_len(64).not_null().primary_key())
                    .col(ColumnDef::new(RefreshTokens::EmployeeId).big_integer().not_null())
                    .col(ColumnDef::new(RefreshTokens::Family).string_len(36).not_null())
                    .col(ColumnDef::new(RefreshTokens::ExpiresAt).timestamp_with_time_zone().not_null())
                    .col(ColumnDef::new(RefreshTokens::UsedAt).timestamp_with_time_zone().null())
                    .col(ColumnDef::new(RefreshTokens::RevokedAt).timestamp_with_time_zone().null())
                    .col(ColumnDef::new(RefreshTokens::CreatedAt).timestamp_with_time_zone().not_null())
                    .foreign_key(&mut employee_fk(RefreshTokens::Table, RefreshTokens::EmployeeId, "refresh_employee"))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("refresh_family", RefreshTokens::Table, &["family"])).await?;
        manager
            .create_table(
                Table::create()
                    .table(SigningKeys::Table)
                    .if_not_exists()
                    .col(ColumnDef::new(SigningKeys::Kid).string_len(64).not_null().primary_key())
                    .col(ColumnDef::new(SigningKeys::PrivatePem).text().not_null())
                    .col(ColumnDef::new(SigningKeys::PublicJwk).text().not_null())
                    .col(ColumnDef::new(SigningKeys::CreatedAt).timestamp_with_time_zone().not_null())
                    .col(ColumnDef::new(SigningKeys::RetiredAt).timestamp_with_time_zone().null())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            SigningKeys::Table.into_iden(),
            RefreshTokens::Table.into_iden(),
            Credentials::Table.into_iden(),
            Grants::Table.into_iden(),
            GroupMembers::Table.into_iden(),
            Groups::Table.into_iden(),
            OrgClosure::Table.into_iden(),
            Employees::Table.into_iden(),
        ] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}
