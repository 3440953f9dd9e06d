//! Payments: `POST /payments/notifications`, the payment provider's webhook (HMAC-signed, no
//! bearer token), and `POST /orders/{id}/payment`, a manual approval by the back office (pix,
//! deposit, bank transfer).
//!
//! A thin adapter: route ([`route`]), authenticate (the signature, [`signature`], or
//! `admin_token`), read the body (256 KiB at most), parse it into a WIT command ([`input`]),
//! call `orders::apply`, answer 200 with the order. The orders service, composed in at build
//! time, does everything else: a notification it has seen (same payment id and status) changes
//! nothing and answers the order again, and a payment for a canceled order is recorded as a
//! problem on the order, also answered 200, so the provider stops retrying.

mod input;
mod route;
mod signature;

use http_common::orders::{self, Written};
use http_common::request::{self, authenticate, method_name};
use http_common::types::{Actor, Command};
use http_common::{ApiError, Reply, idempotency, precondition, render};
use spin_sdk::http::{IncomingRequest, Method};

use crate::route::Route;

/// The webhook's route, also its idempotency scope.
const NOTIFICATIONS: &str = "POST /payments/notifications";
/// The manual approval's route template, also its idempotency scope.
const MANUAL_PAYMENT: &str = "POST /orders/{id}/payment";
/// The Spin variable with the secret the provider signs with.
const SECRET_VARIABLE: &str = "payment_webhook_secret";

/// The wasi:http export.
#[expect(
    unsafe_code,
    reason = "spin-sdk's #[http_component] expands to the wasi:http export glue"
)]
mod export {
    use spin_sdk::http::{IncomingRequest, Response};
    use spin_sdk::http_component;

    use http_common::Reply;

    #[http_component]
    async fn handle(request: IncomingRequest) -> Response {
        super::respond(request)
            .await
            .unwrap_or_else(Reply::from)
            .into_response()
    }
}

async fn respond(request: IncomingRequest) -> Result<Reply, ApiError> {
    let (path, _) = request::path_and_query(&request);
    let route = route::parse(&path).ok_or_else(|| ApiError::no_route(&path))?;
    let method = request.method();
    if method != Method::Post {
        return Err(ApiError::method_not_allowed(
            &method_name(&method),
            &["POST"],
        ));
    }
    match route {
        Route::Notifications => notify(request).await,
        Route::ManualPayment(id) => approve(request, &id).await,
    }
}

/// `POST /payments/notifications`.
async fn notify(request: IncomingRequest) -> Result<Reply, ApiError> {
    // The header's shape first: a request that is not even signed is refused before its body
    // is read.
    let signature = signature::parse(&request::header(&request, "orderflow-signature"))?;
    let key = idempotency::key(&request::header(&request, "idempotency-key"))?;
    let body = request::read_body(request).await?;
    signature::verify(&signature, &body, &secret()?, signature::now())?;
    let notification = input::notification(&body)?;
    let idempotency = key.map(|key| idempotency::idempotency(NOTIFICATIONS, key, &body));
    let written = orders::apply(
        &notification.order_id,
        &Command::PaymentNotification(notification.payment),
        Actor::PaymentProvider,
        None,
        idempotency.as_ref(),
    )
    .map_err(|error| ApiError::from_service(&error))?;
    Ok(answer(&written))
}

/// `POST /orders/{id}/payment`.
async fn approve(request: IncomingRequest, id: &str) -> Result<Reply, ApiError> {
    authenticate(&request, "admin_token")?;
    let key = idempotency::key(&request::header(&request, "idempotency-key"))?;
    let expected_version = precondition::if_match(&request::header(&request, "if-match"))?;
    let body = request::read_body(request).await?;
    let payment = input::manual_payment(&body)?;
    let idempotency = key.map(|key| idempotency::idempotency(MANUAL_PAYMENT, key, &body));
    let written = orders::apply(
        id,
        &Command::ManualPayment(payment),
        Actor::Admin,
        expected_version,
        idempotency.as_ref(),
    )
    .map_err(|error| ApiError::from_service(&error))?;
    Ok(answer(&written))
}

