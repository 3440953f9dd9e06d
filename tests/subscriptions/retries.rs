//! A cycle whose order the orders service refuses: recorded `failed` with the reason and no
//! order, retried by every pass, and created exactly once after the data is fixed.
//!
//! The one refusal a subscription's data can earn at placement through the public API is an
//! order total that overflows: a subscription checks each line as placement does (at least one
//! item, each SKU once, each discount within its line, each line's value within `i64`), but not
//! the sum of the lines and the shipping. Every other rule of `order::place` is applied to the
//! same values by the subscription's own parsers and `OrderTemplate::new`.

use serde_json::{Value, json};

use crate::app::{App, text};
use crate::sample::{self, TOTAL, create, cycles, get, order_of, patch, run, subscription_orders};

/// The reason the orders service gives for an order whose total does not fit.
const OVERFLOW: &str = "invalid: totals: totals is too large";

#[test]
fn a_refused_cycle_is_failed_with_its_reason_then_created_once_after_the_fix() {
    let app = App::start("failed-cycle");
    let admin = app.admin();
    create(&admin, &sample::monthly("s-fail", "2028-02-01T15:00:00Z"));
    // A price typed with too many digits: the line fits, the line plus shipping does not.
    let edited = patch(
        &admin,
        "s-fail",
        &json!({"items": [{"sku": "CAF-1KG", "name": "Café 1 kg", "quantity": 1,
                           "unitPrice": i64::MAX}]}),
    );
    assert_eq!(edited["items"][0]["unitPrice"], i64::MAX, "{edited}");

    for (now, attempts) in [("2028-02-01T15:00:00Z", 1), ("2028-02-01T15:06:00Z", 2)] {
        let report = run(&admin, now);
        assert_eq!(report["due"], 1, "at {now}: {report}");
        assert_eq!(report["created"], 0, "at {now}: {report}");
        assert_eq!(report["failed"], 1, "at {now}: {report}");
        assert_eq!(report["errors"], json!([]), "at {now}: {report}");
        let records = cycles(&admin, "s-fail");
        assert_eq!(records.len(), 1, "{records:?}");
        let cycle = &records[0];
        assert_eq!(cycle["number"], 1, "{cycle}");
        assert_eq!(cycle["status"], "failed", "{cycle}");
        assert_eq!(cycle["scheduledFor"], "2028-02-01T15:00:00Z", "{cycle}");
        assert_eq!(cycle["attempts"], attempts, "{cycle}");
        assert_eq!(cycle["error"], OVERFLOW, "{cycle}");
        assert_eq!(cycle["orderId"], Value::Null, "{cycle}");
        assert_eq!(subscription_orders(&admin), Vec::<Value>::new());
        let sub = get(&admin, "s-fail");
        assert_eq!(sub["status"], "active", "{sub}");
        assert_eq!(sub["cycleCount"], 0, "{sub}");
        // The cycle stays the next one: a failure does not move the schedule on.
        assert_eq!(sub["nextRunAt"], "2028-02-01T15:00:00Z", "{sub}");
    }

    // The back office fixes the price; the next pass creates the same cycle's order.
    patch(
        &admin,
        "s-fail",
        &json!({"items": [{"sku": "CAF-1KG", "name": "Café 1 kg", "quantity": 2,
                           "unitPrice": 4990}]}),
    );
    let report = run(&admin, "2028-02-01T15:11:00Z");
    assert_eq!(report["due"], 1, "{report}");
    assert_eq!(report["created"], 1, "{report}");
    assert_eq!(report["failed"], 0, "{report}");
    let records = cycles(&admin, "s-fail");
    assert_eq!(records.len(), 1, "{records:?}");
    let cycle = &records[0];
    assert_eq!(cycle["number"], 1, "{cycle}");
    assert_eq!(cycle["scheduledFor"], "2028-02-01T15:00:00Z", "{cycle}");
    assert_eq!(cycle["attempts"], 3, "{cycle}");
    assert_eq!(cycle["error"], Value::Null, "{cycle}");
    let order = order_of(&admin, "s-fail", cycle);
    assert_eq!(order["totals"]["total"], TOTAL, "{order}");
    assert_eq!(order["externalId"], "s-fail:1", "{order}");
    let orders = subscription_orders(&admin);
    assert_eq!(orders.len(), 1, "{orders:?}");
    assert_eq!(text(&orders[0], "id"), text(cycle, "orderId"));

    // Settled: later passes leave it, and the schedule moved on to March.
    let report = run(&admin, "2028-02-01T15:16:00Z");
    assert_eq!((&report["due"], &report["created"]), (&json!(0), &json!(0)));
    assert_eq!(subscription_orders(&admin).len(), 1);
    let sub = get(&admin, "s-fail");
    assert_eq!(sub["cycleCount"], 1, "{sub}");
    assert_eq!(sub["nextRunAt"], "2028-03-01T15:00:00Z", "{sub}");
}

/// Sets `sku`'s level at `location`, as the ERP does.
fn set_level(app: &App, sku: &str, location: &str, on_hand: u32) {
    let reply = app.client("erp_token").send(
        "PUT",
        &format!("/inventory/{sku}/locations/{location}"),
        &[],
        json!({ "onHand": on_hand }).to_string().as_bytes(),
    );
    assert_eq!(reply.status, 200, "{}", reply.text());
}

#[test]
fn a_cycle_out_of_stock_fails_naming_the_sku_and_is_created_once_stock_arrives() {
    let app = App::start("stock-cycle");
    let admin = app.admin();
    set_level(&app, "CAF-1KG", "sp-1", 1);
    create(&admin, &sample::monthly("s-stock", "2028-02-01T15:00:00Z"));
    let report = run(&admin, "2028-02-01T15:00:00Z");
    assert_eq!(
        (report["created"].clone(), report["failed"].clone()),
        (json!(0), json!(1)),
        "{report}"
    );
    let records = cycles(&admin, "s-stock");
    let cycle = &records[0];
    assert_eq!(cycle["status"], "failed", "{cycle}");
    // A data problem, not a payment to retry: the reason names the SKU and what is there.
    assert_eq!(
        cycle["error"], "out-of-stock: CAF-1KG is out of stock (1 available)",
        "{cycle}"
    );
    assert_eq!(subscription_orders(&admin), Vec::<Value>::new());

    set_level(&app, "CAF-1KG", "sp-1", 5);
    let report = run(&admin, "2028-02-01T15:06:00Z");
    assert_eq!(report["created"], 1, "{report}");
    let stock = crate::app::json(&admin.get("/inventory/CAF-1KG"));
    assert_eq!(
        (stock["onHand"].clone(), stock["reserved"].clone()),
        (json!(5), json!(2)),
        "{stock}"
    );
}
