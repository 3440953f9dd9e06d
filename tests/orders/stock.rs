//! Stock following the order end to end: the whole life of an order moves on hand and reserved
//! as stated (docs/architecture.md, "Inventory"), a replayed cancel or invoice moves nothing
//! twice, and 32 placements racing for the last 10 units make exactly 10 orders, on an honest
//! store and on one whose swaps report `cas-failed` after writing (Redis-backed Spin).

use serde_json::{Value, json};

use crate::app::{App, Cas, Client, Store, error_code, json, text};
use crate::commands::{nfe_key, now};
use crate::{parallel, sample};

pub(crate) const SKU: &str = "CAM-P-AZ";

pub(crate) fn set_level(app: &App, sku: &str, location: &str, on_hand: u32) {
    let reply = app.client("erp_token").send(
        "PUT",
        &format!("/inventory/{sku}/locations/{location}"),
        &[],
        json!({ "onHand": on_hand }).to_string().as_bytes(),
    );
    assert_eq!(reply.status, 200, "{}", reply.text());
}

/// On hand, reserved and available of `sku`, everywhere.
fn numbers(client: &Client, sku: &str) -> (i64, i64, i64) {
    let stock = json(&client.get(&format!("/inventory/{sku}")));
    let n = |field: &str| stock[field].as_i64().unwrap_or_else(|| panic!("{stock}"));
    (n("onHand"), n("reserved"), n("available"))
}

pub(crate) fn ok(reply: &crate::helpers::Reply, what: &str) -> Value {
    assert!(
        (200..300).contains(&reply.status),
        "{what}: {} {}",
        reply.status,
        reply.text()
    );
    json(reply)
}

#[test]
fn an_orders_life_moves_its_stock_and_a_replay_moves_nothing_twice() {
    let app = App::start("stock-life");
    let admin = app.admin();
    let erp = app.client("erp_token");
    set_level(&app, SKU, "sp-1", 10);
    let order = app.checkout().place(&sample::order("MLB-STOCK-1"));
    let id = text(&order, "id");
    let path = |p: &str| format!("/orders/{id}{p}");
    assert_eq!(numbers(&admin, SKU), (10, 2, 8));

    ok(
        &admin.post(&path("/payment"), &json!({"amount": sample::TOTAL})),
        "payment",
    );
    ok(&admin.post(&path("/handling"), &json!({})), "handling");
    let invoice = json!({
        "type": "output", "number": "3001", "series": "1", "key": nfe_key(3001),
        "value": sample::TOTAL, "issuedAt": now(),
    });
    ok(&erp.post(&path("/invoices"), &invoice), "invoice");
    assert_eq!(numbers(&admin, SKU), (8, 0, 8));
    // The ERP sends it again: the same order, the same stock.
    ok(&erp.post(&path("/invoices"), &invoice), "invoice replay");
    assert_eq!(numbers(&admin, SKU), (8, 0, 8));

    // One unit back, returned to stock; the same refund sent again under its key is a replay.
    let refund = json!({
        "amount": 4990, "items": [{"sku": SKU, "quantity": 1}], "returnToStock": true,
    })
    .to_string();
    let key = [("Idempotency-Key", "refund-stock-1")];
    for _ in 0..2 {
        let reply = admin.send("POST", &path("/refunds"), &key, refund.as_bytes());
        ok(&reply, "refund");
    }
    assert_eq!(numbers(&admin, SKU), (9, 0, 9));

    // The ledger explains it: the level, the reservation, the sale, the return.
    let ledger = json(&admin.get(&format!("/inventory/{SKU}/movements")));
    let moved: Vec<(String, i64, i64, Value)> = ledger["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|m| {
            (
                m["reason"].as_str().unwrap_or_default().to_owned(),
                m["onHand"].as_i64().unwrap_or_default(),
                m["reserved"].as_i64().unwrap_or_default(),
                m["orderId"].clone(),
            )
        })
        .collect();
    let of = json!(id);
    assert_eq!(
        moved,
        [
            ("level".to_owned(), 10, 0, Value::Null),
            ("reservation".to_owned(), 0, 2, of.clone()),
            ("sale".to_owned(), -2, -2, of.clone()),
            ("return".to_owned(), 1, 0, of),
        ]
    );

    // A cancel releases; sent again it is refused and moves nothing.
    let other = app.checkout().place(&sample::order("MLB-STOCK-2"));
    let cancel = format!("/orders/{}/cancel", text(&other, "id"));
    assert_eq!(numbers(&admin, SKU), (9, 2, 7));
    ok(
        &admin.post(&cancel, &json!({"reason": "changed my mind"})),
        "cancel",
    );
    assert_eq!(numbers(&admin, SKU), (9, 0, 9));
    assert_eq!(admin.post(&cancel, &json!({"reason": "again"})).status, 409);
    assert_eq!(numbers(&admin, SKU), (9, 0, 9));

    // The check agrees with every number.
    let report = ok(&admin.post("/admin/check", &json!({})), "check");
    assert_eq!(report["consistent"], true, "{report}");
    assert_eq!(report["skus"], 1);
}

