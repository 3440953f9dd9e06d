//! Unpaid orders of a subscription: a boleto cycle order that is never paid is canceled by the
//! first pass whose clock is past its `payment.dueAt`, once.
//!
//! The subscription lives on the suite's test clock, so the orders service dates the order and
//! its three-day deadline by the clock (the cycle's own minute), and the clock's passes judge the
//! deadline by it.

use chrono::TimeDelta;
use serde_json::{Value, json};

use crate::app::{App, Client, text};
use crate::sample::{self, create, cycles, get, instant, order_of, rfc3339, run};

/// The order's status and payment status, read back.
fn statuses(admin: &Client, id: &str) -> (Value, Value) {
    let order = admin.order(id);
    (order["status"].clone(), order["payment"]["status"].clone())
}

#[test]
fn an_unpaid_boleto_order_is_canceled_by_the_first_pass_past_its_due_date() {
    let app = App::start("unpaid-boleto");
    let admin = app.admin();
    let start = instant("2028-05-10T15:00:00Z");
    let mut body = sample::monthly("s-boleto", &rfc3339(start));
    body["payment"] = json!({"method": "boleto"});
    create(&admin, &body);

    let report = run(&admin, &rfc3339(start + TimeDelta::seconds(30)));
    assert_eq!(report["created"], 1, "{report}");
    assert_eq!(report["canceledUnpaid"], 0, "{report}");
    let records = cycles(&admin, "s-boleto");
    assert_eq!(records.len(), 1, "{records:?}");
    let order = order_of(&admin, "s-boleto", &records[0]);
    let id = text(&order, "id");
    assert_eq!(order["payment"]["method"], "boleto", "{order}");
    assert_eq!(order["testClock"], sample::CLOCK, "{order}");
    assert_eq!(
        statuses(&admin, &id),
        (json!("payment-pending"), json!("pending"))
    );
    // Three days from the clock's time at placement: the cycle's minute.
    let due = instant(&text(&order["payment"], "dueAt"));
    assert_eq!(due, start + TimeDelta::days(3), "{order}");

    // A minute before the deadline the order is left unpaid.
    let report = run(&admin, &rfc3339(due - TimeDelta::minutes(1)));
    assert_eq!(report["canceledUnpaid"], 0, "{report}");
    assert_eq!(
        statuses(&admin, &id),
        (json!("payment-pending"), json!("pending"))
    );

    // A minute after, the pass cancels it, as payment expired.
    let report = run(&admin, &rfc3339(due + TimeDelta::minutes(1)));
    assert_eq!(report["canceledUnpaid"], 1, "{report}");
    for field in ["due", "created", "failed"] {
        assert_eq!(report[field], 0, "{field}: {report}");
    }
    let canceled = admin.order(&id);
    assert_eq!(canceled["status"], "canceled", "{canceled}");
    assert_eq!(
        canceled["cancellation"]["cause"], "payment-expired",
        "{canceled}"
    );
    let last = canceled["history"]
        .as_array()
        .and_then(|h| h.last())
        .expect("a history entry");
    assert_eq!(
        (&last["from"], &last["to"], &last["event"], &last["actor"]),
        (
            &json!("payment-pending"),
            &json!("canceled"),
            &json!("payment-expired"),
            &json!("system")
        ),
        "{canceled}"
    );

    // Once: a later pass finds nothing more to cancel.
    let report = run(&admin, &rfc3339(due + TimeDelta::minutes(2)));
    assert_eq!(report["canceledUnpaid"], 0, "{report}");
    // The cycle stays created with its order; the subscription goes on to its next month.
    let records = cycles(&admin, "s-boleto");
    assert_eq!(records.len(), 1, "{records:?}");
    assert_eq!(records[0]["status"], "created", "{records:?}");
    assert_eq!(records[0]["orderId"], id.as_str(), "{records:?}");
    let sub = get(&admin, "s-boleto");
    assert_eq!(sub["status"], "active", "{sub}");
    assert_eq!(sub["cycleCount"], 1, "{sub}");
}
