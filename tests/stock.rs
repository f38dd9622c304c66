//! The catalog as the order saga's stock participant, on PostgreSQL: reserve, release, commit
//! and restock through the `catalog.stock` consumer (inbox included), idempotent redelivery and
//! retries, the release-before-reserve tombstone, the expiry, and concurrent orders racing for
//! the last units. Every reply and every command is checked against its JSON Schema.

mod support;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::time::Duration;

use braid_catalog::entity::{inventory, product};
use braid_catalog::stock::{COMMAND_TOPIC, StockHandler};
use braid_kit::config::{CacheBackend, DatabaseConfig, EventsConfig};
use braid_kit::contracts::Line;
use braid_kit::contracts::stock::{
    CommitStock, ReleaseStock, ReserveStock, RestockOrder, StockCommitted, StockRejected, StockRejection,
    StockReleased, StockReserved, StockRestocked,
};
use braid_kit::events::consumer::Outcome;
use braid_kit::events::memory::MemoryBus;
use braid_kit::events::schema::EventSchemas;
use braid_kit::events::{Consumer, Delivery, DomainEvent, Envelope, OutboxSignal};
use braid_migrations::MigratorTrait;
use braid_testkit::db::TestDb;
use braid_testkit::eventually;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sea_orm::ActiveValue::Set;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, Statement};

const ORCHESTRATOR: &str = "/braid/orders";
const INVENTORY_UPDATED: &str = "catalog.product.inventory-updated.v1";

/// A migrated catalog database with the stock consumer, driven one delivery at a time.
struct Stock {
    db: DatabaseConnection,
    consumer: Arc<Consumer>,
    schemas: Arc<EventSchemas>,
    offset: AtomicI64,
    database: TestDb,
}

/// A product's figures as the database has them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Figures {
    on_hand: i64,
    reserved: i64,
    available: i64,
    version: i64,
}

impl Stock {
    async fn new() -> Self {
        let guard = TestDb::create().await;
        let config =
            DatabaseConfig { url: guard.url.clone(), max_connections: 24, migrate: true, ..Default::default() };
        let db = braid_kit::db::connect(&config).await.expect("database connects");
        braid_migrations::catalog::Migrator::up(&db, None).await.expect("migrations");
        braid_catalog::seed::seed(&db, 0).await.expect("categories");
        let events = EventsConfig { max_attempts: 8, retry_backoff_ms: 5, ..EventsConfig::default() };
        let bus = Arc::new(MemoryBus::new());
        let consumer = Arc::new(Consumer::new(
            db.clone(),
            bus,
            Arc::new(StockHandler { outbox: OutboxSignal::default() }),
            &events,
        ));
        Self { db, consumer, schemas: support::event_schemas(), offset: AtomicI64::new(0), database: guard }
    }

    /// A product with `on_hand` units, none reserved, at version 1.
    async fn product(&self, sku: &str, on_hand: i64, low_stock_threshold: i64) -> String {
        self.product_with_id(&braid_testkit::unique("product-"), sku, on_hand, low_stock_threshold).await
    }

    async fn product_with_id(&self, id: &str, sku: &str, on_hand: i64, low_stock_threshold: i64) -> String {
        insert_product(&self.db, id, sku, on_hand, low_stock_threshold).await
    }

    /// Wraps a command as the orchestrator sends it; the command itself must match its schema.
    fn command<E: DomainEvent>(&self, event: &E) -> Envelope {
        let envelope = Envelope::new(ORCHESTRATOR, event);
        self.schemas.validate(&envelope).unwrap_or_else(|e| panic!("{} violates its schema: {e:?}", E::TYPE));
        envelope
    }

    /// Hands `envelope` to the consumer as the broker would.
    async fn deliver(&self, envelope: &Envelope) -> Outcome {
        let delivery = Delivery {
            topic: COMMAND_TOPIC.into(),
            partition: 0,
            offset: self.offset.fetch_add(1, Ordering::SeqCst),
            key: Some(envelope.subject.clone()),
            payload: envelope.to_bytes(),
            headers: Vec::new(),
        };
        self.consumer.process(&delivery).await
    }

