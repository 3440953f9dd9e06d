//! The dashboard and the list: the service's counters, a tab per status, the other filters of
//! `GET /subscriptions` (a customer, or a due day), one at a time as the service takes them, and
//! pages by cursor.

use chrono::{NaiveDate, NaiveTime, SecondsFormat, TimeZone, Utc};
use http_common::Reply;
use maud::{Markup, html};
use subscriptions_client::render;
use subscriptions_client::subs::{
    self, Filter, PageRequest, Stats, Subscription, SubscriptionStatus,
};

use super::names::{self, STATUSES};
use super::{error, href, section_nav};
use crate::i18n::{self, Lang};
use crate::pages::{layout, service_error};
use crate::web::{self, Ctx, field};

/// Subscriptions per page.
const PAGE: u32 = 25;

/// The filters as typed: `status`, `customer`, `dueBefore` (a day), and the page's `cursor`.
struct Filters {
    form: Vec<(String, String)>,
}

impl Filters {
    fn get(&self, name: &str) -> &str {
        field(&self.form, name).trim()
    }

    /// This list from `cursor` on.
    fn link(&self, cursor: &str) -> String {
        let mut out = form_urlencoded::Serializer::new(String::new());
        for name in ["status", "customer", "dueBefore"] {
            if !self.get(name).is_empty() {
                out.append_pair(name, self.get(name));
            }
        }
        out.append_pair("cursor", cursor);
        format!("/admin/subscriptions?{}", out.finish())
    }
}

/// A tab's link: the status alone (a tab replaces the other filters).
fn tab_link(status: Option<&str>) -> String {
    match status {
        Some(status) => format!("/admin/subscriptions?status={status}"),
        None => "/admin/subscriptions".to_owned(),
    }
}

/// The start of the day after `text` (`2026-12-07`) in the store's zone: "due by that day".
fn end_of_day(ctx: &Ctx, text: &str) -> Option<String> {
    let day = NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()?
        .succ_opt()?;
    let start = ctx
        .zone
        .from_local_datetime(&day.and_time(NaiveTime::MIN))
        .earliest()?;
    Some(
        start
            .with_timezone(&Utc)
            .to_rfc3339_opts(SecondsFormat::Secs, true),
    )
}

/// The service's filter, or what is wrong with the typed ones.
fn filter(ctx: &Ctx, f: &Filters) -> Result<Filter, &'static str> {
    let l = ctx.lang;
    let mut given = Vec::new();
    if !f.get("status").is_empty() {
        let status = STATUSES
            .into_iter()
            .find(|s| render::status(*s) == f.get("status"))
            .ok_or_else(|| l.pick("Status desconhecido.", "Unknown status."))?;
        given.push(Filter::Status(status));
    }
    if !f.get("customer").is_empty() {
        given.push(Filter::Customer(f.get("customer").to_owned()));
    }
    if !f.get("dueBefore").is_empty() {
        let before = end_of_day(ctx, f.get("dueBefore"))
            .ok_or_else(|| l.pick("Data de cobrança inválida.", "The due date is not a date."))?;
        given.push(Filter::DueBefore(before));
    }
    match given.len() {
        0 => Ok(Filter::All),
        1 => Ok(given.remove(0)),
        _ => Err(l.pick(
            "Filtre por um critério de cada vez: status, cliente ou data de cobrança.",
            "Filter by one thing at a time: status, customer or due date.",
        )),
    }
}

/// The dashboard and the list.
pub(super) fn page(ctx: &Ctx, raw_query: &str) -> Reply {
    let f = Filters {
        form: web::form(raw_query.as_bytes()),
    };
    let stats = match subs::get_stats() {
        Ok(stats) => stats,
        Err(e) => return service_error(ctx, &error::from_service(&e)),
    };
    let (listed, problem) = match filter(ctx, &f) {
        Ok(filter) => {
            let cursor = Some(f.get("cursor").to_owned()).filter(|c| !c.is_empty());
            match subs::list(
                &filter,
                &PageRequest {
                    limit: PAGE,
                    cursor,
                },
            ) {
                Ok(page) => (Some(page), None),
                Err(e) => return service_error(ctx, &error::from_service(&e)),
            }
        }
        Err(problem) => (None, Some(problem)),
    };
    let l = ctx.lang;
    let current = f.get("status");
    let content = html! {
        h1 { (l.pick("Assinaturas", "Subscriptions")) }
        (section_nav(l, false))
        (dashboard(l, &stats))
        h2 #list { (l.pick("Lista", "List")) }
        nav aria-label=(l.pick("Status", "Status")) {
            ul.tabs {
                li { a href=(tab_link(None)) aria-current=[current.is_empty().then_some("page")] { (l.pick("Todas", "All")) } }
                @for status in STATUSES {
                    @let name = render::status(status);
                    li { a href=(tab_link(Some(name))) aria-current=[(current == name).then_some("page")] {
                        (names::plural(l, status)) " " span.count { (count(&stats, status)) }
                    } }
                }
            }
        }
        (filters(l, &f))
        @if let Some(problem) = problem {
            p.error role="alert" { (problem) }
        }
        @if let Some(page) = &listed {
            @if page.items.is_empty() {
                p.muted { (l.pick("Nenhuma assinatura com estes filtros.", "No subscription matches these filters.")) }
            } @else {
                (table(ctx, &page.items))
            }
            @if let Some(cursor) = &page.next_cursor {
                p.pager { a href=(f.link(cursor)) rel="next" { (l.pick("Próxima página →", "Next page →")) } }
            }
        }
    };
    web::html(
        if problem.is_some() { 422 } else { 200 },
        layout(ctx, l.pick("Assinaturas", "Subscriptions"), content),
    )
}

