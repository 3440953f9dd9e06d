//! The subscriptions service: plans, subscriptions, their cycle records, dashboard counters and
//! the runner pass that turns each due cycle into exactly one order, over the Spin key-value
//! store.
//!
//! The rules live in `orderflow_domain::subscription` (schedules, `Subscription::apply`, `due`,
//! `order_for`); this crate stores what they decide and is the only code that knows the
//! `sub/` key layout. [`Subscriptions`] takes any [`kv::Kv`]: [`kv::SpinKv`] in a component, an
//! in-memory store in the tests. A pass places orders through the [`Orders`] trait:
//! [`WitOrders`] over the imported `orderflow:core/orders` in a component, a fake in the tests.
//!
//! The crate is also the service component: [`component::Component`] exports
//! `orderflow:core/subscriptions` (`wit/subscriptions.wit`, world `subscriptions-service`; built
//! as a `cdylib` for `wasm32-wasip2`), to be composed (after the orders service
//! is plugged into it) into the components that import it: `subscriptions-api` (HTTP) and
//! `subscription-runner` (cron).
//!
//! # Key layout
//!
//! Everything is under `sub/` (Spin's Redis backend does not namespace keys by store). Counters
//! are under `sub/n/` and nothing else is, so no key written by `set` is ever incremented.
//!
//! | key | holds | written by |
//! |---|---|---|
//! | `sub/n/sc/{subscriptionId}`, `sub/n/pc/{planId}`, `sub/n/tcc/{clockId}` | creation claims of an id (a generated id is the outbox position or the index slot it was created at) | `increment` (the caller that gets 1 creates) |
//! | `sub/p/{planId}` | the plan | `set-many` with its index entry, by the claim holder |
//! | `sub/s/{subscriptionId}` | the subscription document: the domain's `Subscription`, write id and recent write ids, the version at which it joined each index, the outbox position of each version | `set-many` with its outbox entry at creation (claim holder), then compare-and-swap |
//! | `sub/n/outbox` · `sub/outbox/{position}` | the outbox counter · an entry per version: the subscription as written, its events, the cycle records it settled (`outbox`) | `increment` · `set` before the document's swap |
//! | `sub/ixh` | the indexer's head: outbox cursor, positions passed over, the last plan, the lease (`index`) | compare-and-swap |
//! | `sub/ixr/{subscriptionId}` | what the indexer derived from a subscription: its index slots, its due entry, what it counts | the indexer's plans |
//! | `sub/c/{subscriptionId}/{cycle}` | the record of a settled cycle (a range of missed or skipped cycles is one record at its first number, with `through`); a failed attempt is in the document, not here | the indexer's plans, in outbox order |
//! | `sub/n/ix/{index}` · `sub/ix/{index}/{slot}` | index slot counter · `{id, v}`: the subscription and the version at which it joined; indexes `all`, `status/{status}`, `customer/{id or email}` (the indexer), `plans`, `clocks`, `clock/{id}` (their creators, `{id}` only) | `increment` · `set`/`delete` |
//! | `sub/n/due/m/{minute}` · `sub/due/{minute}/{slot}` | due-index slot counter of a minute bucket · `{id}` of the subscription whose next run it is | `increment` · `set`/`delete` by the indexer |
//! | `sub/n/due/h/{hour}`, `sub/n/due/d/{day}`, `sub/n/due/y/{era}` | due entries ever allocated in an hour, day, 365-day era (lets a pass skip empty time with one read) | `increment` |
//! | `sub/pass/cursor` | the last minute bucket passes have finished | compare-and-swap, only forward |
//! | `sub/n/cc/{subscriptionId}/{cycle}` · `sub/cc/{subscriptionId}/{cycle}` | a cycle's order claim · when it was taken | `increment` (1 holds it) · `set` by the holder; both deleted once the cycle is recorded |
//! | `sub/st/counters` | subscriptions per status, monthly recurring revenue per currency (minor units), active subscriptions due per hour; the last plan counted | compare-and-swap by the indexer (and by `check` to repair the first two) |
//! | `sub/idem/{hash}` · `sub/n/idem/{hash}/{window}` | an Idempotency-Key's outcome · its lease-window claim (`idempotency`) | `set` · `increment` |
//!
//! Minutes, hours and days count from the Unix epoch (UTC); minute `m` is the bucket of the
//! instants `[60m, 60m + 60)` seconds. Cycle identities and exactly-once: see [`pass`].

/// The `orderflow:core` bindings of the `subscriptions-service` world (`wit/subscriptions.wit`):
/// `orders` imported, `subscriptions` exported by [`component::Component`].
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
        world: "subscriptions-service",
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

pub mod check;
pub mod clock;
pub mod component;
mod convert;
pub mod doc;
pub mod idempotency;
mod index;
mod keys;
mod list;
pub use orderflow_kv as kv;
#[cfg(test)]
use orderflow_kv::memory;
pub mod orders;
pub mod outbox;
pub mod pass;
mod plans;
mod render;
pub mod service;
pub mod stats;
#[cfg(test)]
mod tests;
pub mod wit_orders;

pub use check::CheckReport;
pub use clock::{ClockStatus, TestClock};
pub use doc::{CycleRecord, Plan};
pub use orders::{
    ClockTime, Orders, OrdersError, PaymentState, PlacedOrder, attempt_identity, order_identity,
};
pub use pass::{PassOptions, PassReport, Shard, ShardReport};
pub use service::{Error, Filter, NewPlan, Page, PageRequest, Subscriptions, View, Written};
pub use stats::Stats;
pub use wit_orders::WitOrders;
