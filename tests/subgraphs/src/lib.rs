//! Federation test subgraphs with deterministic in-memory data, for the gateway's tests and
//! benchmarks.
//!
//! Three supergraphs (composed files in `tests/subgraphs/supergraphs/`, see `schema/compose.mjs`):
//!
//! - **demo**, the classic Apollo federation demo: [`Subgraph::Accounts`], [`Subgraph::Products`],
//!   [`Subgraph::Inventory`], [`Subgraph::Reviews`]. Its data grows with [`Options::scale`];
//!   inventory also holds the fault cases ([`faults`]).
//! - **edge**, one small subgraph per federation feature: [`Subgraph::Shelf`] (interface and union
//!   across subgraphs), [`Subgraph::Books`] (two keys, `@shareable`, `@inaccessible`),
//!   [`Subgraph::Films`] (entity interface), [`Subgraph::Ratings`] (`@interfaceObject`),
//!   [`Subgraph::Pricing`] (`@override`, `@requires` with arguments), [`Subgraph::People`]
//!   (nested key).
//! - **corner**, what gateways get wrong beyond the usual shapes: [`Subgraph::Posts`] (an enum with
//!   an `@inaccessible` value that the data holds), [`Subgraph::Digest`] (`@requires` with
//!   arguments, the same field with two arguments, inline fragments on a union and an interface).
//!
//! ```no_run
//! use braid_test_subgraphs::{Options, Subgraph};
//! # async fn run() -> std::io::Result<()> {
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! let url = format!("http://{}/graphql", listener.local_addr()?);
//! let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
//! let options = Options { delay: Some(std::time::Duration::from_millis(200)), ..Options::default() };
//! let server = tokio::spawn(braid_test_subgraphs::serve(Subgraph::Inventory, listener, options, async {
//!     stopped.await.ok();
//! }));
//! // ... point the gateway at `url` ...
//! stop.send(()).ok();
//! server.await.ok();
//! # Ok(()) }
//! ```
//!
//! Every subgraph answers `POST /graphql` (a JSON request or a batch, an array of them),
//! `GET /graphql?query=...&variables=...&operationName=...` and `GET /health`. Errors follow the
//! GraphQL spec and Apollo's subgraphs: a failing nullable field is null with an error at its
//! path, and an `_entities` item whose non-null field fails is null on its own, with the error at
//! `["_entities", <index>, <field>]`.

mod corner;
mod demo;
mod edge;
mod entities;
mod http;

use std::{fmt, future::Future, str::FromStr, sync::Arc, time::Duration};

use async_graphql::SDLExportOptions;

pub use demo::inventory::{FAILING_STOCK_LEVEL_UPC, FAILING_WAREHOUSE_UPC};

/// The fault cases, all in [`Subgraph::Inventory`] (see the crate README).
///
/// - `Product.warehouse: String` fails for upc [`FAILING_WAREHOUSE_UPC`] ("3") with
///   `extensions.code = "WAREHOUSE_UNAVAILABLE"`: the field is null, the error is at
///   `["_entities", i, "warehouse"]`; the gateway must re-path it (`["topProducts", 2, "warehouse"]`).
/// - `Product.stockLevel: Int!` fails for upc [`FAILING_STOCK_LEVEL_UPC`] ("4") with
///   `STOCK_LEVEL_UNAVAILABLE`: `_entities` answers null for that item, the others intact; the
///   gateway must null-propagate (a `Product!` in a list nulls the list, up to a nullable field).
/// - [`Options::delay`] makes a subgraph slow; a subgraph that is down is one not started.
pub mod faults {
    pub use crate::demo::inventory::{FAILING_STOCK_LEVEL_UPC, FAILING_WAREHOUSE_UPC};
}

/// A test subgraph.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Subgraph {
    /// demo: `User @key(fields: "id")`, `me`, `users`, `user(id)`.
    Accounts,
    /// demo: `Product @key(fields: "upc")`, `topProducts(first)`, `product(upc)`.
    Products,
    /// demo: `Product.inStock`, `shippingEstimate @requires(fields: "price weight")`, the faults.
    Inventory,
    /// demo: `Review @key(fields: "id")`, `User.reviews`, `Product.reviews`, `author @provides`.
    Reviews,
    /// edge: `featured: [Media!]!` (interface), `search: [SearchResult!]!` (union), `Member.favourites`.
    Shelf,
    /// edge: `Book @key(fields: "id") @key(fields: "isbn")`, `@shareable title`, `@inaccessible`.
    Books,
    /// edge: `Movie`, `Episode`, entity interface `Video @key(fields: "id")`.
    Films,
    /// edge: `Video @interfaceObject` ratings, `Book` ratings by `isbn`.
    Ratings,
    /// edge: `Book.price @override(from: "books")`, `shippingCost(zone, express) @requires`,
    /// `carbonGrams @requires(fields: "weight(unit: KILOGRAM)")`.
    Pricing,
    /// edge: `Organization`, `Member @key(fields: "id organization { id }")`.
    People,
    /// corner: `Post @key(fields: "id")`, `comments(limit)`, a union, an interface and
    /// `visibility` with an `@inaccessible` value.
    Posts,
    /// corner: `Post` fields that `@requires` arguments and inline fragments.
    Digest,
}

