//! An order: its customer, addresses, items, totals and balance, payment with transactions,
//! invoices, shipments with tracking, problems, comments, and the whole history.

use http_common::orders;
use http_common::types::{Address, Order};
use http_common::{ApiError, Reply};
use maud::{Markup, html};

use crate::i18n;
use crate::pages::orders::badge;
use crate::pages::{actions, activity, pending};
use crate::pages::{layout, not_found, refusal_banner, service_error, shown_status};
use crate::web::{self, Ctx};

/// The order page (`done`: the action that just went through, for its notice).
pub(crate) fn page(ctx: &Ctx, id: &str, query: &str) -> Reply {
    let form = web::form(query.as_bytes());
    let done = actions::done(ctx.lang, web::field(&form, "done"));
    page_with(ctx, id, None, done)
}

/// An action refused: why, and the form as it was posted.
pub(crate) type Refusal<'a> = (&'a ApiError, actions::Refused<'a>);

/// The order page, with an action's refusal or notice on top.
pub(crate) fn page_with(
    ctx: &Ctx,
    id: &str,
    refusal: Option<Refusal<'_>>,
    done: Option<&str>,
) -> Reply {
    let order = match orders::load(id) {
        Ok(order) => order,
        Err(e) => {
            let error = ApiError::from_service(&e);
            if error.status() == 404 {
                return web::html(404, not_found(ctx));
            }
            return service_error(ctx, &error);
        }
    };
    let l = ctx.lang;
    let title = format!("{} #{}", l.pick("Pedido", "Order"), order.number);
    let status = refusal.map_or(200, |(e, _)| shown_status(e));
    let content = html! {
        @if let Some((error, _)) = refusal {
            (refusal_banner(l, &i18n::refusal(l, error), error, i18n::field_label))
        }
        @if let Some(done) = done {
            p.notice role="status" { (done) }
        }
        (content(ctx, &order, &title, refusal.map(|(_, refused)| refused)))
    };
    web::html(status, layout(ctx, &title, content))
}

