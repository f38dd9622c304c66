//! What must hold once the chaos is over, read from the databases and the provider's ledger.

use std::collections::HashMap;
use std::time::Duration;

use braid_orders::payment::simulated::EntryStatus;
use braid_orders::view::OrderView;
use sea_orm::{ConnectionTrait, DbBackend, EntityTrait, Statement};

use crate::UNITS;
use crate::procs::Cluster;

async fn rows(db: &sea_orm::DatabaseConnection, sql: &str) -> Vec<sea_orm::QueryResult> {
    db.query_all_raw(Statement::from_string(DbBackend::Postgres, sql)).await.expect("query runs")
}

/// Waits until no order is left in a non-terminal status.
pub async fn all_ended(cluster: &Cluster, timeout: Duration) {
    let sql = "SELECT count(*) FROM orders WHERE status NOT IN ('COMPLETED', 'CANCELLED', 'FAILED')";
    braid_testkit::eventually("every order to end", timeout, || async {
        cluster.revive().await;
        let open: i64 = rows(&cluster.orders_db, sql).await[0].try_get_by_index(0).unwrap();
        if open > 0 {
            eprintln!("chaos: {open} orders still open; {}", open_sagas(cluster).await);
        }
        (open == 0).then_some(())
    })
    .await;
}

/// Where the open sagas are: how many per phase, and how many are past their deadline.
async fn open_sagas(cluster: &Cluster) -> String {
    let sql = "SELECT concat_ws(' ', s->>'phase', s->>'step'), count(*), count(*) FILTER (WHERE deadline < now()) \
               FROM (SELECT (state::jsonb)->'phase' AS s, deadline FROM sagas) AS open \
               WHERE s->>'phase' <> 'done' GROUP BY 1 ORDER BY 1";
    let rows = rows(&cluster.orders_db, sql).await;
    let parts: Vec<String> = rows
        .iter()
        .map(|r| {
            let phase: Option<String> = r.try_get_by_index(0).unwrap_or_default();
            let (n, overdue): (i64, i64) = (r.try_get_by_index(1).unwrap(), r.try_get_by_index(2).unwrap());
            format!("{}: {n} ({overdue} overdue)", phase.unwrap_or_default())
        })
        .collect();
    format!("sagas by phase: {}", parts.join(", "))
}

/// Every invariant of the saga, over every order placed.
pub async fn invariants(cluster: &Cluster, products: &[String], placed: &[(String, String)]) {
    let orders: Vec<OrderView> = braid_orders::entity::order::Entity::find()
        .all(&cluster.orders_db)
        .await
        .expect("orders")
        .into_iter()
        .map(|r| OrderView::from_row(r).expect("an order decodes"))
        .collect();
    assert!(orders.len() >= placed.len(), "every placed order exists");
    for (buyer, id) in placed {
        let order = orders.iter().find(|o| &o.id == id).unwrap_or_else(|| panic!("order {id} is missing"));
        assert_eq!(&order.buyer_id, buyer);
    }

    // The timeline is what the stream says.
    for order in &orders {
        let stream = braid_orders::history::load(&cluster.orders_db, &order.id).await.expect("a stream");
        assert_eq!(OrderView::fold(&order.id, &stream).as_ref(), Some(order), "order {} projection", order.id);
        assert!(order.status.is_terminal(), "order {} is {:?}", order.id, order.status);
    }

    // Stock: nothing negative, nothing held, and on hand + shipped = initial for every product.
    let mut committed: HashMap<String, i64> = HashMap::new();
    let mut reservation_status: HashMap<String, String> = HashMap::new();
    for row in rows(&cluster.catalog_db, "SELECT order_id, status, lines FROM reservations").await {
        let order: String = row.try_get("", "order_id").unwrap();
        let status: String = row.try_get("", "status").unwrap();
        let lines: String = row.try_get("", "lines").unwrap();
        if status == "committed" {
            let lines: Vec<braid_kit::contracts::Line> = serde_json::from_str(&lines).expect("reservation lines");
            for l in lines {
                *committed.entry(l.product_id).or_default() += l.quantity;
            }
        }
        reservation_status.insert(order, status);
    }
    for p in products {
        let sql = format!("SELECT on_hand, reserved FROM inventory WHERE product_id = '{p}'");
        let row = &rows(&cluster.catalog_db, &sql).await[0];
        let (on_hand, reserved): (i64, i64) = (row.try_get_by_index(0).unwrap(), row.try_get_by_index(1).unwrap());
        assert!(on_hand >= 0 && reserved >= 0, "product {p}: on hand {on_hand}, reserved {reserved}");
        let shipped = committed.get(p).copied().unwrap_or(0);
        assert_eq!(reserved, 0, "product {p}: nothing is held once every order ended");
        assert_eq!(on_hand + shipped + reserved, UNITS, "product {p}: on hand {on_hand} + shipped {shipped}");
    }

    // Payments: never captured twice; what was captured for an order that did not complete
    // was refunded exactly once; what completed was captured and kept.
    let ledger: HashMap<String, _> = cluster.ledger().await.into_iter().map(|e| (e.key.clone(), e)).collect();
    for entry in ledger.values() {
        assert!(entry.captures <= 1 && entry.refunds <= 1, "ledger entry {entry:?}");
    }
    let mut by_status: HashMap<&str, usize> = HashMap::new();
    let mut reasons: HashMap<&str, usize> = HashMap::new();
    for order in &orders {
        *by_status.entry(order.status.as_str()).or_default() += 1;
        if let Some(reason) = &order.failure_reason {
            *reasons.entry(reason.as_str()).or_default() += 1;
        }
        let entry = ledger.get(&order.id);
        let reservation = reservation_status.get(&order.id).map(String::as_str);
        if order.status.as_str() == "COMPLETED" {
            let e = entry.unwrap_or_else(|| panic!("completed order {} has no payment", order.id));
            assert_eq!((e.status, e.captures, e.refunds), (EntryStatus::Captured, 1, 0), "order {}", order.id);
            assert_eq!(reservation, Some("committed"), "completed order {} shipped its stock", order.id);
        } else {
            if let Some(e) = entry.filter(|e| e.captures == 1) {
                assert_eq!((e.status, e.refunds), (EntryStatus::Refunded, 1), "order {} was refunded", order.id);
            }
            assert!(
                reservation != Some("committed") && reservation != Some("held"),
                "order {}: {reservation:?}",
                order.id
            );
        }
    }
    answered_once(cluster).await;
    eprintln!("chaos: {} orders by status: {by_status:?}; why they failed: {reasons:?}", orders.len());
}

/// Every command was sent once and answered at most once: each attempt of a step has a command
/// id of its own, so a second row for one id on a topic is an event applied twice (a consumer
/// that let a redelivery through).
async fn answered_once(cluster: &Cluster) {
    let sql = "SELECT topic, (payload::jsonb)->'data'->>'commandId' AS command, count(*) FROM outbox \
               WHERE (payload::jsonb)->'data'->>'commandId' IS NOT NULL GROUP BY 1, 2 HAVING count(*) > 1";
    for (name, db) in [("catalog", &cluster.catalog_db), ("orders", &cluster.orders_db)] {
        let twice: Vec<String> = rows(db, sql)
            .await
            .iter()
            .map(|r| {
                let (topic, command, n): (String, String, i64) =
                    (r.try_get_by_index(0).unwrap(), r.try_get_by_index(1).unwrap(), r.try_get_by_index(2).unwrap());
                format!("{topic} {command} x{n}")
            })
            .collect();
        assert!(twice.is_empty(), "the {name} outbox has events written twice for one command: {twice:?}");
    }
}
