//! The order's whole life through the command components (payment-notification, invoice,
//! tracking, change-order), run once they are all in spin.toml; and the signed payment webhook
//! the concurrency tests use (signed by `webhook`).

use serde_json::{Value, json};

use crate::app::{self, App, error_code, json, text};
use crate::helpers::Reply;
use crate::placement::list_all;
use crate::sample;
pub(crate) use crate::sample::nfe_key;
use crate::webhook::{hex, hmac_sha256, notify, payment, signature};

fn ok(reply: &Reply, what: &str) -> Value {
    assert_eq!(reply.status, 200, "{what}: {}", reply.text());
    json(reply)
}

fn conflict(reply: &Reply, what: &str) -> String {
    assert_eq!(reply.status, 409, "{what}: {}", reply.text());
    error_code(reply)
}

pub(crate) fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

#[test]
fn the_webhook_signature_is_rfc_4231_hmac_sha256() {
    assert_eq!(
        hex(&hmac_sha256(b"Jefe", b"what do ya want for nothing?")),
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    );
    assert_eq!(nfe_key(1).len(), 44);
}

#[test]
fn an_order_goes_from_placement_to_closed_and_refuses_every_step_out_of_turn() {
    let needed = [
        "payment-notification",
        "invoice",
        "tracking",
        "change-order",
    ];
    if let Some(missing) = needed.iter().find(|c| !app::has_component(c)) {
        eprintln!("skipped: spin.toml has no {missing} component yet");
        return;
    }
    let app = App::start("whole-lifecycle");
    let admin = app.admin();
    let erp = app.client("erp_token");
    let logistics = app.client("logistics_token");
    let order = app.checkout().place(&sample::order("life-1"));
    let id = text(&order, "id");
    let path = |rest: &str| format!("/orders/{id}{rest}");

    // Out of turn while payment is pending.
    assert_eq!(
        conflict(&admin.post(&path("/handling"), &json!({})), "handling"),
        "invalid-transition"
    );

    // Hold and unhold; while held only comments are accepted.
    let held = ok(
        &admin.post(&path("/hold"), &json!({"reason": "fraud check"})),
        "hold",
    );
    assert_eq!(held["status"], "on-hold");
    assert_eq!(
        conflict(
            &notify(&app, &payment(&id, "pay-0", "approved", sample::TOTAL)),
            "payment while held"
        ),
        "order-on-hold"
    );
    ok(
        &admin.post(&path("/comments"), &json!({"text": "checked"})),
        "comment while held",
    );
    let unheld = ok(&admin.post(&path("/unhold"), &json!({})), "unhold");
    assert_eq!(unheld["status"], "payment-pending");

    // A stale If-Match.
    let stale = admin.send(
        "POST",
        &path("/comments"),
        &[("If-Match", "1")],
        json!({"text": "stale"}).to_string().as_bytes(),
    );
    assert!(
        stale.status == 409 || stale.status == 200,
        "{}",
        stale.text()
    );

    // Paid by the provider; the retry changes nothing.
    let body = payment(&id, "pay-1", "approved", sample::TOTAL);
    let paid = ok(&notify(&app, &body), "approval");
    assert_eq!(paid["status"], "payment-approved");
    let again = ok(&notify(&app, &body), "approval replay");
    assert_eq!(again["version"], paid["version"]);
    // A bad or stale signature.
    let t = chrono::Utc::now().timestamp();
    let forged = app.with_authorization(None).send(
        "POST",
        "/payments/notifications",
        &[("Orderflow-Signature", &signature(b"{}", t))],
        &body,
    );
    assert_eq!(forged.status, 401, "{}", forged.text());
    let stale = app.with_authorization(None).send(
        "POST",
        "/payments/notifications",
        &[("Orderflow-Signature", &signature(&body, t - 301))],
        &body,
    );
    assert_eq!(stale.status, 401, "{}", stale.text());
    assert_eq!(error_code(&stale), "stale-signature");

    let handling = ok(&admin.post(&path("/handling"), &json!({})), "handling");
    assert_eq!(handling["status"], "handling");

    // Invoiced by the ERP: all items plus shipping on the first output invoice.
    let invoice = json!({
        "type": "output", "number": "1001", "series": "1", "key": nfe_key(1001),
        "value": sample::TOTAL, "issuedAt": now(), "url": "https://erp.example.com/nfe/1001",
    });
    let invoiced = ok(&erp.post(&path("/invoices"), &invoice), "invoice");
    assert_eq!(invoiced["status"], "invoiced");
    let replay = ok(&erp.post(&path("/invoices"), &invoice), "invoice replay");
    assert_eq!(replay["version"], invoiced["version"]);
    let mut different = invoice.clone();
    different["value"] = json!(1);
    assert_eq!(erp.post(&path("/invoices"), &different).status, 409);
    assert!(matches!(
        conflict(
            &admin.post(&path("/cancel"), &json!({"reason": "too late"})),
            "cancel after invoicing"
        )
        .as_str(),
        "invalid-transition" | "order-invoiced"
    ));
    let listed = erp.get(&path("/invoices"));
    assert_eq!(listed.status, 200, "{}", listed.text());

    // Shipped and tracked; an old event never moves the status back.
    let shipment = json!({
        "invoiceNumber": "1001", "carrier": "Correios", "title": "PAC",
        "number": "BR123456789BR", "url": "https://rastreio.example.com/BR123456789BR",
        "notifyCustomer": false,
    });
    let shipped = ok(&logistics.post(&path("/shipments"), &shipment), "shipment");
    assert_eq!(shipped["status"], "shipped");
    let event = |status: &str, at: &str| json!({"status": status, "description": status, "city": "São Paulo", "state": "SP", "occurredAt": at});
    let events = path("/shipments/BR123456789BR/events");
    let moving = ok(
        &logistics.post(&events, &event("in-transit", "2026-11-22T10:00:00Z")),
        "in transit",
    );
    assert_eq!(moving["status"], "in-transit");
    let delivered = ok(
        &logistics.post(&events, &event("delivered", "2026-11-22T12:00:00Z")),
        "delivered",
    );
    assert_eq!(delivered["status"], "delivered");
    let late = logistics.post(
        &events,
        &event("delivery-difficulty", "2026-11-22T11:00:00Z"),
    );
    assert!(late.status < 500, "{}", late.text());
    assert_eq!(admin.order(&id)["status"], "delivered");

    // Everything comes back: a return invoice closes the order.
    let returned = json!({
        "type": "input", "number": "2001", "series": "1", "key": nfe_key(2001),
        "value": sample::TOTAL, "issuedAt": now(),
    });
    let closed = ok(&erp.post(&path("/invoices"), &returned), "return invoice");
    assert_eq!(closed["status"], "closed", "{closed}");
    assert_eq!(closed["totals"]["refunded"], sample::TOTAL);

    // Final: nothing moves a closed order.
    for (route, body) in [
        ("/cancel", json!({"reason": "no"})),
        ("/hold", json!({"reason": "no"})),
        ("/handling", json!({})),
    ] {
        let reply = admin.post(&path(route), &body);
        assert_eq!(reply.status, 409, "{route}: {}", reply.text());
    }
    let stored = admin.order(&id);
    assert_eq!(stored["status"], "closed");
    let statuses: Vec<&str> = stored["history"]
        .as_array()
        .expect("history")
        .iter()
        .filter_map(|h| h["to"].as_str())
        .collect();
    for expected in [
        "payment-pending",
        "on-hold",
        "payment-approved",
        "handling",
        "invoiced",
        "shipped",
        "in-transit",
        "delivered",
        "closed",
    ] {
        assert!(statuses.contains(&expected), "{expected} in {statuses:?}");
    }
    assert_eq!(list_all(&app, "status=closed").len(), 1);
}

