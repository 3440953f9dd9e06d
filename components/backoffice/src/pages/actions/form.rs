//! Each action's form, its fields filled with what the operator typed when it was refused (or
//! with the order's values). Field names are what [`super::command`] reads.

use http_common::types::{Address, InvoiceKind, Order};
use maud::{Markup, html};

use super::Action;
use crate::i18n::{self, Lang};
use crate::web::{Ctx, field};

/// What a form shows in a field: what was typed, or the default.
struct Values<'a> {
    typed: Option<&'a [(String, String)]>,
}

impl Values<'_> {
    fn get(&self, name: &str, default: impl Into<String>) -> String {
        match self.typed {
            Some(typed) => field(typed, name).to_owned(),
            None => default.into(),
        }
    }

    fn checked(&self, name: &str, default: bool) -> bool {
        match self.typed {
            Some(typed) => field(typed, name) == "true",
            None => default,
        }
    }
}

/// One action's form.
pub(super) fn form(
    ctx: &Ctx,
    order: &Order,
    action: Action,
    typed: Option<&[(String, String)]>,
) -> Markup {
    let l = ctx.lang;
    let csrf = ctx.who.as_ref().map_or("", |(_, csrf)| csrf.as_str());
    let v = Values { typed };
    html! {
        form method="post" action={ "/admin/orders/" (order.id) "/" (action.path()) } {
            input type="hidden" name="_csrf" value=(csrf);
            input type="hidden" name="version" value=(order.version);
            (fields(l, order, action, &v))
            button type="submit" { (action.label(l)) }
        }
    }
}

fn units(l: Lang, minor: i64) -> String {
    i18n::money(l, minor, "").trim().to_owned()
}

fn fields(l: Lang, order: &Order, action: Action, v: &Values<'_>) -> Markup {
    match action {
        Action::ApprovePayment => html! {
            label { (l.pick("Valor recebido", "Amount received")) input name="amount" inputmode="decimal" required value=(v.get("amount", units(l, order.totals.balance))); }
            label { (l.pick("Observação", "Note")) input name="note" maxlength="500" value=(v.get("note", "")); }
        },
        Action::Invoice | Action::ReturnInvoice => invoice(l, order, action, v),
        Action::Shipment => html! {
            label { (l.pick("Nota fiscal", "Invoice"))
                select name="invoiceNumber" required {
                    @for invoice in order.invoices.iter().filter(|i| i.kind == InvoiceKind::Output) {
                        option value=(invoice.number) selected[v.get("invoiceNumber", "") == invoice.number] { (invoice.number) }
                    }
                }
            }
            label { (l.pick("Transportadora", "Carrier")) input name="carrier" required maxlength="100" value=(v.get("carrier", order.shipping.carrier.clone().unwrap_or_default())); }
            label { (l.pick("Código de rastreio", "Tracking number")) input name="number" required maxlength="100" value=(v.get("number", "")); }
            label { (l.pick("Link de rastreio", "Tracking link")) input name="url" type="url" maxlength="500" value=(v.get("url", "")); }
            (notify(l, v, true))
        },
        Action::Tracking => html! {
            label { (l.pick("Envio", "Shipment"))
                select name="shipment" required {
                    @for shipment in &order.shipments {
                        option value=(shipment.number) selected[v.get("shipment", "") == shipment.number] { (shipment.carrier) " " (shipment.number) }
                    }
                }
            }
            label { "Status"
                select name="status" required {
                    @for (value, pt, en) in [("in-transit", "Em trânsito", "In transit"), ("delivery-difficulty", "Dificuldade de entrega", "Delivery difficulty"), ("delivered", "Entregue", "Delivered")] {
                        option value=(value) selected[v.get("status", "") == value] { (l.pick(pt, en)) }
                    }
                }
            }
            label { (l.pick("Descrição", "Description")) input name="description" maxlength="500" value=(v.get("description", "")); }
            label { (l.pick("Cidade", "City")) input name="city" maxlength="100" value=(v.get("city", "")); }
            label { "UF" input name="state" maxlength="2" size="2" value=(v.get("state", "")); }
        },
        Action::Hold | Action::Cancel => html! {
            label { (l.pick("Motivo", "Reason")) input name="reason" required maxlength="500" value=(v.get("reason", "")); }
        },
        Action::Change => change(l, order, v),
        Action::Edit => html! {
            fieldset {
                legend { (l.pick("Endereço de entrega", "Shipping address")) }
                (address_fields(l, "ship", Some(&order.shipping_address), v))
            }
            fieldset {
                legend { (l.pick("Endereço de cobrança (opcional)", "Billing address (optional)")) }
                (address_fields(l, "bill", order.billing_address.as_ref(), v))
            }
        },
        Action::Refund => html! {
            label { (l.pick("Valor a reembolsar", "Amount to refund")) input name="amount" inputmode="decimal" required value=(v.get("amount", units(l, order.totals.paid - order.totals.refunded))); }
            (quantities(l, order, v, l.pick("Itens devolvidos", "Items returned"), |i| i.quantity))
            label.check { input type="checkbox" name="returnToStock" value="true" checked[v.checked("returnToStock", false)]; (l.pick("Devolver ao estoque", "Return to stock")) }
            label { (l.pick("Comentário", "Comment")) input name="comment" maxlength="500" value=(v.get("comment", "")); }
            (notify(l, v, false))
        },
        Action::Comment => html! {
            label { (l.pick("Comentário", "Comment")) textarea name="text" required maxlength="2000" rows="2" { (v.get("text", "")) } }
            (notify(l, v, false))
            label.check { input type="checkbox" name="visibleToCustomer" value="true" checked[v.checked("visibleToCustomer", false)]; (l.pick("Visível ao cliente", "Visible to the customer")) }
        },
        Action::StartHandling | Action::Unhold | Action::Reprocess => html! {},
    }
}

