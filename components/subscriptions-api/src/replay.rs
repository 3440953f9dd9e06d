//! `Idempotency-Key` on the subscription POSTs (as openapi.yaml describes it): the same key on the
//! same route with the same body within 24 h replays the first answer (status and body, with
//! `Idempotent-Replayed: true`); the same key with another body is 422 `idempotency-key-reused`.
//!
//! The answers are kept by this edge, not by the subscriptions service: each is a whole HTTP
//! answer, recorded after the call under `subidem/r/{hash}` (`hash`: SHA-256 of the route and the
//! key). While a call runs, its key is held by a lease-window claim (`orderflow_kv::claim`,
//! `subidem/n/{hash}/{window}`): a second request with the key waits a moment for the first's
//! answer, then gets 409 `idempotency-key-in-use`; a claim left by a crashed call lapses after one
//! to two minutes. A crash between the call and its record lets a retry run the call again, so
//! what a second run must not do twice is made safe by the call itself: a subscription or plan
//! created without an `id` under a key gets one derived from the key (`s-k…`, `p-k…`), so the
//! second run finds it (`already-exists`) and answers it as the first did; a command run twice is
//! refused or changes nothing (pause, resume, cancel) or is named by `If-Match`; a pass is
//! idempotent by nature.

use std::time::{SystemTime, UNIX_EPOCH};

use http_common::idempotency::fingerprint;
use http_common::{ApiError, Reply};
use orderflow_kv::{Kv, SpinKv, claim};
use serde_json::{Value, json};

/// How long an answer is replayed, in seconds.
const REPLAY_SECONDS: i64 = 24 * 60 * 60;

/// How long a request waits for the answer of another holding its key, in steps of
/// [`WAIT_STEP`].
const WAIT_STEPS: u32 = 25;
const WAIT_STEP: std::time::Duration = std::time::Duration::from_millis(10);

/// A request's key, scoped to its route, and its body's fingerprint.
#[derive(Debug, Clone)]
pub(crate) struct Keyed {
    hash: String,
    fingerprint: String,
}

impl Keyed {
    /// The key `key` of a request to `route` (method and path) with `body`.
    pub(crate) fn new(route: &str, key: &str, body: &[u8]) -> Self {
        Keyed {
            hash: fingerprint(format!("{route}\n{key}").as_bytes()),
            fingerprint: fingerprint(body),
        }
    }

    /// An id for something created under this key without one of its own: `{prefix}-k` and 24
    /// hex digits of the key's hash, the same on every retry.
    pub(crate) fn derived_id(&self, prefix: &str) -> String {
        format!("{prefix}-k{}", &self.hash[..24])
    }

    fn record_key(&self) -> String {
        format!("subidem/r/{}", self.hash)
    }
}

/// What to do with a keyed request.
#[derive(Debug)]
pub(crate) enum Begun {
    /// Answer this (a replay, or the refusal of another body).
    Answer(Reply),
    /// Run it; then [`finish`] with this claim.
    Run(String),
}

/// Seconds since the Unix epoch, from the wasi clock.
fn now() -> i64 {
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    i64::try_from(since.as_secs()).unwrap_or(i64::MAX)
}

fn unavailable(e: &orderflow_kv::KvError) -> ApiError {
    ApiError::new(
        503,
        "store-unavailable",
        "the key-value store failed; retry with the same Idempotency-Key",
    )
    .with_detail("reason", e.to_string())
}

