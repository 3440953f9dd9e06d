//! What an operator can do to an order from its page: a form per action the status table allows
//! (`orderflow_domain::order::rule`), each posted with the session's CSRF token and the version
//! the operator saw (a change meanwhile is refused, not overwritten), and applied through
//! `orders.apply-by-operator`, so the history names the operator. A refusal comes back on the
//! order's page with the service's message.

use http_common::names;
use http_common::orders;
use http_common::types::{Command, InvoiceKind, ManualPayment, NewComment, NewInvoice, Order};
use http_common::{ApiError, Reply};
use maud::{Markup, html};
use orderflow_domain::order::{CommandKind, Rule, Status, rule};

use crate::i18n::{self, Lang};
use crate::pages::orders::amount;
use crate::web::{self, Ctx, field};

/// The actions of the panel, by their path segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Action {
    ApprovePayment,
    StartHandling,
    Invoice,
    Hold,
    Unhold,
    Cancel,
    Comment,
    Reprocess,
}

impl Action {
    const ALL: [Action; 8] = [
        Action::ApprovePayment,
        Action::StartHandling,
        Action::Invoice,
        Action::Hold,
        Action::Unhold,
        Action::Cancel,
        Action::Comment,
        Action::Reprocess,
    ];

    fn path(self) -> &'static str {
        match self {
            Action::ApprovePayment => "approve-payment",
            Action::StartHandling => "start-handling",
            Action::Invoice => "invoice",
            Action::Hold => "hold",
            Action::Unhold => "unhold",
            Action::Cancel => "cancel",
            Action::Comment => "comment",
            Action::Reprocess => "reprocess",
        }
    }

    pub(crate) fn parse(path: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|a| a.path() == path)
    }

    fn kind(self) -> CommandKind {
        match self {
            Action::ApprovePayment => CommandKind::ApprovePaymentManually,
            Action::StartHandling => CommandKind::StartHandling,
            Action::Invoice => CommandKind::Invoice,
            Action::Hold => CommandKind::Hold,
            Action::Unhold => CommandKind::Unhold,
            Action::Cancel => CommandKind::Cancel,
            Action::Comment => CommandKind::Comment,
            Action::Reprocess => CommandKind::Reprocess,
        }
    }

    fn label(self, l: Lang) -> &'static str {
        let (pt, en) = match self {
            Action::ApprovePayment => ("Aprovar pagamento", "Approve payment"),
            Action::StartHandling => ("Iniciar preparação", "Start handling"),
            Action::Invoice => ("Faturar (NF-e)", "Invoice (NF-e)"),
            Action::Hold => ("Colocar em espera", "Put on hold"),
            Action::Unhold => ("Retirar da espera", "Release from hold"),
            Action::Cancel => ("Cancelar pedido", "Cancel order"),
            Action::Comment => ("Comentar", "Comment"),
            Action::Reprocess => ("Reprocessar", "Reprocess"),
        };
        l.pick(pt, en)
    }

    /// Whether the panel offers this action on `order`: the status table lets it run, and an
    /// approval only while something is left to pay.
    fn offered(self, order: &Order) -> bool {
        let allowed = Status::parse(names::order_status(order.status))
            .is_some_and(|s| rule(s, self.kind()) == Rule::Allowed);
        allowed && (self != Action::ApprovePayment || order.totals.balance > 0)
    }

    /// Whether the action asks for more than a click.
    fn has_fields(self) -> bool {
        !matches!(
            self,
            Action::StartHandling | Action::Unhold | Action::Reprocess
        )
    }
}

/// A form posted and refused: which action, and what was typed (shown again, its form open).
pub(crate) type Refused<'a> = (Action, &'a [(String, String)]);

/// The actions the order offers: one-click ones as buttons, the others as forms that unfold.
pub(crate) fn forms(ctx: &Ctx, order: &Order, refused: Option<Refused<'_>>) -> Markup {
    let l = ctx.lang;
    let offered: Vec<Action> = Action::ALL
        .into_iter()
        .filter(|a| a.offered(order))
        .collect();
    html! {
        div.buttons {
            @for action in offered.iter().copied().filter(|a| !a.has_fields()) {
                (form(ctx, order, action, None))
            }
        }
        div.actions {
            @for action in offered.iter().copied().filter(|a| a.has_fields()) {
                @let typed = refused.filter(|(a, _)| *a == action).map(|(_, typed)| typed);
                details.action open[typed.is_some()] {
                    summary { (action.label(l)) }
                    (form(ctx, order, action, typed))
                }
            }
        }
    }
}