/// The webhook secret from its Spin variable.
fn secret() -> Result<String, ApiError> {
    spin_sdk::variables::get(SECRET_VARIABLE).map_err(|error| {
        ApiError::new(
            503,
            "not-configured",
            "the payment webhook secret is not configured on the server",
        )
        .with_detail("variable", SECRET_VARIABLE)
        .with_detail("reason", error.to_string())
    })
}

/// 200 with the order, whether the command changed it or was a replay (by natural id or by
/// `Idempotency-Key`, the latter flagged with `Idempotent-Replayed: true`).
fn answer(written: &Written) -> Reply {
    let reply = Reply::json(200, &render::order(&written.order));
    if written.replayed {
        reply.with_header("idempotent-replayed", "true")
    } else {
        reply
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_common::fixtures::sample_order;
    use http_common::types::{
        Error, LatePayment, OrderStatus, Problem, ProblemKind, RuleError, TransitionRefusal,
    };

    fn written(changed: bool, replayed: bool) -> Written {
        Written {
            order: sample_order(),
            changed,
            replayed,
        }
    }

    #[test]
    fn a_change_and_a_natural_id_replay_are_both_200_with_the_order() {
        for changed in [true, false] {
            let reply = answer(&written(changed, false));
            assert_eq!(reply.status(), 200);
            assert_eq!(reply.header("idempotent-replayed"), None);
            let body: serde_json::Value = serde_json::from_slice(reply.body()).unwrap_or_default();
            assert_eq!(body["id"], "01J0ORDER");
        }
    }

    #[test]
    fn an_idempotency_key_replay_is_flagged() {
        let reply = answer(&written(false, true));
        assert_eq!(reply.status(), 200);
        assert_eq!(reply.header("idempotent-replayed"), Some("true"));
    }

    #[test]
    fn a_payment_for_a_canceled_order_is_200_with_the_problem_recorded() {
        let mut order = sample_order();
        order.status = OrderStatus::Canceled;
        order.problems.push(Problem {
            kind: ProblemKind::PaymentForCanceledOrder(LatePayment {
                payment_id: Some("pay-77".into()),
                amount: 11480,
            }),
            detected_at: "2026-11-22T02:00:00Z".into(),
        });
        let reply = answer(&Written {
            order,
            changed: true,
            replayed: false,
        });
        assert_eq!(reply.status(), 200);
        let body: serde_json::Value = serde_json::from_slice(reply.body()).unwrap_or_default();
        assert_eq!(body["problems"][0]["code"], "payment-for-canceled-order");
    }

    #[test]
    fn service_errors_map_as_api_md_says() {
        let cases = [
            (Error::NotFound, 404, "not-found"),
            (
                Error::Rejected(RuleError::PaymentConflict("pay-77".into())),
                409,
                "payment-conflict",
            ),
            (
                Error::Rejected(RuleError::ManualApprovalNotAllowed(
                    http_common::types::PaymentMethod::CreditCard,
                )),
                422,
                "manual-approval-not-allowed",
            ),
            (
                Error::Rejected(RuleError::InvalidTransition(TransitionRefusal {
                    from: OrderStatus::Closed,
                    to: Some(OrderStatus::PaymentApproved),
                    command: "manual-payment".into(),
                })),
                409,
                "invalid-transition",
            ),
            (Error::Rejected(RuleError::OnHold), 409, "order-on-hold"),
        ];
        for (error, status, code) in cases {
            let api = ApiError::from_service(&error);
            assert_eq!((api.status(), api.code()), (status, code));
        }
    }

    #[test]
    fn the_scopes_are_the_route_templates() {
        assert_eq!(NOTIFICATIONS, "POST /payments/notifications");
        assert_eq!(MANUAL_PAYMENT, "POST /orders/{id}/payment");
    }
}
