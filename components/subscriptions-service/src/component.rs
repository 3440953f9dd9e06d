//! The component edge: the exported `orderflow:core/subscriptions` interface. Each export parses
//! its WIT input into domain values (`convert`), opens the store, runs the store logic
//! ([`Subscriptions`], over [`SpinKv`]) and renders the result back (`render`). A pass
//! places orders through the imported `orderflow:core/orders` ([`WitOrders`]).

use std::hash::{BuildHasher, Hasher};
use std::time::{SystemTime, UNIX_EPOCH};

use orderflow_domain::subscription::PaymentRetryPolicy;
use orderflow_domain::values::{FieldError, Invalid, Timestamp};

use crate::bindings::exports::orderflow::core::subscriptions as ws;
use crate::kv::SpinKv;
use crate::pass::{PassOptions, Shard};
use crate::service::{Error, Subscriptions};
use crate::wit_orders::WitOrders;
use crate::{convert, render};

/// The exported `subscriptions` interface.
#[derive(Debug)]
pub struct Component;

/// Now, from the wasi clock.
fn now() -> Timestamp {
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let millis = i64::try_from(since.as_millis()).unwrap_or(0);
    chrono::DateTime::from_timestamp_millis(millis)
        .map(Timestamp::from_datetime)
        .unwrap_or_else(|| Timestamp::from_datetime(chrono::DateTime::UNIX_EPOCH))
}

/// A random nonce for this call's write ids (std's hasher keys come from wasi random).
fn nonce() -> u64 {
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos(),
    );
    hasher.finish()
}

/// Runs `f` with a service over the `default` store.
fn with_service<T>(
    f: impl FnOnce(&Subscriptions<'_, SpinKv>) -> Result<T, Error>,
) -> Result<T, ws::Error> {
    let kv = SpinKv::open().map_err(|e| render::error(e.into()))?;
    let service = Subscriptions::new(&kv, now(), nonce());
    f(&service).map_err(render::error)
}

impl ws::Guest for Component {
    fn create_plan(plan: ws::NewPlan) -> Result<ws::Plan, ws::Error> {
        with_service(|s| {
            let id = match &plan.id {
                Some(id) => convert::plan_id(id, "id").map_err(Error::Invalid)?,
                None => s.next_plan_id()?,
            };
            let new = convert::new_plan(&plan, id).map_err(Error::Invalid)?;
            s.create_plan(new)
        })
        .map(|p| render::plan(&p))
    }

    fn get_plan(id: String) -> Result<ws::Plan, ws::Error> {
        let id = convert::plan_id(&id, "id").map_err(|_| ws::Error::PlanNotFound)?;
        with_service(|s| s.plan(&id)).map(|p| render::plan(&p))
    }

    fn list_plans(page: ws::PageRequest) -> Result<ws::PlanPage, ws::Error> {
        with_service(|s| s.plans(&convert::page(&page))).map(|p| render::plan_page(&p))
    }

    fn create(input: ws::NewSubscription) -> Result<ws::Subscription, ws::Error> {
        with_service(|s| {
            let plan = match &input.plan_id {
                Some(id) => {
                    let id = convert::plan_id(id, "planId").map_err(Error::Invalid)?;
                    Some(s.plan(&id)?)
                }
                None => None,
            };
            let id = match &input.id {
                Some(id) => convert::subscription_id(id).map_err(Error::Invalid)?,
                None => s.next_subscription_id()?,
            };
            let new = convert::new_subscription(&input, id, plan.as_ref(), now())?;
            s.create(new)
        })
        .map(|sub| render::subscription(&sub))
    }

    fn get(id: String) -> Result<ws::Subscription, ws::Error> {
        let id = convert::subscription_id(&id).map_err(|_| ws::Error::NotFound)?;
        with_service(|s| s.get(&id)).map(|sub| render::subscription(&sub))
    }

    fn list(filter: ws::Filter, page: ws::PageRequest) -> Result<ws::SubscriptionPage, ws::Error> {
        let filter = convert::filter(&filter).map_err(|f| render::invalid(&f))?;
        with_service(|s| s.list(&filter, &convert::page(&page)))
            .map(|p| render::subscription_page(&p))
    }

    fn apply(
        id: String,
        command: ws::Command,
        expected_version: Option<u64>,
    ) -> Result<ws::Subscription, ws::Error> {
        let id = convert::subscription_id(&id).map_err(|_| ws::Error::NotFound)?;
        let command = convert::command(&command).map_err(|f| render::invalid(&f))?;
        with_service(|s| s.apply(&id, command, expected_version))
            .map(|w| render::subscription(&w.subscription))
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

    fn run_pass(at: Option<String>) -> Result<ws::PassReport, ws::Error> {
        let at = pass_instant(at)?;
        let (options, misconfigured) = pass_options(None);
        with_service(|s| s.run_pass_with(at, &WitOrders, &options)).map(|mut r| {
            r.errors.extend(misconfigured);
            render::pass_report(&r)
        })
    }

    fn begin_pass(at: Option<String>) -> Result<String, ws::Error> {
        pass_instant(at).map(Timestamp::to_rfc3339)
    }

    fn run_shard(at: String, shard: ws::PassShard) -> Result<ws::ShardReport, ws::Error> {
        let at = pass_instant(Some(at))?;
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
        let at = pass_instant(Some(at))?;
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
}

/// A pass's instant: `at` checked, or now.
fn pass_instant(at: Option<String>) -> Result<Timestamp, ws::Error> {
    match at {
        Some(at) => convert::instant(&at, "now").map_err(|f| render::invalid(&f)),
        None => Ok(now()),
    }
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