fn notify(l: Lang, v: &Values<'_>, default: bool) -> Markup {
    html! {
        label.check { input type="checkbox" name="notifyCustomer" value="true" checked[v.checked("notifyCustomer", default)]; (l.pick("Notificar cliente", "Notify customer")) }
    }
}

fn invoice(l: Lang, order: &Order, action: Action, v: &Values<'_>) -> Markup {
    let output = action == Action::Invoice;
    let default_value = if output { order.totals.total } else { 0 };
    html! {
        label { (l.pick("Número", "Number")) input name="number" required maxlength="20" value=(v.get("number", "")); }
        label { (l.pick("Série", "Series")) input name="series" maxlength="3" value=(v.get("series", "")); }
        label { (l.pick("Chave de acesso (44 dígitos)", "Access key (44 digits)")) input name="key" inputmode="numeric" pattern="[0-9 ]{44,60}" maxlength="60" value=(v.get("key", "")); }
        label { (l.pick("Valor", "Value")) input name="value" inputmode="decimal" required value=(v.get("value", if default_value > 0 { units(l, default_value) } else { String::new() })); }
        @if !output {
            (quantities(l, order, v, l.pick("Itens devolvidos (vazio: todos os faturados)", "Items returned (none: all invoiced)"), |i| i.invoiced.saturating_sub(i.returned)))
        }
    }
}

/// A quantity per item (`qty.{sku}`), up to `most` of each.
fn quantities(
    l: Lang,
    order: &Order,
    v: &Values<'_>,
    legend: &str,
    most: impl Fn(&http_common::types::Item) -> u32,
) -> Markup {
    html! {
        fieldset {
            legend { (legend) }
            @for item in &order.items {
                @let name = format!("qty.{}", item.sku);
                label { (item.sku) " · " (item.name) " (" (l.pick("até ", "up to ")) (most(item)) ")"
                    input name=(name) type="number" min="0" max=(most(item)) inputmode="numeric" value=(v.get(&name, "")); }
            }
        }
    }
}

fn change(l: Lang, order: &Order, v: &Values<'_>) -> Markup {
    html! {
        label { (l.pick("Motivo", "Reason")) input name="reason" required maxlength="500" value=(v.get("reason", "")); }
        fieldset {
            legend { (l.pick("Itens do pedido", "The order's items")) }
            @for item in &order.items {
                @let price = format!("price.{}", item.sku);
                @let remove = format!("remove.{}", item.sku);
                div.row {
                    span { (item.sku) " · " (item.name) " × " (item.quantity) }
                    label { (l.pick("Novo preço unitário", "New unit price")) input name=(price) inputmode="decimal" placeholder=(units(l, item.unit_price)) value=(v.get(&price, "")); }
                    label { (l.pick("Remover (qtd.)", "Remove (qty)")) input name=(remove) type="number" min="0" max=(item.quantity) value=(v.get(&remove, "")); }
                }
            }
        }
        fieldset {
            legend { (l.pick("Adicionar item (opcional)", "Add an item (optional)")) }
            label { "SKU" input name="addSku" maxlength="100" value=(v.get("addSku", "")); }
            label { (l.pick("Produto", "Product")) input name="addName" maxlength="200" value=(v.get("addName", "")); }
            label { (l.pick("Quantidade", "Quantity")) input name="addQuantity" type="number" min="1" value=(v.get("addQuantity", "")); }
            label { (l.pick("Preço unitário", "Unit price")) input name="addPrice" inputmode="decimal" value=(v.get("addPrice", "")); }
        }
        label { (l.pick("Desconto adicional (negativo devolve)", "Extra discount (negative gives back)")) input name="discount" inputmode="decimal" value=(v.get("discount", "")); }
    }
}

fn address_fields(l: Lang, prefix: &str, current: Option<&Address>, v: &Values<'_>) -> Markup {
    let value = |name: &str, of: fn(&Address) -> String| {
        let key = format!("{prefix}.{name}");
        let default = current.map(of).unwrap_or_default();
        (key.clone(), v.get(&key, default))
    };
    let rows = [
        (
            l.pick("Rua", "Street"),
            value("street", |a| a.street.clone()),
            "200",
        ),
        (
            l.pick("Número", "Number"),
            value("number", |a| a.number.clone()),
            "20",
        ),
        (
            l.pick("Complemento", "Complement"),
            value("complement", |a| a.complement.clone().unwrap_or_default()),
            "100",
        ),
        (
            l.pick("Bairro", "Neighborhood"),
            value("neighborhood", |a| {
                a.neighborhood.clone().unwrap_or_default()
            }),
            "100",
        ),
        (
            l.pick("Cidade", "City"),
            value("city", |a| a.city.clone()),
            "100",
        ),
        ("UF", value("state", |a| a.state.clone()), "2"),
        ("CEP", value("postalCode", |a| a.postal_code.clone()), "9"),
        (
            l.pick("País", "Country"),
            value("country", |a| a.country.clone()),
            "3",
        ),
    ];
    html! {
        @for (label, (name, value), max) in rows {
            label { (label) input name=(name) maxlength=(max) value=(value); }
        }
    }
}
