//! What every orderflow HTTP handler shares: the bindings to the orders service
//! (`orderflow:core/orders`, imported), bearer-token auth, the request body limit,
//! `Idempotency-Key`, JSON field readers that name the bad field, the JSON rendering of an order,
//! and the one function that maps a service error to an HTTP status and error code.
//!
//! Everything here but [`request`] (which talks to the host) is plain Rust, unit-tested
//! natively. The imported service functions can only be called inside a composed component.

#![deny(missing_docs)]

/// Generated bindings of the `handler` world: the imported `orderflow:core` interfaces.
#[doc(hidden)]
pub mod bindings {
    wit_bindgen::generate!({
        world: "handler",
        path: "../../wit",
        additional_derives: [PartialEq],
    });
}

pub mod auth;
pub mod error;
#[doc(hidden)]
pub mod fixtures;
pub mod idempotency;
pub mod input;
pub mod names;
pub mod render;
pub mod reply;
pub mod request;

pub use bindings::orderflow::core::{orders, types};
pub use error::ApiError;
pub use reply::Reply;

/// The largest request body any route accepts: 256 KiB (API.md, "Conventions").
pub const BODY_LIMIT: usize = 256 * 1024;
