//! The body of `PATCH /orders/{id}` into the WIT `order-edit` record: corrections before
//! shipping to the customer, the addresses or the shipping.
//!
//! Each part present replaces that part whole (its required fields are required again, as when
//! placing); a part absent or `null` stays as it is. Shape and types are checked here (400
//! `wrong-type` naming the field; missing required fields as 422 entries); values are the orders
//! service's to judge, and an edit that changes nothing is its 422 `empty-command`.

use http_common::ApiError;
use http_common::input::{address, customer, read_object, shipping};
use http_common::types::OrderEdit;

/// Parses the request body.
pub(crate) fn order_edit(body: &[u8]) -> Result<OrderEdit, ApiError> {
    read_object(body, |root, fields| {
        Ok(OrderEdit {
            customer: root.opt_object_with(fields, "customer", customer)?,
            shipping_address: root.opt_object_with(fields, "shippingAddress", address)?,
            billing_address: root.opt_object_with(fields, "billingAddress", address)?,
            shipping: root.opt_object_with(fields, "shipping", shipping)?,
        })
    })
}

#[cfg(test)]
mod tests {
    use http_common::fixtures::invalid_fields;
    use http_common::types::{Customer, Shipping};
    use serde_json::{Value, json};

    use super::*;

    fn parse(body: &Value) -> Result<OrderEdit, ApiError> {
        order_edit(body.to_string().as_bytes())
    }

    #[test]
    fn each_part_sent_replaces_that_part_and_the_others_stay() {
        let body = json!({
            "shippingAddress": {"street": "Rua B", "number": "20", "city": "Recife",
                                "state": "PE", "postalCode": "50000000"},
            "shipping": {"method": "SEDEX", "carrier": "Correios", "price": 2500},
            "billingAddress": null
        });
        let edit = parse(&body).ok();
        assert_eq!(edit.as_ref().and_then(|e| e.customer.clone()), None);
        assert_eq!(edit.as_ref().and_then(|e| e.billing_address.clone()), None);
        assert_eq!(
            edit.as_ref()
                .and_then(|e| e.shipping_address.as_ref())
                .map(|a| (a.city.as_str(), a.country.as_str())),
            Some(("Recife", "BRA"))
        );
        assert_eq!(
            edit.and_then(|e| e.shipping),
            Some(Shipping {
                method: "SEDEX".into(),
                carrier: Some("Correios".into()),
                price: 2500
            })
        );
    }

    #[test]
    fn a_customer_is_replaced_whole() {
        let body = json!({"customer": {"name": "Ana Lima", "email": "ana@example.com",
                                       "phone": "+5581999990000"}});
        assert_eq!(
            parse(&body).ok().and_then(|e| e.customer),
            Some(Customer {
                id: None,
                name: "Ana Lima".into(),
                email: "ana@example.com".into(),
                document: None,
                phone: Some("+5581999990000".into()),
            })
        );
        assert_eq!(
            invalid_fields(parse(&json!({"customer": {"phone": "1"}, "shipping": {}}))),
            [
                "customer.name \"required\"",
                "customer.email \"required\"",
                "shipping.method \"required\"",
                "shipping.price \"required\"",
            ]
        );
    }

    #[test]
    fn an_empty_edit_parses_and_is_left_to_the_service() {
        assert_eq!(
            parse(&json!({})).ok(),
            Some(OrderEdit {
                customer: None,
                shipping_address: None,
                billing_address: None,
                shipping: None,
            })
        );
    }

    #[test]
    fn wrong_types_are_400_naming_the_field() {
        for (body, field) in [
            (json!({"customer": "Ana"}), "customer"),
            (
                json!({"shipping": {"method": "PAC", "price": 15.5}}),
                "shipping.price",
            ),
            (
                json!({"billingAddress": {"street": 1}}),
                "billingAddress.street",
            ),
        ] {
            let error = parse(&body).err();
            assert_eq!(
                error.map(|e| (e.status(), e.details().get("field").cloned())),
                Some((400, Some(json!(field))))
            );
        }
        for body in [&b""[..], b"[]", b"null", &[0xff; 8]] {
            assert_eq!(order_edit(body).err().map(|e| e.status()), Some(400));
        }
    }
}

#[cfg(test)]
mod properties {
    use http_common::fixtures;
    use proptest::prelude::*;
    use serde_json::Value;

    use super::order_edit;

    /// Any JSON value, with the field names of an edit mixed in.
    fn json_value() -> impl Strategy<Value = Value> {
        fixtures::json_value(
            &[
                "customer",
                "shippingAddress",
                "billingAddress",
                "shipping",
                "name",
                "price",
                "street",
            ],
            &[],
        )
    }

    http_common::body_properties!(json_value(), |body| [order_edit(body)]);
}
