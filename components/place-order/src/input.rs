//! The body of `POST /checkout/orders` into the WIT `place-order` record.
//!
//! Shape and types are checked here (400 `wrong-type` naming the field; missing required fields,
//! unknown enum names and out-of-range integers as 422 entries); values (emails, CPF, currency,
//! totals) are the orders service's to judge. `totals.total`, when sent, is the client's total,
//! which must equal the computed one (422 `total-mismatch`, from the service).

use http_common::ApiError;
use http_common::input::{Fields, Obj, order_parts, payment_method, read_object};
use http_common::types::{NewPayment, PlaceOrder};

/// Parses the request body.
pub(crate) fn place_order(body: &[u8]) -> Result<PlaceOrder, ApiError> {
    let order = read_object(body, |root, fields| {
        let channel = root.opt_string("channel")?;
        let external_id = root.opt_string("externalId")?;
        let currency = root.opt_string("currency")?;
        let stock_location = root.opt_string("stockLocation")?;
        let parts = order_parts(root, fields)?;
        let payment = root.object_with(fields, "payment", payment)?;
        let expected_total = match root.opt_object("totals")? {
            Some(totals) => totals.opt_money(fields, "total")?,
            None => None,
        };
        Ok(parts.zip(payment).map(|(parts, payment)| PlaceOrder {
            channel,
            external_id,
            currency,
            customer: parts.customer,
            shipping_address: parts.shipping_address,
            billing_address: parts.billing_address,
            items: parts.items,
            shipping: parts.shipping,
            payment,
            // Subscription cycles are placed by the subscription runner, never over HTTP.
            subscription: None,
            expected_total,
            stock_location,
        }))
    })?;
    // `read_object` has already refused a body without one of the required parts.
    order.ok_or_else(|| ApiError::invalid(&[]))
}

/// `{method, dueAt}`.
fn payment(obj: &Obj<'_>, fields: &mut Fields) -> Result<NewPayment, ApiError> {
    Ok(NewPayment {
        method: payment_method(obj, fields)?,
        due_at: obj.opt_string("dueAt")?,
    })
}

#[cfg(test)]
mod tests {
    use http_common::fixtures::invalid_fields;
    use http_common::types::PaymentMethod;
    use serde_json::{Value, json};

    use super::*;

    fn api_md_body() -> Value {
        json!({
            "channel": "storefront", "externalId": "MLB-998877", "currency": "BRL",
            "customer": {"id": "c-17", "name": "Ana Souza", "email": "ana@example.com",
                         "document": "39053344705", "phone": "+5511999990000"},
            "shippingAddress": {"street": "Rua A", "number": "10", "complement": "",
                                "neighborhood": "Centro", "city": "São Paulo", "state": "SP",
                                "postalCode": "01001000", "country": "BRA"},
            "items": [{"sku": "CAM-P-AZ", "name": "Camiseta azul P", "quantity": 2,
                       "unitPrice": 4990, "discount": 0}],
            "shipping": {"method": "PAC", "carrier": "Correios", "price": 1500},
            "payment": {"method": "pix", "dueAt": "2026-11-23T01:00:00Z"},
            "totals": {"total": 11480}
        })
    }

    fn parse(body: &Value) -> Result<PlaceOrder, ApiError> {
        place_order(body.to_string().as_bytes())
    }

    #[test]
    fn the_order_of_api_md_parses_into_the_wit_record() {
        let order = match parse(&api_md_body()) {
            Ok(order) => order,
            Err(error) => panic!("refused: {error}"),
        };
        assert_eq!(order.channel.as_deref(), Some("storefront"));
        assert_eq!(order.external_id.as_deref(), Some("MLB-998877"));
        assert_eq!(order.customer.document.as_deref(), Some("39053344705"));
        assert_eq!(order.shipping_address.postal_code, "01001000");
        assert_eq!(order.shipping_address.complement.as_deref(), Some(""));
        assert_eq!(order.items.len(), 1);
        assert_eq!(order.items[0].unit_price, 4990);
        assert_eq!(order.shipping.price, 1500);
        assert_eq!(order.payment.method, PaymentMethod::Pix);
        assert_eq!(order.expected_total, Some(11480));
        assert_eq!(order.billing_address, None);
        assert_eq!(order.subscription, None);
    }

    #[test]
    fn optional_parts_default_as_the_wit_says() {
        let mut body = api_md_body();
        for key in ["channel", "externalId", "currency", "totals"] {
            body.as_object_mut().map(|o| o.remove(key));
        }
        body["shippingAddress"]
            .as_object_mut()
            .map(|o| o.remove("country"));
        body["items"][0]
            .as_object_mut()
            .map(|o| o.remove("discount"));
        let order = parse(&body).ok();
        assert_eq!(order.as_ref().map(|o| o.channel.clone()), Some(None));
        assert_eq!(
            order.as_ref().map(|o| o.shipping_address.country.as_str()),
            Some("BRA")
        );
        assert_eq!(order.as_ref().map(|o| o.items[0].discount), Some(0));
        assert_eq!(order.map(|o| o.expected_total), Some(None));
    }

    #[test]
    fn a_wrong_type_is_400_naming_the_field() {
        let mut body = api_md_body();
        body["items"][0]["unitPrice"] = json!(49.90);
        let error = parse(&body).err();
        assert_eq!(
            error.as_ref().map(|e| (e.status(), e.code())),
            Some((400, "wrong-type"))
        );
        assert_eq!(
            error.and_then(|e| e.details().get("field").cloned()),
            Some(json!("items[0].unitPrice"))
        );
    }

    #[test]
    fn every_missing_required_field_is_one_422_entry() {
        let body = json!({"customer": {"email": "a@b.c"}, "items": [{"sku": "A"}],
                          "payment": {"method": "cash"}});
        assert_eq!(
            invalid_fields(parse(&body)),
            [
                "customer.name \"required\"",
                "shippingAddress \"required\"",
                "items[0].name \"required\"",
                "items[0].quantity \"required\"",
                "items[0].unitPrice \"required\"",
                "shipping \"required\"",
                "payment.method \"unknown-value\"",
            ]
        );
    }

    #[test]
    fn bodies_that_are_not_an_order_object_never_panic() {
        for body in [
            &b""[..],
            b"null",
            b"[]",
            b"\"order\"",
            b"{\"items\": {}}",
            b"{\"customer\": []}",
            b"{\"items\": [1]}",
            b"{\"items\": [{\"quantity\": -1}]}",
            b"{\"totals\": 5}",
            &[0xff; 64],
        ] {
            let error = place_order(body).err();
            assert!(
                error
                    .as_ref()
                    .is_some_and(|e| e.status() == 400 || e.status() == 422),
                "{:?} -> {error:?}",
                String::from_utf8_lossy(body)
            );
        }
    }

    #[test]
    fn deeply_nested_json_is_refused_not_overflowed() {
        let body = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        let error = place_order(body.as_bytes()).err();
        assert_eq!(error.map(|e| e.code()), Some("malformed-json"));
    }
}

#[cfg(test)]
mod properties {
    use http_common::fixtures;
    use proptest::prelude::*;
    use serde_json::Value;

    use super::place_order;

    /// Any JSON value, with the field names of an order mixed in.
    fn json_value() -> impl Strategy<Value = Value> {
        fixtures::json_value(
            &[
                "customer",
                "items",
                "shippingAddress",
                "payment",
                "method",
                "quantity",
                "unitPrice",
                "totals",
                "total",
            ],
            &[],
        )
    }

    http_common::body_properties!(json_value(), |body| [place_order(body)]);
}
