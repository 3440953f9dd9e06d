//! The answer to a command: 200 with the order. A replay (the same change request id, or an
//! `Idempotency-Key` replay) answers the order as it is, flagged with
//! `Idempotent-Replayed: true` when it came from the key.

use http_common::orders::Written;
use http_common::{Reply, render};

/// The reply for what `orders::apply` wrote.
pub(crate) fn applied(written: &Written) -> Reply {
    let reply = Reply::json(200, &render::order(&written.order));
    if written.replayed {
        reply.with_header("idempotent-replayed", "true")
    } else {
        reply
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_common::fixtures::sample_order;

    #[test]
    fn a_command_answers_200_with_the_order_and_flags_key_replays() {
        let mut written = Written {
            order: sample_order(),
            changed: true,
            replayed: false,
        };
        let reply = applied(&written);
        assert_eq!(reply.status(), 200);
        assert_eq!(reply.header("idempotent-replayed"), None);
        let body: serde_json::Value = serde_json::from_slice(reply.body()).unwrap_or_default();
        assert_eq!(body["id"], "01J0ORDER");
        written.replayed = true;
        assert_eq!(
            applied(&written).header("idempotent-replayed"),
            Some("true")
        );
    }
}
