//! What every component that calls the inventory service shares (inventory-api and the
//! integrations components): the import bindings of `orderflow:core/inventory`, generated once
//! over http-common's `types` (components map the interface onto [`inv`] with wit-bindgen's
//! `with`), and [`render`], its records as the JSON of openapi.yaml and its errors as API errors.

pub mod render;

/// Generated bindings of the `inventory-handler` world, over http-common's `types`.
#[doc(hidden)]
pub mod bindings {
    wit_bindgen::generate!({
        world: "inventory-handler",
        path: "../../wit",
        with: {
            "orderflow:core/types@0.1.0": http_common::types,
        },
    });
}

pub use bindings::orderflow::core::inventory as inv;