/// The recorded answer for `keyed`, if there is one from the last 24 hours: replayed when the
/// body is the same, refused when it is not.
fn recorded(kv: &SpinKv, keyed: &Keyed, now: i64) -> Result<Option<Reply>, ApiError> {
    let Some(bytes) = kv.get(&keyed.record_key()).map_err(|e| unavailable(&e))? else {
        return Ok(None);
    };
    let Ok(record) = serde_json::from_slice::<Value>(&bytes) else {
        return Ok(None);
    };
    let at = record["at"].as_i64().unwrap_or(i64::MIN);
    if now.saturating_sub(at) >= REPLAY_SECONDS {
        return Ok(None);
    }
    if record["fingerprint"].as_str() != Some(keyed.fingerprint.as_str()) {
        return Ok(Some(Reply::from(ApiError::new(
            422,
            "idempotency-key-reused",
            "this Idempotency-Key was used with another body on this route; use a new key",
        ))));
    }
    let status = record["status"]
        .as_u64()
        .and_then(|s| u16::try_from(s).ok())
        .unwrap_or(200);
    let content_type = record["contentType"].as_str().unwrap_or("application/json");
    let body = record["body"]
        .as_str()
        .unwrap_or_default()
        .as_bytes()
        .to_vec();
    Ok(Some(
        Reply::bytes(status, content_type, body).with_header("idempotent-replayed", "true"),
    ))
}

/// Looks the key up and claims it for this request (module documentation).
pub(crate) fn begin(keyed: &Keyed) -> Result<Begun, ApiError> {
    let kv = SpinKv::open().map_err(|e| unavailable(&e))?;
    let now = now();
    if let Some(reply) = recorded(&kv, keyed, now)? {
        return Ok(Begun::Answer(reply));
    }
    let claim_of = |window: i64| format!("subidem/n/{}/{window}", keyed.hash);
    if let Some(held) = claim::take(&kv, now, claim_of).map_err(|e| unavailable(&e))? {
        // The holder before us may have recorded its answer between our read and our claim.
        if let Some(reply) = recorded(&kv, keyed, now)? {
            claim::release(&kv, &held).map_err(|e| unavailable(&e))?;
            return Ok(Begun::Answer(reply));
        }
        return Ok(Begun::Run(held));
    }
    for _ in 0..WAIT_STEPS {
        // On wasm32-wasip2 this blocks on a wasi:clocks pollable; the host serves others.
        std::thread::sleep(WAIT_STEP);
        if let Some(reply) = recorded(&kv, keyed, now)? {
            return Ok(Begun::Answer(reply));
        }
    }
    Err(ApiError::new(
        409,
        "idempotency-key-in-use",
        "a request with this Idempotency-Key is still running; retry it in a moment",
    ))
}

/// Records the answer to a keyed request (a 5xx is not recorded: a retry runs again) and gives
/// its claim back. A failure here leaves the answer as it is: a retry then runs the call again,
/// which the call itself makes safe (module documentation).
pub(crate) fn finish(keyed: &Keyed, held: &str, reply: &Reply) {
    let Ok(kv) = SpinKv::open() else {
        return;
    };
    if reply.status() < 500
        && let Ok(body) = std::str::from_utf8(reply.body())
    {
        let record = json!({
            "fingerprint": keyed.fingerprint,
            "status": reply.status(),
            "contentType": reply.header("content-type").unwrap_or("application/json"),
            "body": body,
            "at": now(),
        });
        if let Ok(bytes) = serde_json::to_vec(&record) {
            let _recorded = kv.set(&keyed.record_key(), &bytes);
        }
    }
    let _released = claim::release(&kv, held);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_scoped_to_its_route_and_derives_the_same_id_every_time() {
        let first = Keyed::new("/subscriptions", "k-1", b"{}");
        let again = Keyed::new("/subscriptions", "k-1", b"{\"other\":1}");
        let elsewhere = Keyed::new("/plans", "k-1", b"{}");
        assert_eq!(first.derived_id("s"), again.derived_id("s"));
        assert_ne!(first.fingerprint, again.fingerprint);
        assert_ne!(first.hash, elsewhere.hash);
        let id = first.derived_id("s");
        assert!(id.starts_with("s-k") && id.len() == 27, "{id}");
        assert!(id[3..].bytes().all(|b| b.is_ascii_hexdigit()));
        assert_eq!(first.record_key(), format!("subidem/r/{}", first.hash));
    }
}