/// The counter of a status.
fn count(stats: &Stats, status: SubscriptionStatus) -> i64 {
    match status {
        SubscriptionStatus::Active => stats.active,
        SubscriptionStatus::Paused => stats.paused,
        SubscriptionStatus::Canceled => stats.canceled,
        SubscriptionStatus::Finished => stats.finished,
    }
}

/// The service's counters.
fn dashboard(l: Lang, stats: &Stats) -> Markup {
    html! {
        section aria-label=(l.pick("Resumo", "Summary")) {
            dl.stats {
                @for status in STATUSES {
                    div { dt { (names::plural(l, status)) } dd { (count(stats, status)) } }
                }
                div { dt { (l.pick("Cobram em 24 h", "Due within 24 h")) } dd { (stats.due_next_day) } }
                div { dt { (l.pick("Cobram em 7 dias", "Due within 7 days")) } dd { (stats.due_next_week) } }
                @for revenue in &stats.monthly_recurring_revenue {
                    div.money {
                        dt { (l.pick("Receita recorrente mensal", "Monthly recurring revenue")) }
                        dd { (i18n::money(l, revenue.amount, &revenue.currency)) }
                    }
                }
            }
        }
    }
}

fn filters(l: Lang, f: &Filters) -> Markup {
    let any = !f.get("customer").is_empty() || !f.get("dueBefore").is_empty();
    html! {
        details.filters-box open[any] {
            summary { (l.pick("Filtros", "Filters")) }
            form.filters method="get" action="/admin/subscriptions" role="search" {
                label { (l.pick("Cliente (id ou e-mail)", "Customer (id or email)")) input name="customer" value=(f.get("customer")); }
                label { (l.pick("Com cobrança até", "Due by")) input type="date" name="dueBefore" value=(f.get("dueBefore")); }
                button.primary type="submit" { (l.pick("Filtrar", "Filter")) }
            }
            p.muted { (l.pick(
                "Um filtro de cada vez: o status (abas), o cliente ou a data de cobrança (só ativas, as mais próximas primeiro).",
                "One filter at a time: the status (tabs), the customer or the due date (active ones only, soonest first).",
            )) }
        }
    }
}

fn table(ctx: &Ctx, items: &[Subscription]) -> Markup {
    let l = ctx.lang;
    let (sub, customer, schedule, next, cycles, per_cycle) = (
        l.pick("Assinatura", "Subscription"),
        l.pick("Cliente", "Customer"),
        l.pick("Agenda", "Schedule"),
        l.pick("Próxima cobrança", "Next charge"),
        l.pick("Ciclos", "Cycles"),
        l.pick("Por ciclo", "Per cycle"),
    );
    html! {
        table.stack.subscriptions {
            thead {
                tr {
                    th scope="col" { (sub) }
                    th scope="col" { (customer) }
                    th scope="col" { (schedule) }
                    th scope="col" { (next) }
                    th scope="col" { "Status" }
                    th.num scope="col" { (cycles) }
                    th.num scope="col" { (per_cycle) }
                }
            }
            tbody {
                @for s in items {
                    tr {
                        td data-label=(sub) { span {
                            a href=(href(&s.id)) { (s.id) }
                            @if s.test_clock.is_some() { " " span.tag { (l.pick("teste", "test")) } }
                        } }
                        td data-label=(customer) { span { (s.order.customer.name) br; span.muted { (s.order.customer.email) } } }
                        td data-label=(schedule) { span { (names::schedule(l, &s.schedule)) } }
                        td data-label=(next) { (s.next_run_at.as_deref().map_or_else(|| "—".to_owned(), |at| i18n::time(l, ctx.zone, at))) }
                        td data-label="Status" { (names::badge(l, s.status)) }
                        td.num data-label=(cycles) { (s.cycle_count) }
                        td.num data-label=(per_cycle) { (i18n::money(l, names::per_cycle(&s.order), &s.order.currency)) }
                    }
                }
            }
        }
    }
}
