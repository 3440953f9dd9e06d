//! The error answer of openapi.yaml (`Error`), `{"error": {"code", "message", "details"}}`, and the
//! one function that maps the orders service's `error` to an HTTP status and code
//! ([`ApiError::from_service`]).

use serde_json::{Map, Value, json};

use crate::names;
use crate::types::{Error, FieldError, RuleError, StockShortage};

/// An error answer: status, kebab-case code, a sentence a person can act on, details.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    status: u16,
    code: &'static str,
    message: String,
    details: Map<String, Value>,
    headers: Vec<(&'static str, String)>,
}

impl ApiError {
    /// An error with empty details.
    pub fn new(status: u16, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            details: Map::new(),
            headers: Vec::new(),
        }
    }

    /// Adds one entry to `details`.
    #[must_use]
    pub fn with_detail(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.details.insert(key.to_owned(), value.into());
        self
    }

    /// Adds a response header (`Allow`, `WWW-Authenticate`, `Retry-After`).
    #[must_use]
    pub fn with_header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    /// The HTTP status.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The kebab-case code.
    pub fn code(&self) -> &'static str {
        self.code
    }

    /// The sentence for a person.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The details object.
    pub fn details(&self) -> &Map<String, Value> {
        &self.details
    }

    /// Headers the answer carries besides `Content-Type`.
    pub fn headers(&self) -> &[(&'static str, String)] {
        &self.headers
    }

    /// The JSON body.
    pub fn to_json(&self) -> Value {
        json!({
            "error": {
                "code": self.code,
                "message": self.message,
                "details": self.details,
            }
        })
    }

    /// 400 `malformed-json`: the body is not JSON.
    pub fn malformed_json(reason: &serde_json::Error) -> Self {
        Self::new(
            400,
            "malformed-json",
            "the request body is not valid JSON; send one JSON object",
        )
        .with_detail("reason", reason.to_string())
        .with_detail("line", reason.line())
        .with_detail("column", reason.column())
    }

    /// 400 `wrong-type`: a field holds the wrong JSON type.
    pub fn wrong_type(field: &str, expected: &str) -> Self {
        let shown = if field.is_empty() { "the body" } else { field };
        Self::new(400, "wrong-type", format!("`{shown}` must be {expected}"))
            .with_detail("field", field)
            .with_detail("expected", expected)
    }

    /// 401 `unauthorized`.
    pub fn unauthorized(message: &str) -> Self {
        Self::new(401, "unauthorized", message).with_header("www-authenticate", "Bearer")
    }

    /// 404 `not-found` for a path no route serves.
    pub fn no_route(path: &str) -> Self {
        Self::new(404, "not-found", "no resource at this path").with_detail("path", path)
    }

    /// 405 `method-not-allowed`, with the methods the path accepts.
    pub fn method_not_allowed(method: &str, allowed: &[&str]) -> Self {
        Self::new(
            405,
            "method-not-allowed",
            format!("{method} is not allowed here; use {}", allowed.join(" or ")),
        )
        .with_detail("method", method)
        .with_detail("allowed", allowed)
        .with_header("allow", allowed.join(", "))
    }

    /// 413 `body-too-large`.
    pub fn body_too_large(limit: usize) -> Self {
        Self::new(
            413,
            "body-too-large",
            format!("the request body is over the limit of {limit} bytes"),
        )
        .with_detail("limit", limit)
    }

    /// 422 `validation-failed`: one entry per bad field, as the service reports them.
    pub fn invalid(fields: &[FieldError]) -> Self {
        let entries: Vec<Value> = fields
            .iter()
            .map(|f| json!({"field": f.field, "code": f.code, "message": f.message}))
            .collect();
        // The service's messages already name their field.
        let message = match fields {
            [only] => only.message.clone(),
            [_, _, ..] | [] => format!("{} fields are invalid; see details.fields", fields.len()),
        };
        Self::new(422, "validation-failed", message).with_detail("fields", entries)
    }

    /// 409 `out-of-stock`: each SKU short, with the most one stock location could give it.
    pub fn out_of_stock(short: &[StockShortage]) -> Self {
        let message = match short {
            [only] => format!(
                "not enough stock of {}: {} available at any one location",
                only.sku, only.available
            ),
            [_, _, ..] | [] => format!("{} SKUs are short of stock; see details.skus", short.len()),
        };
        let skus: Vec<Value> = short
            .iter()
            .map(|s| json!({"sku": s.sku, "available": s.available}))
            .collect();
        Self::new(409, "out-of-stock", message).with_detail("skus", skus)
    }

    /// The answer for an error of the webhook endpoints (`integrations_service::endpoint`).
    pub fn from_endpoint(error: integrations_service::endpoint::EndpointError) -> Self {
        use integrations_service::endpoint::EndpointError;
        match error {
            EndpointError::NotFound => ApiError::new(404, "not-found", "no such webhook endpoint"),
            EndpointError::TooMany => ApiError::new(
                409,
                "too-many-endpoints",
                "a store has at most 100 webhook endpoints; delete one first",
            ),
            EndpointError::Contention => ApiError::new(
                503,
                "contention",
                "another request changed the endpoint at the same time; try again",
            ),
            EndpointError::Store(e) => {
                ApiError::new(503, "store-unavailable", "the store failed; try again")
                    .with_detail("reason", e)
            }
        }
    }

    /// The answer for an error of the orders service.
    pub fn from_service(error: &Error) -> Self {
        match error {
            Error::Invalid(fields) => Self::invalid(fields),
            Error::NotFound => Self::new(404, "not-found", "no order with this id"),
            Error::Rejected(rule) => Self::from_rule(rule),
            Error::IdempotencyKeyReused => Self::new(
                422,
                "idempotency-key-reused",
                "this Idempotency-Key was used with another body on this route; use a new key",
            ),
            Error::OutOfStock(short) => Self::out_of_stock(short),
            Error::Contention => Self::new(
                503,
                "contention",
                "the order kept changing under concurrent writes; retry",
            )
            .with_header("retry-after", "1"),
            Error::StoreUnavailable(reason) => Self::new(
                503,
                "store-unavailable",
                "the key-value store is unavailable; retry later",
            )
            .with_detail("reason", reason.as_str())
            .with_header("retry-after", "5"),
        }
    }

    /// The answer for a command the order rules refused: the status and code written in the WIT.
    fn from_rule(rule: &RuleError) -> Self {
        let conflict = |code, message: &str| Self::new(409, code, message);
        let invalid = |code, message: &str| Self::new(422, code, message);
        let mismatch = |error: Self, expected: i64, actual: i64| {
            error
                .with_detail("expected", expected)
                .with_detail("actual", actual)
        };
        match rule {
            RuleError::InvalidTransition(refusal) => {
                let to = refusal.to.map(names::order_status);
                conflict(
                    "invalid-transition",
                    &match to {
                        Some(to) => format!(
                            "an order in {} cannot move to {to}",
                            names::order_status(refusal.from)
                        ),
                        None => format!(
                            "`{}` is not allowed on an order in {}",
                            refusal.command,
                            names::order_status(refusal.from)
                        ),
                    },
                )
                .with_detail("from", names::order_status(refusal.from))
                .with_detail("to", to)
                .with_detail("command", refusal.command.as_str())
            }
            RuleError::OnHold => conflict(
                "order-on-hold",
                "the order is on hold: only unhold and comments are accepted",
            ),
            RuleError::HasProblems => conflict(
                "order-has-problems",
                "the order has problems: fix them and reprocess first",
            ),
            RuleError::VersionMismatch(versions) => conflict(
                "version-mismatch",
                "the order changed since that version; reload it and retry",
            )
            .with_detail("expected", versions.expected)
            .with_detail("actual", versions.actual),
            RuleError::AlreadyInvoiced => conflict(
                "order-invoiced",
                "an output invoice exists; use a return invoice instead",
            ),
            RuleError::TotalMismatch(m) => mismatch(
                invalid(
                    "total-mismatch",
                    "totals.total differs from the total computed from items and shipping",
                ),
                m.expected,
                m.actual,
            ),
            RuleError::InvoiceValueMismatch(m) => mismatch(
                invalid(
                    "invoice-value-mismatch",
                    "the invoice value differs from the value of what it covers",
                ),
                m.expected,
                m.actual,
            ),
            RuleError::InvoiceNumberConflict(number) => conflict(
                "invoice-number-conflict",
                "an invoice with this number exists with other data",
            )
            .with_detail("number", number.as_str()),
            RuleError::NothingToInvoice => {
                conflict("nothing-to-invoice", "every item is already invoiced")
            }
            RuleError::QuantityExceeded(excess) => invalid(
                "quantity-exceeded",
                &format!(
                    "{} units of {} asked, {} available",
                    excess.requested, excess.sku, excess.available
                ),
            )
            .with_detail("sku", excess.sku.as_str())
            .with_detail("requested", excess.requested)
            .with_detail("available", excess.available),
            RuleError::UnknownSku(sku) => {
                invalid("unknown-sku", "the order has no item with this SKU")
                    .with_detail("sku", sku.as_str())
            }
            RuleError::DuplicateSku(sku) => {
                invalid("duplicate-sku", "a SKU appears more than once")
                    .with_detail("sku", sku.as_str())
            }
            RuleError::UnitPriceDiffers(sku) => invalid(
                "unit-price-differs",
                "the unit price differs from the order's for this SKU",
            )
            .with_detail("sku", sku.as_str()),
            RuleError::NoItems => invalid("no-items", "an order needs at least one item"),
            RuleError::UnknownInvoice(number) => invalid(
                "unknown-invoice",
                "the order has no invoice with this number",
            )
            .with_detail("number", number.as_str()),
            RuleError::UnknownShipment(number) => invalid(
                "unknown-shipment",
                "the order has no shipment with this tracking number",
            )
            .with_detail("number", number.as_str()),
            RuleError::ShipmentConflict(number) => conflict(
                "shipment-conflict",
                "a shipment with this tracking number exists with other data",
            )
            .with_detail("number", number.as_str()),
            RuleError::PaymentConflict(payment_id) => conflict(
                "payment-conflict",
                "this payment id was recorded with another amount",
            )
            .with_detail("paymentId", payment_id.as_str()),
            RuleError::RequestIdReused(request_id) => invalid(
                "request-id-reused",
                "this change request id was used for another change",
            )
            .with_detail("requestId", request_id.as_str()),
            RuleError::ManualApprovalNotAllowed(method) => invalid(
                "manual-approval-not-allowed",
                "this payment method is approved by the provider, not by hand",
            )
            .with_detail("method", names::payment_method(*method)),
            RuleError::PaymentNotExpired => {
                conflict("payment-not-expired", "the payment deadline has not passed")
            }
            RuleError::RefundExceedsPaid(m) => mismatch(
                invalid("refund-exceeds-paid", "the refund exceeds what was paid"),
                m.expected,
                m.actual,
            ),
            RuleError::DiscountTooLarge => invalid(
                "discount-too-large",
                "the discounts would exceed what they discount",
            ),
            RuleError::EmptyCommand => invalid("empty-command", "the request changes nothing"),
            RuleError::NotOnHold => conflict("not-on-hold", "the order is not on hold"),
        }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}: {}", self.status, self.code, self.message)
    }
}

