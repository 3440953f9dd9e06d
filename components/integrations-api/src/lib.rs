//! `/feed` and `/integrations/run`: how orders get out of orderflow (issue: integrations).
//!
//! - `GET /feed?after=&limit=&types=` (`admin_token` or `erp_token`): the events after a feed
//!   position, in order, each once (docs/architecture.md, "Integrations"); `next` is the
//!   position to read after next time.
//! - `/feed/consumers/{name}` (VTEX Feed v3's queues): see [`consumers`];
//! - `/webhooks/endpoints/...` (`admin_token`): see [`endpoints`];
//! - `/notifications/templates/...` (`admin_token`): see [`templates`];
//! - `POST /integrations/run` (`admin_token`): one sequencer pass, which adds to the feed what
//!   the orders and subscriptions services committed since the last pass, then deliveries.
//!
//! The feed lives in the integrations service's keys (`int/`), which only
//! `integrations-service` knows; the source outboxes are read through the services' WIT
//! interfaces, never their keys.

mod consumers;
mod endpoints;
mod hosts;
mod query;
mod route;
mod templates;

use std::time::{Duration, SystemTime};

use http_common::input::optional_object;
use http_common::request::{self, authenticate, header, token};
use http_common::{ApiError, Reply, auth};
use integrations_service::consumer::Consumers;
use integrations_service::endpoint::Endpoints;
use integrations_service::feed::{Feed, FeedError};
use orderflow_domain::values::Timestamp;
use orderflow_kv::SpinKv;
use serde_json::json;
use spin_sdk::http::IncomingRequest;

use crate::route::Route;

http_common::export!(respond);

/// The longest a kicked pass waits for its slot (a slot is a quarter second).
const MAX_KICK_WAIT_MS: i64 = 1000;

async fn respond(request: IncomingRequest) -> Result<Reply, ApiError> {
    let (route, raw_query) = request::route(&request, route::parse)?;
    let method = request::allow(&request, route.methods())?;
    match route {
        Route::Consumer(name) if method == "GET" => {
            reader(&request)?;
            let kv = open()?;
            consumers::get(&consumers_of(&kv), &name)
        }
        Route::Consumer(name) => {
            authenticate(&request, "admin_token")?;
            let body = request::read_body(request).await?;
            let kv = open()?;
            if method == "PUT" {
                consumers::configure(&consumers_of(&kv), &name, &body)
            } else {
                consumers::delete(&consumers_of(&kv), &name)
            }
        }
        Route::Items(name) => {
            reader(&request)?;
            let kv = open()?;
            consumers::items(&consumers_of(&kv), &name, &raw_query)
        }
        Route::Commit(name) => {
            reader(&request)?;
            let body = request::read_body(request).await?;
            let kv = open()?;
            consumers::commit(&consumers_of(&kv), &name, &body)
        }
        Route::Feed => {
            reader(&request)?;
            let query = query::parse(&raw_query)?;
            let kv = open()?;
            let feed = Feed::new(&kv, now(), orderflow_kv::write::nonce());
            let (events, next) = feed
                .read(query.after, query.limit, &query.types)
                .map_err(feed_error)?;
            let (first, last) = feed.bounds().map_err(feed_error)?;
            Ok(Reply::json(
                200,
                &json!({"items": events, "next": next, "first": first, "last": last}),
            ))
        }
        Route::Run => {
            authenticate(&request, "admin_token")?;
            // Nothing, or a JSON object whose fields are ignored, as every pass route takes.
            optional_object(&request::read_body(request).await?)?;
            pass(&open()?)
        }
        Route::Kick => {
            // `at`: the start of the slot the kicking write claimed (http-common's `kick`).
            let at = form_urlencoded::parse(raw_query.as_bytes())
                .find(|(name, _)| name == "at")
                .and_then(|(_, value)| value.parse::<i64>().ok())
                .unwrap_or(0);
            let wait = at
                .saturating_sub(now().unix_millis())
                .clamp(0, MAX_KICK_WAIT_MS);
            if let Ok(wait) = u64::try_from(wait) {
                std::thread::sleep(Duration::from_millis(wait));
            }
            pass(&open()?)
        }
        Route::Templates => {
            authenticate(&request, "admin_token")?;
            templates::list(&open()?)
        }
        Route::Template(name) => {
            authenticate(&request, "admin_token")?;
            let step = templates::step(&name)?;
            let body = request::read_body(request).await?;
            let kv = open()?;
            match method.as_str() {
                "PUT" => templates::put(&kv, step, &body),
                "DELETE" => templates::reset(&kv, step, &raw_query),
                _ => templates::get(&kv, step, &raw_query),
            }
        }
        Route::Endpoints
        | Route::Endpoint(_)
        | Route::Deliveries(_)
        | Route::Retry(..)
        | Route::Replay(_)
        | Route::Test(_) => {
            authenticate(&request, "admin_token")?;
            webhooks(route, &method, request, &raw_query).await
        }
    }
}

