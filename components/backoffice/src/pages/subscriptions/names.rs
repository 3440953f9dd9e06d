//! The subscriptions' words in the panel's language: statuses (as coloured badges, the name
//! always written), schedules, purchase days, and what a cycle's order costs.

use maud::{Markup, html};
use subscriptions_client::render;
use subscriptions_client::subs::{CycleStatus, OrderTemplate, Schedule, SubscriptionStatus, Unit};

use crate::i18n::{self, Lang};

/// Every status, in the order the tabs show them.
pub(super) const STATUSES: [SubscriptionStatus; 4] = [
    SubscriptionStatus::Active,
    SubscriptionStatus::Paused,
    SubscriptionStatus::Canceled,
    SubscriptionStatus::Finished,
];

/// Every interval unit, in the order the schedule form offers them.
pub(super) const UNITS: [Unit; 4] = [Unit::Day, Unit::Week, Unit::Month, Unit::Year];

/// A subscription status's name.
pub(super) fn status(l: Lang, status: SubscriptionStatus) -> &'static str {
    let (pt, en) = match status {
        SubscriptionStatus::Active => ("Ativa", "Active"),
        SubscriptionStatus::Paused => ("Pausada", "Paused"),
        SubscriptionStatus::Canceled => ("Cancelada", "Canceled"),
        SubscriptionStatus::Finished => ("Encerrada", "Finished"),
    };
    l.pick(pt, en)
}

/// Those in a status, as a tab or a counter names them.
pub(super) fn plural(l: Lang, status: SubscriptionStatus) -> &'static str {
    let (pt, en) = match status {
        SubscriptionStatus::Active => ("Ativas", "Active"),
        SubscriptionStatus::Paused => ("Pausadas", "Paused"),
        SubscriptionStatus::Canceled => ("Canceladas", "Canceled"),
        SubscriptionStatus::Finished => ("Encerradas", "Finished"),
    };
    l.pick(pt, en)
}

/// A subscription status as a coloured badge.
pub(super) fn badge(l: Lang, s: SubscriptionStatus) -> Markup {
    html! { span class={ "badge sub-" (render::status(s)) } { (status(l, s)) } }
}

/// A cycle's outcome as a coloured badge.
pub(super) fn cycle_badge(l: Lang, status: CycleStatus) -> Markup {
    let (class, pt, en) = match status {
        CycleStatus::Created => ("created", "Pedido criado", "Order created"),
        CycleStatus::Skipped => ("skipped", "Pulado", "Skipped"),
        CycleStatus::Failed => ("failed", "Falhou", "Failed"),
        CycleStatus::Missed => ("missed", "Perdido", "Missed"),
    };
    html! { span class={ "badge cycle-" (class) } { (l.pick(pt, en)) } }
}

/// A unit's name, singular or plural.
pub(super) fn unit(l: Lang, unit: Unit, plural: bool) -> &'static str {
    let (pt, pt_plural, en, en_plural) = match unit {
        Unit::Day => ("dia", "dias", "day", "days"),
        Unit::Week => ("semana", "semanas", "week", "weeks"),
        Unit::Month => ("mês", "meses", "month", "months"),
        Unit::Year => ("ano", "anos", "year", "years"),
    };
    if plural {
        l.pick(pt_plural, en_plural)
    } else {
        l.pick(pt, en)
    }
}

/// How often: "A cada mês", "A cada 2 semanas", or the cron expression.
pub(super) fn schedule(l: Lang, schedule: &Schedule) -> Markup {
    match schedule {
        Schedule::Every(interval) if interval.every == 1 => {
            html! { (l.pick("A cada ", "Every ")) (unit(l, interval.unit, false)) }
        }
        Schedule::Every(interval) => {
            html! { (l.pick("A cada ", "Every ")) (interval.every) " " (unit(l, interval.unit, true)) }
        }
        Schedule::Cron(expression) => html! { "cron " code { (expression) } },
    }
}

/// The day cycles fall on: a weekday for weekly schedules, a day of the month otherwise.
pub(super) fn purchase_day(l: Lang, schedule: &Schedule, day: Option<u8>) -> Option<String> {
    let day = day?;
    let weekly = matches!(schedule, Schedule::Every(interval) if interval.unit == Unit::Week);
    if !weekly {
        return Some(format!("{} {day}", l.pick("dia", "day")));
    }
    let (pt, en) = match day {
        1 => ("segunda-feira", "Monday"),
        2 => ("terça-feira", "Tuesday"),
        3 => ("quarta-feira", "Wednesday"),
        4 => ("quinta-feira", "Thursday"),
        5 => ("sexta-feira", "Friday"),
        6 => ("sábado", "Saturday"),
        _ => ("domingo", "Sunday"),
    };
    Some(l.pick(pt, en).to_owned())
}

/// A refused field's path as the forms label it: the schedule's here, the order's as the order
/// pages say them.
pub(super) fn field(l: Lang, path: &str) -> String {
    let (pt, en) = match path {
        "schedule" | "schedule.every" | "schedule.unit" => ("Frequência", "Frequency"),
        "schedule.cron" | "cron" => ("Expressão cron", "Cron expression"),
        "purchaseDay" => ("Dia da compra", "Purchase day"),
        "timezone" => ("Fuso horário", "Time zone"),
        "anchor" => ("Próxima cobrança", "Next charge"),
        "maxCycles" => ("Máximo de ciclos", "Maximum cycles"),
        "endAt" => ("Último dia", "Last day"),
        _ => return i18n::field_label(l, path),
    };
    l.pick(pt, en).to_owned()
}

/// What each cycle's order costs: its items, less their discounts, and shipping.
pub(super) fn per_cycle(order: &OrderTemplate) -> i64 {
    let items: i64 = order
        .items
        .iter()
        .map(|item| {
            i64::from(item.quantity)
                .saturating_mul(item.unit_price)
                .saturating_sub(item.discount)
        })
        .sum();
    items.saturating_add(order.shipping.price)
}