impl Subgraph {
    /// Every subgraph, demo first.
    pub const ALL: &[Subgraph] = &[
        Subgraph::Accounts,
        Subgraph::Products,
        Subgraph::Inventory,
        Subgraph::Reviews,
        Subgraph::Shelf,
        Subgraph::Books,
        Subgraph::Films,
        Subgraph::Ratings,
        Subgraph::Pricing,
        Subgraph::People,
        Subgraph::Posts,
        Subgraph::Digest,
    ];

    /// The name in the supergraph (`join__Graph` is its upper case) and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Subgraph::Accounts => "accounts",
            Subgraph::Products => "products",
            Subgraph::Inventory => "inventory",
            Subgraph::Reviews => "reviews",
            Subgraph::Shelf => "shelf",
            Subgraph::Books => "books",
            Subgraph::Films => "films",
            Subgraph::Ratings => "ratings",
            Subgraph::Pricing => "pricing",
            Subgraph::People => "people",
            Subgraph::Posts => "posts",
            Subgraph::Digest => "digest",
        }
    }

    /// The port of its URL in the committed supergraphs: demo 4001-4004, edge 4011-4016,
    /// corner 4031-4032.
    pub fn default_port(self) -> u16 {
        match self {
            Subgraph::Accounts => 4001,
            Subgraph::Products => 4002,
            Subgraph::Inventory => 4003,
            Subgraph::Reviews => 4004,
            Subgraph::Shelf => 4011,
            Subgraph::Books => 4012,
            Subgraph::Films => 4013,
            Subgraph::Ratings => 4014,
            Subgraph::Pricing => 4015,
            Subgraph::People => 4016,
            Subgraph::Posts => 4031,
            Subgraph::Digest => 4032,
        }
    }

    /// The supergraph it belongs to.
    pub fn supergraph(self) -> Supergraph {
        match self {
            Subgraph::Accounts | Subgraph::Products | Subgraph::Inventory | Subgraph::Reviews => Supergraph::Demo,
            Subgraph::Posts | Subgraph::Digest => Supergraph::Corner,
            _ => Supergraph::Edge,
        }
    }

    /// Its federation SDL, as `_service { sdl }` answers it and `schema/<name>.graphql` holds it.
    pub fn sdl(self) -> String {
        let options = SDLExportOptions::new().federation().compose_directive();
        let data = demo::data::DemoData::new(1);
        match self {
            Subgraph::Accounts => demo::accounts::schema(data).sdl_with_options(options),
            Subgraph::Products => demo::products::schema(data, None).sdl_with_options(options),
            Subgraph::Inventory => demo::inventory::schema(data).sdl_with_options(options),
            Subgraph::Reviews => demo::reviews::schema(data).sdl_with_options(options),
            Subgraph::Shelf => edge::shelf::schema().sdl_with_options(options),
            Subgraph::Books => edge::books::schema().sdl_with_options(options),
            Subgraph::Films => edge::films::schema().sdl_with_options(options),
            Subgraph::Ratings => edge::ratings::schema().sdl_with_options(options),
            Subgraph::Pricing => edge::pricing::schema().sdl_with_options(options),
            Subgraph::People => edge::people::schema().sdl_with_options(options),
            Subgraph::Posts => corner::posts::schema().sdl_with_options(options),
            Subgraph::Digest => corner::digest::schema().sdl_with_options(options),
        }
    }

    /// An axum router serving the subgraph at `/graphql` (POST and GET) and `/health`. The
    /// schema and the data are built here, once.
    pub fn router(self, options: Options) -> axum::Router {
        let delay = http::Serving { delay: options.delay, cache_tags: options.cache_tags };
        let data = || demo::data::DemoData::new(options.scale);
        match self {
            Subgraph::Accounts => http::router(demo::accounts::schema(data()), delay),
            Subgraph::Products => http::router(demo::products::schema(data(), options.prices.clone()), delay),
            Subgraph::Inventory => http::router(demo::inventory::schema(data()), delay),
            Subgraph::Reviews => http::router(demo::reviews::schema(data()), delay),
            Subgraph::Shelf => http::router(edge::shelf::schema(), delay),
            Subgraph::Books => http::router(edge::books::schema(), delay),
            Subgraph::Films => http::router(edge::films::schema(), delay),
            Subgraph::Ratings => http::router(edge::ratings::schema(), delay),
            Subgraph::Pricing => http::router(edge::pricing::schema(), delay),
            Subgraph::People => http::router(edge::people::schema(), delay),
            Subgraph::Posts => http::router(corner::posts::schema(), delay),
            Subgraph::Digest => http::router(corner::digest::schema(), delay),
        }
    }
}