fn content(ctx: &Ctx, order: &Order, title: &str, refused: Option<actions::Refused<'_>>) -> Markup {
    let l = ctx.lang;
    let money = |minor: i64| i18n::money(l, minor, &order.currency);
    let time = |at: &str| i18n::time(l, ctx.zone, at);
    html! {
        p { a href="/admin/orders" { (l.pick("← Pedidos", "← Orders")) } }
        h1 { (title) " " (badge(l, order.status)) }
        p.muted {
            (l.pick("Criado em ", "Created ")) (time(&order.created_at))
            " · " (l.pick("canal ", "channel ")) (order.channel)
            @if let Some(external) = &order.external_id { " · " (external) }
            " · " (l.pick("versão ", "version ")) (order.version)
        }
        @if !order.problems.is_empty() {
            div.error role="alert" {
                strong { (l.pick("Problemas", "Problems")) }
                ul {
                    @for problem in &order.problems {
                        li { (pending::explain(l, &problem.kind, &money)) " · " (time(&problem.detected_at)) }
                    }
                }
            }
        }
        @if let Some(hold) = &order.hold {
            p.error { (l.pick("Em espera: ", "On hold: ")) (hold.reason) }
        }
        @if let Some(cancellation) = &order.cancellation {
            p.muted { (l.pick("Cancelado: ", "Canceled: ")) (i18n::cancel_cause(l, cancellation.cause))
                @if let Some(reason) = &cancellation.reason { " · " (reason) } }
        }
        h2 { (l.pick("Ações", "Actions")) }
        (actions::forms(ctx, order, refused))
        div.cards {
            section.card aria-labelledby="customer" {
                h2 #customer { (l.pick("Cliente", "Customer")) }
                dl {
                    dt { (l.pick("Nome", "Name")) } dd { (order.customer.name) }
                    dt { "E-mail" } dd { (order.customer.email) }
                    @if let Some(document) = &order.customer.document { dt { (l.pick("Documento", "Document")) } dd { (document) } }
                    @if let Some(phone) = &order.customer.phone { dt { (l.pick("Telefone", "Phone")) } dd { (phone) } }
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
            section.card aria-labelledby="totals" {
                h2 #totals { (l.pick("Totais", "Totals")) }
                dl {
                    dt { (l.pick("Itens", "Items")) } dd { (money(order.totals.items)) }
                    dt { (l.pick("Descontos", "Discounts")) } dd { (money(order.totals.discount)) }
                    dt { (l.pick("Acréscimos", "Increments")) } dd { (money(order.totals.increment)) }
                    dt { (l.pick("Frete", "Shipping")) } dd { (money(order.totals.shipping)) }
                    dt { strong { "Total" } } dd { strong { (money(order.totals.total)) } }
                    dt { (l.pick("Pago", "Paid")) } dd { (money(order.totals.paid)) }
                    dt { (l.pick("Reembolsado", "Refunded")) } dd { (money(order.totals.refunded)) }
                    dt { (l.pick("Saldo", "Balance")) } dd { (money(order.totals.balance)) }
                }
            }
        }
        h2 { (l.pick("Itens", "Items")) }
        table {
            thead { tr {
                th scope="col" { "SKU" } th scope="col" { (l.pick("Produto", "Product")) }
                th.num scope="col" { (l.pick("Qtd.", "Qty")) } th.num scope="col" { (l.pick("Preço", "Price")) }
                th.num scope="col" { (l.pick("Desconto", "Discount")) } th.num scope="col" { (l.pick("Faturado", "Invoiced")) }
                th.num scope="col" { (l.pick("Devolvido", "Returned")) }
            } }
            tbody {
                @for item in &order.items {
                    tr {
                        td { (item.sku) } td { (item.name) } td.num { (item.quantity) }
                        td.num { (money(item.unit_price)) } td.num { (money(item.discount)) }
                        td.num { (item.invoiced) } td.num { (item.returned) }
                    }
                }
            }
        }
        h2 { (l.pick("Pagamento", "Payment")) }
        p { (i18n::payment_method(l, order.payment.method)) " · " (i18n::payment_status(l, order.payment.status))
            @if let Some(due) = &order.payment.due_at { " · " (l.pick("vence ", "due ")) (time(due)) } }
        @if !order.payment.transactions.is_empty() {
            table {
                thead { tr { th scope="col" { (l.pick("Quando", "When")) } th scope="col" { (l.pick("Transação", "Transaction")) } th scope="col" { (l.pick("Resultado", "Outcome")) } th.num scope="col" { (l.pick("Valor", "Amount")) } } }
                tbody {
                    @for t in &order.payment.transactions {
                        tr { td { (time(&t.occurred_at)) } td { (t.payment_id.as_deref().unwrap_or("—")) } td { (i18n::payment_outcome(l, t.kind)) } td.num { (money(t.amount)) } }
                    }
                }
            }
        }
        @if !order.invoices.is_empty() {
            h2 { (l.pick("Notas fiscais", "Invoices")) }
            table {
                thead { tr { th scope="col" { (l.pick("Tipo", "Type")) } th scope="col" { (l.pick("Número", "Number")) } th scope="col" { (l.pick("Chave NF-e", "NF-e key")) } th scope="col" { (l.pick("Emitida", "Issued")) } th.num scope="col" { (l.pick("Valor", "Value")) } } }
                tbody {
                    @for invoice in &order.invoices {
                        tr { td { (i18n::invoice_kind(l, invoice.kind)) } td { (invoice.number) @if let Some(series) = &invoice.series { "/" (series) } } td { code { (invoice.key.as_deref().unwrap_or("—")) } } td { (time(&invoice.issued_at)) } td.num { (money(invoice.value)) } }
                    }
                }
            }
        }
        @if !order.shipments.is_empty() {
            h2 { (l.pick("Envios", "Shipments")) }
            @for shipment in &order.shipments {
                section.card {
                    p { strong { (shipment.carrier) " " (shipment.number) }
                        @if let Some(status) = shipment.status { " · " (i18n::tracking_status(l, status)) }
                        @if let Some(url) = &shipment.url { " · " a href=(url) rel="noopener noreferrer" { (l.pick("rastrear", "track")) } } }
                    @if !shipment.events.is_empty() {
                        ul {
                            @for event in &shipment.events {
                                li { (time(&event.occurred_at)) " · " (i18n::tracking_status(l, event.status))
                                    @if let Some(d) = &event.description { " · " (d) }
                                    @if let Some(city) = &event.city { " · " (city) } }
                            }
                        }
                    }
                }
            }
        }
        (activity::sections(ctx, order))
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
