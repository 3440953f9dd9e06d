//! The edit forms' fields into the service's records: a new schedule (times typed in the store's
//! zone) and the items of the next cycles' orders. What does not even parse is refused here, one
//! entry per field in the panel's language; the service judges the rest.

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, SecondsFormat, TimeZone, Utc};
use chrono_tz::Tz;
use http_common::ApiError;
use http_common::types::{FieldError, NewItem};
use subscriptions_client::render;
use subscriptions_client::subs::{Interval, Schedule, ScheduleEdit, Subscription};

use super::names::UNITS;
use crate::i18n::Lang;
use crate::pages::orders::amount;
use crate::web::{Ctx, field};

/// At most this many item rows are read from a form.
pub(super) const MAX_ROWS: usize = 50;

/// A refusal of one field.
pub(super) fn invalid(field: &str, code: &str, message: &str) -> ApiError {
    ApiError::invalid(&[FieldError {
        field: field.to_owned(),
        code: code.to_owned(),
        message: message.to_owned(),
    }])
}

/// An instant as a `datetime-local` field shows it in `zone` (`2026-12-07T09:30`).
pub(super) fn local_input(zone: Tz, rfc3339: &str) -> String {
    DateTime::parse_from_rfc3339(rfc3339).map_or_else(
        |_| String::new(),
        |at| at.with_timezone(&zone).format("%Y-%m-%dT%H:%M").to_string(),
    )
}

/// An instant's day in `zone`, as a `date` field shows it.
pub(super) fn local_date(zone: Tz, rfc3339: &str) -> String {
    DateTime::parse_from_rfc3339(rfc3339).map_or_else(
        |_| String::new(),
        |at| at.with_timezone(&zone).format("%Y-%m-%d").to_string(),
    )
}

