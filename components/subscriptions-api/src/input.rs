//! Request bodies and query strings into the WIT records of `orderflow:core/subscriptions`.
//!
//! Shape and types are checked here, with http-common's readers (400 `wrong-type` naming the
//! field; missing required fields, unknown enum names and out-of-range integers as 422 entries);
//! values (time zones, cron expressions, timestamps, emails, ids) are the service's to judge.
//! A schedule is `{"every": N, "unit": "day|week|month|year"}` or `{"cron": "..."}`.

use http_common::ApiError;
use http_common::input::{
    Fields, Obj, address, customer, new_item, optional_object, order_parts, parse_object,
    payment_method, read_object, shipping,
};
use serde_json::Value;

use crate::subs::{
    Command, Filter, Interval, NewPlan, NewSubscription, NewTestClock, OrderEdit, PageRequest,
    PassShard, Schedule, ScheduleEdit, Subscription, SubscriptionStatus, Unit,
};

const UNITS: &[&str] = &["day", "week", "month", "year"];
const STATUSES: &[&str] = &["active", "paused", "canceled", "finished"];

fn parse_unit(text: &str) -> Option<Unit> {
    match text {
        "day" => Some(Unit::Day),
        "week" => Some(Unit::Week),
        "month" => Some(Unit::Month),
        "year" => Some(Unit::Year),
        _ => None,
    }
}

fn parse_status(text: &str) -> Option<SubscriptionStatus> {
    match text {
        "active" => Some(SubscriptionStatus::Active),
        "paused" => Some(SubscriptionStatus::Paused),
        "canceled" => Some(SubscriptionStatus::Canceled),
        "finished" => Some(SubscriptionStatus::Finished),
        _ => None,
    }
}

/// A schedule object (`{every, unit}` or `{cron}`); `None` after recording what is wrong.
fn schedule(obj: &Obj<'_>, fields: &mut Fields) -> Result<Option<Schedule>, ApiError> {
    let cron = obj.opt_string("cron")?;
    let every = obj.opt_u32(fields, "every")?;
    let unit = obj.opt_enum(fields, "unit", parse_unit, UNITS)?;
    let path = obj.path("");
    let path = path.trim_end_matches('.');
    match (cron, every, unit) {
        (Some(cron), None, None) => Ok(Some(Schedule::Cron(cron))),
        (None, Some(every), Some(unit)) => Ok(Some(Schedule::Every(Interval { every, unit }))),
        (Some(_), _, _) => {
            fields.push(
                path.to_owned(),
                "ambiguous",
                format!("{path} is either {{cron}} or {{every, unit}}, not both"),
            );
            Ok(None)
        }
        (None, every, unit) => {
            // An unknown unit is already recorded; name what is missing.
            if every.is_none() {
                fields.push(
                    obj.path("every"),
                    "required",
                    format!("{} is required (or give `cron`)", obj.path("every")),
                );
            }
            if unit.is_none() && obj.opt_string("unit")?.is_none() {
                fields.push(
                    obj.path("unit"),
                    "required",
                    format!("{} is required (or give `cron`)", obj.path("unit")),
                );
            }
            Ok(None)
        }
    }
}

/// An optional small integer (purchase day): out of `0..=255` is a 422 entry.
fn opt_u8(obj: &Obj<'_>, fields: &mut Fields, name: &str) -> Result<Option<u8>, ApiError> {
    let Some(value) = obj.opt_u32(fields, name)? else {
        return Ok(None);
    };
    match u8::try_from(value) {
        Ok(value) => Ok(Some(value)),
        Err(_) => {
            let path = obj.path(name);
            let message = format!("{path} must be a day of the month (1-31) or a weekday (1-7)");
            fields.push(path, "out-of-range", message);
            Ok(None)
        }
    }
}

/// `POST /plans`.
pub(crate) fn new_plan(body: &[u8]) -> Result<NewPlan, ApiError> {
    let plan = read_object(body, |root, fields| {
        let id = root.opt_string("id")?;
        let name = root.string(fields, "name")?;
        let schedule = root.object_with(fields, "schedule", schedule)?.flatten();
        let purchase_day = opt_u8(root, fields, "purchaseDay")?;
        let timezone = root.string(fields, "timezone")?;
        let max_cycles = root.opt_u32(fields, "maxCycles")?;
        Ok(schedule.map(|schedule| NewPlan {
            id,
            name,
            schedule,
            purchase_day,
            timezone,
            max_cycles,
        }))
    })?;
    // `read_object` has already refused a plan without a schedule.
    plan.ok_or_else(|| ApiError::invalid(&[]))
}

