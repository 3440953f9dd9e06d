//! Request bodies and the calls every test makes.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::app::{Client, json, text};

/// A monthly card subscription of two units (2 × 49.90 + 15.00 shipping = 114.80) starting at
/// `start_at`, in São Paulo's time zone. Cards have no payment deadline, so advancing the test
/// clock months ahead cancels none of its orders as unpaid.
pub(crate) fn monthly(id: &str, start_at: &str) -> Value {
    json!({
        "id": id,
        "schedule": {"every": 1, "unit": "month"},
        "timezone": "America/Sao_Paulo",
        "startAt": start_at,
        "customer": {
            "id": "c-17",
            "name": "Ana Souza",
            "email": "ana@example.com",
            "document": "39053344705"
        },
        "shippingAddress": {
            "street": "Rua A", "number": "10", "neighborhood": "Centro",
            "city": "São Paulo", "state": "SP", "postalCode": "01001000", "country": "BRA"
        },
        "items": [
            {"sku": "CAF-1KG", "name": "Café 1 kg", "quantity": 2, "unitPrice": 4990}
        ],
        "shipping": {"method": "PAC", "carrier": "Correios", "price": 1500},
        "payment": {"method": "credit-card"}
    })
}

/// The total of each order of [`monthly`].
pub(crate) const TOTAL: i64 = 11480;

/// The test clock of every test's subscriptions (see [`create`] and [`run`]).
pub(crate) const CLOCK: &str = "tc-suite";

/// Creates [`CLOCK`] at the host's time unless it exists, as a subscription created live would
/// be created now.
pub(crate) fn ensure_clock(client: &Client) -> Value {
    let path = format!("/test-clocks/{CLOCK}");
    let reply = client.get(&path);
    if reply.status == 200 {
        return json(&reply);
    }
    assert_eq!(reply.status, 404, "GET {path}: {}", reply.text());
    let now = rfc3339(Utc::now());
    let reply = client.post("/test-clocks", &json!({"id": CLOCK, "frozenTime": now}));
    assert_eq!(reply.status, 201, "creating {CLOCK}: {}", reply.text());
    json(&reply)
}

/// POST /subscriptions on the suite's test clock ([`CLOCK`], unless the body names a clock or
/// `"testClock": null` for a live one), expecting 201; returns the subscription.
pub(crate) fn create(client: &Client, body: &Value) -> Value {
    let mut body = body.clone();
    if body.get("testClock").is_none() {
        ensure_clock(client);
        body["testClock"] = json!(CLOCK);
    }
    if body["testClock"].is_null() {
        body.as_object_mut().expect("an object").remove("testClock");
    }
    let reply = client.post("/subscriptions", &body);
    assert_eq!(
        reply.status,
        201,
        "creating a subscription: {}",
        reply.text()
    );
    json(&reply)
}

/// Advances the suite's test clock to `now` (one second past where it stands when `now` is not
/// later: a second look at the same instant), running its passes on the way, expecting 200;
/// returns what the passes did.
pub(crate) fn run(client: &Client, now: &str) -> Value {
    let frozen = instant(&text(&ensure_clock(client), "frozenTime"));
    let to = instant(now).max(frozen + chrono::TimeDelta::seconds(1));
    let reply = advance(client, CLOCK, &rfc3339(to));
    assert_eq!(reply.status, 200, "advance to {now}: {}", reply.text());
    json(&reply)
}

/// POST /test-clocks/{clock}/advance to `to`.
pub(crate) fn advance(client: &Client, clock: &str, to: &str) -> crate::helpers::Reply {
    client.post(
        &format!("/test-clocks/{clock}/advance"),
        &json!({ "frozenTime": to }),
    )
}

/// GET /subscriptions/{id}, expecting 200.
pub(crate) fn get(client: &Client, id: &str) -> Value {
    let reply = client.get(&format!("/subscriptions/{id}"));
    assert_eq!(reply.status, 200, "GET subscription {id}: {}", reply.text());
    json(&reply)
}

/// Every cycle record of a subscription, oldest first.
pub(crate) fn cycles(client: &Client, id: &str) -> Vec<Value> {
    let mut all = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/subscriptions/{id}/cycles?limit=200&cursor={c}"),
            None => format!("/subscriptions/{id}/cycles?limit=200"),
        };
        let reply = client.get(&path);
        assert_eq!(reply.status, 200, "GET {path}: {}", reply.text());
        let page = json(&reply);
        all.extend(page["items"].as_array().cloned().unwrap_or_default());
        match page["nextCursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return all,
        }
    }
}

/// The order of a created cycle, read through GET /orders/{id}; checks it names its cycle.
pub(crate) fn order_of(client: &Client, subscription: &str, cycle: &Value) -> Value {
    assert_eq!(cycle["status"], "created", "{cycle}");
    let order = client.order(&text(cycle, "orderId"));
    assert_eq!(
        order["subscription"],
        json!({"id": subscription, "cycle": cycle["number"]}),
        "{order}"
    );
    order
}

/// PATCH /subscriptions/{id} with `body`, expecting 200; returns the subscription.
pub(crate) fn patch(client: &Client, id: &str, body: &Value) -> Value {
    let path = format!("/subscriptions/{id}");
    let reply = client.send("PATCH", &path, &[], body.to_string().as_bytes());
    assert_eq!(reply.status, 200, "PATCH {path}: {}", reply.text());
    json(&reply)
}

/// Every order of channel `subscriptions` (GET /orders, every page).
pub(crate) fn subscription_orders(client: &Client) -> Vec<Value> {
    let mut all = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/orders?channel=subscriptions&limit=200&cursor={c}"),
            None => "/orders?channel=subscriptions&limit=200".to_owned(),
        };
        let reply = client.get(&path);
        assert_eq!(reply.status, 200, "GET {path}: {}", reply.text());
        let page = json(&reply);
        all.extend(page["items"].as_array().cloned().unwrap_or_default());
        match page["nextCursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return all,
        }
    }
}

/// An RFC 3339 instant.
pub(crate) fn instant(at: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(at)
        .unwrap_or_else(|e| panic!("{at} is not RFC 3339: {e}"))
        .with_timezone(&Utc)
}

/// An instant as the API writes it (whole seconds, `Z`).
pub(crate) fn rfc3339(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}
