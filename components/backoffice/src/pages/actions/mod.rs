//! What an operator can do to an order from its page: a form per action the status table allows
//! (`orderflow_domain::order::rule`) and the operator's role permits, each posted with the
//! session's CSRF token and the version the operator saw (a change meanwhile is refused, not
//! overwritten), and applied through `orders.apply-by-operator`, so the history names the
//! operator. A refusal comes back on the order's page with the service's message and the form
//! as it was typed.

mod command;
mod form;

use http_common::names;
use http_common::orders;
use http_common::types::{InvoiceKind, Order};
use http_common::{ApiError, Reply};
use maud::{Markup, html};
use orderflow_domain::order::{CommandKind, Rule, Status, rule};

use crate::i18n::Lang;
use crate::operators::Role;
use crate::web::{self, Ctx, field};

/// The actions of the panel, by their path segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Action {
    ApprovePayment,
    StartHandling,
    Invoice,
    Shipment,
    Tracking,
    Hold,
    Unhold,
    Change,
    Edit,
    ReturnInvoice,
    Refund,
    Cancel,
    Comment,
    Reprocess,
}

impl Action {
    /// In the order the page offers them: the order's way forward first.
    const ALL: [Action; 14] = [
        Action::ApprovePayment,
        Action::StartHandling,
        Action::Invoice,
        Action::Shipment,
        Action::Tracking,
        Action::Hold,
        Action::Unhold,
        Action::Change,
        Action::Edit,
        Action::ReturnInvoice,
        Action::Refund,
        Action::Cancel,
        Action::Comment,
        Action::Reprocess,
    ];