/// `POST /subscriptions`: openapi.yaml's `NewSubscription`, a subscription without its computed
/// fields. With `planId`, an absent schedule, purchase day, time zone and maximum cycles come from
/// the plan.
pub(crate) fn new_subscription(body: &[u8]) -> Result<NewSubscription, ApiError> {
    let subscription = read_object(body, |root, fields| {
        let id = root.opt_string("id")?;
        let plan_id = root.opt_string("planId")?;
        let schedule = root
            .opt_object_with(fields, "schedule", schedule)?
            .flatten();
        let purchase_day = opt_u8(root, fields, "purchaseDay")?;
        let timezone = root.opt_string("timezone")?;
        let start_at = root.string(fields, "startAt")?;
        let end_at = root.opt_string("endAt")?;
        let max_cycles = root.opt_u32(fields, "maxCycles")?;
        let channel = root.opt_string("channel")?;
        let currency = root.opt_string("currency")?;
        let parts = order_parts(root, fields)?;
        let payment_method = root.object_with(fields, "payment", payment_method)?;
        let test_clock = root.opt_string("testClock")?;
        if plan_id.is_none() && root.opt_object("schedule")?.is_none() {
            fields.push(
                "schedule".to_owned(),
                "required",
                "schedule is required unless planId names a plan",
            );
        }
        Ok(parts
            .zip(payment_method)
            .map(|(parts, payment_method)| NewSubscription {
                id,
                plan_id,
                schedule,
                purchase_day,
                timezone,
                start_at,
                end_at,
                max_cycles,
                channel,
                currency,
                customer: parts.customer,
                shipping_address: parts.shipping_address,
                billing_address: parts.billing_address,
                items: parts.items,
                shipping: parts.shipping,
                payment_method,
                test_clock,
            }))
    })?;
    // `read_object` has already refused a body without one of the required parts.
    subscription.ok_or_else(|| ApiError::invalid(&[]))
}

/// `POST /test-clocks`: `{"frozenTime", "name"?, "id"?}`.
pub(crate) fn new_test_clock(body: &[u8]) -> Result<NewTestClock, ApiError> {
    read_object(body, |root, fields| {
        Ok(NewTestClock {
            id: root.opt_string("id")?,
            name: root.opt_string("name")?,
            frozen_time: root.string(fields, "frozenTime")?,
        })
    })
}

/// `POST /test-clocks/{id}/advance`: `{"frozenTime"}`.
pub(crate) fn advance(body: &[u8]) -> Result<String, ApiError> {
    read_object(body, |root, fields| root.string(fields, "frozenTime"))
}

/// The optional `{"reason": "..."}` of pause and cancel.
pub(crate) fn reason(body: &[u8]) -> Result<Option<String>, ApiError> {
    match optional_object(body)? {
        Some(value) => Obj::root(&value)?.opt_string("reason"),
        None => Ok(None),
    }
}

/// The body of resume and skip: nothing, or a JSON object (ignored).
pub(crate) fn nothing(body: &[u8]) -> Result<(), ApiError> {
    optional_object(body).map(|_| ())
}

/// The body of `POST /subscriptions/run`: nothing, or a JSON object without `now`. A pass runs
/// live data at the host clock only; `now` (which used to move every live subscription and
/// order to another instant) is refused with a pointer to test clocks, rather than ignored, so
/// that a caller relying on it learns that it no longer moves time.
pub(crate) fn run(body: &[u8]) -> Result<(), ApiError> {
    let Some(value) = optional_object(body)? else {
        return Ok(());
    };
    if value.get("now").is_some() {
        return Err(ApiError::new(
            422,
            "test-clock-required",
            "a pass runs live subscriptions at the host clock only; to see the future, create a \
             test clock (POST /test-clocks), create subscriptions on it (testClock) and advance it",
        )
        .with_detail("field", "now"));
    }
    Ok(())
}

/// The body of `POST /subscriptions/run/shard`: `{"now", "index", "count"}`, all required.
pub(crate) fn run_shard(body: &[u8]) -> Result<(String, PassShard), ApiError> {
    read_object(body, |obj, fields| {
        let now = obj.string(fields, "now")?;
        let index = obj.u32(fields, "index")?;
        let count = obj.u32(fields, "count")?;
        Ok((now, PassShard { index, count }))
    })
}

