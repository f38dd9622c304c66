//! Subscriptions fed by the event backbone: a subscription field is bound to a topic and to a
//! lookup field that takes the entity's key; each event on the topic whose key the subscriber
//! asked for is answered by running the subscription's selection under that lookup, as the
//! subscriber ([`rewrite`]).

pub mod binding;
pub mod cursor;
pub mod hub;
pub mod live;
pub mod pump;
pub mod rewrite;
pub mod shared;
