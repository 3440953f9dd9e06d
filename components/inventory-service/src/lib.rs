//! The inventory service: stock per SKU and location, what each order holds of it and the
//! movement ledger, over the Spin key-value store. The rules live in
//! `orderflow_domain::inventory`; this crate stores what they decide and is the only code that
//! knows the `inv/` key layout. [`Inventory`] takes any [`orderflow_kv::Kv`]. The crate is also
//! the service component: [`component::Component`] exports `orderflow:core/inventory`
//! (`wit/inventory.wit`, world `inventory-service`; built as a `cdylib` for `wasm32-wasip2`).
//!
//! # Key layout
//!
//! Everything is under `inv/`; counters under `inv/n/` and nothing else.
//!
//! | key | holds | written by |
//! |---|---|---|
//! | `inv/s/{sku}` | a tracked SKU's document: its stock (levels, open orders' holds, the last closed ones' ids), write id and recent ones, its slot in the SKU index, the newest movements of its ledger and how many older chunks are archived | `set-many` with its index entry at creation (claim holder), then compare-and-swap |
//! | `inv/n/c/{sku}/{window}` | the creation claim of a SKU's document | `increment` (`orderflow_kv::claim`) |
//! | `inv/n/ix/all` · `inv/ix/all/{slot}` | the slot counter · `{sku}` of every tracked SKU, in the order first tracked | `increment` · `set-many` at creation |
//! | `inv/n/o` · `inv/o/{position}` | the outbox's position counter · a change of stock that published events (its SKU after it, movements and events), committed when the ledger's movement it names carries its position | `increment` · `set` before the swap (in the creation's `set-many`) |
//! | `inv/h/{sku}/{order}` | where the order's units of the SKU left from and how many (its hold, once sold), for its returns | `set` before the swap that sold them |
//! | `inv/l/{sku}/{chunk}` | 4 movements of the ledger (`chunk` from 0), all committed before (so every writer writes the same bytes) | `set` before the swap that drops them from the document |
//! | `inv/l/{sku}/{chunk}/{version}` | 64 movements, as documents of the first layout archived them (by the write that made `version`); still read | (no longer written) |
//!
//! SKUs are escaped in keys (`orderflow_kv::escape`).

/// The `orderflow:core` bindings of the `inventory-service` world (`wit/inventory.wit`):
/// `inventory` exported by [`component::Component`].
#[cfg_attr(
    target_arch = "wasm32",
    expect(
        unsafe_code,
        reason = "the export glue wit-bindgen generates: canonical-ABI lifting and lowering"
    )
)]
#[doc(hidden)]
pub mod bindings {
    // The records of `orderflow:core/types` are the shared crate's, as are their conversions.
    wit_bindgen::generate!({
        world: "inventory-service",
        path: "../../wit",
        with: { "orderflow:core/types@0.1.0": orderflow_wit_types::types },
    });

    // Only a component exports: a native build (the tests) would put the WIT names, which a
    // linker version script cannot hold, into a shared library's symbol table.
    #[cfg(target_arch = "wasm32")]
    use super::component::Component;
    #[cfg(target_arch = "wasm32")]
    export!(Component);
}

mod check;
pub mod component;
mod doc;
mod keys;
mod list;
mod orders;
mod outbox;
mod service;
#[cfg(test)]
mod tests;

pub use check::{CheckReport, ORPHAN_AFTER};
pub use doc::OutboxEntry;
pub use list::{MAX_LIMIT, Page, StockFilter};
pub use orders::OrderStep;
pub use outbox::OutboxState;
pub use service::{Changed, Error, Inventory};
