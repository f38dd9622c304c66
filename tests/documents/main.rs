//! The documents subgraph: visibility decided in the data layer (a property test against a
//! brute-force oracle), and the API through the gateway (paging, lookups per page, bad input).

#[path = "../permissions/oracle.rs"]
#[allow(dead_code)] // shared with the permissions tests, which use all of it
mod oracle;
#[path = "../permissions/stack.rs"]
#[allow(dead_code)]
mod stack;

mod api;
mod gateway;
mod kafka;
mod live;
mod property;

/// Tests that count permission lookups (process-wide metrics) run one at a time with every
/// test that makes lookups.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
