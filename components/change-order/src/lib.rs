//! The back office's commands on an order: `POST /orders/{id}/changes`, `/cancel`, `/hold`,
//! `/unhold`, `/handling`, `/comments`, `/refunds` and `/reprocess`. (`PATCH /orders/{id}`, the
//! edit, is served by orders-api: Spin routes by path only, and `/orders/{id}` is its path.)
//!
//! A thin adapter: route ([`route`]), authenticate (`admin_token`), read `Idempotency-Key` and
//! `If-Match`, read the body (256 KiB at most), parse it into the action's WIT `command`
//! ([`input`]), call `orders::apply` as the admin, answer 200 with the order. The orders
//! service, composed in at build time, applies the rules; a replay (the same change request id,
//! or an `Idempotency-Key` replay, flagged with `Idempotent-Replayed: true`) answers the order as
//! it is.

mod input;
mod route;

use http_common::request::{self, Write, authenticate};
use http_common::types::Actor;
use http_common::{ApiError, Reply};
use spin_sdk::http::IncomingRequest;

http_common::export!(respond, then_kick_integrations);

async fn respond(request: IncomingRequest) -> Result<Reply, ApiError> {
    let ((id, action), _) = request::route(&request, route::parse)?;
    request::allow(&request, &["POST"])?;
    authenticate(&request, "admin_token")?;
    let write = Write::read(request).await?;
    let command = input::command(action, &write.body)?;
    let written = write.apply(&id, &command, Actor::Admin, action.scope())?;
    Ok(Reply::written(&written))
}
