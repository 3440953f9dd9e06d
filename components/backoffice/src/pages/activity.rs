//! What happened to an order after its placement, on its page: refunds, changes, comments, the
//! messages sent to the customer, and the whole history with who did each step.

use http_common::types::{Order, RefundSource};
use maud::{Markup, html};

use crate::i18n::{self, Lang};
use crate::web::Ctx;

/// The order's refunds, changes, comments, customer messages and history.
pub(crate) fn sections(ctx: &Ctx, order: &Order) -> Markup {
    let l = ctx.lang;
    let money = |minor: i64| i18n::money(l, minor, &order.currency);
    let time = |at: &str| i18n::time(l, ctx.zone, at);
    html! {
        @if !order.refunds.is_empty() {
            h2 { (l.pick("Reembolsos", "Refunds")) }
            div.scroll { table {
                thead { tr {
                    th scope="col" { (l.pick("Quando", "When")) } th scope="col" { (l.pick("Origem", "Source")) }
                    th scope="col" { (l.pick("Itens", "Items")) } th scope="col" { (l.pick("Comentário", "Comment")) }
                    th.num scope="col" { (l.pick("Valor", "Amount")) }
                } }
                tbody {
                    @for r in &order.refunds {
                        tr {
                            td { (time(&r.at)) br; span.muted { (i18n::actor(l, r.actor)) } }
                            td { (source(l, r.source)) @if let Some(reference) = &r.reference { br; code { (reference) } } }
                            td {
                                @for item in &r.items { (item.quantity) "× " (item.sku) br; }
                                @if r.return_to_stock { span.tag { (l.pick("devolvido ao estoque", "back to stock")) } }
                            }
                            td { (r.comment.as_deref().unwrap_or("")) }
                            td.num { (money(r.amount)) }
                        }
                    }
                }
            } }
        }
        @if !order.changes.is_empty() {
            h2 { (l.pick("Alterações", "Changes")) }
            ul {
                @for c in &order.changes {
                    li {
                        (time(&c.at)) " · " (c.reason) " · "
                        (money(c.total_before)) " → " (money(c.total_after))
                        @for item in &c.add { " · +" (item.quantity) "× " (item.sku) }
                        @for item in &c.remove { " · −" (item.quantity) "× " (item.sku) }
                        @for price in &c.prices { " · " (price.sku) " " (money(price.unit_price)) }
                    }
                }
            }
        }
        @if !order.comments.is_empty() {
            h2 { (l.pick("Comentários", "Comments")) }
            ul {
                @for comment in &order.comments {
                    li {
                        (time(&comment.at)) " · " (i18n::actor(l, comment.actor)) ": " (comment.text)
                        @if comment.visible_to_customer { " " span.tag { (l.pick("visível ao cliente", "visible to the customer")) } }
                    }
                }
            }
        }
        @if !order.notifications.is_empty() {
            h2 { (l.pick("Mensagens ao cliente", "Messages to the customer")) }
            ul {
                @for n in &order.notifications {
                    li {
                        @if let Some(at) = &n.at { (time(at)) " · " }
                        (n.subject) " · " (n.to) " " span.tag { (n.template) }
                    }
                }
            }
        }
        h2 { (l.pick("Histórico", "History")) }
        div.scroll { table {
            thead { tr { th scope="col" { (l.pick("Quando", "When")) } th scope="col" { (l.pick("Evento", "Event")) } th scope="col" { "Status" } th scope="col" { (l.pick("Por", "By")) } } }
            tbody {
                @for entry in order.history.iter().rev() {
                    tr {
                        td { (time(&entry.at)) }
                        td { (i18n::event(l, entry.event)) }
                        td { @if let Some(from) = entry.from { @if from != entry.to { (i18n::status(l, from)) " → " } } (i18n::status(l, entry.to)) }
                        td { @if let Some(operator) = &entry.operator { (operator) } @else { (i18n::actor(l, entry.actor)) } }
                    }
                }
            }
        } }
    }
}

fn source(l: Lang, source: RefundSource) -> &'static str {
    match source {
        RefundSource::Offline => l.pick("Manual", "Offline"),
        RefundSource::Provider => l.pick("Meio de pagamento", "Payment provider"),
        RefundSource::ReturnInvoice => l.pick("NF-e de devolução", "Return invoice"),
    }
}