    /// Delivers a fresh envelope of `event`, expecting it to be applied.
    async fn send<E: DomainEvent>(&self, event: &E) -> Envelope {
        let envelope = self.command(event);
        assert_eq!(self.deliver(&envelope).await, Outcome::Applied, "{} applied", E::TYPE);
        envelope
    }

    /// Outbox rows of `event_type` with key `key`, oldest first, each checked against its schema.
    async fn events(&self, event_type: &str, key: &str) -> Vec<Envelope> {
        let rows = self
            .db
            .query_all_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT payload FROM outbox WHERE event_type = $1 AND event_key = $2 ORDER BY id",
                [event_type.into(), key.into()],
            ))
            .await
            .unwrap();
        rows.iter()
            .map(|r| {
                let e = Envelope::from_bytes(r.try_get::<String>("", "payload").unwrap().as_bytes()).unwrap();
                self.schemas
                    .validate(&e)
                    .unwrap_or_else(|errors| panic!("{} violates its schema: {errors:?}", e.event_type));
                e
            })
            .collect()
    }

    /// Every reply to `order`, oldest first, schema-checked.
    async fn replies(&self, order: &str) -> Vec<Envelope> {
        let rows = self
            .db
            .query_all_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT event_type FROM outbox WHERE topic = 'catalog.reservation' AND event_key = $1 ORDER BY id",
                [order.into()],
            ))
            .await
            .unwrap();
        let mut replies = Vec::new();
        for t in rows.iter().map(|r| r.try_get::<String>("", "event_type").unwrap()) {
            if replies.iter().any(|e: &Envelope| e.event_type == t) {
                continue;
            }
            replies.extend(self.events(&t, order).await);
        }
        replies.sort_by(|a, b| a.id.cmp(&b.id));
        replies
    }

    /// The last reply to `order`, as `E`.
    async fn last_reply<E: DomainEvent>(&self, order: &str) -> E {
        let replies = self.replies(order).await;
        let last = replies.last().unwrap_or_else(|| panic!("no reply to {order}"));
        last.decode::<E>()
            .unwrap_or_else(|| panic!("the last reply to {order} is {}, not {}", last.event_type, E::TYPE))
            .unwrap()
    }

    async fn figures(&self, product_id: &str) -> Figures {
        let p = braid_catalog::record::by_ids(&self.db, &[product_id.to_string()]).await.unwrap().pop().unwrap();
        let i = &p.inventory;
        Figures { on_hand: i.on_hand, reserved: i.reserved, available: i.available(), version: p.version }
    }

    async fn count(&self, sql: &str) -> i64 {
        let row = self.db.query_one_raw(Statement::from_string(DbBackend::Postgres, sql)).await.unwrap().unwrap();
        row.try_get_by_index::<i64>(0).unwrap()
    }

    async fn outbox_size(&self) -> i64 {
        self.count("SELECT count(*) FROM outbox").await
    }

    /// Delivers `envelope` again (a redelivery) and the same command under a new event id (a
    /// retry): neither changes anything, and the retry gets the same answer as `envelope` did.
    async fn redeliver_and_retry<E: DomainEvent + Clone>(&self, envelope: &Envelope, products: &[&str]) {
        let order = envelope.subject.clone();
        let before: Vec<Figures> = all_figures(self, products).await;
        let answer = self.replies(&order).await.pop().expect("an answer");
        let outbox = self.outbox_size().await;
        assert_eq!(self.deliver(envelope).await, Outcome::Duplicate, "redelivered {}", envelope.event_type);
        assert_eq!(self.outbox_size().await, outbox, "a redelivery appends nothing");
        let command: E = envelope.decode::<E>().unwrap().unwrap();
        self.send(&command).await;
        assert_eq!(self.outbox_size().await, outbox + 1, "a retried command appends its answer and nothing else");
        let again = self.replies(&order).await.pop().unwrap();
        assert_eq!(
            (&again.event_type, &again.data),
            (&answer.event_type, &answer.data),
            "a retry gets the same answer"
        );
        assert_eq!(all_figures(self, products).await, before, "a retry changes no stock");
    }
}

