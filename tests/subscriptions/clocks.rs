//! Test clocks, as Stripe has them: a clock's pass far in the future moves its own subscriptions
//! and orders and nothing live; its refusals (backwards, unknown clocks, auth); deleting it.

use serde_json::{Value, json};

use crate::app::{App, Client, error_code, json, text};
use crate::sample::{self, create, cycles, get};

/// A live checkout order paid by `method` (pix or boleto): pending, with a deadline.
fn live_order(checkout: &Client, external_id: &str, method: &str) -> Value {
    checkout.place(&json!({
        "channel": "storefront",
        "externalId": external_id,
        "customer": {"id": "c-live", "name": "Bia Lima", "email": "bia@example.com"},
        "shippingAddress": {
            "street": "Rua B", "number": "2", "neighborhood": "Centro",
            "city": "São Paulo", "state": "SP", "postalCode": "01001000", "country": "BRA"
        },
        "items": [{"sku": "CAF-1KG", "name": "Café 1 kg", "quantity": 1, "unitPrice": 4990}],
        "shipping": {"method": "PAC", "carrier": "Correios", "price": 1500},
        "payment": {"method": method}
    }))
}

/// POST /test-clocks, expecting 201.
fn new_clock(admin: &Client, body: &Value) -> Value {
    let reply = admin.post("/test-clocks", body);
    assert_eq!(reply.status, 201, "{}", reply.text());
    json(&reply)
}

#[test]
fn a_test_clock_pass_far_ahead_leaves_live_data_alone_and_expires_only_its_own_orders() {
    let app = App::start("clock-isolation");
    let (admin, checkout) = (app.admin(), app.checkout());
    // Live data: two unpaid orders with deadlines, and a live subscription already due by the
    // clock's standards (its start is long before where the clock goes).
    let pix = live_order(&checkout, "live-pix", "pix");
    let boleto = live_order(&checkout, "live-boleto", "boleto");
    let mut live = sample::monthly("s-live", "2028-01-05T15:00:00Z");
    live["testClock"] = Value::Null;
    let live = create(&admin, &live);
    assert_eq!(live["testClock"], Value::Null, "{live}");

    let clock = new_clock(
        &admin,
        &json!({"name": "pix a year ahead", "frozenTime": "2028-01-01T00:00:00Z"}),
    );
    let id = text(&clock, "id");
    assert_eq!(clock["status"], "ready", "{clock}");
    assert_eq!(clock["frozenTime"], "2028-01-01T00:00:00Z", "{clock}");
    let mut on_clock = sample::monthly("s-clock", "2028-01-05T15:00:00Z");
    on_clock["testClock"] = json!(id);
    on_clock["payment"] = json!({"method": "pix"});
    let sub = create(&admin, &on_clock);
    assert_eq!(sub["testClock"], id.as_str(), "{sub}");
    assert_eq!(sub["createdAt"], "2028-01-01T00:00:00Z", "{sub}");

    // Far in the future: every cycle of the year ordered at its time, each pix expired at its
    // own deadline; the reply is what the passes did, with the clock.
    let reply = sample::advance(&admin, &id, "2030-01-01T00:00:00Z");
    assert_eq!(reply.status, 200, "{}", reply.text());
    let report = json(&reply);
    assert_eq!(report["created"], 24, "{report}");
    assert_eq!(report["missed"], 0, "{report}");
    assert_eq!(report["canceledUnpaid"], 24, "{report}");
    assert_eq!(report["testClock"]["frozenTime"], "2030-01-01T00:00:00Z");
    assert_eq!(report["testClock"]["status"], "ready");
    for record in cycles(&admin, "s-clock") {
        let order = admin.order(&text(&record, "orderId"));
        assert_eq!(order["testClock"], id.as_str(), "{order}");
        assert_eq!(order["createdAt"], record["scheduledFor"], "{order}");
        assert_eq!(order["status"], "canceled", "{order}");
    }

    // Nothing live moved: the orders are pending as placed, the subscription as created.
    for placed in [&pix, &boleto] {
        let now = admin.order(&text(placed, "id"));
        assert_eq!(now["status"], "payment-pending", "{now}");
        assert_eq!(now["version"], placed["version"], "{now}");
        assert_eq!(now["testClock"], Value::Null, "{now}");
    }
    assert_eq!(get(&admin, "s-live"), live);
    // And a live pass does not run the clock's subscription (nor the live one, not yet due).
    let reply = admin.post("/subscriptions/run", &json!({}));
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(json(&reply)["created"], 0);
    assert_eq!(get(&admin, "s-clock")["cycleCount"], 24);

    // Deleting the clock deletes its subscription; its orders stay, marked.
    let listed = json(&admin.get("/test-clocks"));
    assert_eq!(listed["items"][0]["id"], id.as_str(), "{listed}");
    let deleted = admin.send("DELETE", &format!("/test-clocks/{id}"), &[], b"");
    assert_eq!(deleted.status, 200, "{}", deleted.text());
    assert_eq!(json(&deleted), json!({"id": id, "deleted": true}));
    assert_eq!(admin.get("/subscriptions/s-clock").status, 404);
    let gone = admin.get(&format!("/test-clocks/{id}"));
    assert_eq!(
        (gone.status, error_code(&gone)),
        (404, "test-clock-not-found".to_owned())
    );
    assert_eq!(get(&admin, "s-live"), live);
}

