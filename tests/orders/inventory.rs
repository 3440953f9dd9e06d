//! `/inventory` end to end (openapi.yaml, tag `inventory`): levels from the ERP, an older one
//! ignored and said so, adjustments, settings, listings by location and low stock, the ledger,
//! and the refusals.

use serde_json::{Value, json};

use crate::app::{App, Client, error_code, json};

fn put(client: &Client, path: &str, body: &Value) -> crate::helpers::Reply {
    client.send("PUT", path, &[], body.to_string().as_bytes())
}

fn patch(client: &Client, path: &str, body: &Value) -> crate::helpers::Reply {
    client.send("PATCH", path, &[], body.to_string().as_bytes())
}

#[test]
fn the_erp_sets_levels_and_a_late_older_one_is_ignored() {
    let app = App::start("inventory-levels");
    let erp = app.client("erp_token");
    let admin = app.admin();
    let reply = erp.get("/inventory/CAFE-500G");
    assert_eq!(
        (reply.status, error_code(&reply)),
        (404, "not-tracked".to_owned())
    );

    let newer = json!({"onHand": 40, "updatedAt": "2026-12-07T10:00:00Z"});
    let reply = put(&erp, "/inventory/CAFE-500G/locations/sp-1", &newer);
    assert_eq!(reply.status, 200, "{}", reply.text());
    let stock = json(&reply);
    assert_eq!(
        (
            stock["onHand"].clone(),
            stock["available"].clone(),
            stock["ignored"].clone()
        ),
        (json!(40), json!(40), Value::Null)
    );
    put(
        &erp,
        "/inventory/CAFE-500G/locations/rj-1",
        &json!({"onHand": 5}),
    );
    let older = json!({"onHand": 3, "updatedAt": "2026-12-07T09:00:00Z"});
    let reply = put(&erp, "/inventory/CAFE-500G/locations/sp-1", &older);
    assert_eq!(reply.status, 200, "{}", reply.text());
    let ignored = json(&reply);
    assert_eq!(ignored["ignored"]["reason"], "stale");
    assert_eq!(ignored["onHand"], 45);

    let reply = admin.post(
        "/inventory/adjustments",
        &json!({"sku": "CAFE-500G", "location": "rj-1", "delta": -2, "reason": "broken in transit"}),
    );
    assert_eq!(reply.status, 200, "{}", reply.text());
    let stock = json(&admin.get("/inventory/CAFE-500G"));
    assert_eq!(stock["onHand"], 43);
    let locations: Vec<(String, i64)> = stock["locations"]
        .as_array()
        .expect("locations")
        .iter()
        .map(|l| {
            (
                l["location"].as_str().expect("a location").to_owned(),
                l["onHand"].as_i64().expect("on hand"),
            )
        })
        .collect();
    assert_eq!(locations, [("rj-1".to_owned(), 3), ("sp-1".to_owned(), 40)]);

    // The ledger explains on hand: a level, a level, an adjustment (the stale one moved nothing).
    let ledger = json(&erp.get("/inventory/CAFE-500G/movements?limit=2"));
    let cursor = ledger["nextCursor"].as_str().expect("more").to_owned();
    let rest = json(&erp.get(&format!("/inventory/CAFE-500G/movements?cursor={cursor}")));
    let moved: Vec<Value> = ledger["items"]
        .as_array()
        .expect("items")
        .iter()
        .chain(rest["items"].as_array().expect("items"))
        .cloned()
        .collect();
    let reasons: Vec<&str> = moved
        .iter()
        .map(|m| m["reason"].as_str().expect("a reason"))
        .collect();
    assert_eq!(reasons, ["level", "level", "adjustment"]);
    assert_eq!(
        moved
            .iter()
            .map(|m| m["onHand"].as_i64().expect("a change"))
            .sum::<i64>(),
        43
    );
    assert_eq!(moved[2]["note"], "broken in transit");
    assert_eq!(moved[2]["actor"], "admin");
}

#[test]
fn listings_find_low_stock_by_location_and_settings_are_the_admins() {
    let app = App::start("inventory-listing");
    let erp = app.client("erp_token");
    let admin = app.admin();
    for (sku, location, on_hand) in [("A", "sp", 10), ("B", "sp", 1), ("C", "rj", 0)] {
        let reply = put(
            &erp,
            &format!("/inventory/{sku}/locations/{location}"),
            &json!({"onHand": on_hand}),
        );
        assert_eq!(reply.status, 200, "{}", reply.text());
    }
    let listed = |query: &str| -> Vec<String> {
        let reply = erp.get(&format!("/inventory{query}"));
        assert_eq!(reply.status, 200, "{query}: {}", reply.text());
        json(&reply)["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|i| i["sku"].as_str().expect("a sku").to_owned())
            .collect()
    };
    assert_eq!(listed(""), ["A", "B", "C"]);
    assert_eq!(listed("?lowStock=true"), ["C"]);
    assert_eq!(listed("?location=sp"), ["A", "B"]);
    let settings = json!({"safetyStock": 1, "allowBackorders": false});
    let reply = patch(&erp, "/inventory/B", &settings);
    assert_eq!(reply.status, 403, "{}", reply.text());
    let reply = patch(&admin, "/inventory/B", &settings);
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(json(&reply)["safetyStock"], 1);
    assert_eq!(listed("?lowStock=true&location=sp"), ["B"]);
    let page = json(&erp.get("/inventory?limit=2"));
    assert_eq!(page["items"].as_array().map(Vec::len), Some(2));
    assert!(page["nextCursor"].is_string());
}

#[test]
fn bad_input_is_refused_with_what_to_fix_and_writes_nothing() {
    let app = App::start("inventory-refusals");
    let erp = app.client("erp_token");
    let checkout = app.checkout();
    let reply = checkout.get("/inventory");
    assert_eq!(reply.status, 401, "{}", reply.text());
    let reply = put(&erp, "/inventory/A/locations/sp", &json!({"onHand": -1}));
    assert_eq!(
        (reply.status, error_code(&reply)),
        (422, "validation-failed".to_owned()),
        "{}",
        reply.text()
    );
    let reply = put(
        &erp,
        "/inventory/A/locations/sp",
        &json!({"onHand": 1, "updatedAt": "yesterday"}),
    );
    assert_eq!(reply.status, 422, "{}", reply.text());
    assert_eq!(json(&erp.get("/inventory"))["items"], json!([]));
    put(&erp, "/inventory/A/locations/sp", &json!({"onHand": 1}));
    let adjust = |body: Value| erp.post("/inventory/adjustments", &body);
    let reply = adjust(json!({"sku": "A", "location": "sp", "delta": -2, "reason": "count"}));
    assert_eq!(
        (reply.status, error_code(&reply)),
        (409, "negative-stock".to_owned())
    );
    let reply = adjust(json!({"sku": "A", "location": "rj", "delta": 1, "reason": "count"}));
    assert_eq!(
        (reply.status, error_code(&reply)),
        (422, "unknown-location".to_owned())
    );
    let reply = adjust(json!({"sku": "Z", "location": "sp", "delta": 1, "reason": "count"}));
    assert_eq!(
        (reply.status, error_code(&reply)),
        (404, "not-tracked".to_owned())
    );
    let reply = adjust(json!({"sku": "A", "location": "sp", "delta": 0}));
    assert_eq!(reply.status, 422, "{}", reply.text());
    let reply = erp.get("/inventory/A/movements?cursor=nope");
    assert_eq!(reply.status, 422, "{}", reply.text());
    assert_eq!(json(&erp.get("/inventory/A"))["onHand"], 1);
}
