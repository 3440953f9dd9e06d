//! Request bodies and queries into the interface's records; what does not parse is a 422 naming
//! each field (the service checks what the domain knows: SKUs, locations, timestamps).

use http_common::ApiError;
use http_common::input::{page_query, read_object};

use crate::inv;

/// The query of `GET /inventory`.
pub(crate) fn list(raw: &str) -> Result<(inv::StockFilter, inv::PageRequest), ApiError> {
    let mut filter = inv::StockFilter {
        location: None,
        low_stock: false,
    };
    let (limit, cursor) = page_query(raw, |name, value, fields| match name {
        "location" => filter.location = Some(value.to_owned()),
        "lowStock" => match value {
            "true" => filter.low_stock = true,
            "false" => filter.low_stock = false,
            _ => fields.push(
                "lowStock".to_owned(),
                "bad-format",
                "lowStock must be true or false",
            ),
        },
        _ => {}
    })?;
    Ok((filter, inv::PageRequest { limit, cursor }))
}

/// The query of a ledger page.
pub(crate) fn page(raw: &str) -> Result<inv::PageRequest, ApiError> {
    let (limit, cursor) = page_query(raw, |_, _, _| {})?;
    Ok(inv::PageRequest { limit, cursor })
}

/// `PUT /inventory/{sku}/locations/{location}`: `{"onHand", "updatedAt"?}`.
pub(crate) fn level(sku: String, location: String, body: &[u8]) -> Result<inv::NewLevel, ApiError> {
    read_object(body, |obj, fields| {
        let on_hand = obj.u32(fields, "onHand")?;
        let updated_at = obj.opt_string("updatedAt")?;
        Ok(inv::NewLevel {
            sku,
            location,
            on_hand: i64::from(on_hand),
            updated_at,
        })
    })
}

/// `POST /inventory/adjustments`: `{"sku", "location", "delta", "reason"}`.
pub(crate) fn adjustment(body: &[u8]) -> Result<inv::Adjustment, ApiError> {
    read_object(body, |obj, fields| {
        let sku = obj.string(fields, "sku")?;
        let location = obj.string(fields, "location")?;
        let delta = obj.opt_i64(fields, "delta")?;
        if delta.is_none() {
            fields.push("delta".to_owned(), "required", "delta is required");
        }
        if delta == Some(0) {
            fields.push(
                "delta".to_owned(),
                "out-of-range",
                "delta must not be 0: an adjustment changes on hand",
            );
        }
        let reason = obj.string(fields, "reason")?;
        Ok(inv::Adjustment {
            sku,
            location,
            delta: delta.unwrap_or_default(),
            reason,
        })
    })
}

/// `PATCH /inventory/{sku}`: `{"allowBackorders"?, "safetyStock"?}`.
pub(crate) fn settings(sku: String, body: &[u8]) -> Result<inv::Settings, ApiError> {
    read_object(body, |obj, fields| {
        Ok(inv::Settings {
            sku,
            allow_backorders: obj.opt_bool("allowBackorders")?,
            safety_stock: obj.opt_u32(fields, "safetyStock")?,
        })
    })
}
