//! The body of `POST /orders/{id}/invoices` into the WIT `new-invoice` record.
//!
//! Shape and types are checked here (400 `wrong-type` naming the field; missing required fields
//! and unknown enum names as 422 entries); values (the NF-e key and its check digit, the
//! timestamp, the value against the items) are the orders service's to judge.

use http_common::ApiError;
use http_common::input::{Fields, Obj, item_quantity, read_object};
use http_common::names;
use http_common::types::{InvoiceKind, NewInvoice, TrackingInfo};

/// Parses `{type, number, series, key, value, issuedAt, url, items, tracking}`.
pub(crate) fn new_invoice(body: &[u8]) -> Result<NewInvoice, ApiError> {
    read_object(body, |root, fields| {
        Ok(NewInvoice {
            kind: root.enumeration(
                fields,
                "type",
                names::parse_invoice_kind,
                names::INVOICE_KINDS,
                InvoiceKind::Output,
            )?,
            number: root.string(fields, "number")?,
            series: root.opt_string("series")?,
            key: root.opt_string("key")?,
            value: root.money(fields, "value")?,
            issued_at: root.string(fields, "issuedAt")?,
            url: root.opt_string("url")?,
            // Absent: everything not yet invoiced (or, for a return, not yet returned).
            items: root.opt_objects_with(fields, "items", item_quantity)?,
            tracking: root.opt_object_with(fields, "tracking", tracking)?,
        })
    })
}

/// `{carrier, number, url}` sent with the invoice.
fn tracking(obj: &Obj<'_>, fields: &mut Fields) -> Result<TrackingInfo, ApiError> {
    Ok(TrackingInfo {
        carrier: obj.string(fields, "carrier")?,
        number: obj.string(fields, "number")?,
        url: obj.opt_string("url")?,
    })
}

#[cfg(test)]
mod tests {
    use http_common::fixtures::invalid_fields;
    use http_common::types::ItemQuantity;
    use serde_json::{Value, json};

    use super::*;

    fn api_md_body() -> Value {
        json!({
            "type": "output", "number": "3351", "series": "1",
            "key": "35261112345678000195550010000033511000033518", "value": 11480,
            "issuedAt": "2026-11-22T10:00:00Z", "url": "https://erp.example.com/nfe/3351.pdf",
            "items": [{"sku": "CAM-P-AZ", "quantity": 2}],
            "tracking": {"carrier": "Correios", "number": "BR123456789BR",
                         "url": "https://rastreamento.correios.com.br/BR123456789BR"}
        })
    }

    fn parse(body: &Value) -> Result<NewInvoice, ApiError> {
        new_invoice(body.to_string().as_bytes())
    }

    #[test]
    fn the_invoice_of_api_md_parses_into_the_wit_record() {
        assert_eq!(
            parse(&api_md_body()).ok(),
            Some(NewInvoice {
                kind: InvoiceKind::Output,
                number: "3351".into(),
                series: Some("1".into()),
                key: Some("35261112345678000195550010000033511000033518".into()),
                value: 11480,
                issued_at: "2026-11-22T10:00:00Z".into(),
                url: Some("https://erp.example.com/nfe/3351.pdf".into()),
                items: Some(vec![ItemQuantity {
                    sku: "CAM-P-AZ".into(),
                    quantity: 2
                }]),
                tracking: Some(TrackingInfo {
                    carrier: "Correios".into(),
                    number: "BR123456789BR".into(),
                    url: Some("https://rastreamento.correios.com.br/BR123456789BR".into()),
                }),
            })
        );
    }

    #[test]
    fn a_return_invoice_without_items_means_everything_left() {
        let body = json!({"type": "input", "number": "9", "value": 100,
                          "issuedAt": "2026-11-30T10:00:00Z"});
        let invoice = parse(&body).ok();
        assert_eq!(invoice.as_ref().map(|i| i.kind), Some(InvoiceKind::Input));
        assert_eq!(invoice.as_ref().map(|i| i.items.clone()), Some(None));
        assert_eq!(invoice.map(|i| (i.key, i.tracking)), Some((None, None)));
    }

    #[test]
    fn an_empty_items_list_is_sent_as_empty_not_as_everything() {
        let mut body = api_md_body();
        body["items"] = json!([]);
        assert_eq!(parse(&body).ok().map(|i| i.items), Some(Some(Vec::new())));
    }

    #[test]
    fn every_missing_required_field_is_one_422_entry() {
        let body = json!({"type": "sale", "items": [{"sku": "A"}, {"quantity": 1}],
                          "tracking": {"url": "x"}});
        assert_eq!(
            invalid_fields(parse(&body)),
            [
                "type \"unknown-value\"",
                "number \"required\"",
                "value \"required\"",
                "issuedAt \"required\"",
                "items[0].quantity \"required\"",
                "items[1].sku \"required\"",
                "tracking.carrier \"required\"",
                "tracking.number \"required\"",
            ]
        );
    }

    #[test]
    fn wrong_types_are_400_naming_the_field() {
        for (field, value, path) in [
            ("value", json!(114.8), "value"),
            ("key", json!(3.526_111_234_567_8e43), "key"),
            ("items", json!({"sku": "A"}), "items"),
            (
                "items",
                json!([{"sku": "A", "quantity": "2"}]),
                "items[0].quantity",
            ),
            ("tracking", json!("BR1"), "tracking"),
            ("number", json!(3351), "number"),
        ] {
            let mut body = api_md_body();
            body[field] = value;
            let error = parse(&body).err();
            assert_eq!(
                error.map(|e| (e.status(), e.code(), e.details().get("field").cloned())),
                Some((400, "wrong-type", Some(json!(path)))),
                "{field}"
            );
        }
    }

    #[test]
    fn bodies_that_are_not_an_invoice_object_never_panic() {
        for body in [
            &b""[..],
            b"null",
            b"[]",
            b"\"x\"",
            b"{",
            b"{\"items\": [1]}",
            &[0xff; 16],
        ] {
            assert_eq!(new_invoice(body).err().map(|e| e.status()), Some(400));
        }
    }
}

#[cfg(test)]
mod properties {
    use http_common::fixtures;
    use proptest::prelude::*;
    use serde_json::Value;

    use super::new_invoice;

    /// Any JSON value, with the field names of an invoice mixed in.
    fn json_value() -> impl Strategy<Value = Value> {
        fixtures::json_value(
            &[
                "type", "number", "value", "issuedAt", "items", "sku", "quantity", "tracking",
                "carrier",
            ],
            &["output"],
        )
    }

    http_common::body_properties!(json_value(), |body| [new_invoice(body)]);
}
