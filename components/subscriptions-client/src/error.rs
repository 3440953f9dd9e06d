//! The one function that maps an error of the subscriptions service to an HTTP status and error
//! code, as the WIT documents them (`wit/subscriptions.wit`, `rule-error` and `error`): the
//! subscriptions API answers it, and the back office shows it.

use http_common::ApiError;
use http_common::types;

use crate::render;
use crate::subs::{Error, RuleError};

/// Where the error happened, for the few errors whose answer depends on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum On {
    /// Creating a subscription: an unknown `planId` or `testClock` is a bad field (422), not a
    /// missing resource.
    Create,
    /// Any other call.
    Other,
}

/// The answer for an error of the subscriptions service.
pub fn from_service(error: &Error, on: On) -> ApiError {
    match error {
        Error::Invalid(fields) => ApiError::invalid(fields),
        Error::NotFound => ApiError::new(404, "not-found", "no subscription with this id"),
        Error::PlanNotFound if on == On::Create => ApiError::invalid(&[types::FieldError {
            field: "planId".to_owned(),
            code: "plan-not-found".to_owned(),
            message: "planId names no plan; create the plan first".to_owned(),
        }]),
        Error::PlanNotFound => ApiError::new(404, "plan-not-found", "no plan with this id"),
        Error::AlreadyExists => ApiError::new(
            409,
            "already-exists",
            "this id is taken; choose another or leave it out to get a generated one",
        ),
        Error::Rejected(rule) => from_rule(rule),
        Error::VersionMismatch(versions) => ApiError::new(
            409,
            "version-mismatch",
            "the subscription changed since that version; reload it and retry",
        )
        .with_detail("expected", versions.expected)
        .with_detail("actual", versions.actual),
        Error::TestClockNotFound if on == On::Create => ApiError::invalid(&[types::FieldError {
            field: "testClock".to_owned(),
            code: "test-clock-not-found".to_owned(),
            message: "testClock names no test clock; create it first (POST /test-clocks)"
                .to_owned(),
        }]),
        Error::TestClockNotFound => {
            ApiError::new(404, "test-clock-not-found", "no test clock with this id")
        }
        Error::TestClockBackwards(frozen) => ApiError::new(
            422,
            "test-clock-backwards",
            "a test clock only moves forward: give a frozenTime after its own",
        )
        .with_detail("field", "frozenTime")
        .with_detail("frozenTime", frozen.as_str()),
        Error::TestClockFull(max) => ApiError::new(
            422,
            "test-clock-full",
            format!("a test clock holds at most {max} subscriptions; create another clock"),
        )
        .with_detail("limit", *max),
        Error::IdempotencyKeyReused => ApiError::new(
            422,
            "idempotency-key-reused",
            "this Idempotency-Key was used with another body on this route; use a new key",
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
        )
        .with_header("retry-after", "1"),
        Error::StoreUnavailable(reason) => ApiError::new(
            503,
            "store-unavailable",
            "the key-value store is unavailable; retry later",
        )
        .with_detail("reason", reason.as_str())
        .with_header("retry-after", "5"),
    }
}

