//! After a write's answer: ask for an integrations pass, so that webhook endpoints hear of the
//! command's events within a second instead of at the next cron tick.
//!
//! The answer is sent and its body finished first; the guest then goes on (Spin's HTTP trigger
//! returns the response as soon as it is set and lets the guest run to its end, as does the
//! local runner). The pass is asked of the private component `integrations-kick` by a Spin
//! service-chained request: a command component is allowed that one outbound host, never the
//! webhook receivers themselves. A host without service chaining (or an app without that
//! component) refuses the request; the cron pass then delivers, as before.

use spin_sdk::http::{
    Fields, IncomingRequest, Method, OutgoingResponse, Request, Response, ResponseOutparam,
};

use crate::Reply;

/// The kick's URL: the private component's service-chaining host.
pub const URL: &str = "http://integrations-kick.spin.internal/integrations/kick";

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

/// Asks for a pass and waits for it (this instance ends when it does).
pub async fn integrations() {
    let request = Request::post(URL, Vec::<u8>::new()).build();
    if let Err(e) = spin_sdk::http::send::<_, Response>(request).await {
        eprintln!("integrations kick: {e}");
    }
}