#[test]
fn an_order_for_more_than_there_is_is_refused_naming_the_sku() {
    let app = App::start("stock-refused");
    set_level(&app, SKU, "sp-1", 1);
    let reply = app
        .checkout()
        .post("/checkout/orders", &sample::order("MLB-SHORT"));
    assert_eq!(reply.status, 409, "{}", reply.text());
    assert_eq!(error_code(&reply), "out-of-stock");
    assert_eq!(
        json(&reply)["error"]["details"]["skus"],
        json!([{"sku": SKU, "available": 1}])
    );
    let listed = json(&app.admin().get("/orders"));
    assert_eq!(listed["items"], json!([]));
    // A SKU never given a level is not tracked: an order for it places as before.
    let mut untracked = sample::order("MLB-UNTRACKED");
    untracked["items"][0]["sku"] = json!("CAM-G-VD");
    untracked["items"][0]["quantity"] = json!(2);
    let placed = app.checkout().post("/checkout/orders", &untracked);
    assert_eq!(placed.status, 201, "{}", placed.text());
    // An order may ask for its stock location.
    set_level(&app, SKU, "rj-1", 5);
    let mut located = sample::order("MLB-RJ");
    located["stockLocation"] = json!("rj-1");
    let placed = app.checkout().place(&located);
    assert_eq!(placed["stockLocation"], "rj-1");
    let stock = json(&app.admin().get(&format!("/inventory/{SKU}")));
    let rj = stock["locations"]
        .as_array()
        .and_then(|l| l.iter().find(|l| l["location"] == "rj-1"))
        .cloned()
        .unwrap_or_default();
    assert_eq!(rj["reserved"], 2, "{stock}");
}

fn check_thirty_two_placements_for_the_last_ten_units(cas: Cas) {
    let app = App::start_on("stock-race", Store::from_env(cas));
    set_level(&app, SKU, "sp-1", 10);
    let checkout = app.checkout();
    let replies = parallel(32, |i| {
        let mut order = sample::order(&format!("race-{i}"));
        order["items"][0]["quantity"] = json!(1);
        order["totals"]["total"] = json!(4990 + 1500);
        checkout.post("/checkout/orders", &order)
    });
    let created = replies.iter().filter(|r| r.status == 201).count();
    let refused = replies
        .iter()
        .filter(|r| r.status == 409 && error_code(r) == "out-of-stock")
        .count();
    for reply in &replies {
        assert!(
            reply.status == 201 || reply.status == 409,
            "{} {}",
            reply.status,
            reply.text()
        );
    }
    assert_eq!((created, refused), (10, 22));
    let (on_hand, reserved, available) = numbers(&app.admin(), SKU);
    assert_eq!((on_hand, reserved, available), (10, 10, 0));
    let report = ok(&app.admin().post("/admin/check", &json!({})), "check");
    assert_eq!(report["consistent"], true, "{report}");
}

#[test]
fn thirty_two_placements_for_the_last_ten_units_make_ten_orders() {
    check_thirty_two_placements_for_the_last_ten_units(Cas::Honest);
}

#[test]
fn thirty_two_placements_for_the_last_ten_units_make_ten_orders_when_swaps_report_cas_failed() {
    check_thirty_two_placements_for_the_last_ten_units(Cas::ReportsFailure);
}
