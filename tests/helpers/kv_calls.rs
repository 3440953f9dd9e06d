//! What a command costs the store, as the runner counts it (`--count-kv-calls`): the budget
//! every command's common path keeps (docs/architecture.md, "Writes").

use serde_json::Value;

use super::app::{Client, json as body};

/// The most write calls a command makes on its common path.
pub(crate) const MAX_WRITES: u64 = 3;
/// The most calls in all: a placement with an external id makes six, and one read of the
/// inventory's count of tracked SKUs (a store that tracks none pays that read, and nothing else,
/// for its stock).
pub(crate) const MAX_CALLS: u64 = 7;

/// Sends one request and answers its body and its counts (calls, writes).
pub(crate) fn counted(
    client: &Client,
    path: &str,
    headers: &[(&str, &str)],
    request: &Value,
) -> (Value, u64, u64) {
    let reply = client.send("POST", path, headers, request.to_string().as_bytes());
    assert!(
        reply.status == 200 || reply.status == 201,
        "{path}: {} {}",
        reply.status,
        reply.text()
    );
    let header = reply
        .header("orderflow-kv-calls")
        .unwrap_or_else(|| panic!("{path}: no orderflow-kv-calls header"))
        .to_owned();
    let number = |name: &str| -> u64 {
        header
            .split("; ")
            .find_map(|part| part.strip_prefix(name))
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("{path}: {header}"))
    };
    (body(&reply), number("calls="), number("writes="))
}

pub(crate) fn check(what: &str, (value, calls, writes): (Value, u64, u64)) -> Value {
    assert!(
        writes <= MAX_WRITES && calls <= MAX_CALLS,
        "{what}: {calls} calls, {writes} writes (at most {MAX_CALLS} and {MAX_WRITES})"
    );
    value
}
