//! Payments of generated orders: the payment provider denies a card charge through the signed
//! webhook (the order is canceled), the next passes try the cycle again with new orders (five
//! tries three hours apart, spin.toml's defaults) and then pause the subscription with the
//! reason; an approved payment ends the follow-up.

use serde_json::Value;

use crate::app::{App, Client, int, text};
use crate::sample::{self, TOTAL, create, cycles, get, order_of, run};
use crate::webhook::{notify, payment_by};

/// `start` plus `hours`, as RFC 3339.
fn hours_after(start: &str, hours: i64) -> String {
    let start = chrono::DateTime::parse_from_rfc3339(start).expect("a test instant");
    (start + chrono::TimeDelta::hours(hours))
        .to_utc()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// The provider's notification about a card charge of `order_id`, expecting 200.
fn card_payment(app: &App, order_id: &str, payment_id: &str, status: &str) {
    let body = payment_by(order_id, payment_id, status, TOTAL, "credit-card");
    let reply = notify(app, &body);
    assert_eq!(reply.status, 200, "{status} {order_id}: {}", reply.text());
}

/// The only cycle of subscription `id`.
fn first_cycle(admin: &Client, id: &str) -> Value {
    let records = cycles(admin, id);
    assert_eq!(records.len(), 1, "{records:?}");
    records[0].clone()
}

#[test]
fn a_denied_card_payment_is_tried_five_times_then_the_subscription_pauses_with_the_reason() {
    let app = App::start("payment-retries");
    let admin = app.admin();
    let start = "2028-03-01T15:00:00Z";
    create(&admin, &sample::monthly("s-card", start));
    assert_eq!(run(&admin, start)["created"], 1);
    let sub = get(&admin, "s-card");
    assert_eq!(sub["paymentCheck"]["attempt"], 1, "{sub}");
    assert_eq!(sub["paymentCheck"]["checkAt"], "2028-03-01T18:00:00Z");
    let mut order_id = text(&first_cycle(&admin, "s-card"), "orderId");
    for attempt in 1..=5_i64 {
        card_payment(&app, &order_id, &format!("pay-{attempt}"), "denied");
        assert_eq!(admin.order(&order_id)["status"], "canceled");
        // Looked at three hours after the attempt, not before.
        let before = run(&admin, &hours_after(start, 3 * attempt - 1));
        assert_eq!(before["paymentRetries"], 0, "{before}");
        let report = run(&admin, &hours_after(start, 3 * attempt));
        let cycle = first_cycle(&admin, "s-card");
        if attempt < 5 {
            assert_eq!(report["paymentRetries"], 1, "attempt {attempt}: {report}");
            assert_eq!(int(&cycle, "attempts"), attempt + 1, "{cycle}");
            assert_eq!(cycle["error"], "payment denied");
            let next = text(&cycle, "orderId");
            assert_ne!(next, order_id);
            let order = order_of(&admin, "s-card", &cycle);
            assert_eq!(order["externalId"], format!("s-card:1:{}", attempt + 1));
            assert_eq!(order["status"], "payment-pending");
            order_id = next;
        } else {
            assert_eq!(report["pausedForPayment"], 1, "{report}");
            assert_eq!(cycle["status"], "failed", "{cycle}");
            assert_eq!(cycle["orderId"], order_id.as_str());
            assert_eq!(int(&cycle, "attempts"), 5);
        }
    }
    let sub = get(&admin, "s-card");
    assert_eq!(sub["status"], "paused", "{sub}");
    assert_eq!(
        sub["pauseReason"],
        "payment of cycle 1 failed 5 times, last: payment denied"
    );
    assert_eq!(sub["paymentCheck"], Value::Null);
    // Paused: April's cycle brings no order.
    let april = run(&admin, "2028-04-01T15:01:00Z");
    assert_eq!(
        (april["created"].clone(), april["due"].clone()),
        (0.into(), 0.into())
    );
}

#[test]
fn an_approved_payment_ends_the_follow_up_and_the_next_cycle_comes_as_usual() {
    let app = App::start("payment-approved");
    let admin = app.admin();
    let start = "2028-03-01T15:00:00Z";
    create(&admin, &sample::monthly("s-paid", start));
    run(&admin, start);
    let order_id = text(&first_cycle(&admin, "s-paid"), "orderId");
    card_payment(&app, &order_id, "pay-ok", "approved");
    let report = run(&admin, &hours_after(start, 3));
    assert_eq!(report["paymentRetries"], 0, "{report}");
    let sub = get(&admin, "s-paid");
    assert_eq!(sub["paymentCheck"], Value::Null, "{sub}");
    assert_eq!(sub["status"], "active");
    assert_eq!(run(&admin, "2028-04-01T15:00:00Z")["created"], 1);
    assert_eq!(cycles(&admin, "s-paid").len(), 2);
}
