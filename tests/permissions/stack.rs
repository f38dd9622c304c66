//! A permissions database with its writer and a cached lookup, on the real services.

use std::sync::Arc;
use std::time::Duration;

use braid_access::Lookup;
use braid_access::cache::AccessCache;
use braid_access::invalidate::Invalidator;
use braid_kit::cache::{Cache, RedisCache};
use braid_kit::events::OutboxSignal;
use braid_migrations::MigratorTrait;
use braid_permissions::visibility::SqlSource;
use braid_permissions::write::Writer;
use braid_testkit::db::TestDb;
use braid_testkit::redis_prefix::{self, RedisPrefix};
use sea_orm::DatabaseConnection;

pub struct Stack {
    pub db: DatabaseConnection,
    pub writer: Writer,
    pub lookup: Lookup,
    pub invalidator: Arc<Invalidator>,
    _test_db: TestDb,
    _redis: RedisPrefix,
}

impl Stack {
    /// `sync_invalidation`: the writer voids cached answers right after each commit (as the
    /// service does); without it only the event consumer would.
    pub async fn new(sync_invalidation: bool) -> Self {
        let test_db = TestDb::create().await;
        let redis = RedisPrefix::new();
        let config = braid_kit::config::DatabaseConfig {
            url: test_db.url.clone(),
            max_connections: 8,
            migrate: true,
            ..Default::default()
        };
        let db = braid_kit::db::connect(&config).await.expect("database");
        braid_migrations::permissions::Migrator::up(&db, None).await.expect("migrations");
        let redis_cache: Arc<dyn Cache> =
            Arc::new(RedisCache::connect(&redis_prefix::url(), &redis.prefix).await.expect("redis"));
        let cache = AccessCache::new(redis_cache, Duration::from_secs(300));
        let invalidator = Arc::new(Invalidator {
            service: "permissions",
            cache: cache.clone(),
            token_lifetime: Duration::from_secs(930),
        });
        let writer = Writer {
            db: db.clone(),
            outbox: OutboxSignal::default(),
            invalidator: sync_invalidation.then(|| invalidator.clone()),
        };
        let lookup = Lookup::new(Arc::new(SqlSource(db.clone())), Some(cache.clone()));
        Self { db, writer, lookup, invalidator, _test_db: test_db, _redis: redis }
    }
}
