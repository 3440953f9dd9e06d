//! What the handlers' native tests share: a sample order, the entries of a refusal, and (with the
//! feature `proptest`) JSON to throw at the body readers. Never used at run time; the linker
//! drops it.

use serde_json::Value;

use crate::ApiError;
use crate::types::{
    Actor, Address, Adjustments, Customer, EventKind, HistoryEntry, Item, Order, OrderStatus,
    Payment, PaymentMethod, PaymentStatus, Shipping, Totals,
};

/// A placed order with one item, as the service would return it.
pub fn sample_order() -> Order {
    Order {
        id: "01J0ORDER".into(),
        number: 1042,
        status: OrderStatus::PaymentPending,
        version: 1,
        channel: "storefront".into(),
        external_id: Some("MLB-998877".into()),
        currency: "BRL".into(),
        customer: Customer {
            id: Some("c-17".into()),
            name: "Ana Souza".into(),
            email: "ana@example.com".into(),
            document: Some("39053344705".into()),
            phone: None,
        },
        shipping_address: Address {
            street: "Rua A".into(),
            number: "10".into(),
            complement: None,
            neighborhood: Some("Centro".into()),
            city: "São Paulo".into(),
            state: "SP".into(),
            postal_code: "01001000".into(),
            country: "BRA".into(),
        },
        billing_address: None,
        items: vec![Item {
            sku: "CAM-P-AZ".into(),
            name: "Camiseta azul P".into(),
            quantity: 2,
            unit_price: 4990,
            discount: 0,
            invoiced: 0,
            returned: 0,
        }],
        shipping: Shipping {
            method: "PAC".into(),
            carrier: Some("Correios".into()),
            price: 1500,
        },
        payment: Payment {
            method: PaymentMethod::Pix,
            status: PaymentStatus::Pending,
            due_at: Some("2026-11-23T01:00:00Z".into()),
            transactions: vec![],
        },
        adjustments: Adjustments {
            discount: 0,
            increment: 0,
        },
        totals: Totals {
            items: 9980,
            discount: 0,
            increment: 0,
            shipping: 1500,
            total: 11480,
            paid: 0,
            refunded: 0,
            returned: 0,
            balance: 0,
        },
        invoices: vec![],
        shipments: vec![],
        refunds: vec![],
        changes: vec![],
        comments: vec![],
        notifications: vec![],
        problems: vec![],
        hold: None,
        cancellation: None,
        subscription: None,
        test_clock: None,
        stock_location: None,
        history: vec![HistoryEntry {
            at: "2026-11-22T01:00:00Z".into(),
            from: None,
            to: OrderStatus::PaymentPending,
            event: EventKind::OrderPlaced,
            actor: Actor::Checkout,
            operator: None,
        }],
        created_at: "2026-11-22T01:00:00Z".into(),
        updated_at: "2026-11-22T01:00:00Z".into(),
    }
}

