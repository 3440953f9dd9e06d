//! "Pendentes": the orders with open problems, each problem explained with what fixes it, and
//! a button to reprocess the order once it is fixed (reprocessing clears the problems that no
//! longer hold). The list is the orders page's last tab.

use http_common::types::{Order, ProblemKind};
use maud::{Markup, html};

use crate::i18n::{self, Lang};
use crate::pages::orders::badge;
use crate::web::Ctx;

/// The orders with problems, each with its problems, their fixes and a reprocess button that
/// comes back to `back`.
pub(crate) fn list(ctx: &Ctx, orders: &[Order], back: &str) -> Markup {
    let l = ctx.lang;
    let csrf = ctx.who.as_ref().map_or("", |(_, csrf)| csrf.as_str());
    html! {
        ul.pending {
            @for order in orders {
                @let money = |minor: i64| i18n::money(l, minor, &order.currency);
                li.card {
                    p {
                        a href={ "/admin/orders/" (order.id) } { strong { "#" (order.number) } }
                        " · " (order.customer.name) " · " (badge(l, order.status))
                        " · " (money(order.totals.total))
                    }
                    ul {
                        @for problem in &order.problems {
                            li {
                                strong { (explain(l, &problem.kind, &money)) }
                                " · " span.muted { (i18n::time(l, ctx.zone, &problem.detected_at)) }
                                br;
                                (fix(l, &problem.kind, &money))
                            }
                        }
                    }
                    div.buttons {
                        a.button href={ "/admin/orders/" (order.id) } { (l.pick("Abrir pedido", "Open order")) }
                        form method="post" action={ "/admin/orders/" (order.id) "/reprocess" } {
                            input type="hidden" name="_csrf" value=(csrf);
                            input type="hidden" name="version" value=(order.version);
                            input type="hidden" name="back" value=(back);
                            button type="submit" { (l.pick("Reprocessar", "Reprocess")) " #" (order.number) }
                        }
                    }
                }
            }
        }
    }
}

/// What went wrong, in a sentence.
pub(crate) fn explain(l: Lang, kind: &ProblemKind, money: &dyn Fn(i64) -> String) -> String {
    match kind {
        ProblemKind::PaymentAmountMismatch(m) => format!(
            "{} {}, {} {}",
            l.pick(
                "Pagamento com valor diferente do total: esperado",
                "Payment amount differs from the total: expected"
            ),
            money(m.expected),
            l.pick("recebido", "received"),
            money(m.actual)
        ),
        ProblemKind::PaymentForCanceledOrder(late) => format!(
            "{} {}",
            l.pick(
                "Pagamento recebido para pedido cancelado:",
                "Payment received for a canceled order:"
            ),
            money(late.amount)
        ),
    }
}

/// What fixes it, then reprocess.
fn fix(l: Lang, kind: &ProblemKind, money: &dyn Fn(i64) -> String) -> String {
    match kind {
        ProblemKind::PaymentAmountMismatch(m) if m.actual < m.expected => format!(
            "{} {}{}",
            l.pick("Faltam", "Missing"),
            money(m.expected - m.actual),
            l.pick(
                ": aprove o restante recebido (pix ou depósito) ou altere os itens do pedido, e reprocesse.",
                ": approve the rest once received (pix or deposit) or change the order's items, then reprocess.",
            )
        ),
        ProblemKind::PaymentAmountMismatch(m) => format!(
            "{} {}{}",
            l.pick("Recebido a mais:", "Paid in excess:"),
            money(m.actual - m.expected),
            l.pick(
                ". Reembolse a diferença (perfil administrador) e reprocesse.",
                ". Refund the difference (admin role), then reprocess.",
            )
        ),
        ProblemKind::PaymentForCanceledOrder(_) => l
            .pick(
                "Reembolse o pagamento ao cliente (perfil administrador) e reprocesse.",
                "Refund the payment to the customer (admin role), then reprocess.",
            )
            .to_owned(),
    }
}
