//! The body of `POST /orders/{id}/invoices` into the WIT `new-invoice` record.
//!
//! Shape and types are checked here (400 `wrong-type` naming the field; missing required fields
//! and unknown enum names as 422 entries); values (the NF-e key and its check digit, the
//! timestamp, the value against the items) are the orders service's to judge.

use http_common::ApiError;
use http_common::input::{Fields, Obj, parse_object};
use http_common::names;
use http_common::types::{InvoiceKind, ItemQuantity, NewInvoice, TrackingInfo};

/// Parses `{type, number, series, key, value, issuedAt, url, items, tracking}`.
pub(crate) fn new_invoice(body: &[u8]) -> Result<NewInvoice, ApiError> {
    let value = parse_object(body)?;
    let root = Obj::root(&value)?;
    let mut fields = Fields::new();
    let kind = root.enumeration(
        &mut fields,
        "type",
        names::parse_invoice_kind,
        names::INVOICE_KINDS,
        InvoiceKind::Output,
    )?;
    let number = root.string(&mut fields, "number")?;
    let series = root.opt_string("series")?;
    let key = root.opt_string("key")?;
    let value = root.money(&mut fields, "value")?;
    let issued_at = root.string(&mut fields, "issuedAt")?;
    let url = root.opt_string("url")?;
    // Absent: everything not yet invoiced (or, for a return, not yet returned).
    let items = match root.opt_objects("items")? {
        Some(items) => Some(
            items
                .iter()
                .map(|obj| {
                    Ok(ItemQuantity {
                        sku: obj.string(&mut fields, "sku")?,
                        quantity: obj.u32(&mut fields, "quantity")?,
                    })
                })
                .collect::<Result<Vec<_>, ApiError>>()?,
        ),
        None => None,
    };
    let tracking = match root.opt_object("tracking")? {
        Some(obj) => Some(TrackingInfo {
            carrier: obj.string(&mut fields, "carrier")?,
            number: obj.string(&mut fields, "number")?,
            url: obj.opt_string("url")?,
        }),
        None => None,
    };
    fields.finish()?;
    Ok(NewInvoice {
        kind,
        number,
        series,
        key,
        value,
        issued_at,
        url,
        items,
        tracking,
    })
}

#[cfg(test)]
mod tests {
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

    fn entries(error: &ApiError) -> Vec<String> {
        error
            .details()
            .get("fields")
            .and_then(Value::as_array)
            .map(|entries| {
                entries
                    .iter()
                    .map(|e| format!("{} {}", e["field"].as_str().unwrap_or(""), e["code"]))
                    .collect()
            })
            .unwrap_or_default()
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
        let error = parse(&body).err();
        assert_eq!(
            error.as_ref().map(|e| (e.status(), e.code())),
            Some((422, "validation-failed"))
        );
        assert_eq!(
            error.as_ref().map(entries).unwrap_or_default(),
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
    use proptest::prelude::*;
    use serde_json::{Value, json};

    use super::new_invoice;

    /// Any JSON value, a few levels deep, with the field names of an invoice mixed in.
    fn json_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            any::<f64>().prop_map(|f| json!(f)),
            ".{0,12}".prop_map(Value::String),
            Just(json!("output")),
        ];
        let names = prop_oneof![
            Just("type".to_owned()),
            Just("number".to_owned()),
            Just("value".to_owned()),
            Just("issuedAt".to_owned()),
            Just("items".to_owned()),
            Just("sku".to_owned()),
            Just("quantity".to_owned()),
            Just("tracking".to_owned()),
            Just("carrier".to_owned()),
            "[a-zA-Z]{1,8}",
        ];
        leaf.prop_recursive(4, 48, 6, move |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                prop::collection::btree_map(names.clone(), inner, 0..8)
                    .prop_map(|map| Value::Object(map.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #[test]
        fn any_bytes_are_parsed_or_refused_with_400_or_422(body in prop::collection::vec(any::<u8>(), 0..512)) {
            if let Err(error) = new_invoice(&body) {
                prop_assert!(error.status() == 400 || error.status() == 422, "{error}");
            }
        }

        #[test]
        fn any_json_is_parsed_or_refused_with_400_or_422(value in json_value()) {
            if let Err(error) = new_invoice(value.to_string().as_bytes()) {
                prop_assert!(error.status() == 400 || error.status() == 422, "{error}");
            }
        }
    }
}
