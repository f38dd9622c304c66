//! The permissions subgraph and the lookup library against PostgreSQL and Redis: visibility
//! against a brute-force oracle, the staleness bound, login and tokens, hostile input.

mod oracle;
mod stack;

mod events;
mod login;
mod property;
mod staleness;
