//! The orders list: a tab per status, every filter of `GET /orders` (dates as days in the
//! store's zone, totals in the currency's units), sorting, and pages by cursor.

use chrono::{NaiveDate, NaiveTime, TimeZone};
use http_common::export::Format;
use http_common::list_query;
use http_common::names;
use http_common::orders;
use http_common::types::Order;
use http_common::{ApiError, Reply};
use maud::{Markup, html};

use crate::i18n::{self, Lang};
use crate::pages::{layout, pending, service_error};
use crate::web::{self, Ctx, field};

/// Orders per page.
const PAGE: u32 = 25;

/// The filter form's fields, as typed.
struct Filters {
    form: Vec<(String, String)>,
}

impl Filters {
    fn get(&self, name: &str) -> &str {
        field(&self.form, name).trim()
    }

    /// The tab these filters are on.
    fn tab(&self) -> Tab<'_> {
        if self.get("problems") == "true" {
            Tab::Problems
        } else {
            match self.get("status") {
                "" => Tab::All,
                status => Tab::Status(status),
            }
        }
    }

    /// The link to `path` with these filters, on `tab`, at `cursor`.
    fn link(
        &self,
        path: &str,
        tab: Tab<'_>,
        cursor: Option<&str>,
        extra: &[(&str, &str)],
    ) -> String {
        let mut out = form_urlencoded::Serializer::new(String::new());
        for (k, v) in &self.form {
            if !["status", "problems", "cursor", "done", "format"].contains(&k.as_str())
                && !v.trim().is_empty()
            {
                out.append_pair(k, v.trim());
            }
        }
        match tab {
            Tab::All => {}
            Tab::Status(status) => {
                out.append_pair("status", status);
            }
            Tab::Problems => {
                out.append_pair("problems", "true");
            }
        }
        if let Some(cursor) = cursor {
            out.append_pair("cursor", cursor);
        }
        for (k, v) in extra {
            out.append_pair(k, v);
        }
        format!("{path}?{}", out.finish())
    }
}

/// A tab of the list: every order, one status, or the orders with problems.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tab<'a> {
    All,
    Status(&'a str),
    Problems,
}

/// A day typed in a date field (`2026-12-07`) as an instant of the store's zone: its start, or
/// the start of the next day for an `until` bound.
fn day_bound(ctx: &Ctx, text: &str, until: bool) -> Result<Option<String>, ()> {
    if text.is_empty() {
        return Ok(None);
    }
    let day = NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| ())?;
    let day = if until {
        day.succ_opt().ok_or(())?
    } else {
        day
    };
    let start = ctx
        .zone
        .from_local_datetime(&day.and_time(NaiveTime::MIN))
        .earliest()
        .ok_or(())?;
    Ok(Some(
        start
            .with_timezone(&chrono::Utc)
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    ))
}

/// An amount typed in units (`1.234,56` or `1234.56`) as minor units.
pub(crate) fn amount(text: &str) -> Result<Option<i64>, ()> {
    if text.is_empty() {
        return Ok(None);
    }
    let cleaned: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    // The last `,` or `.` followed by one or two digits is the decimal mark.
    let (units, cents) = match cleaned.rfind([',', '.']) {
        Some(at) if cleaned.len() - at - 1 <= 2 => (&cleaned[..at], &cleaned[at + 1..]),
        _ => (cleaned.as_str(), ""),
    };
    let units: String = units.chars().filter(|c| *c != '.' && *c != ',').collect();
    let units: i64 = if units.is_empty() {
        0
    } else {
        units.parse().map_err(|_| ())?
    };
    let cents: i64 = match cents.len() {
        0 => 0,
        1 => cents.parse::<i64>().map_err(|_| ())? * 10,
        _ => cents.parse().map_err(|_| ())?,
    };
    units
        .checked_mul(100)
        .and_then(|u| u.checked_add(cents))
        .map(Some)
        .ok_or(())
}