const ORDER_PARTS: &[&str] = &[
    "customer",
    "shippingAddress",
    "billingAddress",
    "items",
    "shipping",
    "payment",
];
const SCHEDULE_PARTS: &[&str] = &[
    "schedule",
    "purchaseDay",
    "timezone",
    "anchor",
    "endAt",
    "maxCycles",
];

/// `PATCH /subscriptions/{id}`: either the next orders' parts (`customer`, `shippingAddress`,
/// `billingAddress`, `items`, `shipping`, `payment`; absent parts stay) or the schedule
/// (`schedule`, `purchaseDay`, `timezone`, `anchor`, `endAt`, `maxCycles`), not both in one
/// request. A schedule edit starts at `anchor`, by default the subscription's next run; its
/// absent fields keep the current values and `null` clears `purchaseDay`, `endAt`, `maxCycles`.
pub(crate) fn edit(body: &[u8], current: &Subscription) -> Result<Command, ApiError> {
    let value = parse_object(body)?;
    let root = Obj::root(&value)?;
    let has = |names: &[&str]| names.iter().any(|name| value.get(*name).is_some());
    match (has(ORDER_PARTS), has(SCHEDULE_PARTS)) {
        (true, true) => Err(ApiError::new(
            422,
            "mixed-edit",
            "send schedule changes and order changes (items, addresses, shipping, payment) in separate requests",
        )),
        (false, false) => Err(ApiError::new(
            422,
            "empty-command",
            "the request changes nothing; send items, addresses, shipping, payment or schedule fields",
        )),
        (true, false) => order_edit(&root).map(Command::EditOrder),
        (false, true) => schedule_edit(&value, &root, current).map(Command::EditSchedule),
    }
}

fn order_edit(root: &Obj<'_>) -> Result<OrderEdit, ApiError> {
    let mut fields = Fields::new();
    let edit = OrderEdit {
        customer: root.opt_object_with(&mut fields, "customer", customer)?,
        shipping_address: root.opt_object_with(&mut fields, "shippingAddress", address)?,
        billing_address: root.opt_object_with(&mut fields, "billingAddress", address)?,
        items: root.opt_objects_with(&mut fields, "items", new_item)?,
        shipping: root.opt_object_with(&mut fields, "shipping", shipping)?,
        payment_method: root.opt_object_with(&mut fields, "payment", payment_method)?,
    };
    fields.finish()?;
    Ok(edit)
}

fn schedule_edit(
    value: &Value,
    root: &Obj<'_>,
    current: &Subscription,
) -> Result<ScheduleEdit, ApiError> {
    let mut fields = Fields::new();
    let cleared = |name: &str| value.get(name).is_some_and(Value::is_null);
    let schedule = match root.opt_object("schedule")? {
        Some(obj) => schedule(&obj, &mut fields)?,
        None => Some(current.schedule.clone()),
    };
    let purchase_day = match opt_u8(root, &mut fields, "purchaseDay")? {
        Some(day) => Some(day),
        None if cleared("purchaseDay") => None,
        None => current.purchase_day,
    };
    let timezone = root
        .opt_string("timezone")?
        .unwrap_or_else(|| current.timezone.clone());
    let anchor = match root.opt_string("anchor")? {
        Some(anchor) => anchor,
        None => current.next_run_at.clone().unwrap_or_else(|| {
            fields.push(
                "anchor".to_owned(),
                "required",
                "anchor is required: the subscription has no next run to start from",
            );
            String::new()
        }),
    };
    let end_at = match root.opt_string("endAt")? {
        Some(end) => Some(end),
        None if cleared("endAt") => None,
        None => current.end_at.clone(),
    };
    let max_cycles = match root.opt_u32(&mut fields, "maxCycles")? {
        Some(max) => Some(max),
        None if cleared("maxCycles") => None,
        None => current.max_cycles,
    };
    fields.finish()?;
    let schedule = schedule.ok_or_else(|| ApiError::invalid(&[]))?;
    Ok(ScheduleEdit {
        schedule,
        purchase_day,
        timezone,
        anchor,
        end_at,
        max_cycles,
    })
}

/// `limit` and `cursor` of a listing (`http_common::input::page_query`); the other parameters
/// are given to `other`.
fn page_and(
    raw: &str,
    other: impl FnMut(&str, &str, &mut Fields),
) -> Result<PageRequest, ApiError> {
    let (limit, cursor) = http_common::input::page_query(raw, other)?;
    Ok(PageRequest { limit, cursor })
}

