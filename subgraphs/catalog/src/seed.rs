//! Demo data: a dozen categories and 1,000 products with stock, the same on every run.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sea_orm::ActiveValue::Set;
use sea_orm::{DatabaseConnection, DbErr, EntityTrait, PaginatorTrait, TransactionTrait};

use crate::entity::{category, inventory, product};
use crate::record::Attribute;

const CATEGORIES: [(&str, &str); 12] = [
    ("books", "Books"),
    ("games", "Games"),
    ("garden", "Garden"),
    ("kitchen", "Kitchen"),
    ("music", "Music"),
    ("office", "Office"),
    ("outdoor", "Outdoor"),
    ("pets", "Pets"),
    ("sports", "Sports"),
    ("tools", "Tools"),
    ("toys", "Toys"),
    ("travel", "Travel"),
];
const ADJECTIVES: [&str; 16] = [
    "Compact",
    "Deluxe",
    "Durable",
    "Elegant",
    "Ergonomic",
    "Handmade",
    "Lightweight",
    "Modern",
    "Portable",
    "Practical",
    "Premium",
    "Rugged",
    "Sleek",
    "Smart",
    "Vintage",
    "Waterproof",
];
const NOUNS: [&str; 16] = [
    "Backpack",
    "Blender",
    "Board Game",
    "Chair",
    "Desk Lamp",
    "Drill",
    "Guitar",
    "Headphones",
    "Kettle",
    "Lantern",
    "Notebook",
    "Planter",
    "Puzzle",
    "Scooter",
    "Tent",
    "Umbrella",
];
const COLOURS: [&str; 6] = ["black", "blue", "green", "red", "white", "yellow"];

/// The id of the demo category with this slug (stable across runs).
pub fn category_id(slug: &str) -> String {
    uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_URL, format!("braid:category:{slug}").as_bytes()).to_string()
}

/// Seeds the categories and `products` products; does nothing if there are products.
/// Seeding is bootstrapping, not a change: it publishes no events.
pub async fn seed(db: &DatabaseConnection, products: usize) -> Result<bool, DbErr> {
    if product::Entity::find().count(db).await? > 0 {
        return Ok(false);
    }
    let txn = db.begin().await?;
    if category::Entity::find().count(&txn).await? == 0 {
        let categories: Vec<category::ActiveModel> = CATEGORIES
            .iter()
            .map(|(slug, name)| category::ActiveModel {
                id: Set(category_id(slug)),
                slug: Set((*slug).to_string()),
                name: Set((*name).to_string()),
            })
            .collect();
        category::Entity::insert_many(categories).exec_without_returning(&txn).await?;
    }
    let mut rng = StdRng::seed_from_u64(42);
    let now = chrono::Utc::now();
    let mut rows = Vec::with_capacity(products);
    let mut stock = Vec::with_capacity(products);
    for i in 0..products {
        let (slug, _) = CATEGORIES[i % CATEGORIES.len()];
        let name = format!(
            "{} {} {}",
            ADJECTIVES[rng.random_range(0..ADJECTIVES.len())],
            NOUNS[rng.random_range(0..NOUNS.len())],
            i + 1
        );
        let id = uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_URL, format!("braid:product:{i}").as_bytes()).to_string();
        let colour = COLOURS[rng.random_range(0..COLOURS.len())];
        let attributes = vec![
            Attribute { name: "colour".into(), value: colour.into() },
            Attribute { name: "weight_g".into(), value: rng.random_range(100..5000).to_string() },
        ];
        rows.push(product::ActiveModel {
            id: Set(id.clone()),
            sku: Set(format!("{}-{:05}", slug.to_uppercase(), i + 1)),
            name_key: Set(name.to_lowercase()),
            description: Set(format!("A {} {} from the {} range.", colour, name.to_lowercase(), slug)),
            name: Set(name),
            price_cents: Set(rng.random_range(199..50_000)),
            currency: Set("EUR".into()),
            category_id: Set(category_id(slug)),
            attributes: Set(serde_json::to_string(&attributes).expect("attributes serialize")),
            version: Set(1),
            created_at: Set(now),
            updated_at: Set(now),
        });
        stock.push(inventory::ActiveModel {
            product_id: Set(id),
            on_hand: Set(rng.random_range(0..500)),
            reserved: Set(0),
            low_stock_threshold: Set(10),
        });
    }
    // Batches keep each statement under SQLite's bound-parameter limit.
    for chunk in rows.chunks(200) {
        product::Entity::insert_many(chunk.to_vec()).exec_without_returning(&txn).await?;
    }
    for chunk in stock.chunks(200) {
        inventory::Entity::insert_many(chunk.to_vec()).exec_without_returning(&txn).await?;
    }
    txn.commit().await?;
    Ok(products > 0)
}
