//! Subscription events reach a webhook endpoint in order: created, a cycle's order, paused,
//! resumed, canceled (the integrations capability, over the subscriptions service's outbox),
//! delivered at once even when the subscription lives on a test clock years ahead.

use serde_json::{Value, json};

use crate::app::App;
use crate::helpers::receiver::Receiver;
use crate::sample::{self, create, run};

#[test]
fn a_subscriptions_life_reaches_an_endpoint_in_order() {
    let app = App::start("subscription-webhooks");
    let admin = app.admin();
    let receiver = Receiver::start(&[204]);
    let created = admin.post(
        "/webhooks/endpoints",
        &json!({"url": receiver.url("/subs"), "types": [
            "subscription.created", "subscription.cycle-created", "subscription.paused",
            "subscription.resumed", "subscription.canceled"]}),
    );
    assert_eq!(created.status, 201, "{}", created.text());

    create(&admin, &sample::monthly("s-hooks", "2028-01-31T15:00:00Z"));
    assert_eq!(run(&admin, "2028-01-31T15:01:00Z")["created"], 1);
    for (action, body) in [
        ("pause", json!({"reason": "vacation"})),
        ("resume", json!({})),
        ("cancel", json!({"reason": "moved away"})),
    ] {
        let reply = admin.post(&format!("/subscriptions/s-hooks/{action}"), &body);
        assert_eq!(reply.status, 200, "{action}: {}", reply.text());
    }
    for _ in 0..20 {
        if receiver.received().len() >= 5 {
            break;
        }
        let pass = admin.post("/integrations/run", &json!({}));
        assert_eq!(pass.status, 200, "{}", pass.text());
    }
    let bodies: Vec<Value> = receiver
        .received()
        .iter()
        .map(|r| serde_json::from_slice(&r.body).expect("JSON"))
        .collect();
    let kinds: Vec<&str> = bodies
        .iter()
        .map(|b| b["type"].as_str().expect("a type"))
        .collect();
    assert_eq!(
        kinds,
        [
            "subscription.created",
            "subscription.cycle-created",
            "subscription.paused",
            "subscription.resumed",
            "subscription.canceled"
        ]
    );
    for body in &bodies {
        assert_eq!(body["data"]["subscriptionId"], "s-hooks", "{body}");
    }
    let paused = &bodies[2]["data"];
    assert_eq!(paused["to"], "paused", "{paused}");
    assert_eq!(paused["data"]["subscription"]["pauseReason"], "vacation");
    assert_eq!(bodies[4]["data"]["to"], "canceled");
    // The cycle's order is named in its event.
    let cycle = &bodies[1]["data"]["data"]["event"]["details"];
    assert!(
        cycle["orderId"]
            .as_str()
            .is_some_and(|id| id.starts_with("o-")),
        "{cycle}"
    );
}
