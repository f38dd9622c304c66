//! The corner-case supergraph: what gateways get wrong beyond the usual shapes. posts owns
//! `Post`, its comments (a field with arguments) and its attachments (a union and an interface);
//! digest computes fields from them with `@requires` selections that take arguments or inline
//! fragments. posts' `Visibility` enum has a value the public schema does not (`@inaccessible`).

pub(crate) mod data;
pub(crate) mod digest;
pub(crate) mod posts;
