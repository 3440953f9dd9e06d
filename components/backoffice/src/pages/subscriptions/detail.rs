//! A subscription: its status and why, the commands it allows, its customer and addresses, its
//! items and what each cycle costs, its schedule and next charge, and its cycles, each with the
//! order it made.

use http_common::types::Address;
use http_common::{ApiError, Reply};
use maud::{Markup, html};
use subscriptions_client::subs::{self, CyclePage, PageRequest, Plan, Subscription};

use super::actions::{self, Refused};
use super::{error, forms, href, names};
use crate::i18n;
use crate::pages::{layout, not_found, refusal_banner, service_error, shown_status};
use crate::web::{self, Ctx, field};

/// Cycles per page.
const CYCLES: u32 = 50;

/// The subscription's page (`done`: the action that just went through; `cycles`: where its
/// cycles' page starts).
pub(super) fn page(ctx: &Ctx, id: &str, query: &str) -> Reply {
    let form = web::form(query.as_bytes());
    let done = actions::done(ctx.lang, field(&form, "done"));
    let cycles = Some(field(&form, "cycles").to_owned()).filter(|c| !c.is_empty());
    page_with(ctx, id, None, done, cycles)
}

/// An action refused: why, and the form as it was posted.
pub(super) type Refusal<'a> = (&'a ApiError, Refused<'a>);

/// The subscription's page, with an action's refusal or notice on top.
pub(super) fn page_with(
    ctx: &Ctx,
    id: &str,
    refusal: Option<Refusal<'_>>,
    done: Option<&str>,
    cycles: Option<String>,
) -> Reply {
    let loaded = subs::get(id).and_then(|sub| {
        let page = PageRequest {
            limit: CYCLES,
            cursor: cycles,
        };
        Ok((subs::cycles(id, &page)?, sub))
    });
    let (cycles, sub) = match loaded {
        Ok(loaded) => loaded,
        Err(e) => {
            let error = error::from_service(&e);
            if error.status() == 404 {
                return web::html(404, not_found(ctx));
            }
            return service_error(ctx, &error);
        }
    };
    // The plan's name, when it can be read; its id otherwise.
    let plan = sub.plan_id.as_deref().and_then(|p| subs::get_plan(p).ok());
    let l = ctx.lang;
    let title = format!("{} {}", l.pick("Assinatura", "Subscription"), sub.id);
    let status = refusal.map_or(200, |(e, _)| shown_status(e));
    let content = html! {
        @if let Some((error, _)) = refusal {
            (refusal_banner(l, &error::refusal(l, error), error, names::field))
        }
        @if let Some(done) = done {
            p.notice role="status" { (done) }
        }
        (content(ctx, &sub, plan.as_ref(), &title, refusal.map(|(_, refused)| refused)))
        (cycle_table(ctx, &sub, &cycles))
    };
    web::html(status, layout(ctx, &title, content))
}

