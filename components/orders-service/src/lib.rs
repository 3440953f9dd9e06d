//! The orders service component: exports `orderflow:core/orders` over the Spin key-value store.
//!
//! This file is the thin edge: each export parses its WIT input into domain values
//! ([`convert`]), opens the store, runs the store logic ([`service`], over the [`kv::Kv`] trait)
//! and renders the result back into WIT records ([`render`]). The key layout is in [`keys`]; the
//! stored documents in [`doc`]; the store itself is `orderflow-kv` (crates/kv), shared with the
//! subscriptions service.

mod convert;
mod doc;
mod keys;
mod render;
mod service;
#[cfg(test)]
mod tests;
mod wit_stock;

use std::time::SystemTime;

use orderflow_domain::order::Actor;
use orderflow_domain::values::{FieldError, Invalid, Timestamp};

use bindings::exports::orderflow::core::orders as wo;
use kv::SpinKv;
use orderflow_kv as kv;
#[cfg(test)]
use orderflow_kv::memory;
use orderflow_wit_types::types as wit;
use service::{Failure, Service};
use wit_stock::WitStock;

#[cfg_attr(
    target_arch = "wasm32",
    expect(
        unsafe_code,
        reason = "the export glue wit-bindgen generates: canonical-ABI lifting and lowering"
    )
)]
mod bindings {
    // The records of `orderflow:core/types` are the shared crate's, as are their conversions.
    wit_bindgen::generate!({
        world: "service",
        path: "../../wit",
        with: { "orderflow:core/types@0.1.0": orderflow_wit_types::types },
    });

    // Only a component exports: a native build (the tests) would put the WIT names, which a
    // linker version script cannot hold, into a shared library's symbol table.
    #[cfg(target_arch = "wasm32")]
    use super::Component;
    #[cfg(target_arch = "wasm32")]
    export!(Component);
}

/// The exported `orders` interface.
struct Component;

/// Now, from the wasi clock.
fn now() -> Timestamp {
    Timestamp::from_system_time(SystemTime::now())
}

