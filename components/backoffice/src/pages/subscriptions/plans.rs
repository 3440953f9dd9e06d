//! The plans: each one's schedule, purchase day, time zone and cycle limit, by pages. A plan is
//! a schedule template (wit/subscriptions.wit): what a subscription costs is its own items.

use http_common::Reply;
use maud::html;
use subscriptions_client::subs::{self, PageRequest};

use super::{error, names, section_nav};
use crate::i18n;
use crate::pages::{layout, service_error};
use crate::web::{self, Ctx, field};

/// Plans per page.
const PAGE: u32 = 50;

/// The plans page (`cursor`: where the page starts).
pub(super) fn page(ctx: &Ctx, raw_query: &str) -> Reply {
    let form = web::form(raw_query.as_bytes());
    let cursor = Some(field(&form, "cursor").to_owned()).filter(|c| !c.is_empty());
    let page = match subs::list_plans(&PageRequest {
        limit: PAGE,
        cursor,
    }) {
        Ok(page) => page,
        Err(e) => return service_error(ctx, &error::from_service(&e)),
    };
    let l = ctx.lang;
    let (plan, schedule, day, zone, max, created) = (
        l.pick("Plano", "Plan"),
        l.pick("Agenda", "Schedule"),
        l.pick("Dia da compra", "Purchase day"),
        l.pick("Fuso horário", "Time zone"),
        l.pick("Máx. de ciclos", "Max. cycles"),
        l.pick("Criado em", "Created"),
    );
    let content = html! {
        h1 { (l.pick("Planos", "Plans")) }
        (section_nav(l, true))
        p.muted { (l.pick(
            "Um plano é um modelo de agenda; o valor de cada assinatura vem dos seus itens.",
            "A plan is a schedule template; what each subscription costs comes from its items.",
        )) }
        @if page.items.is_empty() {
            p.muted { (l.pick("Nenhum plano criado.", "No plan yet.")) }
        } @else {
            table.stack.plans {
                thead { tr {
                    th scope="col" { (plan) } th scope="col" { (schedule) } th scope="col" { (day) }
                    th scope="col" { (zone) } th.num scope="col" { (max) } th scope="col" { (created) }
                } }
                tbody {
                    @for p in &page.items {
                        tr {
                            td data-label=(plan) { span { strong { (p.name) } br; span.muted { (p.id) } } }
                            td data-label=(schedule) { span { (names::schedule(l, &p.schedule)) } }
                            td data-label=(day) { (names::purchase_day(l, &p.schedule, p.purchase_day).unwrap_or_else(|| "—".to_owned())) }
                            td data-label=(zone) { (p.timezone) }
                            td.num data-label=(max) { @if let Some(max) = p.max_cycles { (max) } @else { "—" } }
                            td data-label=(created) { (i18n::time(l, ctx.zone, &p.created_at)) }
                        }
                    }
                }
            }
        }
        @if let Some(cursor) = &page.next_cursor {
            @let next: String = form_urlencoded::byte_serialize(cursor.as_bytes()).collect();
            p.pager { a href={ "/admin/subscriptions/plans?cursor=" (next) } rel="next" { (l.pick("Próxima página →", "Next page →")) } }
        }
    };
    web::html(200, layout(ctx, l.pick("Planos", "Plans"), content))
}
