//! Subscriptions. Most are fed by the event backbone: a subscription field is bound to a topic
//! and to a lookup field that takes the entity's key; each event on the topic whose key the
//! subscriber asked for is answered by running the subscription's selection under that lookup,
//! as the subscriber ([`rewrite`], [`fed`]). A subscription field a subgraph serves itself is
//! passed through: the subgraph's events are completed by the rest of the plan
//! ([`passthrough`]).

pub mod binding;
pub mod cursor;
pub mod fed;
pub mod hub;
pub mod live;
pub mod passthrough;
pub mod pump;
pub mod rewrite;
pub mod shared;
pub mod upstream;
