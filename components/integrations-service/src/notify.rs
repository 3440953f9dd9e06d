//! Customer notifications: a message per order step, in Brazilian Portuguese by default or in
//! English, which the store may replace template by template; an operator's comment with
//! `notifyCustomer` sends the operator's own text.
//!
//! A template has a subject, a text body and an HTML body with `{{name}}` placeholders filled
//! from the order as it was after the event (the HTML body's values are escaped). What a
//! template may use: `number`, `customerName`, `total`, `items` (one line per item; in HTML a
//! list), `trackingUrl`, `trackingNumber`, `carrier`, `invoiceNumber`, `invoiceKey`, `status`,
//! `comment`. An unknown placeholder is left as written, so a typo shows in the message.

use orderflow_domain::values::Currency;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::feed::Event;

/// A message's language.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Locale {
    /// Brazilian Portuguese, the default.
    #[default]
    #[serde(rename = "pt-BR")]
    PtBr,
    /// English.
    #[serde(rename = "en")]
    En,
}

impl Locale {
    /// Parses `pt-BR` or `en`.
    pub fn parse(text: &str) -> Option<Locale> {
        match text {
            "pt-BR" => Some(Locale::PtBr),
            "en" => Some(Locale::En),
            _ => None,
        }
    }

    /// As written in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Locale::PtBr => "pt-BR",
            Locale::En => "en",
        }
    }
}

/// A message template.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Template {
    /// The subject line.
    pub subject: String,
    /// The plain-text body.
    pub text: String,
    /// The HTML body.
    pub html: String,
}

/// The steps a customer hears of, by the name templates are kept under.
pub const STEPS: [&str; 9] = [
    "order.placed",
    "order.payment-approved",
    "order.handling-started",
    "order.invoiced",
    "order.shipped",
    "order.delivered",
    "order.canceled",
    "order.refunded",
    "order.commented",
];

/// The template name an event is told under, if the customer hears of it.
pub fn step_of(event: &Event, data: &Value) -> Option<&'static str> {
    let step = match event.kind.as_str() {
        "order.placed" => "order.placed",
        "order.payment-approved" => "order.payment-approved",
        "order.handling-started" => "order.handling-started",
        "order.invoiced" => "order.invoiced",
        "order.shipment-added" => "order.shipped",
        "order.tracking-updated" if event.to.as_deref() == Some("delivered") => "order.delivered",
        "order.canceled" => "order.canceled",
        "order.refunded" => "order.refunded",
        "order.commented" if last_comment(&data["order"])["notifyCustomer"] == true => {
            "order.commented"
        }
        _ => return None,
    };
    Some(step)
}

/// The default template of a step.
pub fn default_template(step: &str, locale: Locale) -> Option<Template> {
    let (subject, lead) = match (locale, step) {
        (Locale::PtBr, "order.placed") => (
            "Recebemos seu pedido #{{number}}",
            "Olá, {{customerName}}! Recebemos seu pedido #{{number}} no valor de {{total}}. \
             Avisaremos assim que o pagamento for confirmado.",
        ),
        (Locale::PtBr, "order.payment-approved") => (
            "Pagamento aprovado: pedido #{{number}}",
            "Olá, {{customerName}}! O pagamento do pedido #{{number}} ({{total}}) foi aprovado \
             e já vamos preparar o envio.",
        ),
        (Locale::PtBr, "order.handling-started") => (
            "Pedido #{{number}} em separação",
            "Olá, {{customerName}}! Seu pedido #{{number}} está sendo separado em nosso estoque.",
        ),
        (Locale::PtBr, "order.invoiced") => (
            "Nota fiscal do pedido #{{number}}",
            "Olá, {{customerName}}! Emitimos a nota fiscal {{invoiceNumber}} do pedido \
             #{{number}}. Chave de acesso da NF-e: {{invoiceKey}}.",
        ),
        (Locale::PtBr, "order.shipped") => (
            "Pedido #{{number}} enviado",
            "Olá, {{customerName}}! Seu pedido #{{number}} foi enviado pela {{carrier}}. \
             Código de rastreio: {{trackingNumber}}. Acompanhe a entrega em {{trackingUrl}}.",
        ),
        (Locale::PtBr, "order.delivered") => (
            "Pedido #{{number}} entregue",
            "Olá, {{customerName}}! Seu pedido #{{number}} foi entregue. Obrigado pela compra!",
        ),
        (Locale::PtBr, "order.canceled") => (
            "Pedido #{{number}} cancelado",
            "Olá, {{customerName}}! Seu pedido #{{number}} foi cancelado. Se já houve \
             pagamento, o valor será devolvido.",
        ),
        (Locale::PtBr, "order.refunded") => (
            "Reembolso do pedido #{{number}}",
            "Olá, {{customerName}}! Registramos um reembolso no pedido #{{number}}.",
        ),
        (Locale::PtBr, "order.commented") => (
            "Atualização do pedido #{{number}}",
            "Olá, {{customerName}}! {{comment}}",
        ),
        (Locale::En, "order.placed") => (
            "We received your order #{{number}}",
            "Hello, {{customerName}}! We received your order #{{number}} of {{total}}. We will \
             let you know as soon as the payment is confirmed.",
        ),
        (Locale::En, "order.payment-approved") => (
            "Payment approved: order #{{number}}",
            "Hello, {{customerName}}! The payment of order #{{number}} ({{total}}) was approved \
             and we are getting it ready.",
        ),
        (Locale::En, "order.handling-started") => (
            "Order #{{number}} is being prepared",
            "Hello, {{customerName}}! Your order #{{number}} is being picked and packed.",
        ),
        (Locale::En, "order.invoiced") => (
            "Invoice for order #{{number}}",
            "Hello, {{customerName}}! We issued invoice {{invoiceNumber}} for order #{{number}}. \
             Access key: {{invoiceKey}}.",
        ),
        (Locale::En, "order.shipped") => (
            "Order #{{number}} has shipped",
            "Hello, {{customerName}}! Your order #{{number}} left with {{carrier}}. Tracking \
             number: {{trackingNumber}}. Follow it at {{trackingUrl}}.",
        ),
        (Locale::En, "order.delivered") => (
            "Order #{{number}} was delivered",
            "Hello, {{customerName}}! Your order #{{number}} was delivered. Thank you!",
        ),
        (Locale::En, "order.canceled") => (
            "Order #{{number}} was canceled",
            "Hello, {{customerName}}! Your order #{{number}} was canceled. Any payment made will \
             be returned.",
        ),
        (Locale::En, "order.refunded") => (
            "Refund for order #{{number}}",
            "Hello, {{customerName}}! We recorded a refund on order #{{number}}.",
        ),
        (Locale::En, "order.commented") => (
            "Update on order #{{number}}",
            "Hello, {{customerName}}! {{comment}}",
        ),
        _ => return None,
    };
    let items_heading = match locale {
        Locale::PtBr => "Itens",
        Locale::En => "Items",
    };
    Some(Template {
        subject: subject.to_owned(),
        text: format!("{lead}\n\n{items_heading}:\n{{{{items}}}}\n\nTotal: {{{{total}}}}\n"),
        html: format!(
            "<p>{lead}</p><h3>{items_heading}</h3>{{{{items}}}}<p><strong>Total: \
             {{{{total}}}}</strong></p>"
        ),
    })
}

