//! The kit's event backbone against an in-memory bus (and a double of it that fails on cue),
//! SQLite in memory and, where it matters (the relay's lock, lanes side by side), PostgreSQL:
//! the outbox, the relay and consumers, one module each.

mod consumer;
mod consumer_run;
mod outbox;
mod relay;
mod support;
