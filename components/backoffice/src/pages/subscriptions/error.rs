//! The subscriptions service's errors as the panel shows them: each with the status and code
//! the subscriptions API answers (wit/subscriptions.wit, `error` and `rule-error`), and the
//! refusals an operator meets in pt-BR.

use http_common::{ApiError, types};
use subscriptions_client::render;
use subscriptions_client::subs::{Error, RuleError};

use crate::i18n::{self, Lang};

/// An error of the subscriptions service.
pub(super) fn from_service(error: &Error) -> ApiError {
    match error {
        Error::Invalid(fields) => ApiError::invalid(fields),
        Error::NotFound => ApiError::new(404, "not-found", "no subscription with this id"),
        Error::PlanNotFound => ApiError::new(404, "plan-not-found", "no plan with this id"),
        Error::AlreadyExists => ApiError::new(409, "already-exists", "this id is taken"),
        Error::Rejected(rule) => from_rule(rule),
        Error::VersionMismatch(versions) => ApiError::new(
            409,
            "version-mismatch",
            "the subscription changed since that version; reload it and retry",
        )
        .with_detail("expected", versions.expected)
        .with_detail("actual", versions.actual),
        Error::TestClockNotFound => {
            ApiError::new(404, "test-clock-not-found", "no test clock with this id")
        }
        Error::TestClockBackwards(_) => ApiError::new(
            422,
            "test-clock-backwards",
            "a test clock only moves forward",
        ),
        Error::TestClockFull(max) => ApiError::new(
            422,
            "test-clock-full",
            format!("a test clock holds at most {max} subscriptions"),
        ),
        Error::IdempotencyKeyReused => ApiError::new(
            422,
            "idempotency-key-reused",
            "this Idempotency-Key was used with another body",
        ),
        Error::IdempotencyKeyInUse => ApiError::new(
            409,
            "idempotency-key-in-use",
            "a request with this Idempotency-Key is still running; retry it in a moment",
        ),
        Error::Contention => ApiError::new(
            503,
            "contention",
            "the subscription kept changing under concurrent writes; retry",
        ),
        Error::StoreUnavailable(reason) => crate::web::store_error(reason),
    }
}

fn from_rule(rule: &RuleError) -> ApiError {
    match rule {
        RuleError::InvalidTransition(refusal) => {
            let from = render::status(refusal.from);
            let message = match refusal.to.map(render::status) {
                Some(to) => format!("a subscription in {from} cannot move to {to}"),
                None => format!(
                    "`{}` is not allowed on a subscription in {from}",
                    refusal.command
                ),
            };
            ApiError::new(409, "invalid-transition", message)
        }
        RuleError::CycleNotPending(_) => ApiError::new(
            409,
            "cycle-not-pending",
            "that cycle is not the oldest unsettled one",
        ),
        RuleError::NoCycleToSkip => {
            ApiError::new(409, "no-cycle-to-skip", "no cycle remains to be skipped")
        }
        RuleError::TooManySkips(limit) => ApiError::new(
            409,
            "too-many-skips",
            format!("at most {limit} cycles may be marked to skip at a time"),
        ),
        RuleError::NoCycles => ApiError::new(
            422,
            "no-cycles",
            "the schedule, end date and maximum cycles leave no cycle to charge",
        ),
        RuleError::AnchorInThePast => ApiError::new(
            422,
            "anchor-in-the-past",
            "the new schedule's start is in the past; choose a time from now on",
        ),
        RuleError::Schedule(field) => ApiError::invalid(std::slice::from_ref(field)),
        // The order rules' own table (no-items, duplicate-sku, ...), as for orders.
        RuleError::Order(rule) => ApiError::from_service(&types::Error::Rejected(rule.clone())),
    }
}

/// A refusal in the panel's language: the subscriptions' codes here, the orders' and the
/// fields' as the order pages translate them.
pub(super) fn refusal(l: Lang, error: &ApiError) -> String {
    let pt = match error.code() {
        "version-mismatch" => {
            "A assinatura mudou depois que esta página foi aberta. Confira e tente de novo."
        }
        "invalid-transition" => "O status da assinatura não permite esta ação.",
        "no-cycle-to-skip" => "Não resta ciclo a pular.",
        "too-many-skips" => "Já há o máximo de ciclos marcados para pular.",
        "cycle-not-pending" => "Este ciclo não é o próximo a cobrar.",
        "no-cycles" => {
            "Com esta agenda, data final e máximo de ciclos, nenhum ciclo seria cobrado."
        }
        "anchor-in-the-past" => {
            "O início da nova agenda está no passado: escolha um momento a partir de agora."
        }
        "contention" => "A assinatura estava sendo alterada ao mesmo tempo. Tente de novo.",
        _ => return i18n::refusal(l, error),
    };
    match l {
        Lang::Pt => pt.to_owned(),
        Lang::En => error.message().to_owned(),
    }
}
