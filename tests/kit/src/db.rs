//! A PostgreSQL database per test, dropped with its guard.

use sea_orm::{ConnectionTrait, Database};

/// Where the machine's PostgreSQL is (trust auth).
pub fn server_url() -> String {
    std::env::var("BRAID_TEST_POSTGRES").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into())
}

/// A fresh, empty database.
pub struct TestDb {
    pub name: String,
    pub url: String,
}

impl TestDb {
    pub async fn create() -> Self {
        let name = crate::unique("braid_t_");
        let admin = Database::connect(format!("{}/postgres", server_url())).await.expect("PostgreSQL is reachable");
        admin.execute_unprepared(&format!("CREATE DATABASE {name}")).await.expect("create test database");
        admin.close().await.ok();
        Self { url: format!("{}/{name}", server_url()), name }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let name = self.name.clone();
        // Drop runs inside a runtime; the cleanup needs its own.
        let cleanup = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
            rt.block_on(async {
                if let Ok(admin) = Database::connect(format!("{}/postgres", server_url())).await {
                    let _ = admin.execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await;
                    let _ = admin.close().await;
                }
            });
        });
        let _ = cleanup.join();
    }
}