/// The query of `GET /plans` and `GET /subscriptions/{id}/cycles`.
pub(crate) fn page(raw: &str) -> Result<PageRequest, ApiError> {
    page_and(raw, |_, _, _| {})
}

/// The query of `GET /subscriptions`: at most one of `status`, `customer` (id or email),
/// `dueBefore` (RFC 3339), plus `limit` and `cursor`.
pub(crate) fn list(raw: &str) -> Result<(Filter, PageRequest), ApiError> {
    let (mut status, mut customer, mut due_before) = (None, None, None);
    let page = page_and(raw, |name, value, fields| match name {
        "status" => match parse_status(value) {
            Some(parsed) => status = Some(Filter::Status(parsed)),
            None => fields.push(
                "status".to_owned(),
                "unknown-value",
                format!("status must be one of: {}", STATUSES.join(", ")),
            ),
        },
        "customer" => customer = Some(Filter::Customer(value.to_owned())),
        "dueBefore" => due_before = Some(Filter::DueBefore(value.to_owned())),
        _ => {}
    })?;
    let given: Vec<(&str, Filter)> = [
        ("status", status),
        ("customer", customer),
        ("dueBefore", due_before),
    ]
    .into_iter()
    .filter_map(|(name, filter)| filter.map(|filter| (name, filter)))
    .collect();
    match <[_; 1]>::try_from(given) {
        Ok([(_, filter)]) => Ok((filter, page)),
        Err(given) if given.is_empty() => Ok((Filter::All, page)),
        Err(given) => Err(ApiError::new(
            422,
            "one-filter-at-a-time",
            "filter by one of status, customer or dueBefore per request",
        )
        .with_detail(
            "filters",
            given.iter().map(|(name, _)| *name).collect::<Vec<_>>(),
        )),
    }
}