fn utc(at: DateTime<Tz>) -> String {
    at.with_timezone(&Utc)
        .to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// A `datetime-local` value read in `zone`.
fn from_local_input(zone: Tz, text: &str) -> Option<String> {
    let local = NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M")
        .or_else(|_| NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S"))
        .ok()?;
    zone.from_local_datetime(&local).earliest().map(utc)
}

/// The last second of a `date` value's day in `zone`.
fn end_of_local_day(zone: Tz, text: &str) -> Option<String> {
    let next = NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()?
        .succ_opt()?;
    let start = zone
        .from_local_datetime(&next.and_time(NaiveTime::MIN))
        .earliest()?;
    Some(utc(start - chrono::TimeDelta::seconds(1)))
}

/// The schedule form's edit of `current`: `unit` (or `cron`), `every`, `cron`, `purchaseDay`,
/// `timezone`, `anchor` (the next charge), `maxCycles`, `endAt` (a day). A time left as the form
/// showed it keeps its exact value; an emptied optional field clears it.
pub(super) fn schedule(
    ctx: &Ctx,
    form: &[(String, String)],
    current: &Subscription,
) -> Result<ScheduleEdit, ApiError> {
    let l = ctx.lang;
    let text = |name: &str| field(form, name).trim();
    let mut problems = Vec::new();
    let mut problem = |field: &str, code: &str, pt: &'static str, en: &'static str| {
        problems.push(FieldError {
            field: field.to_owned(),
            code: code.to_owned(),
            message: l.pick(pt, en).to_owned(),
        });
    };
    let schedule = if text("unit") == "cron" {
        Some(Schedule::Cron(text("cron").to_owned())).filter(|_| !text("cron").is_empty())
    } else {
        let unit = UNITS.into_iter().find(|u| render::unit(*u) == text("unit"));
        let every = text("every").parse::<u32>().ok();
        unit.zip(every)
            .map(|(unit, every)| Schedule::Every(Interval { every, unit }))
    };
    if schedule.is_none() {
        problem(
            "schedule",
            "incomplete",
            "informe o intervalo (um número e a unidade) ou a expressão cron",
            "give the interval (a number and a unit) or the cron expression",
        );
    }
    let purchase_day = match text("purchaseDay") {
        "" => None,
        day => day.parse::<u8>().ok().or_else(|| {
            problem(
                "purchaseDay",
                "out-of-range",
                "um número de 1 a 31",
                "a number from 1 to 31",
            );
            None
        }),
    };
    let max_cycles = match text("maxCycles") {
        "" => None,
        max => max.parse::<u32>().ok().or_else(|| {
            problem(
                "maxCycles",
                "out-of-range",
                "um número inteiro",
                "a whole number",
            );
            None
        }),
    };
    let shown_next = current
        .next_run_at
        .as_deref()
        .map(|at| local_input(ctx.zone, at));
    let anchor = match text("anchor") {
        "" => None,
        typed if shown_next.as_deref() == Some(typed) => current.next_run_at.clone(),
        typed => from_local_input(ctx.zone, typed),
    };
    if anchor.is_none() {
        problem(
            "anchor",
            "not-a-date",
            "informe data e hora",
            "give a date and time",
        );
    }
    let shown_end = current.end_at.as_deref().map(|at| local_date(ctx.zone, at));
    let end_at = match text("endAt") {
        "" => None,
        typed if shown_end.as_deref() == Some(typed) => current.end_at.clone(),
        typed => end_of_local_day(ctx.zone, typed).or_else(|| {
            problem("endAt", "not-a-date", "informe uma data", "give a date");
            None
        }),
    };
    let timezone = Some(text("timezone").to_owned())
        .filter(|zone| !zone.is_empty())
        .unwrap_or_else(|| current.timezone.clone());
    match (schedule, anchor) {
        (Some(schedule), Some(anchor)) if problems.is_empty() => Ok(ScheduleEdit {
            schedule,
            purchase_day,
            timezone,
            anchor,
            end_at,
            max_cycles,
        }),
        _ => Err(ApiError::invalid(&problems)),
    }
}

/// The items form's rows (`sku.N`, `name.N`, `quantity.N`, `unitPrice.N`, `discount.N` for N
/// below `rows`): a row left blank or of quantity 0 is left out.
pub(super) fn items(l: Lang, form: &[(String, String)]) -> Result<Vec<NewItem>, ApiError> {
    let rows = field(form, "rows")
        .parse::<usize>()
        .unwrap_or(0)
        .min(MAX_ROWS);
    let mut items = Vec::new();
    let mut problems = Vec::new();
    for row in 0..rows {
        let text = |name: &str| field(form, &format!("{name}.{row}")).trim().to_owned();
        let (sku, name) = (text("sku"), text("name"));
        if sku.is_empty() && name.is_empty() {
            continue;
        }
        let mut problem = |name: &str, message: &str| {
            problems.push(FieldError {
                field: format!("items[{row}].{name}"),
                // Not `bad-format`, which the panel words generically: the message says what.
                code: "out-of-range".to_owned(),
                message: message.to_owned(),
            });
        };
        let quantity = text("quantity").parse::<u32>().ok();
        if quantity.is_none() {
            problem("quantity", l.pick("um número inteiro", "a whole number"));
        }
        let unit_price = amount(&text("unitPrice")).ok().flatten();
        if unit_price.is_none() {
            problem(
                "unitPrice",
                l.pick("um valor, como 49,90", "an amount, such as 49.90"),
            );
        }
        let discount = amount(&text("discount")).ok();
        if discount.is_none() {
            problem(
                "discount",
                l.pick("um valor, como 5,00", "an amount, such as 5.00"),
            );
        }
        if let (Some(quantity), Some(unit_price), Some(discount)) = (quantity, unit_price, discount)
            && quantity > 0
        {
            items.push(NewItem {
                sku,
                name,
                quantity,
                unit_price,
                discount: discount.unwrap_or(0),
            });
        }
    }
    if problems.is_empty() {
        Ok(items)
    } else {
        Err(ApiError::invalid(&problems))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn times_are_typed_in_the_stores_zone() {
        let zone: Tz = "America/Sao_Paulo".parse().unwrap_or(Tz::UTC);
        assert_eq!(
            local_input(zone, "2027-01-06T22:40:00Z"),
            "2027-01-06T19:40"
        );
        assert_eq!(
            from_local_input(zone, "2027-01-06T19:40").as_deref(),
            Some("2027-01-06T22:40:00Z")
        );
        assert_eq!(from_local_input(zone, "tomorrow"), None);
        assert_eq!(local_date(zone, "2027-01-01T02:00:00Z"), "2026-12-31");
        assert_eq!(
            end_of_local_day(zone, "2026-12-31").as_deref(),
            Some("2027-01-01T02:59:59Z")
        );
    }

    #[test]
    fn item_rows_left_blank_or_of_quantity_zero_are_left_out() {
        let typed = form(&[
            ("rows", "3"),
            ("sku.0", "CAF-1KG"),
            ("name.0", "Café 1 kg"),
            ("quantity.0", "3"),
            ("unitPrice.0", "49,90"),
            ("discount.0", ""),
            ("sku.1", "CHA-100G"),
            ("name.1", "Chá"),
            ("quantity.1", "0"),
            ("unitPrice.1", "12,00"),
            ("sku.2", ""),
            ("name.2", ""),
        ]);
        let read = items(Lang::Pt, &typed).map(|items| {
            items
                .into_iter()
                .map(|i| (i.sku, i.quantity, i.unit_price, i.discount))
                .collect::<Vec<_>>()
        });
        assert_eq!(read.ok(), Some(vec![("CAF-1KG".to_owned(), 3, 4990, 0)]));
        let bad = form(&[("rows", "1"), ("sku.0", "CAF-1KG"), ("quantity.0", "two")]);
        let refused = items(Lang::En, &bad).err();
        let fields = refused.map(|e| e.details()["fields"].as_array().map_or(0, Vec::len));
        assert_eq!(fields, Some(2), "the quantity and the price");
    }
}
