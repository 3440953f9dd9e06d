//! The query string of an order listing (`GET /orders`, `GET /orders/export`, the back office's
//! orders page) into the WIT `query` record.
//!
//! `limit=abc` or `minTotal=1.5` is 400 `wrong-type` naming the parameter; an unknown `status`,
//! `sort` or `problems`, or a `limit` outside 1-200, is 422 with one entry per parameter. Values
//! the service judges (timestamps in `from`/`to`, the cursor) pass through. Empty parameters
//! count as absent; unknown parameters are ignored; a repeated parameter keeps its last value.

use crate::ApiError;
use crate::input::Fields;
use crate::names;
use crate::orders::{Query, Sort};

/// The page size when `limit` is absent.
pub const DEFAULT_LIMIT: u32 = 50;
/// The largest page size (`Limit` in openapi.yaml).
pub const MAX_LIMIT: u32 = 200;

/// Parses a raw query string (without `?`).
pub fn parse(raw: &str) -> Result<Query, ApiError> {
    let mut query = Query {
        status: None,
        q: None,
        sku: None,
        customer: None,
        channel: None,
        from: None,
        to: None,
        min_total: None,
        max_total: None,
        shipping_method: None,
        problems: false,
        sort: Sort::CreatedAtDesc,
        limit: DEFAULT_LIMIT,
        cursor: None,
    };
    let mut fields = Fields::new();
    for (name, value) in form_urlencoded::parse(raw.as_bytes()) {
        let value = value.trim();
        if value.is_empty() {
            continue;
        }
        let text = Some(value.to_owned());
        match name.as_ref() {
            "status" => match names::parse_order_status(value) {
                Some(status) => query.status = Some(status),
                None => unknown(&mut fields, "status", names::ORDER_STATUSES),
            },
            "q" => query.q = text,
            "sku" => query.sku = text,
            "customer" => query.customer = text,
            "channel" => query.channel = text,
            "from" => query.from = text,
            "to" => query.to = text,
            "minTotal" => query.min_total = Some(money("minTotal", value)?),
            "maxTotal" => query.max_total = Some(money("maxTotal", value)?),
            "shippingMethod" => query.shipping_method = text,
            "problems" => match value {
                "true" => query.problems = true,
                "false" => query.problems = false,
                _ => unknown(&mut fields, "problems", &["true", "false"]),
            },
            "sort" => match names::parse_sort(value) {
                Some(sort) => query.sort = sort,
                None => unknown(&mut fields, "sort", names::SORTS),
            },
            "limit" => match value.parse::<u64>() {
                Ok(limit) if (1..=u64::from(MAX_LIMIT)).contains(&limit) => {
                    query.limit = u32::try_from(limit).unwrap_or(MAX_LIMIT);
                }
                Ok(_) => fields.push(
                    "limit".to_owned(),
                    "out-of-range",
                    format!("limit must be from 1 to {MAX_LIMIT}"),
                ),
                Err(_) => return Err(ApiError::wrong_type("limit", "an integer")),
            },
            "cursor" => query.cursor = text,
            _ => {}
        }
    }
    fields.finish()?;
    Ok(query)
}

/// Records that `name` is not one of `accepted`.
pub fn unknown(fields: &mut Fields, name: &str, accepted: &[&str]) {
    fields.push(
        name.to_owned(),
        "unknown-value",
        format!("{name} must be one of: {}", accepted.join(", ")),
    );
}

fn money(name: &str, value: &str) -> Result<i64, ApiError> {
    value
        .parse::<i64>()
        .map_err(|_| ApiError::wrong_type(name, "an integer count of minor units"))
}

#[cfg(test)]
mod tests {
    use crate::types::OrderStatus;

    use super::*;

    fn query(raw: &str) -> Query {
        match parse(raw) {
            Ok(query) => query,
            Err(error) => panic!("{raw:?} refused: {error}"),
        }
    }

    fn refusal(raw: &str) -> Option<(u16, &'static str)> {
        parse(raw).err().map(|e| (e.status(), e.code()))
    }

    #[test]
    fn no_parameters_mean_the_newest_fifty() {
        let q = query("");
        assert_eq!(q.sort, Sort::CreatedAtDesc);
        assert_eq!(q.limit, 50);
        assert_eq!(q.status, None);
        assert_eq!(q.cursor, None);
    }

    #[test]
    fn every_filter_of_api_md_is_read() {
        let q = query(
            "status=payment-approved&q=Ana+Souza&sku=CAM-P-AZ&customer=ana%40example.com\
             &channel=storefront&from=2026-11-01T00:00:00Z&to=2026-12-01T00:00:00Z\
             &minTotal=1000&maxTotal=-5&shippingMethod=PAC&sort=-total&limit=200&cursor=abc",
        );
        assert_eq!(q.status, Some(OrderStatus::PaymentApproved));
        assert_eq!(q.q.as_deref(), Some("Ana Souza"));
        assert_eq!(q.sku.as_deref(), Some("CAM-P-AZ"));
        assert_eq!(q.customer.as_deref(), Some("ana@example.com"));
        assert_eq!(q.channel.as_deref(), Some("storefront"));
        assert_eq!(q.from.as_deref(), Some("2026-11-01T00:00:00Z"));
        assert_eq!(q.to.as_deref(), Some("2026-12-01T00:00:00Z"));
        assert_eq!((q.min_total, q.max_total), (Some(1000), Some(-5)));
        assert_eq!(q.shipping_method.as_deref(), Some("PAC"));
        assert_eq!(q.sort, Sort::TotalDesc);
        assert_eq!(q.limit, 200);
        assert_eq!(q.cursor.as_deref(), Some("abc"));
    }

    #[test]
    fn each_sort_of_api_md_is_accepted() {
        assert_eq!(query("sort=createdAt").sort, Sort::CreatedAtAsc);
        assert_eq!(query("sort=-createdAt").sort, Sort::CreatedAtDesc);
        assert_eq!(query("sort=total").sort, Sort::TotalAsc);
        assert_eq!(query("sort=-total").sort, Sort::TotalDesc);
    }

    #[test]
    fn wrong_types_are_400_and_bad_values_422() {
        assert_eq!(refusal("limit=ten"), Some((400, "wrong-type")));
        assert_eq!(refusal("minTotal=10.5"), Some((400, "wrong-type")));
        assert_eq!(refusal("limit=0"), Some((422, "validation-failed")));
        assert_eq!(refusal("limit=201"), Some((422, "validation-failed")));
        assert_eq!(refusal("status=paid"), Some((422, "validation-failed")));
        assert_eq!(refusal("sort=price"), Some((422, "validation-failed")));
        assert_eq!(refusal("problems=yes"), Some((422, "validation-failed")));
    }

    #[test]
    fn problems_narrows_the_list_to_the_orders_that_need_a_person() {
        assert!(query("problems=true").problems);
        assert!(!query("problems=false").problems);
        assert!(!query("").problems);
    }

    #[test]
    fn empty_and_unknown_parameters_are_ignored_and_garbage_never_panics() {
        assert_eq!(query("status=&page=3&&=&%ZZ=%FF"), query(""));
    }
}
