//! The bodies of this component's routes into WIT records.
//!
//! Shape and types are checked here (400 `wrong-type` naming the field; missing required fields
//! and unknown enum names as 422 entries); values (the payment id, the timestamp, the amount)
//! are the orders service's to judge.

use http_common::ApiError;
use http_common::input::{Fields, Obj, parse_object};
use http_common::names;
use http_common::types::{ManualPayment, PaymentMethod, PaymentNotification, PaymentOutcome};

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
    let value = parse_object(body)?;
    let root = Obj::root(&value)?;
    let mut fields = Fields::new();
    let order_id = root.string(&mut fields, "orderId")?;
    let payment_id = root.string(&mut fields, "paymentId")?;
    let outcome = root.enumeration(
        &mut fields,
        "status",
        names::parse_payment_outcome,
        names::PAYMENT_OUTCOMES,
        PaymentOutcome::Denied,
    )?;
    let amount = root.money(&mut fields, "amount")?;
    let method = root.enumeration(
        &mut fields,
        "method",
        names::parse_payment_method,
        names::PAYMENT_METHODS,
        PaymentMethod::Pix,
    )?;
    let occurred_at = root.string(&mut fields, "occurredAt")?;
    fields.finish()?;
    Ok(Notification {
        order_id,
        payment: PaymentNotification {
            payment_id,
            outcome,
            amount,
            method,
            occurred_at,
        },
    })
}

/// Parses `{amount, note}`.
pub(crate) fn manual_payment(body: &[u8]) -> Result<ManualPayment, ApiError> {
    let value = parse_object(body)?;
    let root = Obj::root(&value)?;
    let mut fields = Fields::new();
    let amount = root.money(&mut fields, "amount")?;
    let note = root.opt_string("note")?;
    fields.finish()?;
    Ok(ManualPayment { amount, note })
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;

    fn api_md_notification() -> Value {
        json!({"orderId": "o-1042", "paymentId": "pay-77", "status": "approved",
               "amount": 11480, "method": "credit-card", "occurredAt": "2026-11-22T01:05:00Z"})
    }

    fn codes(error: &ApiError) -> Vec<String> {
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
        let error = notification(body.to_string().as_bytes()).err();
        assert_eq!(
            error.as_ref().map(|e| (e.status(), e.code())),
            Some((422, "validation-failed"))
        );
        assert_eq!(
            error.as_ref().map(codes).unwrap_or_default(),
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
        let error = manual_payment(br#"{"note": "x"}"#).err();
        assert_eq!(
            error.as_ref().map(codes).unwrap_or_default(),
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
    use proptest::prelude::*;
    use serde_json::{Value, json};

    use super::{manual_payment, notification};

    /// Any JSON object with the field names of these bodies mixed in.
    fn json_object() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            any::<f64>().prop_map(|f| json!(f)),
            ".{0,12}".prop_map(Value::String),
            Just(json!("approved")),
            Just(json!("pix")),
        ];
        let names = prop_oneof![
            Just("orderId".to_owned()),
            Just("paymentId".to_owned()),
            Just("status".to_owned()),
            Just("amount".to_owned()),
            Just("method".to_owned()),
            Just("occurredAt".to_owned()),
            Just("note".to_owned()),
            "[a-zA-Z]{1,8}",
        ];
        let value = leaf.prop_recursive(3, 24, 4, |inner| {
            prop::collection::vec(inner, 0..4).prop_map(Value::Array)
        });
        prop::collection::btree_map(names, value, 0..8)
            .prop_map(|map| Value::Object(map.into_iter().collect()))
    }

    proptest! {
        #[test]
        fn any_bytes_are_parsed_or_refused_with_400_or_422(body in prop::collection::vec(any::<u8>(), 0..512)) {
            for result in [notification(&body).map(|_| ()), manual_payment(&body).map(|_| ())] {
                if let Err(error) = result {
                    prop_assert!(error.status() == 400 || error.status() == 422, "{error}");
                }
            }
        }

        #[test]
        fn any_json_object_is_parsed_or_refused_with_400_or_422(value in json_object()) {
            let body = value.to_string();
            for result in [notification(body.as_bytes()).map(|_| ()), manual_payment(body.as_bytes()).map(|_| ())] {
                if let Err(error) = result {
                    prop_assert!(error.status() == 400 || error.status() == 422, "{error}");
                }
            }
        }
    }
}
