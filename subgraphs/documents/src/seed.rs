//! Generated documents: the demo's 20,000 and the benchmark's million, deterministic for a
//! seed, inserted in bulk (rows, tags, per-owner counts and a few shares) without events.

use std::collections::BTreeMap;

use braid_kit::sql::Sql;
use chrono::{DateTime, Duration, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbErr, EntityTrait, PaginatorTrait, TransactionTrait,
};

use crate::entity::document;

const TOPICS: &[&str] = &[
    "budget",
    "roadmap",
    "hiring",
    "security",
    "pricing",
    "onboarding",
    "migration",
    "retention",
    "compliance",
    "forecast",
    "launch",
    "incident",
    "vendor",
    "training",
    "architecture",
    "campaign",
];
const KINDS: &[&str] = &["review", "plan", "notes", "proposal", "report", "checklist", "summary", "brief"];
const PERIODS: &[&str] = &["Q1", "Q2", "Q3", "Q4", "weekly", "annual", "draft", "final"];
const WORDS: &[&str] = &[
    "team", "customer", "quarter", "goal", "risk", "metric", "decision", "timeline", "owner", "budget", "scope",
    "feedback", "release", "contract", "policy", "process", "growth", "cost", "review", "planning", "market",
    "partner", "support", "quality",
];
const TAGS: &[&str] = &[
    "finance",
    "engineering",
    "sales",
    "people",
    "legal",
    "ops",
    "draft",
    "urgent",
    "archive",
    "q4",
    "strategy",
    "internal",
];

/// One generated document.
#[derive(Debug, Clone)]
pub struct Generated {
    pub owner: i64,
    pub title: String,
    pub body: String,
    pub tags: Vec<String>,
    pub created_at: DateTime<Utc>,
}

/// `count` documents spread over `owners`, oldest first, the newest created `now`.
pub fn generate(owners: &[i64], count: usize, seed: u64, now: DateTime<Utc>) -> Vec<Generated> {
    let mut rng = StdRng::seed_from_u64(seed);
    let span = Duration::days(365).num_seconds();
    (0..count)
        .map(|i| {
            let owner = owners[rng.random_range(0..owners.len())];
            let topic = TOPICS[rng.random_range(0..TOPICS.len())];
            let kind = KINDS[rng.random_range(0..KINDS.len())];
            let period = PERIODS[rng.random_range(0..PERIODS.len())];
            let mut title = format!("{period} {topic} {kind}");
            title[..1].make_ascii_uppercase();
            let sentences: Vec<String> = (0..3)
                .map(|_| {
                    let words: Vec<&str> = (0..8).map(|_| WORDS[rng.random_range(0..WORDS.len())]).collect();
                    format!("The {topic} {} {}.", kind, words.join(" "))
                })
                .collect();
            let mut tags: Vec<String> =
                (0..rng.random_range(1..=3)).map(|_| TAGS[rng.random_range(0..TAGS.len())].to_string()).collect();
            tags.sort();
            tags.dedup();
            let age = span - span * i as i64 / count.max(1) as i64;
            Generated { owner, title, body: sentences.join(" "), tags, created_at: now - Duration::seconds(age) }
        })
        .collect()
}

