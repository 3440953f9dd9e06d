//! `/plans` and `/subscriptions`: the back office's (and, for creation, the checkout's) side of
//! recurring purchases (the `subscriptions` operations of openapi.yaml).
//!
//! A thin adapter over `orderflow:core/subscriptions`: route ([`route`]), authenticate
//! (`admin_token`; `checkout_token` may also create a subscription), read `If-Match`, parse the
//! body or query ([`input`]), call the service, render ([`render`]); every service error goes
//! through `subscriptions_client::error::from_service`. `POST /subscriptions/run` runs the same
//! live pass as the cron `subscription-runner`, at once, split into shards that run side by side
//! ([`shards`]).
//! `/test-clocks` are Stripe's test clocks: a subscription created on one (`testClock`) runs
//! only when its clock is advanced, at the clock's time, and never touches live data.
//!
//! The bindings and the JSON of the subscriptions interface's records are subscriptions-client's
//! (shared with integrations-api), generated over http-common's types, so http-common's readers
//! and renderers of customers, addresses and money serve it unchanged; the component imports
//! only the subscriptions interface (never the orders one: its only link to orders is the
//! composed subscriptions service).
//!
//! Every POST that creates or changes something honours `Idempotency-Key` the way the orders
//! routes do: the key, route and body digest go to the service (`idempotency` in the WIT),
//! which records and replays outcomes; this handler only adds `Idempotent-Replayed: true` to a
//! replay. A pass (`run`) is idempotent by nature and records nothing.

mod input;
mod route;
mod shards;

use http_common::request;
use http_common::types::Idempotency;
use http_common::{ApiError, Reply, auth, idempotency, precondition};
use serde_json::json;
use spin_sdk::http::IncomingRequest;

use crate::route::{Action, Route};
use subscriptions_client::error::{On, from_service};

use subscriptions_client::{render, subs};

http_common::export!(respond, then_kick_integrations);

/// Who presented a valid token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Caller {
    /// `admin_token`: every route.
    Admin,
    /// `checkout_token`: only `POST /subscriptions` (never on a test clock's routes).
    Checkout,
}

/// Checks the bearer token against `admin_token`, then `checkout_token`.
fn authenticate(request: &IncomingRequest) -> Result<Caller, ApiError> {
    let header = request::header(request, "authorization");
    let presented = header.first().map(Vec::as_slice);
    let mut refusal = None;
    for (variable, caller) in [
        ("admin_token", Caller::Admin),
        ("checkout_token", Caller::Checkout),
    ] {
        let expected = request::token(variable)?;
        match auth::check_bearer(presented, &expected) {
            Ok(()) => return Ok(caller),
            Err(error) => refusal = refusal.or(Some(error)),
        }
    }
    Err(refusal.unwrap_or_else(|| ApiError::unauthorized("send a bearer token")))
}

async fn respond(request: IncomingRequest) -> Result<Reply, ApiError> {
    let (path, query) = request::path_and_query(&request);
    let route = route::parse(&path).ok_or_else(|| ApiError::no_route(&path))?;
    let method = request::allow(&request, route.methods())?;
    let caller = authenticate(&request)?;
    let create = route == Route::Subscriptions && method == "POST";
    if caller == Caller::Checkout && !create {
        return Err(ApiError::new(
            403,
            "forbidden",
            "the checkout token may only create subscriptions; use the admin token",
        ));
    }
    let expected_version = precondition::if_match(&request::header(&request, "if-match"))?;
    // Every POST accepts an Idempotency-Key (other methods ignore the header).
    let key = match method.as_str() {
        "POST" => idempotency::key(&request::header(&request, "idempotency-key"))?,
        _ => None,
    };
    let body = match method.as_str() {
        "POST" | "PATCH" => request::read_body(request).await?,
        _ => Vec::new(),
    };
    // The query belongs to the request a key names: `check?repair=true` is not `check`.
    let request = if query.is_empty() {
        body.clone()
    } else {
        [query.as_bytes(), b"?", &body].concat()
    };
    let keyed = key.map(|key| idempotency::idempotency(&format!("{method} {path}"), key, &request));
    let call = Call {
        method: &method,
        query: &query,
        body: &body,
        expected_version,
        idempotency: keyed.as_ref(),
    };
    answer(route, &call).await
}

/// An authenticated request's parts.
struct Call<'a> {
    method: &'a str,
    query: &'a str,
    body: &'a [u8],
    expected_version: Option<u64>,
    /// Its Idempotency-Key, for the service to record and replay.
    idempotency: Option<&'a Idempotency>,
}

/// A reply to a keyed call: `Idempotent-Replayed: true` on a replay.
fn written(status: u16, value: &serde_json::Value, replayed: bool) -> Reply {
    Reply::json(status, value).replayed(replayed)
}

