//! A small statement builder for the queries sea-orm's query builder would make harder to
//! read (closure-table joins, unions): placeholders in the backend's style, values bound.

use sea_orm::{DbBackend, Statement, Value};

/// Text and values of one statement.
pub struct Sql {
    backend: DbBackend,
    text: String,
    values: Vec<Value>,
}

impl Sql {
    pub fn new(backend: DbBackend) -> Self {
        Self { backend, text: String::new(), values: Vec::new() }
    }

    pub fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    /// Appends a placeholder bound to `value`.
    pub fn bind(&mut self, value: impl Into<Value>) -> &mut Self {
        self.values.push(value.into());
        match self.backend {
            DbBackend::Postgres => {
                let n = self.values.len();
                self.text.push_str(&format!("${n}"));
            }
            _ => self.text.push('?'),
        }
        self
    }

    /// Appends `(p1, p2, ...)`; an empty list is `(NULL)`, which matches nothing.
    pub fn list(&mut self, ids: &[i64]) -> &mut Self {
        if ids.is_empty() {
            return self.push("(NULL)");
        }
        self.push("(");
        for (i, id) in ids.iter().enumerate() {
            if i > 0 {
                self.push(", ");
            }
            self.bind(*id);
        }
        self.push(")")
    }

    pub fn build(self) -> Statement {
        Statement::from_sql_and_values(self.backend, self.text, self.values)
    }
}

/// Reads the first column of every row as an id.
pub async fn ids<C: sea_orm::ConnectionTrait>(conn: &C, sql: Sql) -> Result<Vec<i64>, sea_orm::DbErr> {
    let rows = conn.query_all_raw(sql.build()).await?;
    rows.iter().map(|r| r.try_get_by_index::<i64>(0)).collect()
}
