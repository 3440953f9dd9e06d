//! The back office's read side: `GET /orders/{id}`, `GET /orders` (filters, sort, cursor
//! pagination) and `GET /orders/export?format=csv|xml`.
//!
//! A thin adapter: route ([`route`]), authenticate (`admin_token`), parse the query
//! ([`query`]), call `orders::load` / `orders::list`, render (JSON, or [`export`]).

mod export;
mod query;
mod route;

use http_common::orders;
use http_common::request::{self, authenticate, method_name};
use http_common::{ApiError, Reply, render};
use serde_json::json;
use spin_sdk::http::{IncomingRequest, Method};

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
        super::respond(&request)
            .unwrap_or_else(Reply::from)
            .into_response()
    }
}

fn respond(request: &IncomingRequest) -> Result<Reply, ApiError> {
    let (path, raw_query) = request::path_and_query(request);
    let route = route::parse(&path).ok_or_else(|| ApiError::no_route(&path))?;
    let method = request.method();
    if method != Method::Get {
        return Err(ApiError::method_not_allowed(
            &method_name(&method),
            &["GET"],
        ));
    }
    authenticate(request, "admin_token")?;
    match route {
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
    }
}
