//! What each command costs the store, counted by the runner (`--count-kv-calls`): on Spin's
//! SQLite store every write call is a commit, on Redis every call a round trip, so these counts
//! are what makes orderflow fast or slow there (docs/architecture.md, "Writes").

use serde_json::json;

use crate::app::{App, Cas, Deployment, Store};
use crate::commands::{nfe_key, now};
use crate::helpers::kv_calls::{check, counted};
use crate::sample;

#[test]
fn every_command_on_its_common_path_makes_at_most_three_writes_and_seven_calls() {
    let app = App::start_on(
        "write-calls",
        Deployment {
            store: Store::Sqlite(Cas::Honest),
            hosts: 1,
            count_kv_calls: true,
        },
    );
    let checkout = app.checkout();
    let admin = app.admin();
    let erp = app.client("erp_token");
    let logistics = app.client("logistics_token");
    let mut plain = sample::order("");
    plain.as_object_mut().map(|o| o.remove("externalId"));

    let order = check(
        "place-order",
        counted(&checkout, "/checkout/orders", &[], &plain),
    );
    check(
        "place-order with externalId",
        counted(&checkout, "/checkout/orders", &[], &sample::order("wc-1")),
    );
    check(
        "place-order with Idempotency-Key",
        counted(
            &checkout,
            "/checkout/orders",
            &[("Idempotency-Key", "wc-key-1")],
            &plain,
        ),
    );
    let other = check(
        "place-order with externalId, again",
        counted(&checkout, "/checkout/orders", &[], &sample::order("wc-1")),
    );

    let id = order["id"].as_str().expect("an id").to_owned();
    let path = |route: &str| format!("/orders/{id}{route}");
    let approval = json!({"amount": sample::TOTAL});
    check(
        "payment approval",
        counted(&admin, &path("/payment"), &[], &approval),
    );
    check(
        "start handling",
        counted(
            &admin,
            &path("/handling"),
            &[("Idempotency-Key", "wc-key-2")],
            &json!({}),
        ),
    );
    let invoice = json!({
        "type": "output", "number": "1001", "series": "1", "key": nfe_key(1001),
        "value": sample::TOTAL, "issuedAt": now(),
    });
    check("invoice", counted(&erp, &path("/invoices"), &[], &invoice));
    let shipment = json!({"invoiceNumber": "1001", "carrier": "Correios", "number": "BR1BR"});
    check(
        "shipment",
        counted(&logistics, &path("/shipments"), &[], &shipment),
    );
    let event = json!({"status": "delivered", "description": "Entregue", "occurredAt": now()});
    check(
        "tracking event",
        counted(&logistics, &path("/shipments/BR1BR/events"), &[], &event),
    );

    let other = other["id"].as_str().expect("an id").to_owned();
    let path = |route: &str| format!("/orders/{other}{route}");
    for (route, request) in [
        ("/comments", json!({"text": "called the customer"})),
        ("/hold", json!({"reason": "fraud check"})),
        ("/unhold", json!({})),
        ("/cancel", json!({"reason": "out of stock"})),
    ] {
        check(route, counted(&admin, &path(route), &[], &request));
    }
}