/// A rendered message, as the email endpoint receives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Message {
    /// The customer's email.
    pub to: String,
    /// The customer's name.
    pub to_name: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    pub locale: Locale,
    /// The step's template name.
    pub template: String,
    pub order_id: String,
    pub order_number: u64,
    /// The event it tells of.
    pub event_id: String,
}

/// Renders `template` for `event`, whose `data` holds `{"event", "order"}`.
pub fn render(
    template: &Template,
    step: &str,
    locale: Locale,
    event: &Event,
    data: &Value,
) -> Option<Message> {
    let order = &data["order"];
    let to = order["customer"]["email"].as_str()?.to_owned();
    let values = values(order, locale);
    let fill = |text: &str, html: bool| {
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(start) = rest.find("{{") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            match after.find("}}") {
                Some(end) => {
                    let name = after[..end].trim();
                    match values.iter().find(|(n, _, _)| *n == name) {
                        Some((_, _, markup)) if html => out.push_str(markup),
                        Some((_, plain, _)) => out.push_str(plain),
                        None => out.push_str(&rest[start..start + 2 + end + 2]),
                    }
                    rest = &after[end + 2..];
                }
                None => {
                    out.push_str(&rest[start..]);
                    rest = "";
                }
            }
        }
        out.push_str(rest);
        out
    };
    Some(Message {
        to,
        to_name: order["customer"]["name"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        subject: fill(&template.subject, false),
        text: fill(&template.text, false),
        html: fill(&template.html, true),
        locale,
        template: step.to_owned(),
        order_id: order["id"].as_str().unwrap_or_default().to_owned(),
        order_number: order["number"].as_u64().unwrap_or(0),
        event_id: event.id.clone(),
    })
}