/// The 422 entries of a refusal, one `field "code"` line each, in order (none for another error).
pub fn field_codes(error: &ApiError) -> Vec<String> {
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

/// The entries of a 422 `validation-failed` refusal as [`field_codes`] gives them; anything
/// else is one line saying what it was, so that a test expecting entries fails on it.
pub fn invalid_fields<T>(result: Result<T, ApiError>) -> Vec<String> {
    match result {
        Err(error) if (error.status(), error.code()) == (422, "validation-failed") => {
            field_codes(&error)
        }
        Err(error) => vec![format!(
            "refused otherwise: {} {}",
            error.status(),
            error.code()
        )],
        Ok(_) => vec!["accepted".to_owned()],
    }
}

/// Whether a body reader refused as openapi.yaml says: 422, or 400 naming the field (or saying
/// the JSON itself is malformed).
pub fn refused_properly(error: &ApiError) -> bool {
    error.status() == 422
        || (error.status() == 400
            && (error.details().contains_key("field") || error.code() == "malformed-json"))
}

#[cfg(feature = "proptest")]
pub use self::strategies::{any_body, json_object, json_value, parsed_or_refused};
/// proptest itself, for [`body_properties!`](crate::body_properties).
#[cfg(feature = "proptest")]
pub use proptest;

/// The two properties of a body reader: any bytes, and any JSON `$json` generates, are parsed or
/// refused as openapi.yaml says, never a panic. `$read` reads one body with every reader under
/// test and gives their results.
#[cfg(feature = "proptest")]
#[macro_export]
macro_rules! body_properties {
    ($json:expr, $read:expr) => {
        $crate::fixtures::proptest::proptest! {
            #[test]
            fn any_bytes_are_parsed_or_refused_with_400_or_422(
                body in $crate::fixtures::any_body()
            ) {
                $crate::fixtures::parsed_or_refused(($read)(&body[..]))?;
            }

            #[test]
            fn any_json_is_parsed_or_refused_with_400_or_422(value in $json) {
                $crate::fixtures::parsed_or_refused(($read)(value.to_string().as_bytes()))?;
            }
        }
    };
}

/// Bodies a reader must parse or refuse properly, never panic on.
#[cfg(feature = "proptest")]
mod strategies {
    use proptest::prelude::*;
    use proptest::sample::select;
    use serde_json::{Value, json};

    use crate::ApiError;

    type Names = &'static [&'static str];

    /// Any bytes, as a body.
    pub fn any_body() -> impl Strategy<Value = Vec<u8>> {
        prop::collection::vec(any::<u8>(), 0..512)
    }

    /// Fails the property unless every result is a body parsed, or refused as openapi.yaml says
    /// ([`super::refused_properly`]).
    pub fn parsed_or_refused<T>(
        results: impl IntoIterator<Item = Result<T, ApiError>>,
    ) -> Result<(), TestCaseError> {
        for result in results {
            if let Err(error) = result {
                prop_assert!(super::refused_properly(&error), "{error}");
            }
        }
        Ok(())
    }

    /// An object key: one of `names` (each as likely as any other key), or any short word.
    fn key(names: Names) -> BoxedStrategy<String> {
        let weight = u32::try_from(names.len()).unwrap_or(u32::MAX);
        if names.is_empty() {
            "[a-zA-Z]{1,8}".boxed()
        } else {
            prop_oneof![
                weight => select(names).prop_map(str::to_owned),
                1 => "[a-zA-Z]{1,8}",
            ]
            .boxed()
        }
    }

    /// A JSON scalar, or one of `words` as a string.
    fn leaf(words: Names) -> BoxedStrategy<Value> {
        let scalar = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            any::<f64>().prop_map(|f| json!(f)),
            ".{0,12}".prop_map(Value::String),
        ];
        let weight = u32::try_from(words.len()).unwrap_or(u32::MAX);
        if words.is_empty() {
            scalar.boxed()
        } else {
            prop_oneof![
                6 => scalar,
                weight => select(words).prop_map(|w| json!(w)),
            ]
            .boxed()
        }
    }

    /// Any JSON value, a few levels deep, with `names` mixed into its objects' keys and `words`
    /// into its strings.
    pub fn json_value(names: Names, words: Names) -> BoxedStrategy<Value> {
        leaf(words)
            .prop_recursive(4, 48, 6, move |inner| {
                prop_oneof![
                    prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                    prop::collection::btree_map(key(names), inner, 0..8)
                        .prop_map(|map| Value::Object(map.into_iter().collect())),
                ]
            })
            .boxed()
    }

    /// Any JSON object with `names` among its keys, its values as [`json_value`]'s.
    pub fn json_object(names: Names, words: Names) -> BoxedStrategy<Value> {
        prop::collection::btree_map(key(names), json_value(names, words), 0..8)
            .prop_map(|map| Value::Object(map.into_iter().collect()))
            .boxed()
    }
}
