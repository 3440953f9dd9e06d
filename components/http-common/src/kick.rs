//! After a write's answer: ask for an integrations pass, so that webhook endpoints hear of the
//! command's events within a second instead of at the next cron tick.
//!
//! The answer is sent and its body finished first; the guest then goes on (Spin's HTTP trigger
//! returns the response as soon as it is set and lets the guest run to its end, as does the
//! local runner). The write claims the next quarter-second slot for a pass
//! (`integrations_service::kick`): most writes find it claimed already, and that read is all
//! they cost. The one that claims it asks the private component `integrations-kick` for the
//! pass by a Spin service-chained request: a command component is allowed that one outbound
//! host, never the webhook receivers themselves. A host without service chaining (or an app
//! without that component) refuses the request; the cron pass then delivers.

use std::time::SystemTime;

use orderflow_domain::values::Timestamp;
use spin_sdk::http::{
    Fields, IncomingRequest, Method, OutgoingRequest, OutgoingResponse, ResponseOutparam, Scheme,
};
use spin_sdk::wit::wasi::http0_2_0::outgoing_handler;

use crate::Reply;

/// The kick's host: the private component's service-chaining host (`http://`).
pub const HOST: &str = "integrations-kick.spin.internal";
/// The kick's path.
pub const PATH: &str = "/integrations/kick";

/// Whether the request may write (anything but GET, HEAD and OPTIONS).
pub fn is_write(request: &IncomingRequest) -> bool {
    !matches!(
        request.method(),
        Method::Get | Method::Head | Method::Options
    )
}

/// Sends `reply` as the answer and finishes its body.
pub async fn answer(reply: Reply, out: ResponseOutparam) {
    let (status, headers, body) = reply.into_parts();
    let headers: Vec<(String, Vec<u8>)> = headers
        .into_iter()
        .map(|(name, value)| (name, value.into_bytes()))
        .collect();
    let outgoing =
        OutgoingResponse::new(Fields::from_list(&headers).unwrap_or_else(|_| Fields::new()));
    // A `Reply`'s status is always a valid one.
    let _ = outgoing.set_status_code(status);
    // The body sink is finished when `set_with_body` drops it. A client gone meanwhile is
    // nothing to act on.
    let _ = out.set_with_body(outgoing, body).await;
}

/// Claims the next slot for a pass and, when this call got it, asks for the pass and waits for
/// it (this instance ends when it does).
pub async fn integrations() {
    let Ok(kv) = orderflow_kv::SpinKv::open() else {
        return;
    };
    let now = Timestamp::from_system_time(SystemTime::now());
    let start = match integrations_service::kick::claim(&kv, now, orderflow_kv::write::nonce()) {
        Ok(Some(start)) => start,
        // Someone runs a pass in that slot, after this write: nothing to do.
        Ok(None) => return,
        Err(e) => {
            eprintln!("integrations kick: {e:?}");
            return;
        }
    };
    // The raw wasi:http call, blocking on its answer: spin-sdk's request and response types
    // would add tens of KB to every write component for a request with no body.
    let request = OutgoingRequest::new(Fields::new());
    let path = format!("{PATH}?at={}", start.unix_millis());
    let built = request.set_method(&Method::Post).is_ok()
        && request.set_scheme(Some(&Scheme::Http)).is_ok()
        && request.set_authority(Some(HOST)).is_ok()
        && request.set_path_with_query(Some(&path)).is_ok();
    if !built {
        return;
    }
    match outgoing_handler::handle(request, None) {
        Ok(answer) => {
            answer.subscribe().block();
            if let Some(Ok(Err(e))) = answer.get() {
                eprintln!("integrations kick: {e:?}");
            }
        }
        Err(e) => eprintln!("integrations kick: {e:?}"),
    }
}