/// (name, plain value, HTML value) of every placeholder.
fn values(order: &Value, locale: Locale) -> Vec<(&'static str, String, String)> {
    let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
    let currency = order["currency"]
        .as_str()
        .and_then(|c| Currency::parse(c).ok());
    let money = |v: &Value| format_money(v.as_i64().unwrap_or(0), currency, locale);
    let items: Vec<(String, u64, String)> = order["items"]
        .as_array()
        .map(|items| {
            items
                .iter()
                .map(|i| {
                    (
                        i["name"]
                            .as_str()
                            .or(i["sku"].as_str())
                            .unwrap_or_default()
                            .to_owned(),
                        i["quantity"].as_u64().unwrap_or(0),
                        money(&i["unitPrice"]),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let items_text = items
        .iter()
        .map(|(name, q, price)| format!("- {q} x {name} ({price})"))
        .collect::<Vec<_>>()
        .join("\n");
    let items_html = format!(
        "<ul>{}</ul>",
        items
            .iter()
            .map(|(name, q, price)| format!("<li>{q} x {} ({})</li>", escape(name), escape(price)))
            .collect::<String>()
    );
    let shipment = order["shipments"]
        .as_array()
        .and_then(|s| s.last())
        .cloned()
        .unwrap_or(Value::Null);
    let invoice = order["invoices"]
        .as_array()
        .and_then(|i| i.iter().rev().find(|i| i["type"] == "output"))
        .cloned()
        .unwrap_or(Value::Null);
    let plain = vec![
        ("number", order["number"].as_u64().unwrap_or(0).to_string()),
        ("customerName", text(&order["customer"]["name"])),
        ("total", money(&order["totals"]["total"])),
        ("trackingUrl", text(&shipment["url"])),
        ("trackingNumber", text(&shipment["number"])),
        ("carrier", text(&shipment["carrier"])),
        ("invoiceNumber", text(&invoice["number"])),
        ("invoiceKey", text(&invoice["key"])),
        ("status", text(&order["status"])),
        ("comment", text(&last_comment(order)["text"])),
    ];
    let mut all: Vec<(&'static str, String, String)> = plain
        .into_iter()
        .map(|(name, value)| {
            let html = escape(&value);
            (name, value, html)
        })
        .collect();
    all.push(("items", items_text, items_html));
    all
}

/// The order's newest comment (the one a `commented` event added).
fn last_comment(order: &Value) -> &Value {
    order["comments"]
        .as_array()
        .and_then(|c| c.last())
        .unwrap_or(&Value::Null)
}

/// Minor units as the locale writes money: `R$ 1.234,56`, `BRL 1,234.56`.
pub fn format_money(minor: i64, currency: Option<Currency>, locale: Locale) -> String {
    let exponent = currency.map_or(2, Currency::exponent);
    let code = currency.map_or_else(String::new, |c| c.as_str().to_owned());
    let negative = minor < 0;
    let digits = minor.unsigned_abs().to_string();
    let exponent = usize::try_from(exponent).unwrap_or(2);
    let padded = format!("{digits:0>width$}", width = exponent + 1);
    let (whole, fraction) = padded.split_at(padded.len() - exponent);
    let (group, decimal) = match locale {
        Locale::PtBr => ('.', ','),
        Locale::En => (',', '.'),
    };
    let mut grouped = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            grouped.push(group);
        }
        grouped.push(c);
    }
    let number = if exponent == 0 {
        grouped
    } else {
        format!("{grouped}{decimal}{fraction}")
    };
    let symbol = match (locale, code.as_str()) {
        (Locale::PtBr, "BRL") => "R$".to_owned(),
        _ => code,
    };
    let sign = if negative { "-" } else { "" };
    format!("{sign}{symbol} {number}")
}

/// Escapes text for HTML.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_is_written_as_each_locale_writes_it() {
        let brl = Currency::parse("BRL").ok();
        assert_eq!(format_money(123_456, brl, Locale::PtBr), "R$ 1.234,56");
        assert_eq!(format_money(123_456, brl, Locale::En), "BRL 1,234.56");
        assert_eq!(format_money(5, brl, Locale::PtBr), "R$ 0,05");
        assert_eq!(
            format_money(-100_000_000, brl, Locale::PtBr),
            "-R$ 1.000.000,00"
        );
        let jpy = Currency::parse("JPY").ok();
        assert_eq!(format_money(1500, jpy, Locale::En), "JPY 1,500");
    }

    #[test]
    fn every_step_has_a_default_in_both_languages() {
        for step in STEPS {
            for locale in [Locale::PtBr, Locale::En] {
                let template = default_template(step, locale).expect("a default");
                assert!(template.subject.contains("{{number}}"), "{step} {locale:?}");
            }
        }
    }

    #[test]
    fn html_values_are_escaped_and_unknown_placeholders_stay() {
        let template = Template {
            subject: "#{{number}} {{nope}}".to_owned(),
            text: "{{customerName}}".to_owned(),
            html: "<p>{{customerName}}</p>".to_owned(),
        };
        let data = serde_json::json!({
            "event": {},
            "order": {"id": "o-1", "number": 7, "currency": "BRL",
                      "customer": {"name": "Ana <b>", "email": "ana@example.com"},
                      "totals": {"total": 100}, "items": []}
        });
        let event = Event {
            id: "evt_o1_0".to_owned(),
            position: 1,
            kind: "order.placed".to_owned(),
            order_id: Some("o-1".to_owned()),
            subscription_id: None,
            sku: None,
            channel: None,
            from: None,
            to: Some("payment-pending".to_owned()),
            at: orderflow_domain::values::Timestamp::from_unix_seconds(0).expect("epoch"),
            data: serde_json::value::to_raw_value(&data).expect("json"),
        };
        let message =
            render(&template, "order.placed", Locale::PtBr, &event, &data).expect("a message");
        assert_eq!(message.subject, "#7 {{nope}}");
        assert_eq!(message.text, "Ana <b>");
        assert_eq!(message.html, "<p>Ana &lt;b&gt;</p>");
        assert_eq!(message.to, "ana@example.com");
    }
}
