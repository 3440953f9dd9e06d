//! `POST /checkout/orders`: the store's checkout places an order.
//!
//! A thin adapter: authenticate (`checkout_token`), read the body (256 KiB at most), parse it
//! into the WIT `place-order` record ([`input`]), call `orders::place`, render ([`answer`]).
//! The orders service, composed in at build time, does everything else.

mod answer;
mod input;

use http_common::orders;
use http_common::request::{self, authenticate, method_name};
use http_common::types::Actor;
use http_common::{ApiError, Reply, idempotency};
use spin_sdk::http::{IncomingRequest, Method};

/// The route, also the idempotency scope.
const SCOPE: &str = "POST /checkout/orders";

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
        super::place(request)
            .await
            .unwrap_or_else(Reply::from)
            .into_response()
    }
}

async fn place(request: IncomingRequest) -> Result<Reply, ApiError> {
    let method = request.method();
    if method != Method::Post {
        return Err(ApiError::method_not_allowed(
            &method_name(&method),
            &["POST"],
        ));
    }
    authenticate(&request, "checkout_token")?;
    let key = idempotency::key(&request::header(&request, "idempotency-key"))?;
    let body = request::read_body(request).await?;
    let order = input::place_order(&body)?;
    let idempotency = key.map(|key| idempotency::idempotency(SCOPE, key, &body));
    let written = orders::place(&order, Actor::Checkout, idempotency.as_ref())
        .map_err(|error| ApiError::from_service(&error))?;
    Ok(answer::placed(&written))
}
