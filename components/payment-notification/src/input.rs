//! The bodies of this component's routes into WIT records.
//!
//! Shape and types are checked here (400 `wrong-type` naming the field; missing required fields
//! and unknown enum names as 422 entries); values (the payment id, the timestamp, the amount)
//! are the orders service's to judge.

use http_common::ApiError;
use http_common::input::{payment_method, read_object};
use http_common::names;
use http_common::types::{ManualPayment, PaymentNotification, PaymentOutcome};

/// A provider's notification: the order it is about and the WIT record.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Notification {
    /// `orderId`.
    pub(crate) order_id: String,
    /// Everything else.
    pub(crate) payment: PaymentNotification,
}

/// Parses `{orderId, paymentId, status, amount, method, occurredAt}`.
pub(crate) fn notification(body: &[u8]) -> Result<Notification, ApiError> {
    read_object(body, |root, fields| {
        Ok(Notification {
            order_id: root.string(fields, "orderId")?,
            payment: PaymentNotification {
                payment_id: root.string(fields, "paymentId")?,
                outcome: root.enumeration(
                    fields,
                    "status",
                    names::parse_payment_outcome,
                    names::PAYMENT_OUTCOMES,
                    PaymentOutcome::Denied,
                )?,
                amount: root.money(fields, "amount")?,
                method: payment_method(root, fields)?,
                occurred_at: root.string(fields, "occurredAt")?,
            },
        })
    })
}

/// Parses `{amount, note}`.
pub(crate) fn manual_payment(body: &[u8]) -> Result<ManualPayment, ApiError> {
    read_object(body, |root, fields| {
        Ok(ManualPayment {
            amount: root.money(fields, "amount")?,
            note: root.opt_string("note")?,
        })
    })
}

#[cfg(test)]
mod tests {
    use http_common::fixtures::invalid_fields;
    use http_common::types::PaymentMethod;
    use serde_json::{Value, json};

    use super::*;

    fn api_md_notification() -> Value {
        json!({"orderId": "o-1042", "paymentId": "pay-77", "status": "approved",
               "amount": 11480, "method": "credit-card", "occurredAt": "2026-11-22T01:05:00Z"})
    }

    #[test]
    fn the_notification_of_api_md_parses_into_the_wit_record() {
        let parsed = notification(api_md_notification().to_string().as_bytes());
        assert_eq!(
            parsed.ok(),
            Some(Notification {
                order_id: "o-1042".into(),
                payment: PaymentNotification {
                    payment_id: "pay-77".into(),
                    outcome: PaymentOutcome::Approved,
                    amount: 11480,
                    method: PaymentMethod::CreditCard,
                    occurred_at: "2026-11-22T01:05:00Z".into(),
                },
            })
        );
    }

    #[test]
    fn every_status_of_api_md_is_an_outcome() {
        for (status, outcome) in [
            ("approved", PaymentOutcome::Approved),
            ("denied", PaymentOutcome::Denied),
            ("refunded", PaymentOutcome::Refunded),
        ] {
            let mut body = api_md_notification();
            body["status"] = json!(status);
            let parsed = notification(body.to_string().as_bytes());
            assert_eq!(parsed.ok().map(|n| n.payment.outcome), Some(outcome));
        }
    }

    #[test]
    fn missing_fields_and_unknown_names_are_one_422_entry_each() {
        let body = json!({"status": "chargeback", "method": "cash", "amount": null});
        assert_eq!(
            invalid_fields(notification(body.to_string().as_bytes())),
            [
                "orderId \"required\"",
                "paymentId \"required\"",
                "status \"unknown-value\"",
                "amount \"required\"",
                "method \"unknown-value\"",
                "occurredAt \"required\"",
            ]
        );
    }

    #[test]
    fn a_float_amount_is_400_naming_the_field() {
        let mut body = api_md_notification();
        body["amount"] = json!(114.80);
        let error = notification(body.to_string().as_bytes()).err();
        assert_eq!(
            error.map(|e| (e.status(), e.code(), e.details().get("field").cloned())),
            Some((400, "wrong-type", Some(json!("amount"))))
        );
    }

    #[test]
    fn a_manual_payment_needs_an_amount_and_may_carry_a_note() {
        assert_eq!(
            manual_payment(br#"{"amount": 11480, "note": "TED 123 conferido"}"#).ok(),
            Some(ManualPayment {
                amount: 11480,
                note: Some("TED 123 conferido".into()),
            })
        );
        assert_eq!(
            manual_payment(br#"{"amount": 5}"#).ok(),
            Some(ManualPayment {
                amount: 5,
                note: None
            })
        );
        assert_eq!(
            invalid_fields(manual_payment(br#"{"note": "x"}"#)),
            ["amount \"required\""]
        );
        let error = manual_payment(br#"{"amount": 1, "note": 7}"#).err();
        assert_eq!(error.map(|e| e.code()), Some("wrong-type"));
    }

    #[test]
    fn bodies_that_are_not_an_object_never_panic() {
        for body in [&b""[..], b"null", b"[]", b"\"x\"", b"{", &[0xff; 16]] {
            for result in [
                notification(body).map(|_| ()),
                manual_payment(body).map(|_| ()),
            ] {
                assert_eq!(result.err().map(|e| e.status()), Some(400));
            }
        }
    }
}

#[cfg(test)]
mod properties {
    use http_common::ApiError;
    use http_common::fixtures;
    use proptest::prelude::*;
    use serde_json::Value;

    use super::{manual_payment, notification};

    /// Any JSON object with the field names of these bodies mixed in.
    fn json_object() -> impl Strategy<Value = Value> {
        fixtures::json_object(
            &[
                "orderId",
                "paymentId",
                "status",
                "amount",
                "method",
                "occurredAt",
                "note",
            ],
            &["approved", "pix"],
        )
    }

    /// Both readers of this component, on one body.
    fn read_both(body: &[u8]) -> [Result<(), ApiError>; 2] {
        [notification(body).map(drop), manual_payment(body).map(drop)]
    }

    http_common::body_properties!(json_object(), read_both);
}
