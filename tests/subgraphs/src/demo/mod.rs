//! The classic Apollo federation demo: accounts, products, inventory and reviews.

pub(crate) mod accounts;
pub(crate) mod data;
pub(crate) mod inventory;
pub(crate) mod products;
pub(crate) mod reviews;
