//! The component edge: the exported `orderflow:core/subscriptions` interface. Each export parses
//! its WIT input into domain values (`convert`), opens the store, runs the store logic
//! ([`Subscriptions`], over [`SpinKv`]) and renders the result back (`render`). A pass
//! places orders through the imported `orderflow:core/orders` ([`WitOrders`]).

use std::time::SystemTime;

use orderflow_domain::subscription::{PaymentRetryPolicy, Subscription};
use orderflow_domain::values::{FieldError, Invalid, PlanId, SubscriptionId, Timestamp};
use orderflow_wit_types::types as wit;

use crate::bindings::exports::orderflow::core::subscriptions as ws;
use crate::idempotency::{Idempotency, Outcome};
use crate::kv::SpinKv;
use crate::pass::{PassOptions, Shard};
use crate::service::{Error, Subscriptions, View};
use crate::wit_orders::WitOrders;
use crate::{convert, render};

/// A creation run in the space its subscription lives in (live, or a test clock's).
type CreateIn<'c> =
    dyn Fn(&Subscriptions<'_, SpinKv>, Timestamp) -> Result<Subscription, Error> + 'c;

/// The exported `subscriptions` interface.
#[derive(Debug)]
pub struct Component;

/// Now, from the wasi clock.
fn now() -> Timestamp {
    Timestamp::from_system_time(SystemTime::now())
}

/// Runs `f` with a service over the `default` store.
fn with_service<T>(
    f: impl FnOnce(&Subscriptions<'_, SpinKv>) -> Result<T, Error>,
) -> Result<T, ws::Error> {
    let kv = SpinKv::open().map_err(|e| render::error(e.into()))?;
    let service = Subscriptions::new(&kv, now(), crate::kv::write::nonce());
    f(&service).map_err(render::error)
}

impl ws::Guest for Component {
    fn create_plan(
        plan: ws::NewPlan,
        idempotency: Option<wit::Idempotency>,
    ) -> Result<ws::PlanWritten, ws::Error> {
        let idempotency = keyed(idempotency)?;
        with_service(|s| {
            s.keyed(idempotency.as_ref(), |keyed| {
                let id = match (&plan.id, keyed) {
                    (Some(id), _) => convert::plan_id(id, "id").map_err(Error::Invalid)?,
                    (None, Some(keyed)) => {
                        convert::plan_id(&keyed.derived_id("p"), "id").map_err(Error::Invalid)?
                    }
                    (None, None) => {
                        // The id is replaced by the number the service gives.
                        let unnumbered =
                            PlanId::parse("p-0").map_err(|e| Error::Store(e.to_string()))?;
                        let new = convert::new_plan(&plan, unnumbered).map_err(Error::Invalid)?;
                        return s.create_plan_numbered(new);
                    }
                };
                let new = convert::new_plan(&plan, id.clone()).map_err(Error::Invalid)?;
                match (s.create_plan(new), keyed) {
                    // This key's earlier run created it (and crashed before its record).
                    (Err(Error::AlreadyExists), Some(_)) if plan.id.is_none() => s.plan(&id),
                    (result, _) => result,
                }
            })
        })
        .map(|o| ws::PlanWritten {
            plan: render::plan(&o.value),
            replayed: o.replayed,
        })
    }

    fn get_plan(id: String) -> Result<ws::Plan, ws::Error> {
        let id = convert::plan_id(&id, "id").map_err(|_| ws::Error::PlanNotFound)?;
        with_service(|s| s.plan(&id)).map(|p| render::plan(&p))
    }

    fn list_plans(page: ws::PageRequest) -> Result<ws::PlanPage, ws::Error> {
        with_service(|s| s.plans(&convert::page(&page))).map(|p| render::plan_page(&p))
    }

    fn create(
        input: ws::NewSubscription,
        idempotency: Option<wit::Idempotency>,
    ) -> Result<ws::SubscriptionWritten, ws::Error> {
        let idempotency = keyed(idempotency)?;
        let clock = input
            .test_clock
            .as_deref()
            .map(|id| convert::clock_id(id, "testClock"))
            .transpose()
            .map_err(|f| render::invalid(&f))?;
        with_service(|s| {
            let plan = match &input.plan_id {
                Some(id) => {
                    let id = convert::plan_id(id, "planId").map_err(Error::Invalid)?;
                    Some(s.plan(&id)?)
                }
                None => None,
            };
            let build = |id, now| convert::new_subscription(&input, id, plan.as_ref(), now);
            let created = |subscription| Outcome {
                value: View {
                    subscription,
                    test_clock: clock.clone(),
                },
                replayed: false,
            };
            // Runs a creation in the space the subscription lives in.
            let in_space = |create: &CreateIn<'_>| match &clock {
                Some(clock) => s.on_clock(clock, |s, now| create(s, now)),
                None => create(s, now()),
            };
            let id = input
                .id
                .as_deref()
                .map(convert::subscription_id)
                .transpose()
                .map_err(Error::Invalid)?;
            match (id, &idempotency) {
                (id, Some(idempotency)) => {
                    let create = |s: &Subscriptions<'_, SpinKv>, now| {
                        s.create_keyed(idempotency, id, |id| build(id, now))
                    };
                    match &clock {
                        Some(clock) => s.on_clock(clock, create),
                        None => create(s, now()),
                    }
                }
                (None, None) => {
                    // The id is replaced by the number the service gives.
                    let unnumbered =
                        SubscriptionId::parse("s-0").map_err(|e| Error::Store(e.to_string()))?;
                    let sub =
                        in_space(&|s, now| s.create_numbered(build(unnumbered.clone(), now)?))?;
                    Ok(created(sub))
                }
                (Some(id), None) => {
                    let sub = in_space(&|s, now| s.create(build(id.clone(), now)?))?;
                    Ok(created(sub))
                }
            }
        })
        .map(|o| ws::SubscriptionWritten {
            subscription: render::view(&o.value),
            replayed: o.replayed,
        })
    }

    fn get(id: String) -> Result<ws::Subscription, ws::Error> {
        let id = convert::subscription_id(&id).map_err(|_| ws::Error::NotFound)?;
        with_service(|s| s.view(&id)).map(|v| render::view(&v))
    }

    fn list(filter: ws::Filter, page: ws::PageRequest) -> Result<ws::SubscriptionPage, ws::Error> {
        let filter = convert::filter(&filter).map_err(|f| render::invalid(&f))?;
        with_service(|s| s.list_views(&filter, &convert::page(&page)))
            .map(|p| render::subscription_page(&p))
    }

    fn apply(
        id: String,
        command: ws::Command,
        expected_version: Option<u64>,
        idempotency: Option<wit::Idempotency>,
    ) -> Result<ws::SubscriptionWritten, ws::Error> {
        let id = convert::subscription_id(&id).map_err(|_| ws::Error::NotFound)?;
        let command = convert::command(&command).map_err(|f| render::invalid(&f))?;
        let idempotency = keyed(idempotency)?;
        let key = idempotency.as_ref().map(Idempotency::command_key);
        with_service(|s| {
            let written = s.apply_keyed(&id, command, expected_version, key.as_ref())?;
            Ok(Outcome {
                value: View {
                    subscription: written.subscription,
                    test_clock: written.test_clock,
                },
                replayed: written.replayed,
            })
        })
        .map(|o| ws::SubscriptionWritten {
            subscription: render::view(&o.value),
            replayed: o.replayed,
        })
    }

    fn cycles(id: String, page: ws::PageRequest) -> Result<ws::CyclePage, ws::Error> {
        let id = convert::subscription_id(&id).map_err(|_| ws::Error::NotFound)?;
        with_service(|s| s.cycles(&id, &convert::page(&page))).map(|p| render::cycle_page(&p))
    }

    fn get_stats() -> Result<ws::Stats, ws::Error> {
        with_service(|s| s.stats()).map(|st| render::stats(&st))
    }

    fn check(repair: bool) -> Result<ws::CheckReport, ws::Error> {
        with_service(|s| s.check(repair)).map(|r| ws::CheckReport {
            subscriptions: r.subscriptions,
            inconsistencies: r.inconsistencies,
            repaired: r.repaired,
        })
    }

    fn read_outbox(
        after: u64,
        limit: u32,
        recheck: Vec<u64>,
    ) -> Result<Vec<ws::OutboxPosition>, ws::Error> {
        with_service(|s| s.read_outbox(after, limit, &recheck))
            .map(|read| read.into_iter().map(render::outbox_position).collect())
    }

    fn catch_up_indexes() -> Result<(), ws::Error> {
        with_service(|s| s.catch_up())
    }

    fn run_pass() -> Result<ws::PassReport, ws::Error> {
        let (options, misconfigured) = pass_options(None);
        with_service(|s| s.run_pass_with(now(), &WitOrders, &options)).map(|mut r| {
            r.errors.extend(misconfigured);
            render::pass_report(&r)
        })
    }

    fn begin_pass() -> Result<String, ws::Error> {
        Ok(now().to_rfc3339())
    }

    fn run_shard(at: String, shard: ws::PassShard) -> Result<ws::ShardReport, ws::Error> {
        let at = pass_instant(&at)?;
        let count = i64::from(shard.count);
        let shard = Shard::new(shard.index, shard.count).ok_or_else(|| {
            let range = Invalid::OutOfRange {
                min: 0,
                max: count.saturating_sub(1),
            };
            render::invalid(&[FieldError::new("shard.index", range)])
        })?;
        let (options, _) = pass_options(Some(shard));
        with_service(|s| s.run_shard(at, &WitOrders, &options)).map(|r| ws::ShardReport {
            report: render::pass_report(&r.report),
            unfinished: r.unfinished.map(Timestamp::to_rfc3339),
        })
    }

    fn end_pass(at: String, unfinished: Option<String>) -> Result<ws::PassReport, ws::Error> {
        let at = pass_instant(&at)?;
        let unfinished = unfinished
            .map(|u| convert::instant(&u, "unfinished"))
            .transpose()
            .map_err(|f| render::invalid(&f))?;
        let (options, misconfigured) = pass_options(None);
        with_service(|s| s.end_pass(at, &WitOrders, &options, unfinished)).map(|mut r| {
            r.errors.extend(misconfigured);
            render::pass_report(&r)
        })
    }

    fn create_test_clock(
        clock: ws::NewTestClock,
        idempotency: Option<wit::Idempotency>,
    ) -> Result<ws::TestClockWritten, ws::Error> {
        let idempotency = keyed(idempotency)?;
        let (name, frozen_time) =
            convert::new_test_clock(&clock).map_err(|f| render::invalid(&f))?;
        with_service(|s| {
            s.keyed(idempotency.as_ref(), |keyed| {
                let id = match (&clock.id, keyed) {
                    (Some(id), _) => convert::clock_id(id, "id").map_err(Error::Invalid)?,
                    (None, Some(keyed)) => {
                        convert::clock_id(&keyed.derived_id("tc"), "id").map_err(Error::Invalid)?
                    }
                    (None, None) => return s.create_clock_numbered(name.clone(), frozen_time),
                };
                match (s.create_clock(id.clone(), name.clone(), frozen_time), keyed) {
                    // This key's earlier run created it (and crashed before its record).
                    (Err(Error::AlreadyExists), Some(_)) if clock.id.is_none() => s.clock(&id),
                    (result, _) => result,
                }
            })
        })
        .map(|o| ws::TestClockWritten {
            clock: render::test_clock(&o.value),
            replayed: o.replayed,
        })
    }

    fn get_test_clock(id: String) -> Result<ws::TestClock, ws::Error> {
        let id = convert::clock_id(&id, "id").map_err(|_| ws::Error::TestClockNotFound)?;
        with_service(|s| s.clock(&id)).map(|c| render::test_clock(&c))
    }

    fn list_test_clocks(page: ws::PageRequest) -> Result<ws::TestClockPage, ws::Error> {
        with_service(|s| s.clocks(&convert::page(&page))).map(|p| ws::TestClockPage {
            items: p.items.iter().map(render::test_clock).collect(),
            next_cursor: p.next_cursor,
        })
    }

    fn advance_test_clock(
        id: String,
        frozen_time: String,
        idempotency: Option<wit::Idempotency>,
    ) -> Result<ws::Advanced, ws::Error> {
        let id = convert::clock_id(&id, "id").map_err(|_| ws::Error::TestClockNotFound)?;
        let to = convert::instant(&frozen_time, "frozenTime").map_err(|f| render::invalid(&f))?;
        let idempotency = keyed(idempotency)?;
        let (options, misconfigured) = pass_options(None);
        with_service(|s| {
            s.keyed(idempotency.as_ref(), |_| {
                s.advance_clock(&id, to, &WitOrders, &options)
            })
        })
        .map(|o| {
            let (clock, mut report) = o.value;
            report.errors.extend(misconfigured);
            ws::Advanced {
                clock: render::test_clock(&clock),
                report: render::pass_report(&report),
                replayed: o.replayed,
            }
        })
    }

    fn delete_test_clock(id: String) -> Result<ws::TestClock, ws::Error> {
        let id = convert::clock_id(&id, "id").map_err(|_| ws::Error::TestClockNotFound)?;
        with_service(|s| s.delete_clock(&id)).map(|c| render::test_clock(&c))
    }
}