fn from_rule(rule: &RuleError) -> ApiError {
    match rule {
        RuleError::InvalidTransition(refusal) => {
            let from = render::status(refusal.from);
            let to = refusal.to.map(render::status);
            let message = match to {
                Some(to) => format!("a subscription in {from} cannot move to {to}"),
                None => format!(
                    "`{}` is not allowed on a subscription in {from}",
                    refusal.command
                ),
            };
            ApiError::new(409, "invalid-transition", message)
                .with_detail("from", from)
                .with_detail("to", to)
                .with_detail("command", refusal.command.as_str())
        }
        RuleError::CycleNotPending(number) => ApiError::new(
            409,
            "cycle-not-pending",
            "that cycle is not the oldest unsettled one",
        )
        .with_detail("cycle", *number),
        RuleError::NoCycleToSkip => {
            ApiError::new(409, "no-cycle-to-skip", "no cycle remains to be skipped")
        }
        RuleError::TooManySkips(limit) => ApiError::new(
            409,
            "too-many-skips",
            format!("at most {limit} cycles may be marked to skip at a time"),
        )
        .with_detail("limit", *limit),
        RuleError::NoCycles => ApiError::new(
            422,
            "no-cycles",
            "the schedule, end date and maximum cycles leave no cycle to charge",
        ),
        RuleError::AnchorInThePast => ApiError::new(
            422,
            "anchor-in-the-past",
            "the new schedule's anchor is in the past; choose a time from now on",
        ),
        RuleError::Schedule(field) => ApiError::invalid(std::slice::from_ref(field)),
        // The order rules' own table (total-mismatch, duplicate-sku, no-items, ...).
        RuleError::Order(rule) => ApiError::from_service(&types::Error::Rejected(rule.clone())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::subs::{SubscriptionStatus, TransitionRefusal};
    use http_common::types::VersionConflict;

    fn answer(error: &Error) -> (u16, &'static str) {
        let api = from_service(error, On::Other);
        (api.status(), api.code())
    }

    #[test]
    fn service_errors_map_to_the_statuses_of_the_wit() {
        assert_eq!(answer(&Error::NotFound), (404, "not-found"));
        assert_eq!(answer(&Error::PlanNotFound), (404, "plan-not-found"));
        let on_create = from_service(&Error::PlanNotFound, On::Create);
        assert_eq!(
            (on_create.status(), on_create.code()),
            (422, "validation-failed")
        );
        assert_eq!(answer(&Error::AlreadyExists), (409, "already-exists"));
        assert_eq!(
            answer(&Error::VersionMismatch(VersionConflict {
                expected: 1,
                actual: 2
            })),
            (409, "version-mismatch")
        );
        assert_eq!(answer(&Error::Contention), (503, "contention"));
        assert_eq!(
            answer(&Error::TestClockNotFound),
            (404, "test-clock-not-found")
        );
        let on_create = from_service(&Error::TestClockNotFound, On::Create);
        assert_eq!(on_create.status(), 422);
        assert_eq!(
            answer(&Error::TestClockBackwards("2030-01-01T00:00:00Z".into())),
            (422, "test-clock-backwards")
        );
        assert_eq!(answer(&Error::TestClockFull(100)), (422, "test-clock-full"));
        assert_eq!(
            answer(&Error::IdempotencyKeyReused),
            (422, "idempotency-key-reused")
        );
        assert_eq!(
            answer(&Error::IdempotencyKeyInUse),
            (409, "idempotency-key-in-use")
        );
        assert_eq!(
            answer(&Error::StoreUnavailable("disk".into())),
            (503, "store-unavailable")
        );
    }

    #[test]
    fn rule_errors_are_409_or_422_as_the_wit_documents() {
        let cases = [
            (RuleError::CycleNotPending(3), 409, "cycle-not-pending"),
            (RuleError::NoCycleToSkip, 409, "no-cycle-to-skip"),
            (RuleError::TooManySkips(12), 409, "too-many-skips"),
            (RuleError::NoCycles, 422, "no-cycles"),
            (RuleError::AnchorInThePast, 422, "anchor-in-the-past"),
            (
                RuleError::Schedule(types::FieldError {
                    field: "timezone".into(),
                    code: "unknown-zone".into(),
                    message: "no such zone".into(),
                }),
                422,
                "validation-failed",
            ),
            (RuleError::Order(types::RuleError::NoItems), 422, "no-items"),
        ];
        for (rule, status, code) in cases {
            assert_eq!(answer(&Error::Rejected(rule)), (status, code), "{code}");
        }
    }

    #[test]
    fn an_invalid_transition_names_from_to_and_command() {
        let api = from_service(
            &Error::Rejected(RuleError::InvalidTransition(TransitionRefusal {
                from: SubscriptionStatus::Canceled,
                to: Some(SubscriptionStatus::Active),
                command: "resume".into(),
            })),
            On::Other,
        );
        assert_eq!((api.status(), api.code()), (409, "invalid-transition"));
        assert_eq!(
            api.details().get("from").and_then(|v| v.as_str()),
            Some("canceled")
        );
        assert_eq!(
            api.details().get("to").and_then(|v| v.as_str()),
            Some("active")
        );
    }
}
