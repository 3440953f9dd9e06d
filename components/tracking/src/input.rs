//! The bodies of this component's routes into WIT records: `new-shipment` and
//! `new-tracking-event` (whose shipment is the path's tracking number, not a body field).
//!
//! Shape and types are checked here (400 `wrong-type` naming the field; missing required fields
//! and unknown statuses as 422 entries); values (lengths, timestamps) are the orders service's.

use http_common::ApiError;
use http_common::input::{Fields, Obj, parse_object};
use http_common::names;
use http_common::types::{NewShipment, NewTrackingEvent, TrackingStatus};

/// `POST /orders/{id}/shipments`: `{invoiceNumber, carrier, title, number, url, notifyCustomer}`.
/// `notifyCustomer` defaults to true (openapi.yaml): a customer expects the tracking link.
pub(crate) fn shipment(body: &[u8]) -> Result<NewShipment, ApiError> {
    let value = parse_object(body)?;
    let root = Obj::root(&value)?;
    let mut fields = Fields::new();
    let shipment = NewShipment {
        invoice_number: root.string(&mut fields, "invoiceNumber")?,
        carrier: root.string(&mut fields, "carrier")?,
        title: root.opt_string("title")?,
        number: root.string(&mut fields, "number")?,
        url: root.opt_string("url")?,
        notify_customer: root.bool_or("notifyCustomer", true)?,
    };
    fields.finish()?;
    Ok(shipment)
}