/// An Idempotency-Key from the WIT input, parsed.
fn keyed(idempotency: Option<wit::Idempotency>) -> Result<Option<Idempotency>, ws::Error> {
    idempotency
        .map(|i| Idempotency::parse(&i.scope, &i.key, &i.fingerprint))
        .transpose()
        .map_err(render::error)
}

/// How far a live pass's instant may be after the host clock: the shards of a pass carry the
/// instant `begin-pass` read, and hosts' clocks differ a little.
const CLOCK_SKEW_SECONDS: i64 = 60;

/// A live pass's instant, checked: never after the host clock (a live pass in the future
/// would charge cycles and expire payments early; a test clock is the way to see the future).
fn pass_instant(at: &str) -> Result<Timestamp, ws::Error> {
    let at = convert::instant(at, "now").map_err(|f| render::invalid(&f))?;
    if at.unix_seconds() > now().unix_seconds().saturating_add(CLOCK_SKEW_SECONDS) {
        let future = Invalid::BadFormat {
            expected: "an instant not after the host clock (use a test clock for the future)",
        };
        return Err(render::invalid(&[FieldError::new("now", future)]));
    }
    Ok(at)
}

/// A pass's options from the application variables (and what was wrong with them).
fn pass_options(shard: Option<Shard>) -> (PassOptions, Vec<String>) {
    let (payment, misconfigured) = payment_retry();
    let options = PassOptions {
        payment,
        shard,
        ..PassOptions::default()
    };
    (options, misconfigured)
}

/// The payment retry policy of the application variables `payment_retry_attempts` and
/// `payment_retry_interval_minutes`; the default's value for one that is not granted to the
/// component or empty. A value that does not parse is replaced by the default too (a pass is
/// not refused for it) and comes back as a sentence for the pass report.
fn payment_retry() -> (PaymentRetryPolicy, Vec<String>) {
    let read = |name: &str| {
        spin_sdk::variables::get(name)
            .ok()
            .filter(|value| !value.trim().is_empty())
    };
    convert::payment_retry(
        read("payment_retry_attempts").as_deref(),
        read("payment_retry_interval_minutes").as_deref(),
    )
}
