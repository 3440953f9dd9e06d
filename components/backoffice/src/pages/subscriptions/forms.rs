//! The action forms of a subscription's page: one-click ones as buttons, the others folded until
//! opened (open again, as typed, after a refusal).

use maud::{Markup, html};
use subscriptions_client::render;
use subscriptions_client::subs::{Schedule, Subscription};

use super::actions::{Action, Refused};
use super::edit::{MAX_ROWS, local_date, local_input};
use super::href;
use super::names::{self, UNITS};
use crate::i18n;
use crate::web::{Ctx, field};

/// The actions the subscription's status offers.
pub(super) fn forms(ctx: &Ctx, sub: &Subscription, refused: Option<Refused<'_>>) -> Markup {
    let l = ctx.lang;
    let offered: Vec<Action> = Action::ALL
        .into_iter()
        .filter(|a| a.offered(sub.status))
        .collect();
    let folded = |wide: bool| {
        html! {
            @for action in offered.iter().copied().filter(|a| a.has_fields() && a.wide() == wide) {
                @let typed = refused.filter(|(a, _)| *a == action).map(|(_, typed)| typed);
                details.action open[typed.is_some()] {
                    summary { (action.label(l)) }
                    (form(ctx, sub, action, typed))
                }
            }
        }
    };
    html! {
        @if offered.is_empty() {
            p.muted { (l.pick(
                "Nenhuma ação: a assinatura terminou (",
                "No action: the subscription has ended (",
            )) (names::status(l, sub.status)) ")." }
        } @else {
            div.buttons {
                @for action in offered.iter().copied().filter(|a| !a.has_fields()) {
                    (form(ctx, sub, action, None))
                }
            }
            div.actions { (folded(false)) }
            div.actions.wide { (folded(true)) }
        }
    }
}

/// One action's form, its fields filled with what was `typed` (or the subscription's values).
fn form(
    ctx: &Ctx,
    sub: &Subscription,
    action: Action,
    typed: Option<&[(String, String)]>,
) -> Markup {
    let l = ctx.lang;
    let csrf = ctx.who.as_ref().map_or("", |(_, csrf)| csrf.as_str());
    let value = |name: &str, default: String| match typed {
        Some(typed) => field(typed, name).to_owned(),
        None => default,
    };
    html! {
        form method="post" action={ (href(&sub.id)) "/" (action.path()) } {
            input type="hidden" name="_csrf" value=(csrf);
            input type="hidden" name="version" value=(sub.version);
            @match action {
                Action::Pause => {
                    label { (l.pick("Motivo (opcional)", "Reason (optional)")) input name="reason" maxlength="500" value=(value("reason", String::new())); }
                }
                Action::Cancel => {
                    label { (l.pick("Motivo", "Reason")) input name="reason" required maxlength="500" value=(value("reason", String::new())); }
                    p.muted { (l.pick("Definitivo: uma assinatura cancelada não volta.", "Final: a canceled subscription cannot come back.")) }
                }
                Action::Schedule => { (schedule_fields(ctx, sub, &value)) }
                Action::Items => { (item_fields(ctx, sub, typed)) }
                Action::Resume | Action::Skip => {}
            }
            button type="submit" { (action.label(l)) }
        }
    }
}