fn content(
    ctx: &Ctx,
    sub: &Subscription,
    plan: Option<&Plan>,
    title: &str,
    refused: Option<Refused<'_>>,
) -> Markup {
    let l = ctx.lang;
    let order = &sub.order;
    let money = |minor: i64| i18n::money(l, minor, &order.currency);
    let time = |at: &str| i18n::time(l, ctx.zone, at);
    html! {
        p { a href="/admin/subscriptions" { (l.pick("← Assinaturas", "← Subscriptions")) } }
        h1 { (title) " " (names::badge(l, sub.status)) }
        p.muted {
            (l.pick("Criada em ", "Created ")) (time(&sub.created_at))
            " · " (l.pick("canal ", "channel ")) (order.channel)
            @if let Some(plan_id) = &sub.plan_id {
                " · " (l.pick("plano ", "plan ")) a href="/admin/subscriptions/plans" { (plan.map_or(plan_id.as_str(), |p| p.name.as_str())) }
            }
            @if let Some(clock) = &sub.test_clock { " · " span.tag { (l.pick("relógio de teste ", "test clock ")) (clock) } }
            " · " (l.pick("versão ", "version ")) (sub.version)
        }
        @if let Some(reason) = &sub.pause_reason { p.muted { (l.pick("Pausada: ", "Paused: ")) (reason) } }
        @if let Some(reason) = &sub.cancel_reason { p.muted { (l.pick("Cancelada: ", "Canceled: ")) (reason) } }
        @if let Some(last) = &sub.last_error {
            p.error { (l.pick("Última falha ao criar o pedido", "Last failure creating the order")) " (" (sub.attempts) " " (l.pick("tentativas", "attempts")) "): " (last) }
        }
        @if let Some(check) = &sub.payment_check {
            p.muted {
                (l.pick("Acompanhando o pagamento do ciclo ", "Following the payment of cycle ")) (check.cycle)
                " (" (l.pick("tentativa ", "attempt ")) (check.attempt) "/" (check.max_attempts) "): "
                a href={ "/admin/orders/" (check.order_id) } { (l.pick("pedido", "order")) }
                " · " (l.pick("próxima verificação ", "next check ")) (time(&check.check_at))
                @if let Some(failure) = &check.last_failure { " · " (failure) }
            }
        }
        h2 { (l.pick("Ações", "Actions")) }
        (forms::forms(ctx, sub, refused))
        div.cards {
            section.card aria-labelledby="schedule" {
                h2 #schedule { (l.pick("Agenda", "Schedule")) }
                dl {
                    dt { (l.pick("Frequência", "Frequency")) } dd { (names::schedule(l, &sub.schedule)) }
                    @if let Some(day) = names::purchase_day(l, &sub.schedule, sub.purchase_day) { dt { (l.pick("Dia da compra", "Purchase day")) } dd { (day) } }
                    dt { (l.pick("Fuso horário", "Time zone")) } dd { (sub.timezone) }
                    dt { (l.pick("Próxima cobrança", "Next charge")) } dd { strong { (sub.next_run_at.as_deref().map_or_else(|| "—".to_owned(), time)) } }
                    dt { (l.pick("Próximo ciclo", "Next cycle")) } dd { "nº " (sub.next_cycle) }
                    @if !sub.skipped_cycles.is_empty() {
                        dt { (l.pick("A pular", "To skip")) }
                        dd { (sub.skipped_cycles.iter().map(|c| format!("nº {c}")).collect::<Vec<_>>().join(", ")) }
                    }
                    dt { (l.pick("Ciclos com pedido", "Cycles ordered")) } dd { (sub.cycle_count) @if let Some(max) = sub.max_cycles { " / " (max) } }
                    dt { (l.pick("Início", "Start")) } dd { (time(&sub.start_at)) }
                    @if let Some(end) = &sub.end_at { dt { (l.pick("Término", "End")) } dd { (time(end)) } }
                }
            }
            section.card aria-labelledby="customer" {
                h2 #customer { (l.pick("Cliente", "Customer")) }
                dl {
                    dt { (l.pick("Nome", "Name")) } dd { (order.customer.name) }
                    dt { "E-mail" } dd { (order.customer.email) }
                    @if let Some(document) = &order.customer.document { dt { (l.pick("Documento", "Document")) } dd { (document) } }
                    @if let Some(phone) = &order.customer.phone { dt { (l.pick("Telefone", "Phone")) } dd { (phone) } }
                    dt { (l.pick("Pagamento", "Payment")) } dd { (i18n::payment_method(l, order.payment_method)) }
                }
            }
            section.card aria-labelledby="shipping-address" {
                h2 #shipping-address { (l.pick("Endereço de entrega", "Shipping address")) }
                (address(&order.shipping_address))
                p.muted { (order.shipping.method) @if let Some(carrier) = &order.shipping.carrier { " · " (carrier) } }
            }
            @if let Some(billing) = &order.billing_address {
                section.card aria-labelledby="billing-address" {
                    h2 #billing-address { (l.pick("Endereço de cobrança", "Billing address")) }
                    (address(billing))
                }
            }
        }
        h2 { (l.pick("Itens de cada ciclo", "Items of each cycle")) }
        div.scroll {
            table {
                thead { tr {
                    th scope="col" { "SKU" } th scope="col" { (l.pick("Produto", "Product")) }
                    th.num scope="col" { (l.pick("Qtd.", "Qty")) } th.num scope="col" { (l.pick("Preço", "Price")) }
                    th.num scope="col" { (l.pick("Desconto", "Discount")) } th.num scope="col" { "Subtotal" }
                } }
                tbody {
                    @for item in &order.items {
                        tr {
                            td { (item.sku) } td { (item.name) } td.num { (item.quantity) }
                            td.num { (money(item.unit_price)) } td.num { (money(item.discount)) }
                            td.num { (money(i64::from(item.quantity).saturating_mul(item.unit_price).saturating_sub(item.discount))) }
                        }
                    }
                }
            }
        }
        p {
            (l.pick("Frete ", "Shipping ")) (money(order.shipping.price)) " · "
            (l.pick("Total por ciclo ", "Total per cycle ")) strong { (money(names::per_cycle(order))) }
        }
    }
}

fn cycle_table(ctx: &Ctx, sub: &Subscription, cycles: &CyclePage) -> Markup {
    let l = ctx.lang;
    html! {
        h2 #cycles { (l.pick("Ciclos", "Cycles")) }
        @if cycles.items.is_empty() {
            p.muted { (l.pick("Nenhum ciclo resolvido ainda.", "No cycle settled yet.")) }
        } @else {
            div.scroll {
                table.cycles {
                    thead { tr {
                        th scope="col" { (l.pick("Ciclo", "Cycle")) } th scope="col" { (l.pick("Previsto para", "Scheduled for")) }
                        th scope="col" { (l.pick("Resultado", "Outcome")) } th scope="col" { (l.pick("Pedido", "Order")) }
                        th.num scope="col" { (l.pick("Tentativas", "Attempts")) } th scope="col" { (l.pick("Erro", "Error")) }
                    } }
                    tbody {
                        @for cycle in &cycles.items {
                            tr {
                                td { (cycle.number) @if let Some(through) = cycle.through { "–" (through) } }
                                td { (i18n::time(l, ctx.zone, &cycle.scheduled_for)) }
                                td { (names::cycle_badge(l, cycle.status)) }
                                td { @if let Some(order) = &cycle.order_id { a href={ "/admin/orders/" (order) } { (order) } } @else { "—" } }
                                td.num { (cycle.attempts) }
                                td.wrap { (cycle.error.as_deref().unwrap_or("—")) }
                            }
                        }
                    }
                }
            }
        }
        @if let Some(cursor) = &cycles.next_cursor {
            @let next: String = form_urlencoded::byte_serialize(cursor.as_bytes()).collect();
            p.pager { a href={ (href(&sub.id)) "?cycles=" (next) "#cycles" } rel="next" { (l.pick("Mais ciclos →", "More cycles →")) } }
        }
    }
}

fn address(a: &Address) -> Markup {
    html! {
        p {
            (a.street) ", " (a.number) @if let Some(c) = &a.complement { " " (c) } br;
            @if let Some(n) = &a.neighborhood { (n) br; }
            (a.city) " - " (a.state) " · " (a.postal_code) " · " (a.country)
        }
    }
}