/// The answer to an authenticated request for `route`.
async fn answer(route: Route, call: &Call<'_>) -> Result<Reply, ApiError> {
    let service = |error: subs::Error| from_service(&error, On::Other);
    let (method, query, body) = (call.method, call.query, call.body);
    match route {
        Route::Plans if method == "POST" => {
            let plan = input::new_plan(body)?;
            let w = subs::create_plan(&plan, call.idempotency).map_err(service)?;
            Ok(written(201, &render::plan(&w.plan), w.replayed))
        }
        Route::Plans => {
            let page = subs::list_plans(&input::page(query)?).map_err(service)?;
            Ok(Reply::json(
                200,
                &render::page(&page.items, page.next_cursor.as_ref(), render::plan),
            ))
        }
        Route::Plan(id) => {
            let plan = subs::get_plan(&id).map_err(service)?;
            Ok(Reply::json(200, &render::plan(&plan)))
        }
        Route::Subscriptions if method == "POST" => {
            let new = input::new_subscription(body)?;
            let w = subs::create(&new, call.idempotency)
                .map_err(|error| from_service(&error, On::Create))?;
            Ok(written(
                201,
                &render::subscription(&w.subscription),
                w.replayed,
            ))
        }
        Route::Subscriptions => {
            let (filter, page) = input::list(query)?;
            let page = subs::list(&filter, &page).map_err(service)?;
            Ok(Reply::json(
                200,
                &render::page(&page.items, page.next_cursor.as_ref(), render::subscription),
            ))
        }
        Route::Stats => {
            let stats = subs::get_stats().map_err(service)?;
            Ok(Reply::json(200, &render::stats(&stats)))
        }
        Route::Run => {
            input::run(body)?;
            let report = shards::run().await?;
            Ok(Reply::json(200, &render::pass_report(&report)))
        }
        Route::RunShard => {
            let (now, shard) = input::run_shard(body)?;
            let report = subs::run_shard(&now, shard).map_err(service)?;
            Ok(Reply::json(200, &shards::shard_report(&report)))
        }
        Route::Check => {
            let repair = input::repair(query)?;
            let report = subs::check(repair).map_err(service)?;
            Ok(Reply::json(
                200,
                &json!({
                    "subscriptions": report.subscriptions,
                    "consistent": report.inconsistencies.is_empty(),
                    "inconsistencies": report.inconsistencies,
                    "repaired": report.repaired,
                }),
            ))
        }
        Route::Subscription(id) if method == "PATCH" => {
            let current = subs::get(&id).map_err(service)?;
            let command = input::edit(body, &current)?;
            // Without If-Match, the edit applies to the version its defaults were read from.
            let expected = call.expected_version.or(Some(current.version));
            let w = subs::apply(&id, &command, expected, None).map_err(service)?;
            Ok(Reply::json(200, &render::subscription(&w.subscription)))
        }
        Route::Subscription(id) => {
            let sub = subs::get(&id).map_err(service)?;
            Ok(Reply::json(200, &render::subscription(&sub)))
        }
        Route::Command(id, action) => {
            let command = match action {
                Action::Pause => subs::Command::Pause(input::reason(body)?),
                Action::Cancel => subs::Command::Cancel(input::reason(body)?),
                Action::Resume => input::nothing(body).map(|()| subs::Command::Resume)?,
                Action::Skip => input::nothing(body).map(|()| subs::Command::SkipNext)?,
            };
            let w = subs::apply(&id, &command, call.expected_version, call.idempotency)
                .map_err(service)?;
            Ok(written(
                200,
                &render::subscription(&w.subscription),
                w.replayed,
            ))
        }
        Route::Cycles(id) => {
            let page = subs::cycles(&id, &input::page(query)?).map_err(service)?;
            Ok(Reply::json(
                200,
                &render::page(&page.items, page.next_cursor.as_ref(), render::cycle),
            ))
        }
        Route::TestClocks if method == "POST" => {
            let clock = input::new_test_clock(body)?;
            let w = subs::create_test_clock(&clock, call.idempotency).map_err(service)?;
            Ok(written(201, &render::test_clock(&w.clock), w.replayed))
        }
        Route::TestClocks => {
            let page = subs::list_test_clocks(&input::page(query)?).map_err(service)?;
            Ok(Reply::json(
                200,
                &render::page(&page.items, page.next_cursor.as_ref(), render::test_clock),
            ))
        }
        Route::TestClock(id) if method == "DELETE" => {
            let clock = subs::delete_test_clock(&id).map_err(service)?;
            Ok(Reply::json(200, &json!({"id": clock.id, "deleted": true})))
        }
        Route::TestClock(id) => {
            let clock = subs::get_test_clock(&id).map_err(service)?;
            Ok(Reply::json(200, &render::test_clock(&clock)))
        }
        Route::Advance(id) => {
            let frozen_time = input::advance(body)?;
            let a =
                subs::advance_test_clock(&id, &frozen_time, call.idempotency).map_err(service)?;
            Ok(written(
                200,
                &render::advanced(&a.clock, &a.report),
                a.replayed,
            ))
        }
    }
}
