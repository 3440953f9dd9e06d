//! The back office's side of `/orders`: `GET /orders/{id}`, `GET /orders` (filters, sort, cursor
//! pagination), `GET /orders/export?format=csv|xml`, and `PATCH /orders/{id}` (edit the
//! customer, addresses or shipping before shipping; here rather than in change-order because
//! Spin routes by path only and `/orders/{id}` is this component's path).
//!
//! A thin adapter: route ([`route`]), authenticate (`admin_token`), parse the query
//! ([`query`]) or the edit ([`edit`]), call `orders::load` / `orders::list` / `orders::apply`,
//! render (JSON, or [`export`]).
//!
//! `POST /admin/check[?repair=true]` runs the orders service's consistency check: every order
//! against its index entries, its channel + external id pointer and its pending derived writes;
//! with `repair=true` it re-applies what a crash cut off and says what it repaired. Its cost
//! grows with the number of orders (an operator's tool, not a request path).

mod edit;
mod export;
mod query;
mod route;

use http_common::orders;
use http_common::request::{self, authenticate, method_name};
use http_common::types::{Actor, Command};
use http_common::{ApiError, Reply, idempotency, precondition, render};
use serde_json::json;
use spin_sdk::http::IncomingRequest;

/// The edit's route template: its idempotency scope.
const EDIT_SCOPE: &str = "PATCH /orders/{id}";

use crate::route::Route;

/// The wasi:http export.
#[expect(
    unsafe_code,
    reason = "spin-sdk's #[http_component] expands to the wasi:http export glue"
)]
mod export_glue {
    use spin_sdk::http::{IncomingRequest, Response};
    use spin_sdk::http_component;

    use http_common::Reply;

    #[http_component]
    async fn handle(request: IncomingRequest) -> Response {
        super::respond(request)
            .await
            .unwrap_or_else(Reply::from)
            .into_response()
    }
}

async fn respond(request: IncomingRequest) -> Result<Reply, ApiError> {
    let (path, raw_query) = request::path_and_query(&request);
    let route = route::parse(&path).ok_or_else(|| ApiError::no_route(&path))?;
    let method = method_name(&request.method());
    if !route.methods().contains(&method.as_str()) {
        return Err(ApiError::method_not_allowed(&method, route.methods()));
    }
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
            export::export(request.query, request.format, orders::list)
        }
        Route::Check => {
            let repair = query::repair(&raw_query)?;
            let report = orders::check(repair).map_err(|error| ApiError::from_service(&error))?;
            Ok(Reply::json(
                200,
                &json!({
                    "orders": report.orders,
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
    let key = idempotency::key(&request::header(&request, "idempotency-key"))?;
    let expected_version = precondition::if_match(&request::header(&request, "if-match"))?;
    let body = request::read_body(request).await?;
    let command = Command::Edit(edit::order_edit(&body)?);
    let idempotency = key.map(|key| idempotency::idempotency(EDIT_SCOPE, key, &body));
    let written = orders::apply(
        id,
        &command,
        Actor::Admin,
        expected_version,
        idempotency.as_ref(),
    )
    .map_err(|error| ApiError::from_service(&error))?;
    let reply = Reply::json(200, &render::order(&written.order));
    Ok(if written.replayed {
        reply.with_header("idempotent-replayed", "true")
    } else {
        reply
    })
}
