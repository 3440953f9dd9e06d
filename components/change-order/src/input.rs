//! The body of each action into its WIT `command`.
//!
//! Shape and types are checked here (400 `wrong-type` naming the field; missing required fields
//! and out-of-range integers as 422 entries); values (lengths, SKUs, amounts, whether the change
//! is allowed) are the orders service's to judge. Actions without a body (`unhold`, `handling`,
//! `reprocess`) accept an empty body or a JSON object, whose fields are ignored.

use http_common::ApiError;
use http_common::input::{Fields, Obj, item_quantity, new_item, optional_object, read_object};
use http_common::types::{Command, NewComment, NewRefund, OrderChange, PriceChange};

use crate::route::Action;

/// Parses the body of `action` into its command.
pub(crate) fn command(action: Action, body: &[u8]) -> Result<Command, ApiError> {
    match action {
        Action::Change => read_object(body, change).map(Command::Change),
        Action::Cancel => read_object(body, reason).map(Command::Cancel),
        Action::Hold => read_object(body, reason).map(Command::Hold),
        Action::Comment => read_object(body, comment).map(Command::Comment),
        Action::Refund => read_object(body, refund).map(Command::Refund),
        Action::Unhold => no_body(body).map(|()| Command::Unhold),
        Action::StartHandling => no_body(body).map(|()| Command::StartHandling),
        Action::Reprocess => no_body(body).map(|()| Command::Reprocess),
    }
}

/// Nothing, or a JSON object (a client that always sends `{}`).
fn no_body(body: &[u8]) -> Result<(), ApiError> {
    optional_object(body).map(drop)
}

/// `{requestId, reason, add: [item], remove: [{sku, quantity}], prices: [{sku, unitPrice}],
/// discount, increment}`; the lists default to empty, the amounts to 0.
fn change(root: &Obj<'_>, fields: &mut Fields) -> Result<OrderChange, ApiError> {
    let request_id = root.string(fields, "requestId")?;
    let reason = root.string(fields, "reason")?;
    let add = objects_or_empty(root, fields, "add", new_item)?;
    let remove = objects_or_empty(root, fields, "remove", item_quantity)?;
    let prices = objects_or_empty(root, fields, "prices", |obj, fields| {
        Ok(PriceChange {
            sku: obj.string(fields, "sku")?,
            unit_price: obj.money(fields, "unitPrice")?,
        })
    })?;
    Ok(OrderChange {
        request_id,
        reason,
        add,
        remove,
        prices,
        discount: root.money_or_zero(fields, "discount")?,
        increment: root.money_or_zero(fields, "increment")?,
    })
}

/// `{reason}` of cancel and hold.
fn reason(root: &Obj<'_>, fields: &mut Fields) -> Result<String, ApiError> {
    root.string(fields, "reason")
}

/// `{text, notifyCustomer, visibleToCustomer}`; the flags default to false.
fn comment(root: &Obj<'_>, fields: &mut Fields) -> Result<NewComment, ApiError> {
    Ok(NewComment {
        text: root.string(fields, "text")?,
        notify_customer: root.bool_or("notifyCustomer", false)?,
        visible_to_customer: root.bool_or("visibleToCustomer", false)?,
    })
}

/// `{amount, items, returnToStock, comment, notifyCustomer}`; `items` defaults to none, the
/// flags to false.
fn refund(root: &Obj<'_>, fields: &mut Fields) -> Result<NewRefund, ApiError> {
    let amount = root.money(fields, "amount")?;
    let items = objects_or_empty(root, fields, "items", item_quantity)?;
    Ok(NewRefund {
        amount,
        items,
        return_to_stock: root.bool_or("returnToStock", false)?,
        comment: root.opt_string("comment")?,
        notify_customer: root.bool_or("notifyCustomer", false)?,
    })
}