impl fmt::Display for Subgraph {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Subgraph {
    type Err = String;

    fn from_str(name: &str) -> Result<Self, String> {
        Subgraph::ALL.iter().copied().find(|subgraph| subgraph.name() == name).ok_or_else(|| {
            let names: Vec<_> = Subgraph::ALL.iter().map(|subgraph| subgraph.name()).collect();
            format!("unknown subgraph `{name}` (known: {})", names.join(", "))
        })
    }
}

/// A composed supergraph of the test subgraphs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Supergraph {
    /// accounts, products, inventory, reviews: `supergraphs/demo.graphql`.
    Demo,
    /// shelf, books, films, ratings, pricing, people: `supergraphs/edge.graphql`.
    Edge,
    /// posts, digest: `supergraphs/corner.graphql`.
    Corner,
}

impl Supergraph {
    pub const ALL: &[Supergraph] = &[Supergraph::Demo, Supergraph::Edge, Supergraph::Corner];

    pub fn name(self) -> &'static str {
        match self {
            Supergraph::Demo => "demo",
            Supergraph::Edge => "edge",
            Supergraph::Corner => "corner",
        }
    }

    /// Its subgraphs, in composition order.
    pub fn subgraphs(self) -> &'static [Subgraph] {
        match self {
            Supergraph::Demo => &Subgraph::ALL[..4],
            Supergraph::Edge => &Subgraph::ALL[4..10],
            Supergraph::Corner => &Subgraph::ALL[10..],
        }
    }

    /// The composed supergraph SDL (subgraph URLs `http://127.0.0.1:<default_port>/graphql`).
    pub fn sdl(self) -> &'static str {
        match self {
            Supergraph::Demo => include_str!("../supergraphs/demo.graphql"),
            Supergraph::Edge => include_str!("../supergraphs/edge.graphql"),
            Supergraph::Corner => include_str!("../supergraphs/corner.graphql"),
        }
    }

    /// The composed SDL with each named subgraph's `@join__graph` URL replaced (subgraphs
    /// started on free ports).
    pub fn sdl_with_urls<'a>(self, urls: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
        let mut sdl = self.sdl().to_string();
        for (name, url) in urls {
            let marker = format!("@join__graph(name: \"{name}\", url: \"");
            let start =
                sdl.find(&marker).unwrap_or_else(|| panic!("the supergraph has no graph {name}")) + marker.len();
            let end = start + sdl[start..].find('"').expect("closing quote");
            sdl.replace_range(start..end, url);
        }
        sdl
    }

    /// The path of the composed file.
    pub fn path(self) -> std::path::PathBuf {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("supergraphs").join(format!("{}.graphql", self.name()))
    }
}

/// How a subgraph is served.
#[derive(Debug, Clone)]
pub struct Options {
    /// Every GraphQL request waits this long before it is executed (timeout tests).
    pub delay: Option<Duration>,
    /// Size of the demo data: `4 * scale` users, `5 * scale` products, `10 * scale` reviews
    /// (scale 1, the default, is the classic data with 4 reviews). The edge data is fixed.
    pub scale: u32,
    /// Changes to the products' prices made while they are served (`products` only).
    pub prices: Option<Arc<PriceChanges>>,
    /// Cache tags on the answers, in the extensions Apollo Router reads: each root field's
    /// answer tagged with the field's response key (`topProducts`), each `_entities` item with
    /// its type and key (`Product-2`).
    pub cache_tags: bool,
}

impl Default for Options {
    fn default() -> Self {
        Self { delay: None, scale: 1, prices: None, cache_tags: false }
    }
}

/// Amounts added to the demo products' prices, by product index, changed while they are
/// served: the writer of the entity cache benchmark.
#[derive(Debug)]
pub struct PriceChanges(Vec<std::sync::atomic::AtomicI32>);

impl PriceChanges {
    /// No change yet to any of `products` products.
    pub fn new(products: usize) -> Arc<Self> {
        Arc::new(Self((0..products).map(|_| std::sync::atomic::AtomicI32::new(0)).collect()))
    }

    /// Raises the price of product `index` by one; returns what is now added to it.
    pub fn raise(&self, index: usize) -> i32 {
        self.0.get(index).map_or(0, |c| c.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1)
    }

    /// What is added to the price of product `index`.
    pub fn get(&self, index: usize) -> i32 {
        self.0.get(index).map_or(0, |c| c.load(std::sync::atomic::Ordering::SeqCst))
    }
}

/// Serves `subgraph` on `listener` until `shutdown` completes.
pub async fn serve(
    subgraph: Subgraph,
    listener: tokio::net::TcpListener,
    options: Options,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, subgraph.router(options)).with_graceful_shutdown(shutdown).await
}

#[cfg(test)]
mod tests;
