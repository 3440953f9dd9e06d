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
//! A handler crate (`crate-type = ["cdylib"]`, spin-sdk without default features) exports its
//! `respond` function with [`export!`] and does, in this order: find its route
//! ([`request::route`], 404) and check the method ([`request::allow`], 405), authenticate with
//! its Spin variable ([`request::authenticate`], 401), read `Idempotency-Key`, `If-Match` and the
//! body ([`request::Write`]: 400, 400, 413), parse the body with [`input`] (400 `wrong-type` /
//! 422 `validation-failed`), call the service with the route template as idempotency scope
//! ([`request::Write::apply`]), and answer the order ([`Reply::written`]) — every error through
//! [`ApiError::from_service`] and [`Reply::from`]. `components/change-order` is the model.

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
#[cfg(feature = "export")]
pub mod export;
#[doc(hidden)]
pub mod fixtures;
pub mod idempotency;
pub mod input;
pub mod kick;
pub mod list_query;
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

/// The wasi:http export of a handler crate: `http_common::export!(respond);` at the crate root
/// answers each request with `respond(request).await`, an
/// `async fn(IncomingRequest) -> Result<Reply, ApiError>`, an error as [`Reply::from`] makes it.
/// `export!(respond, then_kick_integrations)` also asks for an integrations pass after a write's
/// 2xx (or, for a panel form, 303) answer is sent ([`kick`]); the component must be allowed
/// `http://` + `kick::HOST`.
///
/// spin-sdk's `#[http_component]` expands to the export glue, which is unsafe code. Lints do not
/// look into what another crate's macro expands to, so a handler crate keeps the workspace's
/// `forbid(unsafe_code)`, as this crate does for the bindings wit-bindgen generates.
#[macro_export]
macro_rules! export {
    ($respond:ident) => {
        /// The wasi:http export.
        mod export_glue {
            #[::spin_sdk::http_component]
            async fn handle(
                request: ::spin_sdk::http::IncomingRequest,
            ) -> ::spin_sdk::http::Response {
                super::$respond(request)
                    .await
                    .unwrap_or_else($crate::Reply::from)
                    .into_response()
            }
        }
    };
    ($respond:ident, then_kick_integrations) => {
        /// The wasi:http export; after a write's 2xx or 303 answer, an integrations pass
        /// ([`kick`]).
        mod export_glue {
            #[::spin_sdk::http_component]
            async fn handle(
                request: ::spin_sdk::http::IncomingRequest,
                out: ::spin_sdk::http::ResponseOutparam,
            ) {
                let write = $crate::kick::is_write(&request);
                let reply = super::$respond(request)
                    .await
                    .unwrap_or_else($crate::Reply::from);
                // 303: a panel form that went through.
                let status = reply.status();
                let kick = write && ((200..300).contains(&status) || status == 303);
                $crate::kick::answer(reply, out).await;
                if kick {
                    $crate::kick::integrations().await;
                }
            }
        }
    };
}
