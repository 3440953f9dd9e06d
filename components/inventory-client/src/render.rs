//! The interface's records as the JSON of openapi.yaml, and its errors as API errors.

use http_common::ApiError;
use http_common::names;
use serde_json::{Value, json};

use crate::inv;

pub fn stock(s: &inv::Stock) -> Value {
    json!({
        "sku": s.sku,
        "onHand": s.on_hand,
        "reserved": s.reserved,
        "available": s.available,
        "allowBackorders": s.allow_backorders,
        "safetyStock": s.safety_stock,
        "locations": s.locations.iter().map(|l| json!({
            "location": l.location,
            "onHand": l.on_hand,
            "reserved": l.reserved,
            "available": l.available,
            "erpUpdatedAt": l.erp_updated_at,
        })).collect::<Vec<_>>(),
        "version": s.version,
    })
}

pub fn movement(m: &inv::Movement) -> Value {
    json!({
        "number": m.number,
        "at": m.at,
        "location": m.location,
        "onHand": m.on_hand,
        "reserved": m.reserved,
        "reason": m.reason,
        "note": m.note,
        "orderId": m.order_id,
        "actor": names::actor(m.actor),
    })
}

/// A change: the SKU's stock after it, what moved, and, for a level older than the last
/// applied, `ignored` saying so.
pub fn changed(c: &inv::Changed) -> Value {
    let mut value = stock(&c.stock);
    value["movements"] = c.movements.iter().map(movement).collect();
    value["ignored"] = match &c.stale {
        Some(applied) => json!({
            "reason": "stale",
            "message": format!("a level sent at {applied} or later was applied already"),
            "appliedUpdatedAt": applied,
        }),
        None => Value::Null,
    };
    value
}

pub fn stock_page(p: &inv::StockPage) -> Value {
    json!({"items": p.items.iter().map(stock).collect::<Vec<_>>(), "nextCursor": p.next_cursor})
}

pub fn movement_page(p: &inv::MovementPage) -> Value {
    json!({"items": p.items.iter().map(movement).collect::<Vec<_>>(), "nextCursor": p.next_cursor})
}

/// The API error for a service error.
pub fn error(e: inv::Error) -> ApiError {
    match e {
        inv::Error::Invalid(fields) => ApiError::invalid(&fields),
        inv::Error::NotTracked => ApiError::new(
            404,
            "not-tracked",
            "no stock level was ever set for this SKU: it is not tracked",
        ),
        inv::Error::UnknownLocation(location) => ApiError::new(
            422,
            "unknown-location",
            "the SKU has no stock level at this location; set one first",
        )
        .with_detail("location", location),
        inv::Error::NegativeStock(on_hand) => ApiError::new(
            409,
            "negative-stock",
            "the change would leave less than nothing on hand",
        )
        .with_detail("onHand", on_hand),
        inv::Error::OutOfStock(short) => ApiError::out_of_stock(&short),
        inv::Error::BadCursor => ApiError::invalid(&[http_common::types::FieldError {
            field: "cursor".to_owned(),
            code: "bad-format".to_owned(),
            message: "cursor must be one this listing gave out".to_owned(),
        }]),
        inv::Error::Contention => ApiError::new(
            503,
            "contention",
            "the SKU kept changing under concurrent writes; retry",
        )
        .with_header("retry-after", "1"),
        inv::Error::StoreUnavailable(reason) => ApiError::new(
            503,
            "store-unavailable",
            "the key-value store is unavailable; retry later",
        )
        .with_detail("reason", reason.as_str())
        .with_header("retry-after", "5"),
    }
}