/// One integrations pass, and what it did.
fn pass(kv: &SpinKv) -> Result<Reply, ApiError> {
    let (report, delivered) = integrations_pass::run(kv, now(), orderflow_kv::write::nonce())
        .map_err(|e| match e {
            integrations_pass::PassError::Feed(e) => feed_error(e),
            integrations_pass::PassError::Deliveries(e) => endpoints::error(e),
        })?;
    Ok(Reply::json(
        200,
        &json!({
            "added": report.added,
            "last": report.last,
            "pending": report.pending,
            "expired": report.expired,
            "deliveries": {
                "attempted": delivered.attempted,
                "delivered": delivered.delivered,
                "failed": delivered.failed,
                "dead": delivered.dead,
                "disabled": delivered.disabled,
            },
        }),
    ))
}

async fn webhooks(
    route: Route,
    method: &str,
    request: IncomingRequest,
    raw_query: &str,
) -> Result<Reply, ApiError> {
    let body = request::read_body(request).await?;
    let kv = open()?;
    let endpoints = endpoints_of(&kv);
    match route {
        Route::Endpoints if method == "POST" => endpoints::create(&kv, &endpoints, &body),
        Route::Endpoints => endpoints::list(&endpoints),
        Route::Endpoint(id) if method == "GET" => endpoints::get(&endpoints, &id),
        Route::Endpoint(id) if method == "PATCH" => endpoints::change(&kv, &endpoints, &id, &body),
        Route::Endpoint(id) => endpoints::delete(&endpoints, &id),
        Route::Deliveries(id) => endpoints::deliveries(&endpoints, &id, raw_query),
        Route::Retry(id, n) => endpoints::retry(&endpoints, &id, n),
        Route::Replay(id) => endpoints::replay(&endpoints, &id, &body),
        Route::Test(id) => endpoints::test(&endpoints, &id, &integrations_pass::transport::Wasi),
        Route::Feed
        | Route::Consumer(_)
        | Route::Items(_)
        | Route::Commit(_)
        | Route::Run
        | Route::Kick
        | Route::Templates
        | Route::Template(_) => Err(ApiError::no_route("/webhooks")),
    }
}

fn endpoints_of(kv: &SpinKv) -> Endpoints<'_, SpinKv> {
    Endpoints::new(kv, now(), orderflow_kv::write::nonce())
}

/// The feed is read by the back office (`admin_token`) and the ERP (`erp_token`).
fn reader(request: &IncomingRequest) -> Result<(), ApiError> {
    let presented = header(request, "authorization");
    let presented = presented.first().map(Vec::as_slice);
    let admin = token("admin_token")?;
    if auth::check_bearer(presented, &admin).is_ok() {
        return Ok(());
    }
    auth::check_bearer(presented, &token("erp_token")?)
}

pub(crate) fn now() -> Timestamp {
    Timestamp::from_system_time(SystemTime::now())
}

fn open() -> Result<SpinKv, ApiError> {
    SpinKv::open().map_err(|e| ApiError::new(503, "store-unavailable", e.to_string()))
}

fn consumers_of(kv: &SpinKv) -> Consumers<'_, SpinKv> {
    Consumers::new(kv, now(), orderflow_kv::write::nonce())
}

pub(crate) fn feed_error(error: FeedError) -> ApiError {
    match error {
        FeedError::Expired { first } => ApiError::new(
            410,
            "position-expired",
            format!(
                "events before position {first} are past the feed's 7-day retention; read \
                 after {} to go on from the oldest kept",
                first.saturating_sub(1)
            ),
        )
        .with_detail("first", first),
        FeedError::Contention => ApiError::new(
            503,
            "contention",
            "another pass wrote the feed at the same time; try again",
        ),
        FeedError::Store(e) | FeedError::Source(e) => {
            ApiError::new(503, "store-unavailable", "the store failed; try again")
                .with_detail("reason", e)
        }
    }
}