/// A product with `on_hand` units, none reserved, at version 1.
async fn insert_product(
    db: &DatabaseConnection,
    id: &str,
    sku: &str,
    on_hand: i64,
    low_stock_threshold: i64,
) -> String {
    let id = id.to_string();
    let now = chrono::Utc::now();
    let row = product::ActiveModel {
        id: Set(id.clone()),
        sku: Set(sku.into()),
        name: Set(format!("Product {sku}")),
        name_key: Set(format!("product {}", sku.to_lowercase())),
        description: Set(String::new()),
        price_cents: Set(1000),
        currency: Set("EUR".into()),
        category_id: Set(braid_catalog::seed::category_id("office")),
        attributes: Set("[]".into()),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
    };
    product::Entity::insert(row).exec_without_returning(db).await.unwrap();
    let stock = inventory::ActiveModel {
        product_id: Set(id.clone()),
        on_hand: Set(on_hand),
        reserved: Set(0),
        low_stock_threshold: Set(low_stock_threshold),
    };
    inventory::Entity::insert(stock).exec_without_returning(db).await.unwrap();
    id
}

async fn all_figures(stock: &Stock, products: &[&str]) -> Vec<Figures> {
    let mut all = Vec::new();
    for p in products {
        all.push(stock.figures(p).await);
    }
    all
}

fn line(product_id: &str, quantity: i64) -> Line {
    Line { product_id: product_id.into(), quantity }
}

fn reserve(order: &str, lines: Vec<Line>, expires_in_secs: u64) -> ReserveStock {
    ReserveStock { command_id: format!("{order}-reserve"), order_id: order.into(), lines, expires_in_secs }
}

fn release(order: &str) -> ReleaseStock {
    ReleaseStock { command_id: format!("{order}-release"), order_id: order.into() }
}

fn commit(order: &str) -> CommitStock {
    CommitStock { command_id: format!("{order}-commit"), order_id: order.into() }
}

fn restock(order: &str) -> RestockOrder {
    RestockOrder { command_id: format!("{order}-restock"), order_id: order.into() }
}

fn order_id() -> String {
    braid_testkit::unique("order-")
}

/// Figures with the version checked against `version`.
fn figures(on_hand: i64, reserved: i64, version: i64) -> Figures {
    Figures { on_hand, reserved, available: on_hand - reserved, version }
}

/// The last `InventoryUpdated` of `product` says what the database says.
async fn assert_announced(stock: &Stock, product: &str, count: usize, delta: i64, low_stock: bool) {
    let updates = stock.events(INVENTORY_UPDATED, product).await;
    assert_eq!(updates.len(), count, "InventoryUpdated events of {product}");
    let last = &updates[count - 1].data;
    let now = stock.figures(product).await;
    assert_eq!(last["onHand"], now.on_hand);
    assert_eq!(last["reserved"], now.reserved);
    assert_eq!(last["available"], now.available);
    assert_eq!(last["version"], now.version, "the event carries the product's new version");
    assert_eq!(last["delta"], delta);
    assert_eq!(last["lowStock"], low_stock);
}