/// One action's form, its fields filled with what was `typed` (or their defaults).
fn form(ctx: &Ctx, order: &Order, action: Action, typed: Option<&[(String, String)]>) -> Markup {
    let l = ctx.lang;
    let csrf = ctx.who.as_ref().map_or("", |(_, csrf)| csrf.as_str());
    let units = |minor: i64| i18n::money(l, minor, "").trim().to_owned();
    let value = |name: &str, default: String| match typed {
        Some(typed) => field(typed, name).to_owned(),
        None => default,
    };
    let checked = |name: &str| typed.is_some_and(|t| field(t, name) == "true");
    html! {
        form method="post" action={ "/admin/orders/" (order.id) "/" (action.path()) } {
            input type="hidden" name="_csrf" value=(csrf);
            input type="hidden" name="version" value=(order.version);
            @match action {
                Action::ApprovePayment => {
                    label { (l.pick("Valor recebido", "Amount received")) input name="amount" inputmode="decimal" required value=(value("amount", units(order.totals.balance))); }
                    label { (l.pick("Observação", "Note")) input name="note" maxlength="500" value=(value("note", String::new())); }
                }
                Action::Invoice => {
                    label { (l.pick("Número", "Number")) input name="number" required maxlength="20" value=(value("number", String::new())); }
                    label { (l.pick("Série", "Series")) input name="series" maxlength="3" value=(value("series", String::new())); }
                    label { (l.pick("Chave de acesso (44 dígitos)", "Access key (44 digits)")) input name="key" inputmode="numeric" pattern="[0-9 ]{44,60}" maxlength="60" value=(value("key", String::new())); }
                    label { (l.pick("Valor", "Value")) input name="value" inputmode="decimal" required value=(value("value", units(order.totals.total))); }
                }
                Action::Hold | Action::Cancel => {
                    label { (l.pick("Motivo", "Reason")) input name="reason" required maxlength="500" value=(value("reason", String::new())); }
                }
                Action::Comment => {
                    label { (l.pick("Comentário", "Comment")) textarea name="text" required maxlength="2000" rows="2" { (value("text", String::new())) } }
                    label.check { input type="checkbox" name="notifyCustomer" value="true" checked[checked("notifyCustomer")]; (l.pick("Notificar cliente", "Notify customer")) }
                    label.check { input type="checkbox" name="visibleToCustomer" value="true" checked[checked("visibleToCustomer")]; (l.pick("Visível ao cliente", "Visible to the customer")) }
                }
                Action::StartHandling | Action::Unhold | Action::Reprocess => {}
            }
            button type="submit" { (action.label(l)) }
        }
    }
}

/// The command a posted form asks for, or what is wrong with it.
fn command(
    ctx: &Ctx,
    action: Action,
    form: &[(String, String)],
    now: &str,
) -> Result<Command, String> {
    let l = ctx.lang;
    let text = |name: &str| field(form, name).trim().to_owned();
    let optional = |name: &str| Some(text(name)).filter(|t| !t.is_empty());
    let money = |name: &str, label: &str| -> Result<i64, String> {
        amount(field(form, name).trim())
            .ok()
            .flatten()
            .ok_or_else(|| {
                format!(
                    "{label}: {}",
                    l.pick(
                        "informe um valor, como 114,80",
                        "give an amount, such as 114.80"
                    )
                )
            })
    };
    Ok(match action {
        Action::ApprovePayment => Command::ManualPayment(ManualPayment {
            amount: money("amount", l.pick("Valor recebido", "Amount received"))?,
            note: optional("note"),
        }),
        Action::StartHandling => Command::StartHandling,
        Action::Invoice => Command::AddInvoice(NewInvoice {
            kind: InvoiceKind::Output,
            number: text("number"),
            series: optional("series"),
            key: optional("key").map(|k| k.chars().filter(|c| !c.is_whitespace()).collect()),
            value: money("value", l.pick("Valor", "Value"))?,
            issued_at: now.to_owned(),
            url: None,
            items: None,
            tracking: None,
        }),
        Action::Hold => Command::Hold(text("reason")),
        Action::Unhold => Command::Unhold,
        Action::Cancel => Command::Cancel(text("reason")),
        Action::Comment => Command::Comment(NewComment {
            text: text("text"),
            notify_customer: field(form, "notifyCustomer") == "true",
            visible_to_customer: field(form, "visibleToCustomer") == "true",
        }),
        Action::Reprocess => Command::Reprocess,
    })
}

/// Applies a posted action as the signed-in operator: back to the order's page, or the page
/// again with why it was refused.
pub(crate) fn post(ctx: &Ctx, id: &str, action: Action, form: &[(String, String)]) -> Reply {
    let Some((operator, _)) = &ctx.who else {
        return web::redirect("/admin/sign-in");
    };
    let version = field(form, "version").parse::<u64>().ok();
    let (_, now) = web::now();
    let refused = match command(ctx, action, form, &now) {
        Ok(command) => {
            match orders::apply_by_operator(id, &command, &operator.name, version, None) {
                Ok(_) => {
                    return web::redirect(&format!("/admin/orders/{id}?done={}", action.path()));
                }
                Err(e) => ApiError::from_service(&e),
            }
        }
        Err(message) => ApiError::new(422, "validation-failed", message),
    };
    crate::pages::order::page_with(ctx, id, Some((&refused, (action, form))), None)
}

/// The notice after an action went through.
pub(crate) fn done(l: Lang, path: &str) -> Option<&'static str> {
    Action::parse(path).map(|action| match action {
        Action::ApprovePayment => l.pick("Pagamento aprovado.", "Payment approved."),
        Action::StartHandling => l.pick("Preparação iniciada.", "Handling started."),
        Action::Invoice => l.pick("Nota fiscal registrada.", "Invoice recorded."),
        Action::Hold => l.pick("Pedido em espera.", "Order put on hold."),
        Action::Unhold => l.pick("Pedido retirado da espera.", "Order released from hold."),
        Action::Cancel => l.pick("Pedido cancelado.", "Order canceled."),
        Action::Comment => l.pick("Comentário registrado.", "Comment recorded."),
        Action::Reprocess => l.pick("Pedido reprocessado.", "Order reprocessed."),
    })
}