impl std::error::Error for ApiError {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{
        MoneyMismatch, OrderStatus, PaymentMethod, QuantityExcess, TransitionRefusal,
        VersionConflict,
    };

    fn status_and_code(error: &Error) -> (u16, &'static str) {
        let api = ApiError::from_service(error);
        (api.status(), api.code())
    }

    #[test]
    fn every_error_has_the_shape_of_api_md() {
        let body = ApiError::new(409, "x-y", "a sentence")
            .with_detail("k", 1)
            .to_json();
        assert_eq!(
            body,
            json!({"error": {"code": "x-y", "message": "a sentence", "details": {"k": 1}}})
        );
    }

    #[test]
    fn invalid_fields_are_422_with_one_entry_per_field() {
        let error = Error::Invalid(vec![
            FieldError {
                field: "items[0].sku".into(),
                code: "empty".into(),
                message: "must not be empty".into(),
            },
            FieldError {
                field: "customer.email".into(),
                code: "bad-format".into(),
                message: "not an email".into(),
            },
        ]);
        let api = ApiError::from_service(&error);
        assert_eq!((api.status(), api.code()), (422, "validation-failed"));
        assert_eq!(
            api.details().get("fields"),
            Some(&json!([
                {"field": "items[0].sku", "code": "empty", "message": "must not be empty"},
                {"field": "customer.email", "code": "bad-format", "message": "not an email"},
            ]))
        );
    }

