//! Placing, reading and listing one order; the checkout's retries (Idempotency-Key, channel +
//! externalId).

use serde_json::Value;

use crate::app::{App, Cas, Deployment, Store, error_code, int, json, text};
use crate::sample;

/// Every order of `GET /orders?{query}`, in pages of 200 following `nextCursor`.
pub(crate) fn list_all(app: &App, query: &str) -> Vec<Value> {
    pages(app, query, 200).concat()
}

/// Every page of `GET /orders?{query}&limit={limit}`, each as its orders.
pub(crate) fn pages(app: &App, query: &str, limit: usize) -> Vec<Vec<Value>> {
    let admin = app.admin();
    let mut pages = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..5000 {
        let mut path = format!("/orders?limit={limit}&{query}");
        if let Some(cursor) = &cursor {
            path.push_str("&cursor=");
            path.push_str(&encode(cursor));
        }
        let reply = admin.get(&path);
        assert_eq!(reply.status, 200, "GET {path}: {}", reply.text());
        let page = json(&reply);
        let items = page["items"].as_array().expect("items").clone();
        assert!(items.len() <= limit, "GET {path}: a page longer than asked");
        pages.push(items);
        match page["nextCursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return pages,
        }
    }
    panic!("GET /orders?{query}: more than 5000 pages");
}

/// Percent-encodes a query value.
pub(crate) fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn ids(orders: &[Value]) -> Vec<String> {
    orders.iter().map(|o| text(o, "id")).collect()
}

#[test]
fn an_order_placed_by_the_checkout_can_be_read_and_is_listed() {
    let app = App::start("lifecycle");
    let reply = app
        .checkout()
        .post("/checkout/orders", &sample::order("MLB-1"));
    assert_eq!(reply.status, 201, "{}", reply.text());
    assert_eq!(reply.header("idempotent-replayed"), None);
    let placed = json(&reply);
    let id = text(&placed, "id");
    assert_eq!(
        reply.header("location"),
        Some(format!("/orders/{id}").as_str())
    );
    assert_eq!(placed["status"], "payment-pending");
    assert_eq!(int(&placed, "version"), 1);
    assert!(int(&placed, "number") > 0, "{placed}");
    assert_eq!(placed["channel"], "storefront");
    assert_eq!(placed["externalId"], "MLB-1");
    assert_eq!(placed["totals"]["items"], 9980);
    assert_eq!(placed["totals"]["shipping"], 1500);
    assert_eq!(placed["totals"]["total"], sample::TOTAL);
    assert_eq!(placed["payment"]["status"], "pending");
    assert_eq!(placed["history"][0]["event"], "order-placed");
    assert_eq!(placed["history"][0]["actor"], "checkout");
    assert_eq!(placed["history"][0]["to"], "payment-pending");

    // What was answered is what is stored.
    assert_eq!(app.admin().order(&id), placed);

    // Listed, and found by its filters.
    for query in [
        String::new(),
        "status=payment-pending".to_owned(),
        "channel=storefront".to_owned(),
        format!("q={}", int(&placed, "number")),
        "sku=CAM-P-AZ".to_owned(),
        "customer=ana%40example.com".to_owned(),
        "minTotal=11480&maxTotal=11480".to_owned(),
        "shippingMethod=PAC".to_owned(),
    ] {
        assert_eq!(list_all(&app, &query), vec![placed.clone()], "?{query}");
    }
    for query in ["status=canceled", "channel=marketplace", "minTotal=11481"] {
        assert_eq!(list_all(&app, query), Vec::<Value>::new(), "?{query}");
    }

    // Unknown orders.
    for path in ["/orders/no-such-order", "/orders/01J0ORDER"] {
        let reply = app.admin().get(path);
        assert_eq!(reply.status, 404, "{path}: {}", reply.text());
        assert_eq!(error_code(&reply), "not-found");
    }
}

#[test]
fn a_replayed_idempotency_key_answers_the_first_response_and_a_reused_one_is_422() {
    check_a_replayed_idempotency_key_answers_the_first_response(Store::from_env(Cas::Honest));
}

pub(crate) fn check_a_replayed_idempotency_key_answers_the_first_response(
    deployment: impl Into<Deployment>,
) {
    let app = App::start_on("idempotency", deployment);
    let checkout = app.checkout();
    let body = sample::order("idem-1").to_string();
    let key = [("Idempotency-Key", "checkout-attempt-1")];

    let first = checkout.send("POST", "/checkout/orders", &key, body.as_bytes());
    assert_eq!(first.status, 201, "{}", first.text());
    assert_eq!(first.header("idempotent-replayed"), None);

    for _ in 0..2 {
        let replay = checkout.send("POST", "/checkout/orders", &key, body.as_bytes());
        assert_eq!(replay.status, 201, "{}", replay.text());
        assert_eq!(replay.header("idempotent-replayed"), Some("true"));
        assert_eq!(json(&replay), json(&first));
    }

    // The same key with another body.
    let other = sample::order("idem-2").to_string();
    let reused = checkout.send("POST", "/checkout/orders", &key, other.as_bytes());
    assert_eq!(reused.status, 422, "{}", reused.text());
    assert_eq!(error_code(&reused), "idempotency-key-reused");

    // That body under its own key is a new order; the key is scoped to the route.
    let fresh = checkout.send(
        "POST",
        "/checkout/orders",
        &[("Idempotency-Key", "checkout-attempt-2")],
        other.as_bytes(),
    );
    assert_eq!(fresh.status, 201, "{}", fresh.text());
    assert_ne!(json(&fresh)["id"], json(&first)["id"]);

    // Bad keys are refused before anything is written.
    let long = "k".repeat(256);
    for bad in ["", long.as_str(), "tab\there"] {
        let reply = checkout.send(
            "POST",
            "/checkout/orders",
            &[("Idempotency-Key", bad)],
            sample::order("idem-bad").to_string().as_bytes(),
        );
        assert_eq!(reply.status, 400, "{bad:?}: {}", reply.text());
        assert_eq!(error_code(&reply), "invalid-idempotency-key");
    }
    assert_eq!(list_all(&app, "").len(), 2);
}

#[test]
fn the_same_channel_and_external_id_again_is_200_with_the_same_order() {
    check_the_same_channel_and_external_id_again_is_the_same_order(Store::from_env(Cas::Honest));
}

pub(crate) fn check_the_same_channel_and_external_id_again_is_the_same_order(
    deployment: impl Into<Deployment>,
) {
    let app = App::start_on("external-id", deployment);
    let checkout = app.checkout();
    let first = checkout.place(&sample::order("MLB-998877"));

    // The checkout retries, with the same body or a changed one.
    let mut changed = sample::order("MLB-998877");
    changed["items"][0]["quantity"] = 3.into();
    changed["totals"]["total"] = 16470.into();
    for body in [sample::order("MLB-998877"), changed] {
        let again = checkout.post("/checkout/orders", &body);
        assert_eq!(again.status, 200, "{}", again.text());
        assert_eq!(json(&again), first);
    }

    // Another channel's order with that external id is another order.
    let mut marketplace = sample::order("MLB-998877");
    marketplace["channel"] = "marketplace".into();
    let other = checkout.place(&marketplace);
    assert_ne!(other["id"], first["id"]);
    assert_ne!(other["number"], first["number"]);

    let listed = list_all(&app, "");
    let mut listed_ids = ids(&listed);
    listed_ids.sort();
    let mut expected = vec![text(&first, "id"), text(&other, "id")];
    expected.sort();
    assert_eq!(listed_ids, expected);
}