/// `POST /orders/{id}/shipments/{number}/events`:
/// `{status: in-transit|delivery-difficulty|delivered, description, city, state, occurredAt}`.
pub(crate) fn tracking_event(body: &[u8], shipment: &str) -> Result<NewTrackingEvent, ApiError> {
    let value = parse_object(body)?;
    let root = Obj::root(&value)?;
    let mut fields = Fields::new();
    let event = NewTrackingEvent {
        shipment: shipment.to_owned(),
        status: root.enumeration(
            &mut fields,
            "status",
            names::parse_tracking_status,
            names::TRACKING_STATUSES,
            TrackingStatus::InTransit,
        )?,
        description: root.opt_string("description")?,
        city: root.opt_string("city")?,
        state: root.opt_string("state")?,
        occurred_at: root.string(&mut fields, "occurredAt")?,
    };
    fields.finish()?;
    Ok(event)
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;

    fn bad_fields(error: &ApiError) -> Vec<String> {
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
    fn the_shipment_of_api_md_parses_into_the_wit_record() {
        let body = json!({"invoiceNumber": "1001", "carrier": "Correios", "title": "PAC",
                          "number": "BR123456789BR", "url": "https://rastreio.example/BR1",
                          "notifyCustomer": false});
        let shipment = shipment(body.to_string().as_bytes());
        assert_eq!(
            shipment.ok(),
            Some(NewShipment {
                invoice_number: "1001".into(),
                carrier: "Correios".into(),
                title: Some("PAC".into()),
                number: "BR123456789BR".into(),
                url: Some("https://rastreio.example/BR1".into()),
                notify_customer: false,
            })
        );
    }

    #[test]
    fn a_shipment_notifies_the_customer_unless_told_not_to() {
        let body = json!({"invoiceNumber": "1001", "carrier": "Correios", "number": "X1"});
        let shipment = shipment(body.to_string().as_bytes()).ok();
        assert_eq!(shipment.as_ref().map(|s| s.notify_customer), Some(true));
        assert_eq!(shipment.and_then(|s| s.title), None);
    }

    #[test]
    fn a_shipment_without_its_required_fields_is_one_422_with_every_miss() {
        let error = shipment(b"{\"title\": \"PAC\"}").err();
        assert_eq!(
            error.as_ref().map(|e| (e.status(), e.code())),
            Some((422, "validation-failed"))
        );
        assert_eq!(
            error.as_ref().map(bad_fields).unwrap_or_default(),
            [
                "invoiceNumber \"required\"",
                "carrier \"required\"",
                "number \"required\""
            ]
        );
    }

    #[test]
    fn a_wrong_type_is_400_naming_the_field() {
        let body = json!({"invoiceNumber": 1001, "carrier": "Correios", "number": "X1"});
        let error = shipment(body.to_string().as_bytes()).err();
        assert_eq!(
            error
                .as_ref()
                .map(|e| (e.status(), e.code(), e.details().get("field").cloned())),
            Some((400, "wrong-type", Some(json!("invoiceNumber"))))
        );
        let body = json!({"status": "delivered", "occurredAt": "2026-11-23T10:00:00Z",
                          "notify": 1, "city": ["Recife"]});
        let error = tracking_event(body.to_string().as_bytes(), "X1").err();
        assert_eq!(
            error.and_then(|e| e.details().get("field").cloned()),
            Some(json!("city"))
        );
    }

    #[test]
    fn a_tracking_event_takes_its_shipment_from_the_path() {
        let body = json!({"status": "delivery-difficulty", "description": "Destinatário ausente",
                          "city": "Recife", "state": "PE", "occurredAt": "2026-11-23T10:00:00Z"});
        let event = tracking_event(body.to_string().as_bytes(), "BR1");
        assert_eq!(
            event.ok(),
            Some(NewTrackingEvent {
                shipment: "BR1".into(),
                status: TrackingStatus::DeliveryDifficulty,
                description: Some("Destinatário ausente".into()),
                city: Some("Recife".into()),
                state: Some("PE".into()),
                occurred_at: "2026-11-23T10:00:00Z".into(),
            })
        );
    }

    #[test]
    fn every_tracking_status_of_api_md_is_accepted_and_others_are_422() {
        for status in ["in-transit", "delivery-difficulty", "delivered"] {
            let body = json!({"status": status, "occurredAt": "2026-11-23T10:00:00Z"});
            assert!(tracking_event(body.to_string().as_bytes(), "X").is_ok());
        }
        let body = json!({"status": "shipped"});
        let error = tracking_event(body.to_string().as_bytes(), "X").err();
        assert_eq!(
            error.as_ref().map(bad_fields).unwrap_or_default(),
            ["status \"unknown-value\"", "occurredAt \"required\""]
        );
        let error = tracking_event(b"{}", "X").err();
        assert_eq!(
            error.as_ref().map(bad_fields).unwrap_or_default(),
            ["status \"required\"", "occurredAt \"required\""]
        );
    }

    #[test]
    fn bodies_that_are_not_objects_are_400() {
        for body in [&b""[..], b"null", b"[]", b"\"x\"", b"{", &[0xff; 16]] {
            for error in [shipment(body).err(), tracking_event(body, "X").err()] {
                assert_eq!(error.map(|e| e.status()), Some(400));
            }
        }
    }
}

#[cfg(test)]
mod properties {
    use proptest::prelude::*;
    use serde_json::{Value, json};

    use super::*;

    /// Any JSON value, a few levels deep, with this component's field names mixed in.
    fn json_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            any::<f64>().prop_map(|f| json!(f)),
            ".{0,12}".prop_map(Value::String),
            Just(json!("delivered")),
        ];
        let names = prop_oneof![
            Just("invoiceNumber".to_owned()),
            Just("carrier".to_owned()),
            Just("number".to_owned()),
            Just("notifyCustomer".to_owned()),
            Just("status".to_owned()),
            Just("occurredAt".to_owned()),
            Just("city".to_owned()),
            "[a-zA-Z]{1,8}",
        ];
        leaf.prop_recursive(3, 32, 6, move |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                prop::collection::btree_map(names.clone(), inner, 0..8)
                    .prop_map(|map| Value::Object(map.into_iter().collect())),
            ]
        })
    }

    fn refused_properly(error: &ApiError) -> bool {
        error.status() == 422
            || (error.status() == 400
                && (error.details().contains_key("field") || error.code() == "malformed-json"))
    }

    proptest! {
        #[test]
        fn any_bytes_are_parsed_or_refused_with_400_or_422(body in prop::collection::vec(any::<u8>(), 0..512)) {
            if let Err(error) = shipment(&body) {
                prop_assert!(refused_properly(&error), "{error}");
            }
            if let Err(error) = tracking_event(&body, "X") {
                prop_assert!(refused_properly(&error), "{error}");
            }
        }

        #[test]
        fn any_json_is_parsed_or_refused_with_400_or_422(value in json_value()) {
            let body = value.to_string();
            if let Err(error) = shipment(body.as_bytes()) {
                prop_assert!(refused_properly(&error), "{error}");
            }
            if let Err(error) = tracking_event(body.as_bytes(), "X") {
                prop_assert!(refused_properly(&error), "{error}");
            }
        }
    }
}
