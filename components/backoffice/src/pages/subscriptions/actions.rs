//! What an operator can do to a subscription from its page: the commands of
//! `orderflow:core/subscriptions` its status allows, each a form ([`super::forms`]) posted with
//! the session's CSRF token and the version the operator saw (a change meanwhile is refused, not
//! overwritten), applied with `subscriptions.apply`. A refusal comes back on the subscription's
//! page with the service's message and the form as it was typed.

use http_common::{ApiError, Reply};
use subscriptions_client::subs::{self, Command, OrderEdit, SubscriptionStatus};

use super::detail;
use super::edit;
use super::error;
use super::href;
use crate::i18n::Lang;
use crate::web::{self, Ctx, field};

/// The actions of the panel, by their path segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Action {
    Pause,
    Resume,
    Skip,
    Cancel,
    Schedule,
    Items,
}

impl Action {
    pub(super) const ALL: [Action; 6] = [
        Action::Resume,
        Action::Skip,
        Action::Pause,
        Action::Cancel,
        Action::Schedule,
        Action::Items,
    ];

    pub(super) fn path(self) -> &'static str {
        match self {
            Action::Pause => "pause",
            Action::Resume => "resume",
            Action::Skip => "skip",
            Action::Cancel => "cancel",
            Action::Schedule => "schedule",
            Action::Items => "items",
        }
    }

    pub(super) fn parse(path: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|a| a.path() == path)
    }

    pub(super) fn label(self, l: Lang) -> &'static str {
        let (pt, en) = match self {
            Action::Pause => ("Pausar", "Pause"),
            Action::Resume => ("Retomar", "Resume"),
            Action::Skip => ("Pular próximo ciclo", "Skip next cycle"),
            Action::Cancel => ("Cancelar assinatura", "Cancel subscription"),
            Action::Schedule => (
                "Alterar agenda e próxima cobrança",
                "Change schedule and next charge",
            ),
            Action::Items => ("Alterar itens", "Change items"),
        };
        l.pick(pt, en)
    }

    /// Whether the status table (`orderflow_domain::subscription::Command`) lets the action run:
    /// pause while active, resume while paused, the others while either; nothing once canceled
    /// or finished.
    pub(super) fn offered(self, status: SubscriptionStatus) -> bool {
        match status {
            SubscriptionStatus::Active => self != Action::Resume,
            SubscriptionStatus::Paused => self != Action::Pause,
            SubscriptionStatus::Canceled | SubscriptionStatus::Finished => false,
        }
    }

    /// Whether the action asks for more than a click.
    pub(super) fn has_fields(self) -> bool {
        !matches!(self, Action::Resume | Action::Skip)
    }

    /// Whether its form is wide (a form of many fields, a row of its own).
    pub(super) fn wide(self) -> bool {
        matches!(self, Action::Schedule | Action::Items)
    }
}

/// A form posted and refused: which action, and what was typed (shown again, its form open).
pub(super) type Refused<'a> = (Action, &'a [(String, String)]);

/// The command a posted form asks for, or why it cannot be sent.
fn command(
    ctx: &Ctx,
    id: &str,
    action: Action,
    form: &[(String, String)],
) -> Result<Command, ApiError> {
    let l = ctx.lang;
    let reason = Some(field(form, "reason").trim().to_owned()).filter(|r| !r.is_empty());
    Ok(match action {
        Action::Pause => Command::Pause(reason),
        Action::Resume => Command::Resume,
        Action::Skip => Command::SkipNext,
        Action::Cancel if reason.is_none() => {
            return Err(edit::invalid(
                "reason",
                "required",
                l.pick("informe o motivo", "give a reason"),
            ));
        }
        Action::Cancel => Command::Cancel(reason),
        Action::Schedule => {
            // Fields left as shown keep the subscription's exact values (the form shows minutes
            // and days in the store's zone).
            let current = subs::get(id).map_err(|e| error::from_service(&e))?;
            Command::EditSchedule(edit::schedule(ctx, form, &current)?)
        }
        Action::Items => Command::EditOrder(OrderEdit {
            customer: None,
            shipping_address: None,
            billing_address: None,
            items: Some(edit::items(l, form)?),
            shipping: None,
            payment_method: None,
        }),
    })
}

/// Applies a posted action: back to the subscription's page with a notice, or the page again with
/// why it was refused.
pub(super) fn post(ctx: &Ctx, id: &str, action: Action, form: &[(String, String)]) -> Reply {
    if ctx.who.is_none() {
        return web::redirect("/admin/sign-in");
    }
    let refused = match field(form, "version").parse::<u64>() {
        Err(_) => ApiError::new(
            422,
            "validation-failed",
            "the form carries no version; reload the page",
        ),
        Ok(version) => match command(ctx, id, action, form) {
            Ok(command) => match subs::apply(id, &command, Some(version), None) {
                Ok(_) => return web::redirect(&format!("{}?done={}", href(id), action.path())),
                Err(e) => error::from_service(&e),
            },
            Err(refused) => refused,
        },
    };
    detail::page_with(ctx, id, Some((&refused, (action, form))), None, None)
}

/// The notice after an action went through.
pub(super) fn done(l: Lang, path: &str) -> Option<&'static str> {
    Action::parse(path).map(|action| match action {
        Action::Pause => l.pick("Assinatura pausada.", "Subscription paused."),
        Action::Resume => l.pick("Assinatura retomada.", "Subscription resumed."),
        Action::Skip => l.pick(
            "O próximo ciclo será pulado.",
            "The next cycle will be skipped.",
        ),
        Action::Cancel => l.pick("Assinatura cancelada.", "Subscription canceled."),
        Action::Schedule => l.pick("Agenda alterada.", "Schedule changed."),
        Action::Items => l.pick("Itens alterados.", "Items changed."),
    })
}