/// The `repair` parameter of `POST /subscriptions/check`: `true` or `false` (the default).
pub(crate) fn repair(raw: &str) -> Result<bool, ApiError> {
    let mut repair = false;
    page_and(raw, |name, value, fields| {
        if name == "repair" {
            match value {
                "true" => repair = true,
                "false" => repair = false,
                _ => fields.push(
                    "repair".to_owned(),
                    "unknown-value",
                    "repair must be one of: true, false",
                ),
            }
        }
    })?;
    Ok(repair)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use http_common::types::PaymentMethod;

    fn refusal<T>(result: Result<T, ApiError>) -> Option<(u16, &'static str)> {
        result.err().map(|e| (e.status(), e.code()))
    }

    fn subscription_body() -> Value {
        json!({
            "schedule": {"every": 1, "unit": "month"}, "timezone": "America/Sao_Paulo",
            "startAt": "2028-01-31T15:00:00Z",
            "customer": {"name": "Ana Souza", "email": "ana@example.com"},
            "shippingAddress": {"street": "Rua A", "number": "10", "city": "São Paulo",
                                "state": "SP", "postalCode": "01001000"},
            "items": [{"sku": "CAF-1KG", "name": "Café", "quantity": 2, "unitPrice": 4990}],
            "shipping": {"method": "PAC", "price": 1500},
            "payment": {"method": "boleto"}
        })
    }

    #[test]
    fn a_subscription_of_api_md_parses_into_the_wit_record() {
        let parsed = new_subscription(subscription_body().to_string().as_bytes());
        let Ok(sub) = parsed else {
            panic!("refused: {parsed:?}")
        };
        assert_eq!(
            sub.schedule,
            Some(Schedule::Every(Interval {
                every: 1,
                unit: Unit::Month
            }))
        );
        assert_eq!(sub.payment_method, PaymentMethod::Boleto);
        assert_eq!(sub.items[0].unit_price, 4990);
        assert_eq!(sub.shipping_address.country, "BRA");
        assert_eq!(sub.plan_id, None);
    }

    #[test]
    fn a_schedule_is_every_and_unit_or_cron_never_both() {
        let with = |schedule: Value| {
            let mut body = subscription_body();
            body["schedule"] = schedule;
            new_subscription(body.to_string().as_bytes())
        };
        assert!(matches!(
            with(json!({"cron": "0 0 12 * * *"})).map(|s| s.schedule),
            Ok(Some(Schedule::Cron(_)))
        ));
        for bad in [
            json!({"every": 1, "unit": "day", "cron": "0 0 12 * * *"}),
            json!({"every": 1}),
            json!({"unit": "week"}),
            json!({"every": 1, "unit": "fortnight"}),
            json!({}),
        ] {
            assert_eq!(
                refusal(with(bad.clone())),
                Some((422, "validation-failed")),
                "{bad}"
            );
        }
        assert_eq!(
            refusal(with(json!({"every": "1", "unit": "day"}))),
            Some((400, "wrong-type"))
        );
    }

    #[test]
    fn without_a_plan_the_schedule_is_required() {
        let mut body = subscription_body();
        if let Some(fields) = body.as_object_mut() {
            fields.remove("schedule");
        }
        assert_eq!(
            refusal(new_subscription(body.to_string().as_bytes())),
            Some((422, "validation-failed"))
        );
        body["planId"] = json!("p-1");
        assert!(new_subscription(body.to_string().as_bytes()).is_ok());
    }

    #[test]
    fn optional_bodies_are_empty_or_an_object() {
        assert_eq!(reason(b"").ok(), Some(None));
        assert_eq!(reason(b" \n").ok(), Some(None));
        assert_eq!(
            reason(br#"{"reason": "vacation"}"#).ok(),
            Some(Some("vacation".to_owned()))
        );
        assert_eq!(refusal(reason(b"[]")), Some((400, "wrong-type")));
        assert_eq!(refusal(nothing(b"{")), Some((400, "malformed-json")));
        assert_eq!(run(b"").ok(), Some(()));
        assert_eq!(run(b"{}").ok(), Some(()));
        for body in [&br#"{"now": "2028-01-31T15:00:00Z"}"#[..], br#"{"now": 1}"#] {
            assert_eq!(refusal(run(body)), Some((422, "test-clock-required")));
        }
        assert_eq!(
            new_test_clock(br#"{"frozenTime": "2028-01-01T00:00:00Z", "name": "n"}"#)
                .ok()
                .map(|c| (c.frozen_time, c.name)),
            Some(("2028-01-01T00:00:00Z".to_owned(), Some("n".to_owned())))
        );
        assert_eq!(refusal(advance(b"{}")), Some((422, "validation-failed")));
        assert_eq!(
            refusal(advance(br#"{"frozenTime": 1}"#)),
            Some((400, "wrong-type"))
        );
    }

    #[test]
    fn a_listing_takes_one_filter_and_a_page() {
        let Ok((filter, page)) = list("status=paused&limit=10&cursor=abc") else {
            panic!("refused")
        };
        assert_eq!(filter, Filter::Status(SubscriptionStatus::Paused));
        assert_eq!((page.limit, page.cursor.as_deref()), (10, Some("abc")));
        assert_eq!(
            list("").ok().map(|(f, p)| (f, p.limit)),
            Some((Filter::All, 50))
        );
        assert_eq!(
            list("customer=a&customer=b").ok().map(|(f, _)| f),
            Some(Filter::Customer("b".to_owned()))
        );
        assert_eq!(
            refusal(list("status=paused&dueBefore=2028-01-01T00:00:00Z")),
            Some((422, "one-filter-at-a-time"))
        );
        assert_eq!(refusal(list("limit=201")), Some((422, "validation-failed")));
        assert_eq!(refusal(list("limit=x")), Some((400, "wrong-type")));
        assert_eq!(
            refusal(list("status=late")),
            Some((422, "validation-failed"))
        );
        assert_eq!(repair("repair=true").ok(), Some(true));
        assert_eq!(
            refusal(repair("repair=yes")),
            Some((422, "validation-failed"))
        );
    }
}

#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::{list, new_subscription};
    use crate::route;
    use http_common::input::MAX_LIMIT;

    proptest! {
        #[test]
        fn any_query_string_is_parsed_or_refused_with_400_or_422(raw in "[a-zA-Z=&%0-9+._~:-]{0,64}|.{0,64}") {
            match list(&raw) {
                Ok((_, page)) => prop_assert!((1..=MAX_LIMIT).contains(&page.limit)),
                Err(error) => prop_assert!(error.status() == 400 || error.status() == 422, "{error}"),
            }
        }

        #[test]
        fn any_body_is_parsed_or_refused_with_400_or_422(body in proptest::collection::vec(any::<u8>(), 0..128)) {
            if let Err(error) = new_subscription(&body) {
                prop_assert!(error.status() == 400 || error.status() == 422, "{error}");
            }
        }

        #[test]
        fn any_path_routes_or_is_not_found_without_panicking(path in "(/subscriptions|/plans)?(/[a-zA-Z0-9%._~-]{0,8}){0,3}|.{0,32}") {
            let _ = route::parse(&path);
        }
    }
}