#[test]
fn a_clock_moves_only_forward_and_unknown_clocks_and_bad_bodies_are_refused() {
    let app = App::start("clock-refusals");
    let (admin, checkout) = (app.admin(), app.checkout());
    let clock = new_clock(
        &admin,
        &json!({"id": "tc-r", "frozenTime": "2028-03-01T00:00:00Z"}),
    );
    assert_eq!(clock["id"], "tc-r");
    assert_eq!(clock["name"], Value::Null);
    let again = admin.post(
        "/test-clocks",
        &json!({"id": "tc-r", "frozenTime": "2028-03-01T00:00:00Z"}),
    );
    assert_eq!(
        (again.status, error_code(&again)),
        (409, "already-exists".to_owned())
    );

    // Backwards, or to where it stands: 422, and the clock stays.
    for to in ["2028-02-01T00:00:00Z", "2028-03-01T00:00:00Z"] {
        let reply = sample::advance(&admin, "tc-r", to);
        assert_eq!(reply.status, 422, "{to}: {}", reply.text());
        assert_eq!(error_code(&reply), "test-clock-backwards");
    }
    let reply = sample::advance(&admin, "tc-r", "2028-03-02T00:00:00Z");
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(
        json(&reply)["testClock"]["frozenTime"],
        "2028-03-02T00:00:00Z"
    );

    // Unknown clocks: 404 on their routes, 422 naming the field on a subscription.
    for (method, path) in [
        ("GET", "/test-clocks/tc-none"),
        ("DELETE", "/test-clocks/tc-none"),
        ("POST", "/test-clocks/tc-none/advance"),
    ] {
        let body = json!({"frozenTime": "2029-01-01T00:00:00Z"}).to_string();
        let reply = admin.send(method, path, &[], body.as_bytes());
        assert_eq!(reply.status, 404, "{method} {path}: {}", reply.text());
        assert_eq!(error_code(&reply), "test-clock-not-found");
    }
    let mut body = sample::monthly("s-nowhere", "2028-04-01T15:00:00Z");
    body["testClock"] = json!("tc-none");
    let reply = admin.post("/subscriptions", &body);
    assert_eq!(reply.status, 422, "{}", reply.text());
    let fields = &json(&reply)["error"]["details"]["fields"];
    assert_eq!(fields[0]["field"], "testClock", "{}", reply.text());
    assert_eq!(admin.get("/subscriptions/s-nowhere").status, 404);

    // Bad bodies.
    for (body, status, code) in [
        (json!({}), 422, "validation-failed"),
        (json!({"frozenTime": "soon"}), 422, "validation-failed"),
        (json!({"frozenTime": 5}), 400, "wrong-type"),
    ] {
        let reply = admin.post("/test-clocks", &body);
        assert_eq!(
            (reply.status, error_code(&reply)),
            (status, code.to_owned())
        );
        let reply = admin.post("/test-clocks/tc-r/advance", &body);
        assert_eq!(
            (reply.status, error_code(&reply)),
            (status, code.to_owned())
        );
    }

    // Only the admin token: the checkout may create subscriptions, not clocks.
    let reply = checkout.post(
        "/test-clocks",
        &json!({"frozenTime": "2028-03-01T00:00:00Z"}),
    );
    assert_eq!(
        (reply.status, error_code(&reply)),
        (403, "forbidden".to_owned())
    );
    let anonymous = app.with_authorization(None);
    assert_eq!(anonymous.get("/test-clocks/tc-r").status, 401);

    // An advance under an Idempotency-Key is answered again, not refused as backwards.
    let keyed = |to: &str| {
        admin.send(
            "POST",
            "/test-clocks/tc-r/advance",
            &[("Idempotency-Key", "advance-1")],
            json!({"frozenTime": to}).to_string().as_bytes(),
        )
    };
    let first = keyed("2028-04-01T00:00:00Z");
    assert_eq!(first.status, 200, "{}", first.text());
    let replay = keyed("2028-04-01T00:00:00Z");
    assert_eq!(
        (replay.status, replay.header("idempotent-replayed")),
        (200, Some("true"))
    );
    assert_eq!(replay.body, first.body);
}