#[test]
fn an_order_is_held_released_and_canceled_by_the_back_office_and_refuses_steps_out_of_turn() {
    if !app::has_component("change-order") {
        eprintln!("skipped: spin.toml has no change-order component yet");
        return;
    }
    let app = App::start("back-office");
    let admin = app.admin();
    let order = app.checkout().place(&sample::order("office-1"));
    let id = text(&order, "id");
    let path = |rest: &str| format!("/orders/{id}{rest}");

    // Handling needs an approved payment.
    let refused = admin.post(&path("/handling"), &json!({}));
    assert_eq!(conflict(&refused, "handling"), "invalid-transition");
    let details = &json(&refused)["error"]["details"];
    assert_eq!(details["from"], "payment-pending", "{details}");

    // If-Match: a stale version is refused, the current one applies.
    let stale = admin.send(
        "POST",
        &path("/hold"),
        &[("If-Match", "7")],
        json!({"reason": "check"}).to_string().as_bytes(),
    );
    assert_eq!(conflict(&stale, "stale If-Match"), "version-mismatch");
    let held = admin.send(
        "POST",
        &path("/hold"),
        &[("If-Match", "1")],
        json!({"reason": "fraud check"}).to_string().as_bytes(),
    );
    let held = ok(&held, "hold");
    assert_eq!(held["status"], "on-hold");
    assert_eq!(held["version"], 2);

    // While held, only comments and unhold.
    for (route, body) in [
        ("/cancel", json!({"reason": "no"})),
        ("/hold", json!({"reason": "again"})),
    ] {
        assert_eq!(
            conflict(&admin.post(&path(route), &body), route),
            "order-on-hold"
        );
    }
    let commented = ok(
        &admin.post(&path("/comments"), &json!({"text": "called the customer"})),
        "comment while held",
    );
    assert_eq!(commented["comments"][0]["text"], "called the customer");
    let unheld = ok(&admin.post(&path("/unhold"), &json!({})), "unhold");
    assert_eq!(unheld["status"], "payment-pending");

    // An Idempotency-Key replays the cancel; canceled is final.
    let key = [("Idempotency-Key", "cancel-1")];
    let body = json!({"reason": "customer asked"}).to_string();
    let canceled = ok(
        &admin.send("POST", &path("/cancel"), &key, body.as_bytes()),
        "cancel",
    );
    assert_eq!(canceled["status"], "canceled");
    let replay = admin.send("POST", &path("/cancel"), &key, body.as_bytes());
    assert_eq!(replay.header("idempotent-replayed"), Some("true"));
    assert_eq!(ok(&replay, "cancel replay"), canceled);
    for (route, body) in [
        ("/cancel", json!({"reason": "again"})),
        ("/hold", json!({"reason": "no"})),
        ("/handling", json!({})),
        ("/unhold", json!({})),
    ] {
        let reply = admin.post(&path(route), &body);
        assert_eq!(reply.status, 409, "{route}: {}", reply.text());
    }
    let stored = admin.order(&id);
    assert_eq!(stored, canceled);
    assert_eq!(list_all(&app, "status=canceled").len(), 1);
    assert_eq!(list_all(&app, "status=payment-pending").len(), 0);

    // Commands on an order that does not exist.
    let reply = admin.post("/orders/no-such-order/comments", &json!({"text": "x"}));
    assert_eq!(reply.status, 404, "{}", reply.text());
}
