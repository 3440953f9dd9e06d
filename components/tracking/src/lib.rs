//! `POST /orders/{id}/shipments` and `POST /orders/{id}/shipments/{number}/events`: a carrier
//! or logistics integration (or the ERP, for shipments) reports parcels and their tracking.
//!
//! A thin adapter: route ([`route`]), authenticate ([`caller`]: `logistics_token`, or
//! `erp_token` on shipments), read `Idempotency-Key` and `If-Match`, read the body (256 KiB at
//! most), parse it into the WIT `new-shipment` / `new-tracking-event` record ([`input`]), call
//! `orders::apply`, render ([`answer`]). The orders service, composed in at build time, applies
//! the rules: `invoiced` → `shipped`, events that never move the status backwards, replays by
//! tracking number and event.

mod answer;
mod caller;
mod input;
mod route;

use http_common::orders;
use http_common::request::{self, method_name};
use http_common::types::Command;
use http_common::{ApiError, Reply, idempotency, precondition};
use spin_sdk::http::{IncomingRequest, Method};

use crate::route::Route;

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
    let route = route::parse(&path).ok_or_else(|| ApiError::no_route(&path))?;
    let method = request.method();
    if method != Method::Post {
        return Err(ApiError::method_not_allowed(
            &method_name(&method),
            &["POST"],
        ));
    }
    let actor = {
        let logistics = token("logistics_token")?;
        // The ERP's token only matters on shipments; on events it just tells 403 from 401.
        let erp = match route {
            Route::Shipments { .. } => token("erp_token")?,
            Route::Events { .. } => token("erp_token").unwrap_or_default(),
        };
        let authorization = request::header(&request, "authorization");
        caller::caller(
            &route,
            authorization.first().map(Vec::as_slice),
            &logistics,
            &erp,
        )?
    };
    let key = idempotency::key(&request::header(&request, "idempotency-key"))?;
    let expected_version = precondition::if_match(&request::header(&request, "if-match"))?;
    let body = request::read_body(request).await?;
    let command = match &route {
        Route::Shipments { .. } => Command::AddShipment(input::shipment(&body)?),
        Route::Events { shipment, .. } => {
            Command::AddTrackingEvent(input::tracking_event(&body, shipment)?)
        }
    };
    let idempotency = key.map(|key| idempotency::idempotency(route.scope(), key, &body));
    let written = orders::apply(
        route.order(),
        &command,
        actor,
        expected_version,
        idempotency.as_ref(),
    )
    .map_err(|error| ApiError::from_service(&error))?;
    Ok(answer::applied(&written))
}

/// A token from a Spin variable (503 `not-configured` when the host has none).
fn token(variable: &str) -> Result<String, ApiError> {
    spin_sdk::variables::get(variable).map_err(|error| {
        ApiError::new(
            503,
            "not-configured",
            "this route's token is not configured on the server",
        )
        .with_detail("variable", variable)
        .with_detail("reason", error.to_string())
    })
}