#[tokio::test]
async fn reserve_commit_and_restock_move_stock_once() {
    let stock = Stock::new().await;
    let a = stock.product("RS-A", 10, 2).await;
    let b = stock.product("RS-B", 5, 3).await;
    let order = order_id();
    let mut sorted = [a.clone(), b.clone()];
    sorted.sort();

    // Lines out of order and repeated: held sorted, one per product.
    let sent = stock.send(&reserve(&order, vec![line(&b, 2), line(&a, 3), line(&a, 1)], 600)).await;
    let reserved: StockReserved = stock.last_reply(&order).await;
    let quantity = |p: &str| if p == a { 4 } else { 2 };
    assert_eq!(reserved.lines, sorted.iter().map(|p| line(p, quantity(p))).collect::<Vec<_>>());
    assert_eq!(reserved.command_id, format!("{order}-reserve"));
    let ttl = reserved.expires_at - chrono::Utc::now();
    assert!(ttl > chrono::TimeDelta::seconds(590) && ttl <= chrono::TimeDelta::seconds(600), "expires in {ttl}");
    assert_eq!(stock.figures(&a).await, figures(10, 4, 2));
    assert_eq!(stock.figures(&b).await, figures(5, 2, 2));
    assert_announced(&stock, &a, 1, 0, false).await;
    assert_announced(&stock, &b, 1, 0, true).await;
    stock.redeliver_and_retry::<ReserveStock>(&sent, &[&a, &b]).await;

    let sent = stock.send(&commit(&order)).await;
    let committed: StockCommitted = stock.last_reply(&order).await;
    assert_eq!(committed, StockCommitted { command_id: format!("{order}-commit"), order_id: order.clone() });
    assert_eq!(stock.figures(&a).await, figures(6, 0, 3));
    assert_eq!(stock.figures(&b).await, figures(3, 0, 3));
    assert_announced(&stock, &a, 2, -4, false).await;
    assert_announced(&stock, &b, 2, -2, true).await;
    stock.redeliver_and_retry::<CommitStock>(&sent, &[&a, &b]).await;
    // A reserve retried after the commit is answered as the first was, and holds nothing.
    stock.send(&reserve(&order, vec![line(&a, 4), line(&b, 2)], 600)).await;
    let again: StockReserved = stock.last_reply(&order).await;
    assert_eq!(again.expires_at, reserved.expires_at);
    assert_eq!(stock.figures(&a).await, figures(6, 0, 3));

    let sent = stock.send(&restock(&order)).await;
    let restocked: StockRestocked = stock.last_reply(&order).await;
    assert_eq!(restocked.command_id, format!("{order}-restock"));
    assert_eq!(stock.figures(&a).await, figures(10, 0, 4));
    assert_eq!(stock.figures(&b).await, figures(5, 0, 4));
    assert_announced(&stock, &a, 3, 4, false).await;
    assert_announced(&stock, &b, 3, 2, false).await;
    stock.redeliver_and_retry::<RestockOrder>(&sent, &[&a, &b]).await;

    // After the restock nothing is held, so neither a commit nor a reserve succeeds any more.
    stock.send(&commit(&order)).await;
    let late: StockRejected = stock.last_reply(&order).await;
    assert_eq!(late.reason, StockRejection::NotReserved);
    stock.send(&reserve(&order, vec![line(&a, 4), line(&b, 2)], 600)).await;
    let late: StockRejected = stock.last_reply(&order).await;
    assert_eq!(late.reason, StockRejection::NotReserved);
    assert_eq!(stock.figures(&a).await, figures(10, 0, 4));
    assert_eq!(stock.events(INVENTORY_UPDATED, &a).await.len(), 3);
}

#[tokio::test]
async fn release_gives_back_once_and_a_release_first_leaves_a_tombstone() {
    let stock = Stock::new().await;
    let a = stock.product("RL-A", 8, 1).await;
    let order = order_id();
    stock.send(&reserve(&order, vec![line(&a, 5)], 600)).await;
    assert_eq!(stock.figures(&a).await, figures(8, 5, 2));

    let sent = stock.send(&release(&order)).await;
    let released: StockReleased = stock.last_reply(&order).await;
    let expected = StockReleased {
        command_id: Some(format!("{order}-release")),
        order_id: order.clone(),
        released: true,
        expired: false,
    };
    assert_eq!(released, expected);
    assert_eq!(stock.figures(&a).await, figures(8, 0, 3));
    assert_announced(&stock, &a, 2, 0, false).await;
    // A redelivery changes nothing; a retry finds nothing held any more.
    assert_eq!(stock.deliver(&sent).await, Outcome::Duplicate);
    stock.send(&release(&order)).await;
    let again: StockReleased = stock.last_reply(&order).await;
    assert!(!again.released);
    assert_eq!(stock.figures(&a).await, figures(8, 0, 3));
    // Released is final: a commit or a retried reserve is refused.
    stock.send(&commit(&order)).await;
    assert_eq!(stock.last_reply::<StockRejected>(&order).await.reason, StockRejection::NotReserved);
    stock.send(&reserve(&order, vec![line(&a, 5)], 600)).await;
    assert_eq!(stock.last_reply::<StockRejected>(&order).await.reason, StockRejection::NotReserved);
    assert_eq!(stock.figures(&a).await, figures(8, 0, 3));

    // The compensation overtook the reserve: the reserve that arrives later holds nothing.
    let early = order_id();
    stock.send(&release(&early)).await;
    let tombstone: StockReleased = stock.last_reply(&early).await;
    assert_eq!((tombstone.released, tombstone.expired), (false, false));
    let late = stock.send(&reserve(&early, vec![line(&a, 1)], 600)).await;
    let refused: StockRejected = stock.last_reply(&early).await;
    assert_eq!((refused.reason, refused.command_id), (StockRejection::NotReserved, format!("{early}-reserve")));
    assert_eq!(stock.figures(&a).await, figures(8, 0, 3));
    stock.redeliver_and_retry::<ReserveStock>(&late, &[&a]).await;
    // Restock of something never committed: nothing to give back.
    stock.send(&restock(&early)).await;
    stock.last_reply::<StockRestocked>(&early).await;
    assert_eq!(stock.figures(&a).await, figures(8, 0, 3));
    assert_eq!(stock.events(INVENTORY_UPDATED, &a).await.len(), 2);
}