/// The service's query for the filters, or what is wrong with them.
fn query(ctx: &Ctx, f: &Filters) -> Result<orders::Query, String> {
    let l = ctx.lang;
    let mut api = form_urlencoded::Serializer::new(String::new());
    for name in [
        "status",
        "problems",
        "q",
        "sku",
        "customer",
        "channel",
        "shippingMethod",
        "sort",
        "cursor",
    ] {
        if !f.get(name).is_empty() {
            api.append_pair(name, f.get(name));
        }
    }
    let from = day_bound(ctx, f.get("from"), false).map_err(|()| {
        l.pick("Data inicial inválida.", "The start date is not a date.")
            .to_owned()
    })?;
    let to = day_bound(ctx, f.get("to"), true).map_err(|()| {
        l.pick("Data final inválida.", "The end date is not a date.")
            .to_owned()
    })?;
    let min = amount(f.get("minTotal")).map_err(|()| {
        l.pick(
            "Valor mínimo inválido.",
            "The minimum total is not an amount.",
        )
        .to_owned()
    })?;
    let max = amount(f.get("maxTotal")).map_err(|()| {
        l.pick(
            "Valor máximo inválido.",
            "The maximum total is not an amount.",
        )
        .to_owned()
    })?;
    if let Some(from) = from {
        api.append_pair("from", &from);
    }
    if let Some(to) = to {
        api.append_pair("to", &to);
    }
    if let Some(min) = min {
        api.append_pair("minTotal", &min.to_string());
    }
    if let Some(max) = max {
        api.append_pair("maxTotal", &max.to_string());
    }
    api.append_pair("limit", &PAGE.to_string());
    list_query::parse(&api.finish()).map_err(|e| e.message().to_owned())
}

/// The orders page.
pub(crate) fn page(ctx: &Ctx, raw_query: &str) -> Reply {
    let f = Filters {
        form: web::form(raw_query.as_bytes()),
    };
    let (listed, problem) = match query(ctx, &f) {
        Ok(query) => match orders::list(&query) {
            Ok(page) => (Some(page), None),
            Err(e) => return service_error(ctx, &ApiError::from_service(&e)),
        },
        Err(problem) => (None, Some(problem)),
    };
    let l = ctx.lang;
    let current = f.tab();
    // The tabs go without numbers when the store cannot count (the listing still works).
    let counts = orders::count().ok().flatten();
    let count_of = |tab: Tab<'_>| -> Option<u64> {
        let counts = counts.as_ref()?;
        Some(match tab {
            Tab::All => counts.statuses.iter().map(|(_, n)| n).sum(),
            Tab::Status(name) => counts
                .statuses
                .iter()
                .filter(|(s, _)| names::order_status(*s) == name)
                .map(|(_, n)| n)
                .sum(),
            Tab::Problems => counts.problems,
        })
    };
    let tab = |tab: Tab<'_>, label: &str| {
        html! {
            li { a href=(f.link("/admin/orders", tab, None, &[])) aria-current=[(current == tab).then_some("page")] {
                (label) @if let Some(n) = count_of(tab).filter(|n| *n > 0) { " " span.count { (n) } }
            } }
        }
    };
    let content = html! {
        @if f.get("done") == "reprocess" {
            p.notice role="status" { (l.pick("Pedido reprocessado.", "Order reprocessed.")) }
        }
        div.heading {
            h1 { (l.pick("Pedidos", "Orders")) }
            p.exports {
                a href=(f.link("/admin/orders/export", current, None, &[("format", "csv")])) download { (l.pick("Exportar CSV", "Export CSV")) }
                " · "
                a href=(f.link("/admin/orders/export", current, None, &[("format", "xml")])) download { (l.pick("Exportar XML", "Export XML")) }
            }
        }
        nav aria-label=(l.pick("Status", "Status")) {
            ul.tabs {
                (tab(Tab::All, l.pick("Todos", "All")))
                @for name in names::ORDER_STATUSES {
                    @if let Some(status) = names::parse_order_status(name) {
                        (tab(Tab::Status(name), i18n::status(l, status)))
                    }
                }
                (tab(Tab::Problems, l.pick("Pendentes", "Problems")))
            }
        }
        (filters(l, &f))
        @if let Some(problem) = &problem {
            p.error role="alert" { (problem) }
        }
        @if let Some(page) = &listed {
            @if page.items.is_empty() {
                p.muted { (l.pick("Nenhum pedido com estes filtros.", "No order matches these filters.")) }
            } @else if current == Tab::Problems {
                (pending::list(ctx, &page.items, &f.link("/admin/orders", current, None, &[])))
            } @else {
                (table(ctx, &page.items))
            }
            @if let Some(cursor) = &page.next_cursor {
                p.pager { a href=(f.link("/admin/orders", current, Some(cursor), &[])) rel="next" { (l.pick("Próxima página →", "Next page →")) } }
            }
        }
    };
    web::html(
        if problem.is_some() { 422 } else { 200 },
        layout(ctx, l.pick("Pedidos", "Orders"), content),
    )
}

/// `/admin/orders/export?format=csv|xml&...`: the orders of the list's filters and tab, as
/// the API's export writes them.
pub(crate) fn export(ctx: &Ctx, raw_query: &str) -> Reply {
    let f = Filters {
        form: web::form(raw_query.as_bytes()),
    };
    let format = match f.get("format") {
        "xml" => Format::Xml,
        _ => Format::Csv,
    };
    let query = match query(ctx, &f) {
        Ok(query) => query,
        Err(problem) => {
            return service_error(ctx, &ApiError::new(422, "validation-failed", problem));
        }
    };
    match http_common::export::export(query, format, orders::list) {
        Ok(reply) => reply.with_header("cache-control", "no-store"),
        Err(error) => service_error(ctx, &error),
    }
}

