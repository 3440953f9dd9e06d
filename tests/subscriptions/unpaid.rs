//! Unpaid orders of a subscription: a boleto cycle order that is never paid is canceled by the
//! first pass whose clock is past its `payment.dueAt`, once.
//!
//! The orders service dates a boleto's deadline three days from its own clock (the real one), not
//! from the pass's test clock; the pass then judges that deadline as of its own clock. So this
//! subscription starts on the real clock, a couple of minutes ahead (the cron trigger's passes,
//! at the real time, reach it no earlier than the test's own pass), and the passes that look for
//! unpaid orders run at test clocks around the real deadline.

use chrono::{TimeDelta, Utc};
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
    let start = instant(&rfc3339(Utc::now() + TimeDelta::minutes(2)));
    let mut body = sample::monthly("s-boleto", &rfc3339(start));
    body["payment"] = json!({"method": "boleto"});
    create(&admin, &body);

    let placed_after = Utc::now();
    let report = run(&admin, &rfc3339(start + TimeDelta::seconds(30)));
    let placed_before = Utc::now();
    assert_eq!(report["created"], 1, "{report}");
    assert_eq!(report["canceledUnpaid"], 0, "{report}");
    let records = cycles(&admin, "s-boleto");
    assert_eq!(records.len(), 1, "{records:?}");
    let order = order_of(&admin, "s-boleto", &records[0]);
    let id = text(&order, "id");
    assert_eq!(order["payment"]["method"], "boleto", "{order}");
    assert_eq!(
        statuses(&admin, &id),
        (json!("payment-pending"), json!("pending"))
    );
    // Three days from the orders service's clock at placement.
    let due = instant(&text(&order["payment"], "dueAt"));
    let three_days = TimeDelta::days(3);
    assert!(
        placed_after + three_days - TimeDelta::seconds(1) <= due
            && due <= placed_before + three_days + TimeDelta::seconds(1),
        "dueAt {due}, placed between {placed_after} and {placed_before}"
    );

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
