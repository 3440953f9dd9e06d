//! Reading a JSON body into WIT records while naming the bad field.
//!
//! Two kinds of failure, as openapi.yaml says: a value of the wrong JSON type is 400 `wrong-type`
//! with `details.field` (the first one stops the reading), and a missing required field, an integer
//! out of range or an unknown enum name is collected as a 422 entry, all of them reported together
//! by [`Fields::finish`]. `null` counts as absent. Field paths are camelCase JSON paths such as
//! `items[2].unitPrice`.

use serde_json::{Map, Value};

use crate::types::{Address, Customer, FieldError, ItemQuantity, NewItem, PaymentMethod, Shipping};
use crate::{ApiError, names};

/// Parses a body that must be one JSON object.
pub fn parse_object(body: &[u8]) -> Result<Value, ApiError> {
    let value: Value = serde_json::from_slice(body).map_err(|e| ApiError::malformed_json(&e))?;
    if value.is_object() {
        Ok(value)
    } else {
        Err(ApiError::wrong_type("", "a JSON object"))
    }
}

/// Reads a body that must be one JSON object with `read`, then reports every 422 entry at once.
pub fn read_object<T>(
    body: &[u8],
    read: impl FnOnce(&Obj<'_>, &mut Fields) -> Result<T, ApiError>,
) -> Result<T, ApiError> {
    let value = parse_object(body)?;
    let root = Obj::root(&value)?;
    let mut fields = Fields::new();
    let parsed = read(&root, &mut fields)?;
    fields.finish()?;
    Ok(parsed)
}

/// A body that may be empty (nothing but ASCII white space) and is otherwise one JSON object.
pub fn optional_object(body: &[u8]) -> Result<Option<Value>, ApiError> {
    if body.trim_ascii().is_empty() {
        Ok(None)
    } else {
        parse_object(body).map(Some)
    }
}

/// The 422 entries found so far.
#[derive(Debug, Default)]
pub struct Fields {
    errors: Vec<FieldError>,
}

impl Fields {
    /// No entries yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records one bad field.
    pub fn push(&mut self, field: String, code: &str, message: impl Into<String>) {
        self.errors.push(FieldError {
            field,
            code: code.to_owned(),
            message: message.into(),
        });
    }

    /// `Ok` when nothing was recorded, else 422 `validation-failed` with every entry.
    pub fn finish(self) -> Result<(), ApiError> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(ApiError::invalid(&self.errors))
        }
    }
}

/// A JSON object and its path in the body.
#[derive(Debug, Clone)]
pub struct Obj<'a> {
    map: &'a Map<String, Value>,
    path: String,
}

const INTEGER: &str = "an integer";
const MONEY: &str = "an integer count of minor units";

/// The integer a JSON number stands for: written as one (`4990`), or with a zero fraction or an
/// exponent (`4990.0`, `1e3`) as long as a double holds it exactly (JSON Schema's `integer`);
/// `None` for a fraction, or for a non-integer notation past 2^53, which has already been
/// rounded by whoever wrote it.
fn integer(number: &serde_json::Number) -> Option<i128> {
    const EXACT: f64 = 9_007_199_254_740_992.0;
    if let Some(value) = number.as_i64() {
        return Some(i128::from(value));
    }
    if let Some(value) = number.as_u64() {
        return Some(i128::from(value));
    }
    let value = number.as_f64()?;
    #[expect(
        clippy::cast_possible_truncation,
        reason = "an integral value of at most 2^53 in magnitude converts exactly"
    )]
    let whole = value as i64;
    (value.fract() == 0.0 && value.abs() <= EXACT).then_some(i128::from(whole))
}

impl<'a> Obj<'a> {
    /// The body's top-level object; `value` must be an object (see [`parse_object`]).
    pub fn root(value: &'a Value) -> Result<Self, ApiError> {
        match value {
            Value::Object(map) => Ok(Self {
                map,
                path: String::new(),
            }),
            Value::Null
            | Value::Bool(_)
            | Value::Number(_)
            | Value::String(_)
            | Value::Array(_) => Err(ApiError::wrong_type("", "a JSON object")),
        }
    }

