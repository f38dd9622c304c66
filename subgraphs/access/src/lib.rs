//! Hierarchical permission lookups: may viewer V see the data of employee E?
//!
//! V may see E when E is V, when E is below V in the org hierarchy (however deep), or when a
//! grant to V or to a group of V's names E, a group E is in, or (with `include_reports`) an
//! employee E is below.
//!
//! The answer comes from a [`Source`] (the permissions database, or the permissions subgraph
//! over HTTP), is cached per viewer in a shared [`Cache`](braid_kit::cache::Cache) under
//! versioned keys ([`cache`]), and batched by a DataLoader ([`lookup`]). The permissions
//! service bumps the versions of exactly the viewers a change affected, right after its
//! commit and again when its event is consumed ([`invalidate`]), so a revoked permission is
//! never served from cache once the revoking mutation has returned.

// Functions over 80 lines (clippy.toml) are split into named steps.
#![warn(clippy::too_many_lines)]

pub mod cache;
pub mod directives;
pub mod error;
pub mod events;
pub mod http;
#[cfg(feature = "db")]
pub mod invalidate;
pub mod lookup;
pub mod source;

pub use error::AccessError;
pub use lookup::{Check, Lookup};
pub use source::{Checked, Source, Viewer, Visible, VisibleSet};
