//! The order document as openapi.yaml shows it, and its round trip through JSON storage.

use orderflow_domain::order::{Order, Status};

use crate::helpers::*;

#[test]
fn the_order_document_has_the_fields_of_api_md_in_camel_case() {
    let order = order_in(Status::Shipped);
    let json = serde_json::to_value(&order).unwrap();
    for key in [
        "id",
        "number",
        "status",
        "version",
        "channel",
        "externalId",
        "currency",
        "customer",
        "shippingAddress",
        "billingAddress",
        "items",
        "shipping",
        "payment",
        "totals",
        "invoices",
        "shipments",
        "refunds",
        "changes",
        "comments",
        "problems",
        "hold",
        "subscription",
        "history",
        "createdAt",
        "updatedAt",
    ] {
        assert!(json.get(key).is_some(), "missing {key}");
    }
    assert_eq!(json["status"], "shipped");
    assert_eq!(json["currency"], "BRL");
    assert_eq!(json["totals"]["total"], 20480);
    assert_eq!(json["items"][0]["unitPrice"], 4990);
    assert_eq!(json["payment"]["method"], "pix");
    assert_eq!(json["payment"]["dueAt"], "2026-11-01T13:00:00Z");
    assert_eq!(json["invoices"][0]["type"], "output");
    assert_eq!(json["history"][0]["event"], "order-placed");
    assert_eq!(json["history"][0]["from"], serde_json::Value::Null);
    assert_eq!(json["hold"], serde_json::Value::Null);
}

#[test]
fn every_status_round_trips_through_json_unchanged() {
    for &status in Status::ALL {
        let order = order_in(status);
        let text = serde_json::to_string(&order).unwrap();
        let back: Order = serde_json::from_str(&text).unwrap();
        assert_eq!(back, order, "{status}");
    }
}

#[test]
fn a_stored_document_with_an_invalid_value_does_not_load() {
    let mut json = serde_json::to_value(sample()).unwrap();
    json["items"][0]["sku"] = serde_json::Value::from("has space");
    assert!(serde_json::from_value::<Order>(json).is_err());
}
