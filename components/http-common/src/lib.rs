//! What every orderflow HTTP handler shares: the bindings to the orders service
//! (`orderflow:core/orders`, imported), bearer-token auth, the request body limit,
//! `Idempotency-Key`, `If-Match`, JSON field readers that name the bad field, the JSON rendering
//! of an order, and the one function that maps a service error to an HTTP status and error code.
//!
//! Everything here but [`request`] (which talks to the host) is plain Rust, unit-tested
//! natively. The imported service functions can only be called inside a composed component.
//!
//! # Writing a handler
//!
//! A handler crate (`crate-type = ["cdylib"]`, spin-sdk without default features) keeps its
//! `#[http_component]` in a module marked `#[expect(unsafe_code, reason = ...)]` (the macro's
//! export glue is unsafe code) and does, in this order: check the method (405), authenticate
//! with its Spin variable ([`request::authenticate`], 401), read [`idempotency::key`] and
//! [`precondition::if_match`] (400), read the body ([`request::read_body`], 413), parse it with
//! [`input`] (400 `wrong-type` / 422 `validation-failed`), call the service with the route
//! template as idempotency scope, and answer [`render::order`] — every error through
//! [`ApiError::from_service`] and [`Reply::from`]. `components/place-order` is the model.

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
pub mod path;
pub mod precondition;
pub mod render;
pub mod reply;
pub mod request;

pub use bindings::orderflow::core::{orders, types};
pub use error::ApiError;
pub use reply::Reply;

/// The largest request body any route accepts: 256 KiB (a larger one is 413).
pub const BODY_LIMIT: usize = 256 * 1024;