#[tokio::test]
async fn refused_reserves_hold_nothing_and_say_why() {
    let stock = Stock::new().await;
    // `low` sorts before `high`, so it is locked (and held) first.
    let base = braid_testkit::unique("product-");
    let low = stock.product_with_id(&format!("{base}-1"), "RF-1", 5, 0).await;
    let high = stock.product_with_id(&format!("{base}-2"), "RF-2", 2, 0).await;
    let order = order_id();

    // The first line (in lock order) fits, the second does not: the first is undone too.
    let sent = stock.send(&reserve(&order, vec![line(&high, 3), line(&low, 3)], 600)).await;
    let refused: StockRejected = stock.last_reply(&order).await;
    assert_eq!(refused.reason, StockRejection::OutOfStock);
    assert_eq!(refused.product_id.as_deref(), Some(high.as_str()));
    let untouched = [stock.figures(&low).await, stock.figures(&high).await];
    assert_eq!(untouched.map(|f| (f.reserved, f.version)), [(0, 1), (0, 1)]);
    assert!(stock.events(INVENTORY_UPDATED, &low).await.is_empty());
    stock.redeliver_and_retry::<ReserveStock>(&sent, &[&low, &high]).await;
    stock.send(&commit(&order)).await;
    assert_eq!(stock.last_reply::<StockRejected>(&order).await.reason, StockRejection::NotReserved);

    // A product that does not exist (its id sorts after the known one's, so the known line went first).
    let unknown = order_id();
    let sent = stock.send(&reserve(&unknown, vec![line(&low, 1), line("zz-no-such-product", 1)], 600)).await;
    let refused: StockRejected = stock.last_reply(&unknown).await;
    assert_eq!(refused.reason, StockRejection::UnknownProduct);
    assert_eq!(refused.product_id.as_deref(), Some("zz-no-such-product"));
    assert_eq!(stock.figures(&low).await, figures(5, 0, 1));
    stock.redeliver_and_retry::<ReserveStock>(&sent, &[&low]).await;

    // Exactly what is available can be held; one more cannot.
    let all = order_id();
    stock.send(&reserve(&all, vec![line(&low, 5)], 600)).await;
    stock.last_reply::<StockReserved>(&all).await;
    assert_eq!(stock.figures(&low).await, figures(5, 5, 2));
    assert_announced(&stock, &low, 1, 0, true).await;
    let one_more = order_id();
    stock.send(&reserve(&one_more, vec![line(&low, 1)], 600)).await;
    assert_eq!(stock.last_reply::<StockRejected>(&one_more).await.reason, StockRejection::OutOfStock);

    // Malformed commands go to the dead-letter topic and write nothing.
    let outbox = stock.outbox_size().await;
    let zero = stock.command(&reserve(&order_id(), vec![line(&low, 1)], 600));
    let mut broken = zero.clone();
    broken.data["lines"][0]["quantity"] = 0.into();
    assert_eq!(stock.deliver(&broken).await, Outcome::DeadLettered);
    let mut broken = zero.clone();
    broken.id = order_id();
    broken.data["lines"] = serde_json::json!([]);
    assert_eq!(stock.deliver(&broken).await, Outcome::DeadLettered);
    let mut broken = zero.clone();
    broken.id = order_id();
    broken.data = serde_json::json!({ "orderId": 7 });
    assert_eq!(stock.deliver(&broken).await, Outcome::DeadLettered);
    let mut foreign = zero;
    foreign.id = order_id();
    foreign.event_type = "stock.command.teleport.v1".into();
    assert_eq!(stock.deliver(&foreign).await, Outcome::DeadLettered);
    assert_eq!(stock.outbox_size().await, outbox);
    assert_eq!(stock.count("SELECT count(*) FROM reservations").await, 4);
    // The schemas have teeth: an unknown rejection reason is caught.
    let mut invalid = stock.replies(&one_more).await.pop().unwrap();
    invalid.data["reason"] = "SOLD_OUT".into();
    assert!(stock.schemas.validate(&invalid).is_err());
}