/// The two `apply` exports: the input parsed, then the command applied by `actor` (and, from
/// the back office, the named `operator`).
fn apply_command(
    id: &str,
    command: &wit::Command,
    actor: Actor,
    operator: Option<&str>,
    expected_version: Option<u64>,
    idempotency: Option<wo::Idempotency>,
) -> Result<wo::Written, wit::Error> {
    let id = convert::order_id(id).map_err(|_| wit::Error::NotFound)?;
    let command = convert::command(command).map_err(render::invalid)?;
    let idempotency = convert::idempotency(idempotency).map_err(render::invalid)?;
    let operator = operator
        .map(convert::operator)
        .transpose()
        .map_err(render::invalid)?;
    with_service(|s| {
        s.apply_by(
            &id,
            &command,
            actor,
            operator,
            expected_version,
            idempotency,
        )
    })
    .map(render::written)
    .map_err(render::error)
}
/// Runs `f` with a service over the `default` store.
fn with_service<T>(
    f: impl FnOnce(&Service<'_, SpinKv>) -> Result<T, Failure>,
) -> Result<T, Failure> {
    with_service_at(now(), f)
}

/// Runs `f` with a service whose clock reads `now` (a test clock's frozen time).
fn with_service_at<T>(
    now: Timestamp,
    f: impl FnOnce(&Service<'_, SpinKv>) -> Result<T, Failure>,
) -> Result<T, Failure> {
    let kv = SpinKv::open()?;
    let service = Service::new(&kv, Box::new(WitStock), now, kv::write::nonce());
    f(&service)
}

impl wo::Guest for Component {
    fn place(
        input: wit::PlaceOrder,
        actor: wit::Actor,
        idempotency: Option<wo::Idempotency>,
    ) -> Result<wo::Written, wit::Error> {
        let input = convert::place_order(&input).map_err(render::invalid)?;
        let idempotency = convert::idempotency(idempotency).map_err(render::invalid)?;
        let actor = convert::actor(actor);
        with_service(|s| s.place(input, actor, idempotency))
            .map(render::written)
            .map_err(render::error)
    }

    fn place_on_clock(
        input: wit::PlaceOrder,
        test_clock: String,
        now: wit::Timestamp,
    ) -> Result<wo::Written, wit::Error> {
        let mut input = convert::place_order(&input).map_err(render::invalid)?;
        let (clock, now) = convert::clock(&test_clock, &now).map_err(render::invalid)?;
        // Only a subscription's cycle lives on a test clock: the order carries it in its
        // subscription reference.
        let Some(subscription) = input.subscription.as_mut() else {
            let missing = FieldError::new("subscription", Invalid::Required);
            return Err(render::invalid(vec![missing]));
        };
        subscription.test_clock = Some(clock);
        with_service_at(now, |s| s.place(input, Actor::System, None))
            .map(render::written)
            .map_err(render::error)
    }

    fn load(id: String) -> Result<wit::Order, wit::Error> {
        let id = convert::order_id(&id).map_err(|_| wit::Error::NotFound)?;
        with_service(|s| s.load(&id))
            .map(|o| render::order(&o))
            .map_err(render::error)
    }

    fn find_by_external_id(
        channel: String,
        external_id: String,
    ) -> Result<Option<wit::Order>, wit::Error> {
        let Ok((channel, external_id)) = convert::external(&channel, &external_id) else {
            // No order can have an id that does not parse.
            return Ok(None);
        };
        with_service(|s| s.find_by_external_id(&channel, &external_id))
            .map(|o| o.as_ref().map(render::order))
            .map_err(render::error)
    }

    fn apply(
        id: String,
        command: wit::Command,
        actor: wit::Actor,
        expected_version: Option<u64>,
        idempotency: Option<wo::Idempotency>,
    ) -> Result<wo::Written, wit::Error> {
        let actor = convert::actor(actor);
        apply_command(&id, &command, actor, None, expected_version, idempotency)
    }

    fn apply_by_operator(
        id: String,
        command: wit::Command,
        operator: String,
        expected_version: Option<u64>,
        idempotency: Option<wo::Idempotency>,
    ) -> Result<wo::Written, wit::Error> {
        let operator = Some(operator.as_str());
        apply_command(
            &id,
            &command,
            Actor::Admin,
            operator,
            expected_version,
            idempotency,
        )
    }

    fn list(query: wo::Query) -> Result<wo::Page, wit::Error> {
        let query = convert::query(query).map_err(render::invalid)?;
        with_service(|s| s.list(&query))
            .map(render::page)
            .map_err(render::error)
    }

    fn cancel_unpaid(
        as_of: wit::Timestamp,
        limit: u32,
        test_clock: Option<String>,
    ) -> Result<u64, wit::Error> {
        let as_of = convert::instant("asOf", &as_of).map_err(render::invalid)?;
        match test_clock {
            None => with_service(|s| s.cancel_unpaid(as_of, limit, None)),
            // A test clock's orders expire as of its time, and their history says so.
            Some(clock) => {
                let clock = convert::clock_id(&clock).map_err(render::invalid)?;
                with_service_at(as_of, |s| s.cancel_unpaid(as_of, limit, Some(&clock)))
            }
        }
        .map_err(render::error)
    }

    fn check(repair: bool) -> Result<wo::CheckReport, wit::Error> {
        with_service(|s| s.check(repair))
            .map(render::report)
            .map_err(render::error)
    }

    fn count() -> Result<Option<wo::Counts>, wit::Error> {
        with_service(|s| s.counts())
            .map(|counts| counts.map(|c| render::counts(&c)))
            .map_err(render::error)
    }

    fn catch_up_indexes() -> Result<(), wit::Error> {
        with_service(|s| s.catch_up()).map_err(render::error)
    }

    fn read_outbox(
        after: u64,
        limit: u32,
        recheck: Vec<u64>,
    ) -> Result<Vec<wo::OutboxPosition>, wit::Error> {
        with_service(|s| s.read_outbox(after, limit, &recheck))
            .map(|read| read.into_iter().map(render::outbox_position).collect())
            .map_err(render::error)
    }
}