    fn path(self) -> &'static str {
        match self {
            Action::ApprovePayment => "approve-payment",
            Action::StartHandling => "start-handling",
            Action::Invoice => "invoice",
            Action::Shipment => "shipment",
            Action::Tracking => "tracking",
            Action::Hold => "hold",
            Action::Unhold => "unhold",
            Action::Change => "change",
            Action::Edit => "edit",
            Action::ReturnInvoice => "return-invoice",
            Action::Refund => "refund",
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
            Action::Shipment => CommandKind::AddShipment,
            Action::Tracking => CommandKind::AddTrackingEvent,
            Action::Hold => CommandKind::Hold,
            Action::Unhold => CommandKind::Unhold,
            Action::Change => CommandKind::Change,
            Action::Edit => CommandKind::Edit,
            Action::ReturnInvoice => CommandKind::ReturnInvoice,
            Action::Refund => CommandKind::Refund,
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
            Action::Shipment => ("Adicionar rastreio", "Add tracking"),
            Action::Tracking => ("Registrar evento de entrega", "Record a tracking event"),
            Action::Hold => ("Colocar em espera", "Put on hold"),
            Action::Unhold => ("Retirar da espera", "Release from hold"),
            Action::Change => ("Alterar itens e valores", "Change items and prices"),
            Action::Edit => ("Editar endereços", "Edit addresses"),
            Action::ReturnInvoice => (
                "Registrar devolução (NF-e de entrada)",
                "Record a return (input NF-e)",
            ),
            Action::Refund => ("Reembolsar", "Refund"),
            Action::Cancel => ("Cancelar pedido", "Cancel order"),
            Action::Comment => ("Comentar", "Comment"),
            Action::Reprocess => ("Reprocessar", "Reprocess"),
        };
        l.pick(pt, en)
    }

    /// Whether `role` may take this action: refunds are the admin's.
    fn permitted(self, role: Role) -> bool {
        self != Action::Refund || role == Role::Admin
    }

    /// Whether the panel offers this action on `order`: the status table lets it run, and it
    /// has something to act on (a balance to approve, an invoice to ship, a parcel to track, a
    /// payment to refund, a problem to reprocess).
    fn offered(self, order: &Order) -> bool {
        let allowed = Status::parse(names::order_status(order.status))
            .is_some_and(|s| rule(s, self.kind()) == Rule::Allowed);
        allowed
            && match self {
                Action::ApprovePayment => order.totals.balance > 0,
                Action::Shipment => order.invoices.iter().any(|i| i.kind == InvoiceKind::Output),
                Action::Tracking => !order.shipments.is_empty(),
                Action::ReturnInvoice => order.items.iter().any(|i| i.invoiced > i.returned),
                Action::Refund => order.totals.paid > order.totals.refunded,
                Action::Reprocess => !order.problems.is_empty(),
                Action::StartHandling
                | Action::Invoice
                | Action::Hold
                | Action::Unhold
                | Action::Change
                | Action::Edit
                | Action::Cancel
                | Action::Comment => true,
            }
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

/// The actions the order offers the operator: one-click ones as buttons, the others as forms
/// that unfold.
pub(crate) fn forms(ctx: &Ctx, order: &Order, refused: Option<Refused<'_>>) -> Markup {
    let l = ctx.lang;
    let role = ctx.who.as_ref().map(|(operator, _)| operator.role);
    let offered: Vec<Action> = Action::ALL
        .into_iter()
        .filter(|a| a.offered(order) && role.is_some_and(|r| a.permitted(r)))
        .collect();
    html! {
        div.buttons {
            @for action in offered.iter().copied().filter(|a| !a.has_fields()) {
                (form::form(ctx, order, action, None))
            }
        }
        div.actions {
            @for action in offered.iter().copied().filter(|a| a.has_fields()) {
                @let typed = refused.filter(|(a, _)| *a == action).map(|(_, typed)| typed);
                details.action open[typed.is_some()] {
                    summary { (action.label(l)) }
                    (form::form(ctx, order, action, typed))
                }
            }
        }
    }
}

/// Applies a posted action as the signed-in operator: back to the order's page, or the page
/// again with why it was refused (403 for an action the operator's role does not allow).
pub(crate) fn post(ctx: &Ctx, id: &str, action: Action, form: &[(String, String)]) -> Reply {
    let Some((operator, _)) = &ctx.who else {
        return web::redirect("/admin/sign-in");
    };
    let l = ctx.lang;
    let version = field(form, "version").parse::<u64>().ok();
    let (_, now) = web::now();
    let refused = if action.permitted(operator.role) {
        match command::parse(l, action, form, &now) {
            Ok(command) => {
                match orders::apply_by_operator(id, &command, &operator.name, version, None) {
                    Ok(_) => return web::redirect(&after(id, action, field(form, "back"))),
                    Err(e) => ApiError::from_service(&e),
                }
            }
            Err(message) => ApiError::new(422, "validation-failed", message),
        }
    } else {
        ApiError::new(
            403,
            "forbidden",
            l.pick(
                "Seu perfil de acesso não permite esta ação; peça a um administrador.",
                "Your role does not allow this action; ask an administrator.",
            ),
        )
    };
    crate::pages::order::page_with(ctx, id, Some((&refused, (action, form))), None)
}

/// Where an action that went through leads: the panel page it was posted from (`back`, a list
/// such as "Pendentes"), or the order's page, with the action named for its notice.
fn after(id: &str, action: Action, back: &str) -> String {
    if web::within_panel(back) {
        let joint = if back.contains('?') { '&' } else { '?' };
        format!("{back}{joint}done={}", action.path())
    } else {
        format!("/admin/orders/{id}?done={}", action.path())
    }
}

/// The notice after an action went through.
pub(crate) fn done(l: Lang, path: &str) -> Option<&'static str> {
    Action::parse(path).map(|action| match action {
        Action::ApprovePayment => l.pick("Pagamento aprovado.", "Payment approved."),
        Action::StartHandling => l.pick("Preparação iniciada.", "Handling started."),
        Action::Invoice => l.pick("Nota fiscal registrada.", "Invoice recorded."),
        Action::Shipment => l.pick("Rastreio adicionado.", "Tracking added."),
        Action::Tracking => l.pick("Evento de entrega registrado.", "Tracking event recorded."),
        Action::Hold => l.pick("Pedido em espera.", "Order put on hold."),
        Action::Unhold => l.pick("Pedido retirado da espera.", "Order released from hold."),
        Action::Change => l.pick("Pedido alterado.", "Order changed."),
        Action::Edit => l.pick("Endereços atualizados.", "Addresses updated."),
        Action::ReturnInvoice => l.pick("Devolução registrada.", "Return recorded."),
        Action::Refund => l.pick("Reembolso registrado.", "Refund recorded."),
        Action::Cancel => l.pick("Pedido cancelado.", "Order canceled."),
        Action::Comment => l.pick("Comentário registrado.", "Comment recorded."),
        Action::Reprocess => l.pick("Pedido reprocessado.", "Order reprocessed."),
    })
}