#[tokio::test]
async fn the_running_catalog_releases_expired_reservations_by_itself() {
    let stock = Stock::new().await;
    let a = stock.product("EX-A", 10, 0).await;
    // The catalog service as `braid subgraph catalog` wires it, on the same database.
    let mut config = braid_kit::SubgraphConfig::default();
    config.database.url = stock.database.url.clone();
    config.cache.backend = CacheBackend::None;
    let infra = braid_kit::Infra::connect(braid_catalog::NAME, config, None).await.expect("infra");
    let service = braid_catalog::service(infra).await.expect("catalog service");
    assert!(service.handlers.iter().any(|h| h.name() == StockHandler::NAME && h.topics() == [COMMAND_TOPIC]));
    assert_eq!(service.tasks.len(), 1, "the expiry runs beside the service");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let serving = tokio::spawn(service.serve(listener, async move {
        let _ = stopped.await;
    }));

    let short = order_id();
    let long = order_id();
    let committed = order_id();
    stock.send(&reserve(&short, vec![line(&a, 3)], 2)).await;
    stock.send(&reserve(&long, vec![line(&a, 2)], 600)).await;
    stock.send(&reserve(&committed, vec![line(&a, 1)], 2)).await;
    stock.send(&commit(&committed)).await;
    assert_eq!(stock.figures(&a).await, figures(9, 5, 5));

    let released: StockReleased =
        eventually("the expiry to release the short hold", Duration::from_secs(15), || async {
            let last = stock.replies(&short).await.pop()?;
            last.decode::<StockReleased>().map(Result::unwrap)
        })
        .await;
    assert_eq!(released, StockReleased { command_id: None, order_id: short.clone(), released: true, expired: true });
    assert_eq!(stock.figures(&a).await, figures(9, 2, 6));
    assert_announced(&stock, &a, 5, 0, false).await;
    // Too late to commit; the other holds are untouched.
    stock.send(&commit(&short)).await;
    assert_eq!(stock.last_reply::<StockRejected>(&short).await.reason, StockRejection::NotReserved);
    assert_eq!(stock.replies(&committed).await.len(), 2, "a committed reservation never expires");
    stock.last_reply::<StockReserved>(&long).await;

    // Shutdown waits for the expiry loop, which must stop on the token.
    stop.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(10), serving).await.expect("the service drains").unwrap().unwrap();
    assert_eq!(stock.figures(&a).await, figures(9, 2, 6));
}

