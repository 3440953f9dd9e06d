//! `Idempotency-Key` on the subscription POSTs (openapi.yaml): a retried creation
//! without an id creates one subscription and replays the first answer; another body under the
//! same key is 422; concurrent retries of one key create one subscription.

use serde_json::{Value, json};

use crate::app::{App, Cas, Client, Deployment, Store, error_code, json, text};
use crate::parallel;
use crate::sample;

/// POSTs `body` to `path` under Idempotency-Key `key`.
fn keyed(client: &Client, path: &str, key: &str, body: &Value) -> crate::helpers::Reply {
    client.send(
        "POST",
        path,
        &[("Idempotency-Key", key)],
        body.to_string().as_bytes(),
    )
}

/// A subscription body without an id.
fn anonymous(customer: &str) -> Value {
    let mut body = sample::monthly("unused", "2028-09-01T15:00:00Z");
    body.as_object_mut().expect("an object").remove("id");
    body["customer"]["id"] = json!(customer);
    body
}

/// How many subscriptions the customer has.
fn count_of(admin: &Client, customer: &str) -> usize {
    let reply = admin.get(&format!("/subscriptions?customer={customer}&limit=200"));
    assert_eq!(reply.status, 200, "{}", reply.text());
    json(&reply)["items"].as_array().map_or(0, Vec::len)
}

#[test]
fn a_keyed_creation_is_replayed_once_created_and_another_body_is_refused() {
    check_a_keyed_creation_is_replayed_once_created(Store::from_env(Cas::Honest));
}

pub(crate) fn check_a_keyed_creation_is_replayed_once_created(deployment: impl Into<Deployment>) {
    let app = App::start_on("idempotency", deployment);
    let (checkout, admin) = (app.checkout(), app.admin());
    let body = anonymous("c-idem-1");
    let first = keyed(&checkout, "/subscriptions", "checkout-42", &body);
    assert_eq!(first.status, 201, "{}", first.text());
    assert_eq!(first.header("idempotent-replayed"), None);
    let id = text(&json(&first), "id");
    assert!(id.starts_with("s-k"), "{id}");
    let again = keyed(&checkout, "/subscriptions", "checkout-42", &body);
    assert_eq!(again.status, 201, "{}", again.text());
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(again.body, first.body);
    assert_eq!(count_of(&admin, "c-idem-1"), 1);

    let other = keyed(
        &checkout,
        "/subscriptions",
        "checkout-42",
        &anonymous("c-idem-2"),
    );
    assert_eq!(other.status, 422, "{}", other.text());
    assert_eq!(error_code(&other), "idempotency-key-reused");
    assert_eq!(count_of(&admin, "c-idem-2"), 0);

    // A command under a key: its retry replays the first answer instead of refusing to pause a
    // paused subscription.
    let pause = json!({"reason": "vacation"});
    let path = format!("/subscriptions/{id}/pause");
    let paused = keyed(&admin, &path, "pause-1", &pause);
    assert_eq!(paused.status, 200, "{}", paused.text());
    let replayed = keyed(&admin, &path, "pause-1", &pause);
    assert_eq!(
        (replayed.status, replayed.header("idempotent-replayed")),
        (200, Some("true"))
    );
    let unkeyed = admin.post(&path, &pause);
    assert_eq!(
        (unkeyed.status, error_code(&unkeyed)),
        (409, "invalid-transition".to_owned())
    );
    // The same key on another route is another key.
    let resumed = keyed(
        &admin,
        &format!("/subscriptions/{id}/resume"),
        "pause-1",
        &json!({}),
    );
    assert_eq!(resumed.status, 200, "{}", resumed.text());

    // Bad keys are 400 before anything runs.
    for bad in ["", &"k".repeat(256)] {
        let reply = keyed(&checkout, "/subscriptions", bad, &anonymous("c-idem-3"));
        assert_eq!(reply.status, 400, "{bad:?}: {}", reply.text());
        assert_eq!(error_code(&reply), "invalid-idempotency-key");
    }
    assert_eq!(count_of(&admin, "c-idem-3"), 0);
}

#[test]
fn eight_concurrent_retries_of_one_keyed_creation_create_one_subscription() {
    check_eight_concurrent_retries_of_one_keyed_creation(Store::from_env(Cas::Honest));
}

pub(crate) fn check_eight_concurrent_retries_of_one_keyed_creation(
    deployment: impl Into<Deployment>,
) {
    let app = App::start_on("idempotency-concurrent", deployment);
    let (checkout, admin) = (app.checkout(), app.admin());
    let body = anonymous("c-idem-par");
    let replies = parallel(8, |_| {
        keyed(&checkout, "/subscriptions", "retry-storm", &body)
    });
    let mut ids: Vec<String> = Vec::new();
    for reply in &replies {
        match reply.status {
            201 => ids.push(text(&json(reply), "id")),
            // Still running elsewhere after the wait: the client retries later.
            409 => assert_eq!(error_code(reply), "idempotency-key-in-use"),
            other => panic!("unexpected {other}: {}", reply.text()),
        }
    }
    assert!(!ids.is_empty());
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 1, "{ids:?}");
    assert_eq!(count_of(&admin, "c-idem-par"), 1);
}
