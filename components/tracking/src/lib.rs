//! `POST /orders/{id}/shipments` and `POST /orders/{id}/shipments/{number}/events`: a carrier
//! or logistics integration (or the ERP, for shipments) reports parcels and their tracking.
//!
//! A thin adapter: route ([`route`]), authenticate ([`caller`]: `logistics_token`, or
//! `erp_token` on shipments), read `Idempotency-Key` and `If-Match`, read the body (256 KiB at
//! most), parse it into the WIT `new-shipment` / `new-tracking-event` record ([`input`]), call
//! `orders::apply`, answer 200 with the order. The orders service, composed in at build time,
//! applies the rules: `invoiced` → `shipped`, events that never move the status backwards,
//! replays by tracking number and event (answered with the order as it is, as is an
//! `Idempotency-Key` replay, flagged with `Idempotent-Replayed: true`).

mod caller;
mod input;
mod route;

use http_common::request::{self, Write, token};
use http_common::types::Command;
use http_common::{ApiError, Reply};
use spin_sdk::http::IncomingRequest;

use crate::route::Route;

http_common::export!(respond, then_kick_integrations);

async fn respond(request: IncomingRequest) -> Result<Reply, ApiError> {
    let (route, _) = request::route(&request, route::parse)?;
    request::allow(&request, &["POST"])?;
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
    let write = Write::read(request).await?;
    let command = match &route {
        Route::Shipments { .. } => Command::AddShipment(input::shipment(&write.body)?),
        Route::Events { shipment, .. } => {
            Command::AddTrackingEvent(input::tracking_event(&write.body, shipment)?)
        }
    };
    let written = write.apply(route.order(), &command, actor, route.scope())?;
    Ok(Reply::written(&written))
}