/// Inserts `docs` in order (ids grow with `created_at`), and shares every `share_every`-th
/// document with a random employee of `owners` (0: none). Returns the first new id.
pub async fn insert(db: &DatabaseConnection, docs: &[Generated], share_every: usize, seed: u64) -> Result<i64, DbErr> {
    let backend = db.get_database_backend();
    let mut rng = StdRng::seed_from_u64(seed ^ 0x5eed);
    let owners: Vec<i64> = {
        let mut o: Vec<i64> = docs.iter().map(|d| d.owner).collect();
        o.sort_unstable();
        o.dedup();
        o
    };
    let mut counts: BTreeMap<i64, i64> = BTreeMap::new();
    let mut first_id = None;
    for batch in docs.chunks(500) {
        let txn = db.begin().await?;
        let mut sql = Sql::new(backend);
        sql.push(
            "INSERT INTO documents (owner_id, title, body, tags, version, created_by, created_at, updated_at) VALUES ",
        );
        for (i, d) in batch.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            let tags = serde_json::to_string(&d.tags).expect("tags serialize");
            sql.push("(")
                .bind(d.owner)
                .push(", ")
                .bind(d.title.clone())
                .push(", ")
                .bind(d.body.clone())
                .push(", ")
                .bind(tags)
                .push(", 1, ")
                .bind(d.owner)
                .push(", ")
                .bind(d.created_at)
                .push(", ")
                .bind(d.created_at)
                .push(")");
            *counts.entry(d.owner).or_default() += 1;
        }
        sql.push(" RETURNING id");
        let ids = braid_kit::sql::ids(&txn, sql).await?;
        first_id.get_or_insert(ids.iter().copied().min().unwrap_or(0));
        insert_tags(&txn, &ids, batch).await?;
        if share_every > 0 {
            insert_shares(&txn, &ids, batch, &owners, &mut rng, share_every).await?;
        }
        txn.commit().await?;
    }
    insert_owner_counts(db, counts).await?;
    Ok(first_id.unwrap_or(0))
}

/// The tags of a batch of documents (`ids` in the batch's order).
async fn insert_tags(txn: &DatabaseTransaction, ids: &[i64], batch: &[Generated]) -> Result<(), DbErr> {
    let mut sql = Sql::new(txn.get_database_backend());
    sql.push("INSERT INTO document_tags (document_id, tag) VALUES ");
    let mut any = false;
    for (id, d) in ids.iter().zip(batch) {
        for tag in &d.tags {
            if any {
                sql.push(", ");
            }
            any = true;
            sql.push("(").bind(*id).push(", ").bind(tag.clone()).push(")");
        }
    }
    if any {
        txn.execute_raw(sql.build()).await?;
    }
    Ok(())
}

/// Shares about one document in `share_every` of a batch with a random owner.
async fn insert_shares(
    txn: &DatabaseTransaction,
    ids: &[i64],
    batch: &[Generated],
    owners: &[i64],
    rng: &mut StdRng,
    share_every: usize,
) -> Result<(), DbErr> {
    for (id, d) in ids.iter().zip(batch) {
        if rng.random_range(0..share_every) == 0 {
            let with = owners[rng.random_range(0..owners.len())];
            let mut sql = Sql::new(txn.get_database_backend());
            sql.push("INSERT INTO document_shares (document_id, employee_id, shared_by, created_at) VALUES (")
                .bind(*id)
                .push(", ")
                .bind(with)
                .push(", ")
                .bind(d.owner)
                .push(", ")
                .bind(d.created_at)
                .push(") ON CONFLICT DO NOTHING");
            txn.execute_raw(sql.build()).await?;
        }
    }
    Ok(())
}

/// Adds each owner's new documents to its count.
async fn insert_owner_counts(db: &DatabaseConnection, counts: BTreeMap<i64, i64>) -> Result<(), DbErr> {
    let backend = db.get_database_backend();
    let counts: Vec<(i64, i64)> = counts.into_iter().collect();
    let txn = db.begin().await?;
    for batch in counts.chunks(1000) {
        let mut sql = Sql::new(backend);
        sql.push("INSERT INTO document_owners (owner_id, documents) VALUES ");
        for (i, (owner, n)) in batch.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.push("(").bind(*owner).push(", ").bind(*n).push(")");
        }
        sql.push(" ON CONFLICT (owner_id) DO UPDATE SET documents = document_owners.documents + excluded.documents");
        txn.execute_raw(sql.build()).await?;
    }
    txn.commit().await
}

/// Seeds the demo's documents once (about 20,000 over employees `1..=employees`); false when
/// the database already held documents.
pub async fn demo(db: &DatabaseConnection, employees: i64) -> Result<bool, DbErr> {
    if document::Entity::find().count(db).await? > 0 {
        return Ok(false);
    }
    let owners: Vec<i64> = (1..=employees).collect();
    let docs = generate(&owners, 20_000, 7, Utc::now());
    insert(db, &docs, 100, 7).await?;
    Ok(true)
}
