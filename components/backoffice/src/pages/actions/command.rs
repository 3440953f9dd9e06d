//! The command a posted form asks for. Only what a form alone can get wrong is checked here
//! (an amount that is not one, a quantity that is not a number); the rest is the service's to
//! judge, and its refusal is shown with the form.

use http_common::types::{
    Address, Command, InvoiceKind, ItemQuantity, ManualPayment, NewComment, NewInvoice, NewItem,
    NewRefund, NewShipment, NewTrackingEvent, OrderChange, OrderEdit, PriceChange, TrackingStatus,
};

use super::Action;
use crate::i18n::Lang;
use crate::pages::orders::amount;
use crate::web::field;

/// A form's fields, read as the command wants them.
struct Form<'a> {
    l: Lang,
    fields: &'a [(String, String)],
}

impl Form<'_> {
    fn text(&self, name: &str) -> String {
        field(self.fields, name).trim().to_owned()
    }

    fn optional(&self, name: &str) -> Option<String> {
        Some(self.text(name)).filter(|t| !t.is_empty())
    }

    fn flag(&self, name: &str) -> bool {
        field(self.fields, name) == "true"
    }

    fn problem(&self, label: &str, pt: &'static str, en: &'static str) -> String {
        format!("{label}: {}", self.l.pick(pt, en))
    }

    /// An amount in units (`114,80`), possibly negative where `signed`; blank is `None`.
    fn money(&self, name: &str, label: &str, signed: bool) -> Result<Option<i64>, String> {
        let text = self.text(name);
        let (negative, digits) = match text.strip_prefix('-') {
            Some(rest) if signed => (true, rest.trim()),
            _ => (false, text.as_str()),
        };
        let minor = amount(digits).map_err(|()| {
            self.problem(
                label,
                "informe um valor, como 114,80",
                "give an amount, such as 114.80",
            )
        })?;
        Ok(minor.map(|m| if negative { -m } else { m }))
    }

    fn required_money(&self, name: &str, label: &str) -> Result<i64, String> {
        self.money(name, label, false)?.ok_or_else(|| {
            self.problem(
                label,
                "informe um valor, como 114,80",
                "give an amount, such as 114.80",
            )
        })
    }

    /// A whole quantity; blank is `None`.
    fn quantity(&self, name: &str, label: &str) -> Result<Option<u32>, String> {
        let text = self.text(name);
        if text.is_empty() {
            return Ok(None);
        }
        text.parse().map(Some).map_err(|_| {
            self.problem(
                label,
                "informe uma quantidade inteira, como 2",
                "give a whole quantity, such as 2",
            )
        })
    }

    /// The quantities given per item (`{prefix}.{sku}`), the blank and zero ones left out.
    fn per_item(&self, prefix: &str) -> Result<Vec<ItemQuantity>, String> {
        let mut lines = Vec::new();
        for (name, _) in self.fields {
            let Some(sku) = name.strip_prefix(prefix).and_then(|n| n.strip_prefix('.')) else {
                continue;
            };
            if let Some(quantity) = self.quantity(name, sku)?.filter(|q| *q > 0) {
                lines.push(ItemQuantity {
                    sku: sku.to_owned(),
                    quantity,
                });
            }
        }
        Ok(lines)
    }

    fn address(&self, prefix: &str) -> Address {
        let part = |name: &str| self.text(&format!("{prefix}.{name}"));
        let optional = |name: &str| Some(part(name)).filter(|t| !t.is_empty());
        Address {
            street: part("street"),
            number: part("number"),
            complement: optional("complement"),
            neighborhood: optional("neighborhood"),
            city: part("city"),
            state: part("state"),
            postal_code: part("postalCode"),
            country: part("country"),
        }
    }
}

