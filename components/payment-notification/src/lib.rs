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

use http_common::request::{self, Write, authenticate};
use http_common::types::{Actor, Command};
use http_common::{ApiError, Reply};
use spin_sdk::http::IncomingRequest;

use crate::route::Route;

/// The webhook's route, also its idempotency scope.
const NOTIFICATIONS: &str = "POST /payments/notifications";
/// The manual approval's route template, also its idempotency scope.
const MANUAL_PAYMENT: &str = "POST /orders/{id}/payment";
/// The Spin variable with the secret the provider signs with.
const SECRET_VARIABLE: &str = "payment_webhook_secret";

http_common::export!(respond, then_kick_integrations);

async fn respond(request: IncomingRequest) -> Result<Reply, ApiError> {
    let (route, _) = request::route(&request, route::parse)?;
    request::allow(&request, &["POST"])?;
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
    let write = Write::read_keyed(request).await?;
    let secret = request::secret(
        SECRET_VARIABLE,
        "the payment webhook secret is not configured on the server",
    )?;
    signature::verify(&signature, &write.body, &secret, signature::now())?;
    let notification = input::notification(&write.body)?;
    let written = write.apply(
        &notification.order_id,
        &Command::PaymentNotification(notification.payment),
        Actor::PaymentProvider,
        NOTIFICATIONS,
    )?;
    Ok(Reply::written(&written))
}

/// `POST /orders/{id}/payment`.
async fn approve(request: IncomingRequest, id: &str) -> Result<Reply, ApiError> {
    authenticate(&request, "admin_token")?;
    let write = Write::read(request).await?;
    let payment = input::manual_payment(&write.body)?;
    let written = write.apply(
        id,
        &Command::ManualPayment(payment),
        Actor::Admin,
        MANUAL_PAYMENT,
    )?;
    Ok(Reply::written(&written))
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_common::fixtures::sample_order;
    use http_common::orders::Written;
    use http_common::types::{
        Error, LatePayment, OrderStatus, Problem, ProblemKind, RuleError, TransitionRefusal,
    };

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
        let reply = Reply::written(&Written {
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
