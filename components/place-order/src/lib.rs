//! `POST /checkout/orders`: the store's checkout places an order.
//!
//! A thin adapter: authenticate (`checkout_token`), read the body (256 KiB at most), parse it
//! into the WIT `place-order` record ([`input`]), call `orders::place`, render ([`answer`]).
//! The orders service, composed in at build time, does everything else.

mod answer;
mod input;

use http_common::orders;
use http_common::request::{self, Write, authenticate};
use http_common::types::Actor;
use http_common::{ApiError, Reply};
use spin_sdk::http::IncomingRequest;

/// The route, also the idempotency scope.
const SCOPE: &str = "POST /checkout/orders";

http_common::export!(place, then_kick_integrations);

async fn place(request: IncomingRequest) -> Result<Reply, ApiError> {
    request::allow(&request, &["POST"])?;
    authenticate(&request, "checkout_token")?;
    let write = Write::read_keyed(request).await?;
    let order = input::place_order(&write.body)?;
    let written = orders::place(&order, Actor::Checkout, write.idempotency(SCOPE).as_ref())
        .map_err(|error| ApiError::from_service(&error))?;
    Ok(answer::placed(&written))
}