fn schedule_fields(
    ctx: &Ctx,
    sub: &Subscription,
    value: &dyn Fn(&str, String) -> String,
) -> Markup {
    let l = ctx.lang;
    let (every, unit, cron) = match &sub.schedule {
        Schedule::Every(interval) => (
            interval.every.to_string(),
            render::unit(interval.unit),
            String::new(),
        ),
        Schedule::Cron(expression) => ("1".to_owned(), "cron", expression.clone()),
    };
    let unit = value("unit", unit.to_owned());
    let optional = |n: Option<String>| n.unwrap_or_default();
    let zone = ctx.zone.name();
    html! {
        div.fields {
            label { (l.pick("A cada", "Every")) input type="number" name="every" min="1" max="366" value=(value("every", every)); }
            label {
                (l.pick("Unidade", "Unit"))
                select name="unit" {
                    @for u in UNITS {
                        option value=(render::unit(u)) selected[unit == render::unit(u)] { (names::unit(l, u, true)) }
                    }
                    option value="cron" selected[unit == "cron"] { (l.pick("expressão cron", "cron expression")) }
                }
            }
            label.span2 { (l.pick("Expressão cron (com a unidade “expressão cron”)", "Cron expression (with the unit “cron expression”)"))
                input name="cron" spellcheck="false" placeholder="0 0 9 10 * *" value=(value("cron", cron)); }
            label { (l.pick("Dia da compra (opcional)", "Purchase day (optional)")) input type="number" name="purchaseDay" min="1" max="31" value=(value("purchaseDay", optional(sub.purchase_day.map(|d| d.to_string())))); }
            label { (l.pick("Fuso horário da assinatura", "Subscription time zone")) input name="timezone" required spellcheck="false" value=(value("timezone", sub.timezone.clone())); }
            label { (l.pick("Próxima cobrança", "Next charge")) " (" (zone) ")"
                input type="datetime-local" name="anchor" required value=(value("anchor", optional(sub.next_run_at.as_deref().map(|at| local_input(ctx.zone, at))))); }
            label { (l.pick("Máximo de ciclos (opcional)", "Maximum cycles (optional)")) input type="number" name="maxCycles" min="1" value=(value("maxCycles", optional(sub.max_cycles.map(|m| m.to_string())))); }
            label { (l.pick("Último dia (opcional)", "Last day (optional)")) input type="date" name="endAt" value=(value("endAt", optional(sub.end_at.as_deref().map(|at| local_date(ctx.zone, at))))); }
        }
        p.muted { (l.pick(
            "A nova agenda vale a partir do próximo ciclo não cobrado, que cai na próxima cobrança.",
            "The new schedule applies from the next unsettled cycle, which falls on the next charge.",
        )) }
    }
}

fn item_fields(ctx: &Ctx, sub: &Subscription, typed: Option<&[(String, String)]>) -> Markup {
    let l = ctx.lang;
    let units = |minor: i64| i18n::money(l, minor, "").trim().to_owned();
    // The subscription's items and one blank row to add another, or the rows as typed.
    let rows: Vec<[String; 5]> = match typed {
        Some(typed) => {
            let count = field(typed, "rows")
                .parse::<usize>()
                .unwrap_or(0)
                .min(MAX_ROWS);
            (0..count)
                .map(|row| {
                    ["sku", "name", "quantity", "unitPrice", "discount"]
                        .map(|name| field(typed, &format!("{name}.{row}")).to_owned())
                })
                .collect()
        }
        None => sub
            .order
            .items
            .iter()
            .map(|item| {
                [
                    item.sku.clone(),
                    item.name.clone(),
                    item.quantity.to_string(),
                    units(item.unit_price),
                    units(item.discount),
                ]
            })
            .chain(std::iter::once(Default::default()))
            .collect(),
    };
    html! {
        input type="hidden" name="rows" value=(rows.len());
        p.muted { (l.pick("Quantidade 0 remove o item; preencha a última linha para incluir outro.", "Quantity 0 removes the item; fill in the last row to add another.")) }
        @for (row, [sku, name, quantity, price, discount]) in rows.iter().enumerate() {
            fieldset.item {
                legend { @if row + 1 == rows.len() && typed.is_none() { (l.pick("Novo item", "New item")) } @else { "Item " (row + 1) } }
                label { "SKU" input name={ "sku." (row) } maxlength="60" value=(sku); }
                label.span2 { (l.pick("Produto", "Product")) input name={ "name." (row) } maxlength="200" value=(name); }
                label { (l.pick("Qtd.", "Qty")) input type="number" name={ "quantity." (row) } min="0" value=(quantity); }
                label { (l.pick("Preço unitário", "Unit price")) input name={ "unitPrice." (row) } inputmode="decimal" value=(price); }
                label { (l.pick("Desconto da linha", "Line discount")) input name={ "discount." (row) } inputmode="decimal" value=(discount); }
            }
        }
    }
}