    #[test]
    fn service_errors_map_to_the_statuses_of_the_wit() {
        assert_eq!(status_and_code(&Error::NotFound), (404, "not-found"));
        assert_eq!(
            status_and_code(&Error::IdempotencyKeyReused),
            (422, "idempotency-key-reused")
        );
        assert_eq!(status_and_code(&Error::Contention), (503, "contention"));
        assert_eq!(
            status_and_code(&Error::StoreUnavailable("disk".into())),
            (503, "store-unavailable")
        );
    }

    #[test]
    fn rule_errors_are_409_or_422_as_the_wit_documents() {
        let money = MoneyMismatch {
            expected: 1,
            actual: 2,
        };
        let cases = [
            (RuleError::OnHold, 409, "order-on-hold"),
            (RuleError::HasProblems, 409, "order-has-problems"),
            (
                RuleError::VersionMismatch(VersionConflict {
                    expected: 1,
                    actual: 2,
                }),
                409,
                "version-mismatch",
            ),
            (RuleError::AlreadyInvoiced, 409, "order-invoiced"),
            (RuleError::TotalMismatch(money), 422, "total-mismatch"),
            (
                RuleError::InvoiceValueMismatch(money),
                422,
                "invoice-value-mismatch",
            ),
            (
                RuleError::InvoiceNumberConflict("1".into()),
                409,
                "invoice-number-conflict",
            ),
            (RuleError::NothingToInvoice, 409, "nothing-to-invoice"),
            (
                RuleError::QuantityExceeded(QuantityExcess {
                    sku: "A".into(),
                    requested: 3,
                    available: 1,
                }),
                422,
                "quantity-exceeded",
            ),
            (RuleError::UnknownSku("A".into()), 422, "unknown-sku"),
            (RuleError::DuplicateSku("A".into()), 422, "duplicate-sku"),
            (
                RuleError::UnitPriceDiffers("A".into()),
                422,
                "unit-price-differs",
            ),
            (RuleError::NoItems, 422, "no-items"),
            (
                RuleError::UnknownInvoice("1".into()),
                422,
                "unknown-invoice",
            ),
            (
                RuleError::UnknownShipment("1".into()),
                422,
                "unknown-shipment",
            ),
            (
                RuleError::ShipmentConflict("1".into()),
                409,
                "shipment-conflict",
            ),
            (
                RuleError::PaymentConflict("p".into()),
                409,
                "payment-conflict",
            ),
            (
                RuleError::RequestIdReused("r".into()),
                422,
                "request-id-reused",
            ),
            (
                RuleError::ManualApprovalNotAllowed(PaymentMethod::CreditCard),
                422,
                "manual-approval-not-allowed",
            ),
            (RuleError::PaymentNotExpired, 409, "payment-not-expired"),
            (
                RuleError::RefundExceedsPaid(money),
                422,
                "refund-exceeds-paid",
            ),
            (RuleError::DiscountTooLarge, 422, "discount-too-large"),
            (RuleError::EmptyCommand, 422, "empty-command"),
            (RuleError::NotOnHold, 409, "not-on-hold"),
        ];
        for (rule, status, code) in cases {
            assert_eq!(
                status_and_code(&Error::Rejected(rule)),
                (status, code),
                "{code}"
            );
        }
    }

    #[test]
    fn an_invalid_transition_names_from_and_to() {
        let api = ApiError::from_service(&Error::Rejected(RuleError::InvalidTransition(
            TransitionRefusal {
                from: OrderStatus::Canceled,
                to: Some(OrderStatus::PaymentApproved),
                command: "payment-notification".into(),
            },
        )));
        assert_eq!((api.status(), api.code()), (409, "invalid-transition"));
        assert_eq!(api.details().get("from"), Some(&json!("canceled")));
        assert_eq!(api.details().get("to"), Some(&json!("payment-approved")));
    }

    #[test]
    fn protocol_errors_carry_their_headers() {
        let api = ApiError::method_not_allowed("DELETE", &["GET"]);
        assert_eq!((api.status(), api.code()), (405, "method-not-allowed"));
        assert_eq!(api.headers(), [("allow", "GET".to_owned())]);
        assert_eq!(ApiError::body_too_large(10).code(), "body-too-large");
        assert_eq!(ApiError::unauthorized("no").status(), 401);
        assert_eq!(
            ApiError::wrong_type("items[0].quantity", "an integer")
                .details()
                .get("field"),
            Some(&json!("items[0].quantity"))
        );
    }
}
