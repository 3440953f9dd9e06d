//! The answer to a placement: 201 with the order when it was created, 200 with the existing
//! order when the same channel + external id was placed before. An `Idempotency-Key` replay
//! answers the same status (the service replays the first answer's `changed`) with
//! `Idempotent-Replayed: true`.

use http_common::Reply;
use http_common::orders::Written;
use http_common::render;

/// The reply for what `orders::place` wrote.
pub(crate) fn placed(written: &Written) -> Reply {
    let status = if written.changed { 201 } else { 200 };
    Reply::json(status, &render::order(&written.order))
        .with_header("location", &format!("/orders/{}", written.order.id))
        .replayed(written.replayed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_common::fixtures::sample_order;

    fn written(changed: bool, replayed: bool) -> Written {
        Written {
            order: sample_order(),
            changed,
            replayed,
        }
    }

    #[test]
    fn a_new_order_is_201_with_its_location() {
        let reply = placed(&written(true, false));
        assert_eq!(reply.status(), 201);
        assert_eq!(reply.header("location"), Some("/orders/01J0ORDER"));
        assert_eq!(reply.header("idempotent-replayed"), None);
        let body: serde_json::Value = serde_json::from_slice(reply.body()).unwrap_or_default();
        assert_eq!(body["id"], "01J0ORDER");
    }

    #[test]
    fn the_same_channel_and_external_id_again_is_200() {
        assert_eq!(placed(&written(false, false)).status(), 200);
    }

    #[test]
    fn an_idempotency_replay_answers_the_first_status_flagged() {
        let reply = placed(&written(true, true));
        assert_eq!(reply.status(), 201);
        assert_eq!(reply.header("idempotent-replayed"), Some("true"));
        let reply = placed(&written(false, true));
        assert_eq!(reply.status(), 200);
        assert_eq!(reply.header("idempotent-replayed"), Some("true"));
    }
}