/// The command `action`'s posted `fields` ask for, at `now`, or what is wrong with them.
pub(super) fn parse(
    l: Lang,
    action: Action,
    fields: &[(String, String)],
    now: &str,
) -> Result<Command, String> {
    let f = Form { l, fields };
    Ok(match action {
        Action::ApprovePayment => Command::ManualPayment(ManualPayment {
            amount: f.required_money("amount", l.pick("Valor recebido", "Amount received"))?,
            note: f.optional("note"),
        }),
        Action::StartHandling => Command::StartHandling,
        Action::Invoice | Action::ReturnInvoice => {
            let returned = f.per_item("qty")?;
            Command::AddInvoice(NewInvoice {
                kind: if action == Action::Invoice {
                    InvoiceKind::Output
                } else {
                    InvoiceKind::Input
                },
                number: f.text("number"),
                series: f.optional("series"),
                key: f
                    .optional("key")
                    .map(|k| k.chars().filter(|c| !c.is_whitespace()).collect()),
                value: f.required_money("value", l.pick("Valor", "Value"))?,
                issued_at: now.to_owned(),
                url: None,
                items: (!returned.is_empty()).then_some(returned),
                tracking: None,
            })
        }
        Action::Shipment => Command::AddShipment(NewShipment {
            invoice_number: f.text("invoiceNumber"),
            carrier: f.text("carrier"),
            title: None,
            number: f.text("number"),
            url: f.optional("url"),
            notify_customer: f.flag("notifyCustomer"),
        }),
        Action::Tracking => Command::AddTrackingEvent(NewTrackingEvent {
            shipment: f.text("shipment"),
            status: match field(fields, "status") {
                "delivered" => TrackingStatus::Delivered,
                "delivery-difficulty" => TrackingStatus::DeliveryDifficulty,
                _ => TrackingStatus::InTransit,
            },
            description: f.optional("description"),
            city: f.optional("city"),
            state: f.optional("state"),
            occurred_at: now.to_owned(),
        }),
        Action::Hold => Command::Hold(f.text("reason")),
        Action::Unhold => Command::Unhold,
        Action::Change => change(&f)?,
        Action::Edit => Command::Edit(OrderEdit {
            customer: None,
            shipping_address: Some(f.address("ship")),
            billing_address: Some(f.address("bill")).filter(|a| !a.street.is_empty()),
            shipping: None,
        }),
        Action::Refund => Command::Refund(NewRefund {
            amount: f.required_money("amount", l.pick("Valor a reembolsar", "Amount to refund"))?,
            items: f.per_item("qty")?,
            return_to_stock: f.flag("returnToStock"),
            comment: f.optional("comment"),
            notify_customer: f.flag("notifyCustomer"),
        }),
        Action::Cancel => Command::Cancel(f.text("reason")),
        Action::Comment => Command::Comment(NewComment {
            text: f.text("text"),
            notify_customer: f.flag("notifyCustomer"),
            visible_to_customer: f.flag("visibleToCustomer"),
        }),
        Action::Reprocess => Command::Reprocess,
    })
}

fn change(f: &Form<'_>) -> Result<Command, String> {
    let l = f.l;
    let mut prices = Vec::new();
    for (name, _) in f.fields {
        let Some(sku) = name.strip_prefix("price.") else {
            continue;
        };
        if let Some(unit_price) = f.money(name, sku, false)? {
            prices.push(PriceChange {
                sku: sku.to_owned(),
                unit_price,
            });
        }
    }
    let mut add = Vec::new();
    if let Some(sku) = f.optional("addSku") {
        add.push(NewItem {
            sku,
            name: f.text("addName"),
            quantity: f
                .quantity("addQuantity", l.pick("Quantidade", "Quantity"))?
                .unwrap_or(1),
            unit_price: f.required_money("addPrice", l.pick("Preço unitário", "Unit price"))?,
            discount: 0,
        });
    }
    Ok(Command::Change(OrderChange {
        request_id: request_id(),
        reason: f.text("reason"),
        add,
        remove: f.per_item("remove")?,
        prices,
        discount: f
            .money(
                "discount",
                l.pick("Desconto adicional", "Extra discount"),
                true,
            )?
            .unwrap_or(0),
        increment: 0,
    }))
}

/// A change's request id: each posted form is one change.
fn request_id() -> String {
    let bytes = wasi::random::random::get_random_bytes(12);
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("panel-{hex}")
}
