//! The back office's side of `/orders`: `GET /orders/{id}`, `GET /orders` (filters, sort, cursor
//! pagination), `GET /orders/export?format=csv|xml`, and `PATCH /orders/{id}` (edit the
//! customer, addresses or shipping before shipping; here rather than in change-order because
//! Spin routes by path only and `/orders/{id}` is this component's path).
//!
//! A thin adapter: route ([`route`]), authenticate (`admin_token`), parse the query
//! ([`query`]) or the edit ([`edit`]), call `orders::load` / `orders::list` / `orders::apply`,
//! render (JSON, or [`http_common::export`]).
//!
//! `POST /admin/check[?repair=true]` runs the orders service's consistency check: every order
//! against its index entries, its channel + external id pointer and its pending derived writes;
//! with `repair=true` it re-applies what a crash cut off and says what it repaired. Its cost
//! grows with the number of orders (an operator's tool, not a request path).

mod edit;
mod query;
mod route;

use http_common::orders;
use http_common::request::{self, Write, authenticate};
use http_common::types::{Actor, Command};
use http_common::{ApiError, Reply, render};
use serde_json::json;
use spin_sdk::http::IncomingRequest;

use crate::route::Route;

/// The edit's route template: its idempotency scope.
const EDIT_SCOPE: &str = "PATCH /orders/{id}";

http_common::export!(respond, then_kick_integrations);

async fn respond(request: IncomingRequest) -> Result<Reply, ApiError> {
    let (route, raw_query) = request::route(&request, route::parse)?;
    let method = request::allow(&request, route.methods())?;
    let edit = method == "PATCH";
    authenticate(&request, "admin_token")?;
    match route {
        Route::Order(id) if edit => edit_order(&id, request).await,
        Route::Order(id) => {
            let order = orders::load(&id).map_err(|error| ApiError::from_service(&error))?;
            Ok(Reply::json(200, &render::order(&order)))
        }
        Route::List => {
            let query = query::parse(&raw_query)?.query;
            let page = orders::list(&query).map_err(|error| ApiError::from_service(&error))?;
            let items: Vec<_> = page.items.iter().map(render::order).collect();
            Ok(Reply::json(
                200,
                &json!({"items": items, "nextCursor": page.next_cursor}),
            ))
        }
        Route::Export => {
            let request = query::parse(&raw_query)?;
            http_common::export::export(request.query, request.format, orders::list)
        }
        Route::Check => {
            let repair = query::repair(&raw_query)?;
            let report = orders::check(repair).map_err(|error| ApiError::from_service(&error))?;
            Ok(Reply::json(
                200,
                &json!({
                    "orders": report.orders,
                    "skus": report.skus,
                    "consistent": report.inconsistencies.is_empty(),
                    "inconsistencies": report.inconsistencies,
                    "repaired": report.repaired,
                }),
            ))
        }
    }
}

/// `PATCH /orders/{id}`: the edit, applied as the admin, honouring `If-Match` and
/// `Idempotency-Key` like every command route.
async fn edit_order(id: &str, request: IncomingRequest) -> Result<Reply, ApiError> {
    let write = Write::read(request).await?;
    let command = Command::Edit(edit::order_edit(&write.body)?);
    let written = write.apply(id, &command, Actor::Admin, EDIT_SCOPE)?;
    Ok(Reply::written(&written))
}
