//! The demo data: users, products, reviews and stock, a pure function of the scale.
//!
//! Scale 1 is the classic Apollo demo (4 users, 5 products, 4 reviews). Scale `s` has `4s` users,
//! `5s` products and `10s` reviews; the first records are always the classic ones, so a query
//! over the classic ids answers the same at every scale.

use std::sync::Arc;

pub(crate) struct UserRow {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) username: String,
    pub(crate) birth_date: String,
}

pub(crate) struct ProductRow {
    pub(crate) upc: String,
    pub(crate) name: String,
    pub(crate) price: i32,
    pub(crate) weight: i32,
    pub(crate) in_stock: bool,
}

pub(crate) struct ReviewRow {
    pub(crate) id: String,
    pub(crate) body: String,
    /// Index into `users`.
    pub(crate) author: usize,
    /// Index into `products`.
    pub(crate) product: usize,
}

pub(crate) struct DemoData {
    pub(crate) users: Vec<UserRow>,
    pub(crate) products: Vec<ProductRow>,
    pub(crate) reviews: Vec<ReviewRow>,
    /// Review indexes by author index.
    pub(crate) reviews_by_author: Vec<Vec<usize>>,
    /// Review indexes by product index.
    pub(crate) reviews_by_product: Vec<Vec<usize>>,
}

const USERS: [(&str, &str, &str); 4] = [
    ("Ada Lovelace", "@ada", "1815-12-10"),
    ("Alan Turing", "@complete", "1912-06-23"),
    ("Grace Hopper", "@grace", "1906-12-09"),
    ("Edsger Dijkstra", "@ewd", "1930-05-11"),
];

const PRODUCTS: [(&str, i32, i32); 5] =
    [("Table", 899, 100), ("Couch", 1299, 1000), ("Chair", 54, 50), ("Lamp", 75, 20), ("Bookshelf", 1350, 700)];

const FURNITURE: [&str; 10] = ["Table", "Couch", "Chair", "Lamp", "Bookshelf", "Desk", "Stool", "Rug", "Mirror", "Bed"];

const REVIEWS: [(&str, usize, usize); 4] =
    [("Love it!", 0, 0), ("Too expensive.", 0, 1), ("Could be better.", 1, 2), ("Prefer something else.", 1, 0)];

const BODIES: [&str; 6] = [
    "Love it!",
    "Too expensive.",
    "Could be better.",
    "Prefer something else.",
    "Works as described.",
    "Would buy again.",
];

impl DemoData {
    pub(crate) fn new(scale: u32) -> Arc<Self> {
        let scale = scale.max(1) as usize;
        let users: Vec<UserRow> = (1..=4 * scale)
            .map(|n| {
                let (name, username, birth_date) = match USERS.get(n - 1) {
                    Some(&(name, username, birth)) => (name.to_owned(), username.to_owned(), birth.to_owned()),
                    None => (
                        format!("User {n}"),
                        format!("@user{n}"),
                        format!("{}-{:02}-{:02}", 1950 + n % 50, 1 + n % 12, 1 + n % 28),
                    ),
                };
                UserRow { id: n.to_string(), name, username, birth_date }
            })
            .collect();
        let products: Vec<ProductRow> = (1..=5 * scale)
            .map(|n| {
                let (name, price, weight) = match PRODUCTS.get(n - 1) {
                    Some(&(name, price, weight)) => (name.to_owned(), price, weight),
                    None => (
                        format!("{} {n}", FURNITURE[(n - 1) % FURNITURE.len()]),
                        10 + (n * 137 % 2000) as i32,
                        5 + (n * 53 % 1000) as i32,
                    ),
                };
                ProductRow { upc: n.to_string(), name, price, weight, in_stock: n % 3 != 2 }
            })
            .collect();
        let review_count = if scale == 1 { REVIEWS.len() } else { 10 * scale };
        let reviews: Vec<ReviewRow> = (1..=review_count)
            .map(|n| {
                let (body, author, product) = match REVIEWS.get(n - 1) {
                    Some(&(body, author, product)) => (body.to_owned(), author, product),
                    None => (BODIES[(n - 1) % BODIES.len()].to_owned(), n * 7 % users.len(), (n - 1) % products.len()),
                };
                ReviewRow { id: n.to_string(), body, author, product }
            })
            .collect();
        let mut reviews_by_author = vec![Vec::new(); users.len()];
        let mut reviews_by_product = vec![Vec::new(); products.len()];
        for (index, review) in reviews.iter().enumerate() {
            reviews_by_author[review.author].push(index);
            reviews_by_product[review.product].push(index);
        }
        Arc::new(Self { users, products, reviews, reviews_by_author, reviews_by_product })
    }

    /// The index of the record with this decimal id ("1" is index 0), if there is one.
    pub(crate) fn index(id: &str, len: usize) -> Option<usize> {
        let n: usize = id.parse().ok()?;
        ((1..=len).contains(&n) && !id.starts_with(['0', '+'])).then(|| n - 1)
    }
}