fn filters(l: Lang, f: &Filters) -> Markup {
    // Folded until a filter is set: on a phone the list comes first.
    let any = [
        "q",
        "customer",
        "sku",
        "channel",
        "shippingMethod",
        "from",
        "to",
        "minTotal",
        "maxTotal",
    ]
    .iter()
    .any(|name| !f.get(name).is_empty());
    html! {
        details.filters-box open[any] {
        summary { (l.pick("Filtros", "Filters")) }
        form.filters method="get" action="/admin/orders" role="search" {
            @if !f.get("status").is_empty() {
                input type="hidden" name="status" value=(f.get("status"));
            }
            @if f.get("problems") == "true" {
                input type="hidden" name="problems" value="true";
            }
            label { (l.pick("Busca", "Search")) input type="search" name="q" value=(f.get("q")) placeholder=(l.pick("número, cliente, documento…", "number, customer, document…")); }
            label { (l.pick("Cliente (e-mail ou documento)", "Customer (email or document)")) input name="customer" value=(f.get("customer")); }
            label { "SKU" input name="sku" value=(f.get("sku")); }
            label { (l.pick("Canal", "Channel")) input name="channel" value=(f.get("channel")); }
            label { (l.pick("Forma de envio", "Shipping method")) input name="shippingMethod" value=(f.get("shippingMethod")); }
            label { (l.pick("De", "From")) input type="date" name="from" value=(f.get("from")); }
            label { (l.pick("Até", "To")) input type="date" name="to" value=(f.get("to")); }
            label { (l.pick("Total mínimo", "Minimum total")) input inputmode="decimal" name="minTotal" value=(f.get("minTotal")); }
            label { (l.pick("Total máximo", "Maximum total")) input inputmode="decimal" name="maxTotal" value=(f.get("maxTotal")); }
            label {
                (l.pick("Ordem", "Sort"))
                select name="sort" {
                    @for (value, pt, en) in [("-createdAt", "Mais recentes", "Newest"), ("createdAt", "Mais antigos", "Oldest"), ("-total", "Maior total", "Highest total"), ("total", "Menor total", "Lowest total")] {
                        option value=(value) selected[f.get("sort") == value] { (l.pick(pt, en)) }
                    }
                }
            }
            button.primary type="submit" { (l.pick("Filtrar", "Filter")) }
        }
        }
    }
}

fn table(ctx: &Ctx, items: &[Order]) -> Markup {
    let l = ctx.lang;
    html! {
        table.orders {
            thead {
                tr {
                    th scope="col" { (l.pick("Pedido", "Order")) }
                    th scope="col" { (l.pick("Data", "Date")) }
                    th scope="col" { (l.pick("Cliente", "Customer")) }
                    th scope="col" { (l.pick("Canal", "Channel")) }
                    th scope="col" { "Status" }
                    th.num scope="col" { "Total" }
                }
            }
            tbody {
                @for order in items {
                    tr {
                        td data-label=(l.pick("Pedido", "Order")) { a href={ "/admin/orders/" (order.id) } { "#" (order.number) } }
                        td data-label=(l.pick("Data", "Date")) { (i18n::time(l, ctx.zone, &order.created_at)) }
                        td data-label=(l.pick("Cliente", "Customer")) { (order.customer.name) br; span.muted { (order.customer.email) } }
                        td data-label=(l.pick("Canal", "Channel")) { (order.channel) }
                        td data-label="Status" { (badge(l, order.status)) }
                        td.num data-label="Total" { (i18n::money(l, order.totals.total, &order.currency)) }
                    }
                }
            }
        }
    }
}

/// A status as a coloured badge (the colour is never the only cue: the name is written).
pub(crate) fn badge(l: Lang, status: http_common::types::OrderStatus) -> Markup {
    html! { span class={ "badge " (names::order_status(status)) } { (i18n::status(l, status)) } }
}

#[cfg(test)]
mod tests {
    use super::amount;

    #[test]
    fn amounts_are_read_in_either_language() {
        assert_eq!(amount(""), Ok(None));
        assert_eq!(amount("1.234,56"), Ok(Some(123_456)));
        assert_eq!(amount("1,234.56"), Ok(Some(123_456)));
        assert_eq!(amount("12,5"), Ok(Some(1_250)));
        assert_eq!(amount("100"), Ok(Some(10_000)));
        assert_eq!(amount("1.000"), Ok(Some(100_000)));
        assert_eq!(amount("abc"), Err(()));
    }
}
