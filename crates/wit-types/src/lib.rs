//! `orderflow:core/types` (`wit/types.wit`) as Rust records, generated once, and their
//! conversions to and from `orderflow_domain`.
//!
//! Both services speak these records: the orders service exports them, the subscriptions service
//! imports them from the orders service and exports them again in its own interface. Each
//! service's wit-bindgen would generate its own copy of the records, and each would need its own
//! conversions; instead each generates its world over this crate's records with wit-bindgen's
//! `with` option, `"orderflow:core/types@0.1.0": orderflow_wit_types::types`, and converts with
//! [`parse`] (WIT inputs into domain values, every bad field named by its JSON path) and
//! [`render`] (domain values into WIT records). Conversions only one service needs stay in it.

#![deny(missing_docs)]

/// The generated records: a world that only imports `orderflow:core/types`, with every type
/// generated although no function of this world uses it.
#[doc(hidden)]
pub mod bindings {
    wit_bindgen::generate!({
        inline: "
            package orderflow:wit-types;

            world types {
                import orderflow:core/types@0.1.0;
            }
        ",
        path: "../../wit",
        with: { "orderflow:core/types@0.1.0": generate },
        generate_unused_types: true,
    });
}

pub mod parse;
pub mod render;

pub use bindings::orderflow::core::types;