    /// The path of a field of this object.
    pub fn path(&self, name: &str) -> String {
        if self.path.is_empty() {
            name.to_owned()
        } else {
            format!("{}.{name}", self.path)
        }
    }

    fn get(&self, name: &str) -> Option<&'a Value> {
        self.map.get(name).filter(|value| !value.is_null())
    }

    fn required<T>(
        &self,
        fields: &mut Fields,
        name: &str,
        value: Result<Option<T>, ApiError>,
    ) -> Result<Option<T>, ApiError> {
        let value = value?;
        if value.is_none() {
            let path = self.path(name);
            let message = format!("{path} is required");
            fields.push(path, "required", message);
        }
        Ok(value)
    }

    /// An optional string.
    pub fn opt_string(&self, name: &str) -> Result<Option<String>, ApiError> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::String(text)) => Ok(Some(text.clone())),
            Some(_) => Err(ApiError::wrong_type(&self.path(name), "a string")),
        }
    }

    /// A required string (empty when missing; the miss is recorded).
    pub fn string(&self, fields: &mut Fields, name: &str) -> Result<String, ApiError> {
        let value = self.opt_string(name);
        Ok(self.required(fields, name, value)?.unwrap_or_default())
    }

    /// An optional amount of money: a JSON integer that fits an `s64`.
    pub fn opt_money(&self, fields: &mut Fields, name: &str) -> Result<Option<i64>, ApiError> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::Number(number)) => match integer(number) {
                Some(value) => Ok(Some(i64::try_from(value).unwrap_or_else(|_| {
                    let path = self.path(name);
                    let message = format!("{path} is too large for an amount");
                    fields.push(path, "out-of-range", message);
                    0
                }))),
                None => Err(ApiError::wrong_type(&self.path(name), MONEY)),
            },
            Some(_) => Err(ApiError::wrong_type(&self.path(name), MONEY)),
        }
    }

    /// A required amount of money (0 when missing; the miss is recorded).
    pub fn money(&self, fields: &mut Fields, name: &str) -> Result<i64, ApiError> {
        let value = self.opt_money(fields, name);
        Ok(self.required(fields, name, value)?.unwrap_or_default())
    }

    /// An amount of money that defaults to 0.
    pub fn money_or_zero(&self, fields: &mut Fields, name: &str) -> Result<i64, ApiError> {
        Ok(self.opt_money(fields, name)?.unwrap_or_default())
    }

    /// An optional count: a JSON integer from 0 to 4,294,967,295.
    pub fn opt_u32(&self, fields: &mut Fields, name: &str) -> Result<Option<u32>, ApiError> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::Number(number)) if integer(number).is_some() => {
                let count = integer(number).and_then(|n| u32::try_from(n).ok());
                if count.is_none() {
                    let path = self.path(name);
                    let message = format!("{path} must be a whole number from 0 to 4294967295");
                    fields.push(path, "out-of-range", message);
                }
                Ok(Some(count.unwrap_or_default()))
            }
            Some(_) => Err(ApiError::wrong_type(&self.path(name), INTEGER)),
        }
    }

    /// An optional signed whole number (a change of a count, say).
    pub fn opt_i64(&self, fields: &mut Fields, name: &str) -> Result<Option<i64>, ApiError> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::Number(number)) if integer(number).is_some() => {
                let value = integer(number).and_then(|n| i64::try_from(n).ok());
                if value.is_none() {
                    let path = self.path(name);
                    let message = format!("{path} is out of range");
                    fields.push(path, "out-of-range", message);
                }
                Ok(Some(value.unwrap_or_default()))
            }
            Some(_) => Err(ApiError::wrong_type(&self.path(name), INTEGER)),
        }
    }

    /// An optional true or false.
    pub fn opt_bool(&self, name: &str) -> Result<Option<bool>, ApiError> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::Bool(value)) => Ok(Some(*value)),
            Some(_) => Err(ApiError::wrong_type(&self.path(name), "true or false")),
        }
    }

    /// A required count (0 when missing; the miss is recorded).
    pub fn u32(&self, fields: &mut Fields, name: &str) -> Result<u32, ApiError> {
        let value = self.opt_u32(fields, name);
        Ok(self.required(fields, name, value)?.unwrap_or_default())
    }

    /// An optional non-negative integer that fits a `u64` (an `If-Match`-like version).
    pub fn opt_u64(&self, name: &str) -> Result<Option<u64>, ApiError> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::Number(number)) if integer(number).is_some_and(|n| n >= 0) => {
                Ok(integer(number).and_then(|n| u64::try_from(n).ok()))
            }
            Some(_) => Err(ApiError::wrong_type(
                &self.path(name),
                "a non-negative integer",
            )),
        }
    }

    /// An optional list of strings.
    pub fn opt_strings(&self, name: &str) -> Result<Option<Vec<String>>, ApiError> {
        let wrong = || ApiError::wrong_type(&self.path(name), "an array of strings");
        match self.get(name) {
            None => Ok(None),
            Some(Value::Array(items)) => items
                .iter()
                .map(|item| item.as_str().map(str::to_owned).ok_or_else(wrong))
                .collect::<Result<Vec<_>, _>>()
                .map(Some),
            Some(_) => Err(wrong()),
        }
    }

    /// A boolean that defaults to `default`.
    pub fn bool_or(&self, name: &str, default: bool) -> Result<bool, ApiError> {
        Ok(self.opt_bool(name)?.unwrap_or(default))
    }

    /// An optional nested object.
    pub fn opt_object(&self, name: &str) -> Result<Option<Obj<'a>>, ApiError> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::Object(map)) => Ok(Some(Obj {
                map,
                path: self.path(name),
            })),
            Some(_) => Err(ApiError::wrong_type(&self.path(name), "an object")),
        }
    }

    /// A required nested object (the miss is recorded and `None` returned).
    pub fn object(&self, fields: &mut Fields, name: &str) -> Result<Option<Obj<'a>>, ApiError> {
        let value = self.opt_object(name);
        self.required(fields, name, value)
    }

    /// An optional array of objects.
    pub fn opt_objects(&self, name: &str) -> Result<Option<Vec<Obj<'a>>>, ApiError> {
        let path = self.path(name);
        match self.get(name) {
            None => Ok(None),
            Some(Value::Array(values)) => values
                .iter()
                .enumerate()
                .map(|(index, value)| match value {
                    Value::Object(map) => Ok(Obj {
                        map,
                        path: format!("{path}[{index}]"),
                    }),
                    Value::Null
                    | Value::Bool(_)
                    | Value::Number(_)
                    | Value::String(_)
                    | Value::Array(_) => Err(ApiError::wrong_type(
                        &format!("{path}[{index}]"),
                        "an object",
                    )),
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Some),
            Some(_) => Err(ApiError::wrong_type(&path, "an array of objects")),
        }
    }

    /// A required array of objects (the miss is recorded and an empty list returned).
    pub fn objects(&self, fields: &mut Fields, name: &str) -> Result<Vec<Obj<'a>>, ApiError> {
        let value = self.opt_objects(name);
        Ok(self.required(fields, name, value)?.unwrap_or_default())
    }

    /// A required nested object read with `read` (the miss is recorded and `None` returned).
    pub fn object_with<T>(
        &self,
        fields: &mut Fields,
        name: &str,
        read: impl FnOnce(&Obj<'a>, &mut Fields) -> Result<T, ApiError>,
    ) -> Result<Option<T>, ApiError> {
        let obj = self.object(fields, name)?;
        obj.map(|obj| read(&obj, fields)).transpose()
    }

    /// An optional nested object read with `read`.
    pub fn opt_object_with<T>(
        &self,
        fields: &mut Fields,
        name: &str,
        read: impl FnOnce(&Obj<'a>, &mut Fields) -> Result<T, ApiError>,
    ) -> Result<Option<T>, ApiError> {
        let obj = self.opt_object(name)?;
        obj.map(|obj| read(&obj, fields)).transpose()
    }

    /// A required array of objects, each read with `read` (the miss is recorded and an empty
    /// list returned).
    pub fn objects_with<T>(
        &self,
        fields: &mut Fields,
        name: &str,
        mut read: impl FnMut(&Obj<'a>, &mut Fields) -> Result<T, ApiError>,
    ) -> Result<Vec<T>, ApiError> {
        self.objects(fields, name)?
            .iter()
            .map(|obj| read(obj, fields))
            .collect()
    }

    /// An optional array of objects, each read with `read`.
    pub fn opt_objects_with<T>(
        &self,
        fields: &mut Fields,
        name: &str,
        mut read: impl FnMut(&Obj<'a>, &mut Fields) -> Result<T, ApiError>,
    ) -> Result<Option<Vec<T>>, ApiError> {
        match self.opt_objects(name)? {
            Some(objs) => objs
                .iter()
                .map(|obj| read(obj, fields))
                .collect::<Result<_, _>>()
                .map(Some),
            None => Ok(None),
        }
    }

    /// An optional enum given by its wire name; an unknown name is recorded with the names
    /// accepted, and `None` returned.
    pub fn opt_enum<T>(
        &self,
        fields: &mut Fields,
        name: &str,
        parse: fn(&str) -> Option<T>,
        accepted: &[&str],
    ) -> Result<Option<T>, ApiError> {
        let Some(text) = self.opt_string(name)? else {
            return Ok(None);
        };
        let value = parse(&text);
        if value.is_none() {
            let path = self.path(name);
            let message = format!("{path} must be one of: {}", accepted.join(", "));
            fields.push(path, "unknown-value", message);
        }
        Ok(value)
    }

    /// A required enum (the miss is recorded, `placeholder` returned; [`Fields::finish`] then
    /// refuses the request, so the placeholder never reaches the service).
    pub fn enumeration<T>(
        &self,
        fields: &mut Fields,
        name: &str,
        parse: fn(&str) -> Option<T>,
        accepted: &[&str],
        placeholder: T,
    ) -> Result<T, ApiError> {
        let present = self.get(name).is_some();
        let value = self.opt_enum(fields, name, parse, accepted)?;
        if !present {
            let path = self.path(name);
            let message = format!("{path} is required");
            fields.push(path, "required", message);
        }
        Ok(value.unwrap_or(placeholder))
    }
}

/// A customer object (`name` and `email` required).
pub fn customer(obj: &Obj<'_>, fields: &mut Fields) -> Result<Customer, ApiError> {
    Ok(Customer {
        id: obj.opt_string("id")?,
        name: obj.string(fields, "name")?,
        email: obj.string(fields, "email")?,
        document: obj.opt_string("document")?,
        phone: obj.opt_string("phone")?,
    })
}

/// An address object (`country` defaults to "BRA", as the WIT says).
pub fn address(obj: &Obj<'_>, fields: &mut Fields) -> Result<Address, ApiError> {
    Ok(Address {
        street: obj.string(fields, "street")?,
        number: obj.string(fields, "number")?,
        complement: obj.opt_string("complement")?,
        neighborhood: obj.opt_string("neighborhood")?,
        city: obj.string(fields, "city")?,
        state: obj.string(fields, "state")?,
        postal_code: obj.string(fields, "postalCode")?,
        // The WIT's default for an address without a country.
        country: obj
            .opt_string("country")?
            .unwrap_or_else(|| "BRA".to_owned()),
    })
}

/// The parts of an order that a placement and a subscription both carry.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderParts {
    /// `customer`.
    pub customer: Customer,
    /// `shippingAddress`.
    pub shipping_address: Address,
    /// `billingAddress`, optional.
    pub billing_address: Option<Address>,
    /// `items`.
    pub items: Vec<NewItem>,
    /// `shipping`.
    pub shipping: Shipping,
}

/// Reads `customer`, `shippingAddress`, `billingAddress`, `items` and `shipping`, in that
/// order; `None` when a required one is missing (the miss is recorded).
pub fn order_parts(root: &Obj<'_>, fields: &mut Fields) -> Result<Option<OrderParts>, ApiError> {
    let customer = root.object_with(fields, "customer", customer)?;
    let shipping_address = root.object_with(fields, "shippingAddress", address)?;
    let billing_address = root.opt_object_with(fields, "billingAddress", address)?;
    let items = root.objects_with(fields, "items", new_item)?;
    let shipping = root.object_with(fields, "shipping", shipping)?;
    let (Some(customer), Some(shipping_address), Some(shipping)) =
        (customer, shipping_address, shipping)
    else {
        return Ok(None);
    };
    Ok(Some(OrderParts {
        customer,
        shipping_address,
        billing_address,
        items,
        shipping,
    }))
}

/// An item to add (`discount` defaults to 0).
pub fn new_item(obj: &Obj<'_>, fields: &mut Fields) -> Result<NewItem, ApiError> {
    Ok(NewItem {
        sku: obj.string(fields, "sku")?,
        name: obj.string(fields, "name")?,
        quantity: obj.u32(fields, "quantity")?,
        unit_price: obj.money(fields, "unitPrice")?,
        discount: obj.money_or_zero(fields, "discount")?,
    })
}

/// A SKU and a quantity of it.
pub fn item_quantity(obj: &Obj<'_>, fields: &mut Fields) -> Result<ItemQuantity, ApiError> {
    Ok(ItemQuantity {
        sku: obj.string(fields, "sku")?,
        quantity: obj.u32(fields, "quantity")?,
    })
}

/// A shipping object (`method` and `price` required).
pub fn shipping(obj: &Obj<'_>, fields: &mut Fields) -> Result<Shipping, ApiError> {
    Ok(Shipping {
        method: obj.string(fields, "method")?,
        carrier: obj.opt_string("carrier")?,
        price: obj.money(fields, "price")?,
    })
}

/// The required `method` of a payment.
pub fn payment_method(obj: &Obj<'_>, fields: &mut Fields) -> Result<PaymentMethod, ApiError> {
    obj.enumeration(
        fields,
        "method",
        names::parse_payment_method,
        names::PAYMENT_METHODS,
        PaymentMethod::Pix,
    )
}

/// The page size of a listing when `limit` is absent.
pub const DEFAULT_LIMIT: u32 = 50;

/// The largest page a listing answers.
pub const MAX_LIMIT: u32 = 200;

/// `limit` (1-[`MAX_LIMIT`], default [`DEFAULT_LIMIT`]) and `cursor` of a listing's query;
/// the other parameters are given to `other`, which records what it refuses in the fields.
/// Empty parameters count as absent; a repeated one keeps its last value.
pub fn page_query(
    raw: &str,
    mut other: impl FnMut(&str, &str, &mut Fields),
) -> Result<(u32, Option<String>), ApiError> {
    let (mut limit, mut cursor) = (DEFAULT_LIMIT, None);
    let mut fields = Fields::new();
    for (name, value) in form_urlencoded::parse(raw.as_bytes()) {
        let value = value.trim();
        if value.is_empty() {
            continue;
        }
        match name.as_ref() {
            "limit" => match value.parse::<u64>() {
                Ok(n) if (1..=u64::from(MAX_LIMIT)).contains(&n) => {
                    limit = u32::try_from(n).unwrap_or(MAX_LIMIT);
                }
                Ok(_) => fields.push(
                    "limit".to_owned(),
                    "out-of-range",
                    format!("limit must be from 1 to {MAX_LIMIT}"),
                ),
                Err(_) => return Err(ApiError::wrong_type("limit", "an integer")),
            },
            "cursor" => cursor = Some(value.to_owned()),
            name => other(name, value, &mut fields),
        }
    }
    fields.finish()?;
    Ok((limit, cursor))
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_whole_amount_written_with_a_zero_fraction_reads_exactly() {
        let read = read_object(br#"{"unitPrice": 1967934622059375.0}"#, |obj, fields| {
            obj.opt_money(fields, "unitPrice")
        });
        assert_eq!(read.ok(), Some(Some(1_967_934_622_059_375)));
    }

    use serde_json::json;

    use super::*;

    fn code(error: &ApiError) -> (u16, &'static str, Option<&Value>) {
        (error.status(), error.code(), error.details().get("field"))
    }

    #[test]
    fn a_body_that_is_not_json_is_400_malformed_json() {
        for body in [&b""[..], b"{", b"{\"a\":}", b"\xff\xfe", b"{} trailing"] {
            let error = parse_object(body).err();
            assert_eq!(
                error.map(|e| (e.status(), e.code())),
                Some((400, "malformed-json"))
            );
        }
    }

    #[test]
    fn a_body_that_is_json_but_not_an_object_is_400_wrong_type() {
        let error = parse_object(b"[1, 2]").err();
        assert_eq!(
            error.as_ref().map(code),
            Some((400, "wrong-type", Some(&json!(""))))
        );
    }

    #[test]
    fn nested_wrong_types_name_the_json_path() {
        let body = json!({"items": [{"quantity": 1}, {"quantity": "2"}]});
        let root = Obj::root(&body).ok();
        let items = root.and_then(|r| r.opt_objects("items").ok().flatten());
        let mut fields = Fields::new();
        let error = items.and_then(|items| items[1].u32(&mut fields, "quantity").err());
        assert_eq!(
            error.as_ref().map(code),
            Some((400, "wrong-type", Some(&json!("items[1].quantity"))))
        );
    }

    #[test]
    fn money_is_an_integer_and_fractions_are_wrong_types() {
        let body = json!({"a": 4990, "b": -5, "c": 49.9, "d": "4990", "e": 1e3, "f": u64::MAX,
                          "g": 4990.0, "h": 1e300});
        let Ok(root) = Obj::root(&body) else {
            panic!("an object")
        };
        let mut fields = Fields::new();
        assert_eq!(root.money(&mut fields, "a").ok(), Some(4990));
        assert_eq!(root.money(&mut fields, "b").ok(), Some(-5));
        // JSON Schema's integers: a zero fraction is the same number, when a double holds it.
        assert_eq!(root.money(&mut fields, "e").ok(), Some(1000));
        assert_eq!(root.money(&mut fields, "g").ok(), Some(4990));
        for name in ["c", "d", "h"] {
            let error = root.money(&mut fields, name).err();
            assert_eq!(error.map(|e| e.code()), Some("wrong-type"), "{name}");
        }
        assert!(root.money(&mut fields, "f").is_ok());
        let error = fields.finish().err();
        assert_eq!(
            error.map(|e| (e.status(), e.details().get("fields").cloned())),
            Some((
                422,
                Some(
                    json!([{"field": "f", "code": "out-of-range", "message": "f is too large for an amount"}])
                )
            ))
        );
    }

    #[test]
    fn missing_and_null_required_fields_are_collected_as_422() {
        let body = json!({"customer": {"name": null}, "items": []});
        let Ok(root) = Obj::root(&body) else {
            panic!("an object")
        };
        let mut fields = Fields::new();
        let customer = root.object(&mut fields, "customer").ok().flatten();
        let name = customer.map(|c| c.string(&mut fields, "name"));
        assert_eq!(name.and_then(Result::ok), Some(String::new()));
        assert!(root.object(&mut fields, "shippingAddress").is_ok());
        let method = root.enumeration(
            &mut fields,
            "method",
            names::parse_payment_method,
            names::PAYMENT_METHODS,
            PaymentMethod::Pix,
        );
        assert_eq!(method.ok(), Some(PaymentMethod::Pix));
        let error = fields.finish().err();
        let entries = error.as_ref().and_then(|e| e.details().get("fields"));
        let paths: Vec<&str> = entries
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(|e| e["field"].as_str()).collect())
            .unwrap_or_default();
        assert_eq!(paths, ["customer.name", "shippingAddress", "method"]);
    }

    #[test]
    fn counts_out_of_range_and_unknown_enum_names_are_422_entries() {
        let body = json!({"q": -1, "r": 4_294_967_296_u64, "m": "cash"});
        let Ok(root) = Obj::root(&body) else {
            panic!("an object")
        };
        let mut fields = Fields::new();
        assert!(root.u32(&mut fields, "q").is_ok());
        assert!(root.u32(&mut fields, "r").is_ok());
        let method = root.opt_enum(
            &mut fields,
            "m",
            names::parse_payment_method,
            names::PAYMENT_METHODS,
        );
        assert_eq!(method.ok(), Some(None));
        let error = fields.finish().err();
        let count = error
            .as_ref()
            .and_then(|e| e.details().get("fields"))
            .and_then(Value::as_array)
            .map(Vec::len);
        assert_eq!(count, Some(3));
    }
}
