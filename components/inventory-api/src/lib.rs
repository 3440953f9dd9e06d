//! `/inventory`: stock per SKU and location (the `inventory` operations of openapi.yaml).
//!
//! - `GET /inventory?lowStock=&location=&limit=&cursor=`: tracked SKUs, a page at a time;
//! - `GET /inventory/{sku}`: a SKU's stock at every location;
//! - `PUT /inventory/{sku}/locations/{location}` `{"onHand", "updatedAt"?}`: an absolute level
//!   from the ERP (or a person), ignored, and said so, when older than the last applied;
//! - `POST /inventory/adjustments` `{"sku", "location", "delta", "reason"}`: a change of on
//!   hand with its reason;
//! - `PATCH /inventory/{sku}` `{"allowBackorders"?, "safetyStock"?}` (`admin_token` only);
//! - `GET /inventory/{sku}/movements?limit=&cursor=`: its ledger, oldest first.
//!
//! `admin_token` or `erp_token` on every route but the settings. A thin adapter over
//! `orderflow:core/inventory` (the only code that knows the `inv/` keys): route, authenticate,
//! parse, call, render.

mod input;
mod route;

use http_common::request::{self, header, token};
use http_common::{ApiError, Reply, auth};
use spin_sdk::http::IncomingRequest;

use crate::route::Route;

use http_common::types::Actor;
use inventory_client::{inv, render};

http_common::export!(respond);

/// Checks the bearer token against `admin_token` and `erp_token` and answers who it is; the ERP's
/// is 403 on an `admin_only` route.
fn authenticate(request: &IncomingRequest, admin_only: bool) -> Result<Actor, ApiError> {
    let presented = header(request, "authorization");
    let presented = presented.first().map(Vec::as_slice);
    let admin = auth::check_bearer(presented, &token("admin_token")?);
    if admin.is_ok() {
        return Ok(Actor::Admin);
    }
    if auth::check_bearer(presented, &token("erp_token")?).is_ok() {
        if admin_only {
            return Err(ApiError::new(
                403,
                "forbidden",
                "a SKU's settings take the admin token",
            ));
        }
        return Ok(Actor::Erp);
    }
    admin.map(|()| Actor::Admin)
}

async fn respond(request: IncomingRequest) -> Result<Reply, ApiError> {
    let (route, query) = request::route(&request, route::parse)?;
    let method = request::allow(&request, route.methods())?;
    let by = authenticate(
        &request,
        matches!(route, Route::Sku(_)) && method == "PATCH",
    )?;
    let body = match method.as_str() {
        "PUT" | "POST" | "PATCH" => request::read_body(request).await?,
        _ => Vec::new(),
    };
    match route {
        Route::List => {
            let (filter, page) = input::list(&query)?;
            let listed = inv::list(&filter, &page).map_err(render::error)?;
            Ok(Reply::json(200, &render::stock_page(&listed)))
        }
        Route::Sku(sku) if method == "GET" => {
            let stock = inv::get(&sku).map_err(render::error)?;
            Ok(Reply::json(200, &render::stock(&stock)))
        }
        Route::Sku(sku) => {
            let settings = input::settings(sku, &body)?;
            let changed = inv::configure(&settings, by).map_err(render::error)?;
            Ok(Reply::json(200, &render::changed(&changed)))
        }
        Route::Movements(sku) => {
            let page = input::page(&query)?;
            let movements = inv::movements(&sku, &page).map_err(render::error)?;
            Ok(Reply::json(200, &render::movement_page(&movements)))
        }
        Route::Level(sku, location) => {
            let level = input::level(sku, location, &body)?;
            let changed = inv::set_level(&level, by).map_err(render::error)?;
            Ok(Reply::json(200, &render::changed(&changed)))
        }
        Route::Adjustments => {
            let adjustment = input::adjustment(&body)?;
            let changed = inv::adjust(&adjustment, by).map_err(render::error)?;
            Ok(Reply::json(200, &render::changed(&changed)))
        }
    }
}
