//! What every component that calls the subscriptions service shares (subscriptions-api,
//! integrations-api, the back office): the import bindings of `orderflow:core/subscriptions`,
//! generated once over http-common's `types` (components map the interface onto [`subs`] with
//! wit-bindgen's `with`), [`render`], its records as the JSON of openapi.yaml, and [`error`], its
//! errors as HTTP answers.

pub mod error;
pub mod render;

/// Generated bindings of the `subscriptions-handler` world, over http-common's `types`.
#[doc(hidden)]
pub mod bindings {
    wit_bindgen::generate!({
        world: "subscriptions-handler",
        path: "../../wit",
        additional_derives: [PartialEq],
        with: {
            "orderflow:core/types@0.1.0": http_common::types,
        },
    });
}

pub use bindings::orderflow::core::subscriptions as subs;