/// An optional list, each element read with `read`; absent is empty.
fn objects_or_empty<'a, T>(
    root: &Obj<'a>,
    fields: &mut Fields,
    name: &str,
    read: impl FnMut(&Obj<'a>, &mut Fields) -> Result<T, ApiError>,
) -> Result<Vec<T>, ApiError> {
    Ok(root
        .opt_objects_with(fields, name, read)?
        .unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use http_common::fixtures::invalid_fields;
    use http_common::types::{ItemQuantity, NewItem};
    use serde_json::{Value, json};

    use super::*;

    fn parse(action: Action, body: &Value) -> Result<Command, ApiError> {
        command(action, body.to_string().as_bytes())
    }

    #[test]
    fn the_change_of_api_md_parses_into_the_wit_record() {
        let body = json!({
            "requestId": "chg-1", "reason": "customer asked",
            "add": [{"sku": "CAM-M-AZ", "name": "Camiseta azul M", "quantity": 1,
                     "unitPrice": 4990}],
            "remove": [{"sku": "CAM-P-AZ", "quantity": 1}],
            "prices": [{"sku": "CAM-P-AZ", "unitPrice": 3990}],
            "discount": 500, "increment": -100
        });
        assert_eq!(
            parse(Action::Change, &body).ok(),
            Some(Command::Change(OrderChange {
                request_id: "chg-1".into(),
                reason: "customer asked".into(),
                add: vec![NewItem {
                    sku: "CAM-M-AZ".into(),
                    name: "Camiseta azul M".into(),
                    quantity: 1,
                    unit_price: 4990,
                    discount: 0,
                }],
                remove: vec![ItemQuantity {
                    sku: "CAM-P-AZ".into(),
                    quantity: 1
                }],
                prices: vec![PriceChange {
                    sku: "CAM-P-AZ".into(),
                    unit_price: 3990
                }],
                discount: 500,
                increment: -100,
            }))
        );
    }

    #[test]
    fn a_change_defaults_its_lists_and_amounts() {
        let body = json!({"requestId": "chg-2", "reason": "price fix"});
        let Some(Command::Change(change)) = parse(Action::Change, &body).ok() else {
            panic!("a change")
        };
        assert!(change.add.is_empty() && change.remove.is_empty() && change.prices.is_empty());
        assert_eq!((change.discount, change.increment), (0, 0));
    }

    #[test]
    fn a_change_reports_every_missing_field_in_one_422() {
        let body = json!({"add": [{"sku": "A"}], "remove": [{}], "prices": [{"sku": "B"}]});
        assert_eq!(
            invalid_fields(parse(Action::Change, &body)),
            [
                "requestId \"required\"",
                "reason \"required\"",
                "add[0].name \"required\"",
                "add[0].quantity \"required\"",
                "add[0].unitPrice \"required\"",
                "remove[0].sku \"required\"",
                "remove[0].quantity \"required\"",
                "prices[0].unitPrice \"required\"",
            ]
        );
    }

    #[test]
    fn a_float_amount_is_400_naming_its_path() {
        let body = json!({"requestId": "r", "reason": "x",
                          "prices": [{"sku": "A", "unitPrice": 39.9}]});
        let error = parse(Action::Change, &body).err();
        assert_eq!(
            error
                .as_ref()
                .map(|e| (e.status(), e.code(), e.details().get("field").cloned())),
            Some((400, "wrong-type", Some(json!("prices[0].unitPrice"))))
        );
    }

    #[test]
    fn cancel_and_hold_carry_their_reason_and_require_it() {
        let body = json!({"reason": "out of stock"});
        assert_eq!(
            parse(Action::Cancel, &body).ok(),
            Some(Command::Cancel("out of stock".into()))
        );
        assert_eq!(
            parse(Action::Hold, &body).ok(),
            Some(Command::Hold("out of stock".into()))
        );
        for action in [Action::Cancel, Action::Hold] {
            assert_eq!(
                invalid_fields(parse(action, &json!({}))),
                ["reason \"required\""]
            );
            assert_eq!(
                command(action, b"").err().map(|e| e.code()),
                Some("malformed-json")
            );
        }
    }

    #[test]
    fn a_comment_is_private_and_silent_unless_told_otherwise() {
        assert_eq!(
            parse(Action::Comment, &json!({"text": "called the customer"})).ok(),
            Some(Command::Comment(NewComment {
                text: "called the customer".into(),
                notify_customer: false,
                visible_to_customer: false,
            }))
        );
        let body = json!({"text": "t", "notifyCustomer": true, "visibleToCustomer": true});
        assert_eq!(
            parse(Action::Comment, &body).ok(),
            Some(Command::Comment(NewComment {
                text: "t".into(),
                notify_customer: true,
                visible_to_customer: true,
            }))
        );
        let body = json!({"text": "t", "notifyCustomer": "yes"});
        let error = parse(Action::Comment, &body).err();
        assert_eq!(
            error.and_then(|e| e.details().get("field").cloned()),
            Some(json!("notifyCustomer"))
        );
    }

    #[test]
    fn an_offline_refund_parses_with_its_items() {
        let body = json!({"amount": 4990, "items": [{"sku": "CAM-P-AZ", "quantity": 1}],
                          "returnToStock": true, "comment": "damaged", "notifyCustomer": true});
        assert_eq!(
            parse(Action::Refund, &body).ok(),
            Some(Command::Refund(NewRefund {
                amount: 4990,
                items: vec![ItemQuantity {
                    sku: "CAM-P-AZ".into(),
                    quantity: 1
                }],
                return_to_stock: true,
                comment: Some("damaged".into()),
                notify_customer: true,
            }))
        );
        let refund = json!({"items": [{"sku": "A", "quantity": -1}]});
        assert_eq!(
            invalid_fields(parse(Action::Refund, &refund)),
            ["amount \"required\"", "items[0].quantity \"out-of-range\""]
        );
    }

    #[test]
    fn actions_without_a_body_accept_nothing_or_an_object() {
        for (action, expected) in [
            (Action::Unhold, Command::Unhold),
            (Action::StartHandling, Command::StartHandling),
            (Action::Reprocess, Command::Reprocess),
        ] {
            for body in [&b""[..], b" \r\n", b"{}", b"{\"note\": 1}"] {
                assert_eq!(command(action, body).ok().as_ref(), Some(&expected));
            }
            for body in [&b"[]"[..], b"{", b"null", &[0xff]] {
                assert_eq!(command(action, body).err().map(|e| e.status()), Some(400));
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

    const ACTIONS: [Action; 8] = [
        Action::Change,
        Action::Cancel,
        Action::Hold,
        Action::Unhold,
        Action::StartHandling,
        Action::Comment,
        Action::Refund,
        Action::Reprocess,
    ];

    /// Any JSON value, with this component's field names mixed in.
    fn json_value() -> impl Strategy<Value = Value> {
        fixtures::json_value(
            &[
                "requestId",
                "reason",
                "add",
                "remove",
                "prices",
                "sku",
                "quantity",
                "unitPrice",
                "amount",
                "items",
                "text",
                "notifyCustomer",
            ],
            &[],
        )
    }

    http_common::body_properties!(json_value(), |body| ACTIONS
        .map(|action| command(action, body)));
}
