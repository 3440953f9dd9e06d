//! Stock in the feed and in webhooks: a change that moves on hand is `inventory.stock-changed`,
//! a location falling to its safety stock `inventory.low-stock`, rising above it again
//! `inventory.back-in-stock`; each once, in the SKU's order, with the stock as
//! `GET /inventory/{sku}` shows it after the change, and signed to an endpoint that asks.

use serde_json::{Value, json};

use crate::app::{App, json, text};
use crate::commands::{nfe_key, now};
use crate::helpers::receiver::Receiver;
use crate::sample;
use crate::stock::{SKU, ok, set_level};
use crate::webhooks::{body, verifies};

fn run(app: &App) {
    let reply = app.admin().post("/integrations/run", &json!({}));
    assert_eq!(reply.status, 200, "{}", reply.text());
}

#[test]
fn stock_events_reach_the_feed_and_an_endpoint_that_asks_for_them() {
    let app = App::start("stock-feed");
    let admin = app.admin();
    let receiver = Receiver::start(&[204]);
    let created = ok(
        &admin.post(
            "/webhooks/endpoints",
            &json!({
                "url": receiver.url("/stock"),
                "types": ["inventory.low-stock", "inventory.back-in-stock"],
            }),
        ),
        "endpoint",
    );
    let secret = text(&created, "secret");

    set_level(&app, SKU, "sp-1", 4);
    // Each sample order holds 2: the first leaves 2 available (no event), the second none.
    let first = app.checkout().place(&sample::order("MLB-FEED-1"));
    let second = app.checkout().place(&sample::order("MLB-FEED-2"));
    let id = text(&first, "id");
    ok(
        &admin.post(
            &format!("/orders/{}/cancel", text(&second, "id")),
            &json!({"reason": "changed my mind"}),
        ),
        "cancel",
    );
    ok(
        &admin.post(
            &format!("/orders/{id}/payment"),
            &json!({"amount": sample::TOTAL}),
        ),
        "payment",
    );
    ok(
        &admin.post(&format!("/orders/{id}/handling"), &json!({})),
        "handling",
    );
    let invoice = json!({
        "type": "output", "number": "4001", "series": "1", "key": nfe_key(4001),
        "value": sample::TOTAL, "issuedAt": now(),
    });
    ok(
        &admin.post(&format!("/orders/{id}/invoices"), &invoice),
        "invoice",
    );
    // A replayed invoice moves nothing and publishes nothing.
    ok(
        &admin.post(&format!("/orders/{id}/invoices"), &invoice),
        "replay",
    );
    run(&app);
    run(&app);

    let types = "inventory.stock-changed,inventory.low-stock,inventory.back-in-stock";
    let feed = json(
        &app.client("erp_token")
            .get(&format!("/feed?types={types}&limit=50")),
    );
    let events = feed["items"].as_array().expect("items").clone();
    let seen: Vec<(String, Value, i64, i64)> = events
        .iter()
        .map(|e| {
            assert_eq!(e["sku"], SKU, "{e}");
            assert_eq!(e["orderId"], Value::Null, "{e}");
            let stock = &e["data"]["stock"];
            (
                text(e, "type"),
                e["data"]["event"]["location"].clone(),
                stock["onHand"].as_i64().unwrap_or(-1),
                stock["available"].as_i64().unwrap_or(-1),
            )
        })
        .collect();
    let sp = json!("sp-1");
    assert_eq!(
        seen,
        [
            ("inventory.stock-changed".to_owned(), Value::Null, 4, 4),
            ("inventory.low-stock".to_owned(), sp.clone(), 4, 0),
            ("inventory.back-in-stock".to_owned(), sp, 4, 2),
            ("inventory.stock-changed".to_owned(), Value::Null, 2, 2),
        ]
    );
    let sale = &events[3]["data"]["event"]["movements"][0];
    assert_eq!(
        (&sale["reason"], &sale["orderId"]),
        (&json!("sale"), &json!(id))
    );

    // The endpoint asked for low and back in stock: those two, signed, in order.
    let received = receiver.received();
    let kinds: Vec<Value> = received.iter().map(|r| body(r)["type"].clone()).collect();
    assert_eq!(
        kinds,
        [
            json!("inventory.low-stock"),
            json!("inventory.back-in-stock")
        ]
    );
    for request in &received {
        assert!(verifies(&secret, request), "{request:?}");
    }
}
