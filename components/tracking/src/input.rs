//! The bodies of this component's routes into WIT records: `new-shipment` and
//! `new-tracking-event` (whose shipment is the path's tracking number, not a body field).
//!
//! Shape and types are checked here (400 `wrong-type` naming the field; missing required fields
//! and unknown statuses as 422 entries); values (lengths, timestamps) are the orders service's.

use http_common::ApiError;
use http_common::input::read_object;
use http_common::names;
use http_common::types::{NewShipment, NewTrackingEvent, TrackingStatus};

/// `POST /orders/{id}/shipments`: `{invoiceNumber, carrier, title, number, url, notifyCustomer}`.
/// `notifyCustomer` defaults to true (openapi.yaml): a customer expects the tracking link.
pub(crate) fn shipment(body: &[u8]) -> Result<NewShipment, ApiError> {
    read_object(body, |root, fields| {
        Ok(NewShipment {
            invoice_number: root.string(fields, "invoiceNumber")?,
            carrier: root.string(fields, "carrier")?,
            title: root.opt_string("title")?,
            number: root.string(fields, "number")?,
            url: root.opt_string("url")?,
            notify_customer: root.bool_or("notifyCustomer", true)?,
        })
    })
}

/// `POST /orders/{id}/shipments/{number}/events`:
/// `{status: in-transit|delivery-difficulty|delivered, description, city, state, occurredAt}`.
pub(crate) fn tracking_event(body: &[u8], shipment: &str) -> Result<NewTrackingEvent, ApiError> {
    read_object(body, |root, fields| {
        Ok(NewTrackingEvent {
            shipment: shipment.to_owned(),
            status: root.enumeration(
                fields,
                "status",
                names::parse_tracking_status,
                names::TRACKING_STATUSES,
                TrackingStatus::InTransit,
            )?,
            description: root.opt_string("description")?,
            city: root.opt_string("city")?,
            state: root.opt_string("state")?,
            occurred_at: root.string(fields, "occurredAt")?,
        })
    })
}

#[cfg(test)]
mod tests {
    use http_common::fixtures::invalid_fields;
    use serde_json::json;

    use super::*;

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
        assert_eq!(
            invalid_fields(shipment(b"{\"title\": \"PAC\"}")),
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
        assert_eq!(
            invalid_fields(tracking_event(body.to_string().as_bytes(), "X")),
            ["status \"unknown-value\"", "occurredAt \"required\""]
        );
        assert_eq!(
            invalid_fields(tracking_event(b"{}", "X")),
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
    use http_common::fixtures;
    use proptest::prelude::*;
    use serde_json::Value;

    use super::*;

    /// Any JSON value, with this component's field names mixed in.
    fn json_value() -> impl Strategy<Value = Value> {
        fixtures::json_value(
            &[
                "invoiceNumber",
                "carrier",
                "number",
                "notifyCustomer",
                "status",
                "occurredAt",
                "city",
            ],
            &["delivered"],
        )
    }

    http_common::body_properties!(json_value(), |body| [
        shipment(body).map(drop),
        tracking_event(body, "X").map(drop)
    ]);
}
