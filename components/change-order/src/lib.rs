//! The back office's commands on an order: `POST /orders/{id}/changes`, `/cancel`, `/hold`,
//! `/unhold`, `/handling`, `/comments`, `/refunds` and `/reprocess`. (`PATCH /orders/{id}`, the
//! edit, is served by orders-api: Spin routes by path only, and `/orders/{id}` is its path.)
//!
//! A thin adapter: route ([`route`]), authenticate (`admin_token`), read `Idempotency-Key` and
//! `If-Match`, read the body (256 KiB at most), parse it into the action's WIT `command`
//! ([`input`]), call `orders::apply` as the admin, render ([`answer`]). The orders service,
//! composed in at build time, applies the rules.

mod answer;
mod input;
mod route;

use http_common::orders;
use http_common::request::{self, authenticate, method_name};
use http_common::types::Actor;
use http_common::{ApiError, Reply, idempotency, precondition};
use spin_sdk::http::{IncomingRequest, Method};

/// The wasi:http export.
#[expect(
    unsafe_code,
    reason = "spin-sdk's #[http_component] expands to the wasi:http export glue"
)]
mod export {
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
    let (path, _) = request::path_and_query(&request);
    let (id, action) = route::parse(&path).ok_or_else(|| ApiError::no_route(&path))?;
    let method = request.method();
    if method != Method::Post {
        return Err(ApiError::method_not_allowed(
            &method_name(&method),
            &["POST"],
        ));
    }
    authenticate(&request, "admin_token")?;
    let key = idempotency::key(&request::header(&request, "idempotency-key"))?;
    let expected_version = precondition::if_match(&request::header(&request, "if-match"))?;
    let body = request::read_body(request).await?;
    let command = input::command(action, &body)?;
    let idempotency = key.map(|key| idempotency::idempotency(action.scope(), key, &body));
    let written = orders::apply(
        &id,
        &command,
        Actor::Admin,
        expected_version,
        idempotency.as_ref(),
    )
    .map_err(|error| ApiError::from_service(&error))?;
    Ok(answer::applied(&written))
}
