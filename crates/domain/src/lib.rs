//! The business of orderflow as pure Rust: values parsed at the edge, the order aggregate and its
//! status machine, subscriptions and their schedules, stock and its reservations.
//!
//! This crate does no I/O and knows nothing of Spin, wasmtime or key-value keys. Every rule lives
//! here once; the components (orders service, HTTP adapters, subscription runner) parse outside
//! input into these types, call [`order::apply`] or the subscription functions, and store what
//! comes back.
#![deny(missing_docs)]

#[doc(hidden)]
pub mod fixtures;
pub mod inventory;
pub mod order;
#[cfg(feature = "schedules")]
pub mod subscription;
pub mod values;