#[tokio::test]
async fn concurrent_orders_for_the_last_units_never_oversell() {
    let stock = Arc::new(Stock::new().await);
    let hot = stock.product("HOT-1", 50, 5).await;
    let warm = stock.product("HOT-2", 20, 5).await;
    let seed: u64 = rand::random();
    println!("seed {seed}");
    let mut rng = StdRng::seed_from_u64(seed);
    let orders: Vec<(String, Vec<Line>)> = (0..40)
        .map(|_| {
            let mut lines = vec![line(&hot, rng.random_range(1..=3))];
            if rng.random_bool(0.5) {
                lines.push(line(&warm, rng.random_range(1..=2)));
            }
            if rng.random_bool(0.5) {
                lines.reverse();
            }
            (order_id(), lines)
        })
        .collect();

    // Something watches the figures the whole time: available never goes below zero.
    let done = Arc::new(AtomicBool::new(false));
    let watcher = {
        let (stock, done) = (stock.clone(), done.clone());
        tokio::spawn(async move {
            let mut looks = 0;
            while !done.load(Ordering::SeqCst) {
                let lowest = stock.count("SELECT min(on_hand - reserved) FROM inventory").await;
                assert!(lowest >= 0, "available stock went negative: {lowest}");
                looks += 1;
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
            looks
        })
    };
    // Every order at once, and the first eight twice more: retried under a new event id while
    // the first is still in flight.
    let mut tasks = Vec::new();
    for (i, (order, lines)) in orders.iter().enumerate() {
        for _ in 0..if i < 8 { 3 } else { 1 } {
            let envelope = stock.command(&reserve(order, lines.clone(), 600));
            let stock = stock.clone();
            tasks.push(tokio::spawn(async move { stock.deliver(&envelope).await }));
        }
    }
    for task in tasks {
        assert_eq!(task.await.unwrap(), Outcome::Applied);
    }
    done.store(true, Ordering::SeqCst);
    assert!(watcher.await.unwrap() > 0);

    // Every order answered, retries the same; the held lines add up to what is reserved.
    let mut held: HashMap<String, i64> = HashMap::new();
    let mut successes: HashMap<String, i64> = HashMap::new();
    let mut held_orders = Vec::new();
    let mut refused = 0;
    for (i, (order, lines)) in orders.iter().enumerate() {
        let replies = stock.replies(order).await;
        assert_eq!(replies.len(), if i < 8 { 3 } else { 1 }, "one answer per command of {order}");
        assert!(replies.iter().all(|r| (&r.event_type, &r.data) == (&replies[0].event_type, &replies[0].data)));
        if let Some(reserved) = replies[0].decode::<StockReserved>() {
            for l in reserved.unwrap().lines {
                *held.entry(l.product_id.clone()).or_default() += l.quantity;
                *successes.entry(l.product_id).or_default() += 1;
            }
            held_orders.push(order.clone());
        } else {
            let rejected: StockRejected = replies[0].decode().unwrap().unwrap();
            assert_eq!(rejected.reason, StockRejection::OutOfStock);
            // Stock only went down during the race: what refused the order is still short.
            let product = rejected.product_id.unwrap();
            let asked: i64 = lines.iter().filter(|l| l.product_id == product).map(|l| l.quantity).sum();
            assert!(stock.figures(&product).await.available < asked, "{order} was refused {product} needlessly");
            refused += 1;
        }
    }
    assert!(refused > 0, "demand exceeded supply, so some orders must be refused");
    for (product, on_hand) in [(&hot, 50), (&warm, 20)] {
        let now = stock.figures(product).await;
        let count = successes.get(product).copied().unwrap_or(0);
        assert_eq!(now, figures(on_hand, held.get(product).copied().unwrap_or(0), 1 + count));
        assert!(now.reserved <= on_hand);
        assert_eq!(stock.events(INVENTORY_UPDATED, product).await.len() as i64, count);
    }
    assert_eq!(stock.count("SELECT count(*) FROM reservations").await, 40);

    // Then half the holds commit and half are released, all at once.
    let mut tasks = Vec::new();
    for (i, order) in held_orders.iter().enumerate() {
        let envelope = if i % 2 == 0 { stock.command(&commit(order)) } else { stock.command(&release(order)) };
        let stock = stock.clone();
        tasks.push(tokio::spawn(async move { stock.deliver(&envelope).await }));
    }
    for task in tasks {
        assert_eq!(task.await.unwrap(), Outcome::Applied);
    }
    let mut shipped: HashMap<String, i64> = HashMap::new();
    for (i, order) in held_orders.iter().enumerate() {
        if i % 2 == 0 {
            stock.last_reply::<StockCommitted>(order).await;
            let lines = &orders.iter().find(|(o, _)| o == order).unwrap().1;
            for l in lines {
                *shipped.entry(l.product_id.clone()).or_default() += l.quantity;
            }
        } else {
            assert!(stock.last_reply::<StockReleased>(order).await.released);
        }
    }
    for (product, on_hand) in [(&hot, 50), (&warm, 20)] {
        let now = stock.figures(product).await;
        let gone = shipped.get(product).copied().unwrap_or(0);
        assert_eq!((now.on_hand, now.reserved), (on_hand - gone, 0), "stock + shipped = initial, nothing held");
    }
}

/// The same participant on SQLite (what `braid demo` runs): the migration, a hold refused and
/// one granted, a commit, and the expiry's time comparison.
#[tokio::test]
async fn the_participant_runs_on_sqlite_too() {
    let path = std::env::temp_dir().join(format!("{}.db", braid_testkit::unique("braid-stock-")));
    let url = format!("sqlite://{}?mode=rwc", path.display());
    let db = braid_kit::db::connect(&DatabaseConfig { url, max_connections: 4, migrate: true, ..Default::default() })
        .await
        .unwrap();
    braid_migrations::catalog::Migrator::up(&db, None).await.unwrap();
    braid_catalog::seed::seed(&db, 0).await.unwrap();
    let p = insert_product(&db, &braid_testkit::unique("product-"), "SQ-1", 10, 0).await;
    let events = EventsConfig { max_attempts: 3, retry_backoff_ms: 5, ..EventsConfig::default() };
    let handler = Arc::new(StockHandler { outbox: OutboxSignal::default() });
    let consumer = Consumer::new(db.clone(), Arc::new(MemoryBus::new()), handler, &events);
    let deliver = |envelope: Envelope| {
        let delivery = Delivery {
            topic: COMMAND_TOPIC.into(),
            partition: 0,
            offset: 0,
            key: Some(envelope.subject.clone()),
            payload: envelope.to_bytes(),
            headers: Vec::new(),
        };
        let consumer = &consumer;
        async move { consumer.process(&delivery).await }
    };
    let (kept, refused, lapsed) = (order_id(), order_id(), order_id());
    let held =
        |order: &str, quantity, secs| Envelope::new(ORCHESTRATOR, &reserve(order, vec![line(&p, quantity)], secs));
    assert_eq!(deliver(held(&kept, 4, 600)).await, Outcome::Applied);
    assert_eq!(deliver(held(&refused, 7, 600)).await, Outcome::Applied);
    assert_eq!(deliver(held(&lapsed, 3, 1)).await, Outcome::Applied);
    assert_eq!(deliver(Envelope::new(ORCHESTRATOR, &commit(&kept))).await, Outcome::Applied);
    tokio::time::sleep(Duration::from_millis(1_200)).await;
    let expiry = braid_catalog::stock::Expiry::new(db.clone(), OutboxSignal::default());
    assert_eq!(expiry.sweep().await.unwrap(), 1, "only the lapsed hold expires");
    assert_eq!(expiry.sweep().await.unwrap(), 0);

    let stock = braid_catalog::record::by_ids(&db, std::slice::from_ref(&p)).await.unwrap().pop().unwrap();
    assert_eq!((stock.inventory.on_hand, stock.inventory.reserved, stock.version), (6, 0, 5));
    let schemas = support::event_schemas();
    let mut answers = Vec::new();
    for row in braid_kit::events::outbox::entity::Entity::find().all(&db).await.unwrap() {
        let e = Envelope::from_bytes(row.payload.as_bytes()).unwrap();
        schemas.validate(&e).unwrap_or_else(|errors| panic!("{} violates its schema: {errors:?}", e.event_type));
        answers.push((e.subject.clone(), e.event_type.clone()));
    }
    for (order, answer) in [
        (&kept, StockReserved::TYPE),
        (&kept, StockCommitted::TYPE),
        (&refused, StockRejected::TYPE),
        (&lapsed, StockReserved::TYPE),
        (&lapsed, StockReleased::TYPE),
    ] {
        assert!(answers.contains(&(order.clone(), answer.to_string())), "{order} was answered {answer}");
    }
    drop(db);
    let _ = std::fs::remove_file(&path);
}
