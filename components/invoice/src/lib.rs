//! Invoices: `POST /orders/{id}/invoices`, an output (sale) or input (return) invoice from the
//! ERP, and `GET /orders/{id}/invoices`, the order's invoices.
//!
//! A thin adapter: route ([`route`]), authenticate (`erp_token` or `admin_token`, [`auth`]),
//! read the body (256 KiB at most), parse it into the WIT `add-invoice` command ([`input`]),
//! call `orders::apply`, answer 200 with the order. The orders service, composed in at build
//! time, checks the NF-e key, the value and the items, and answers an invoice number it has
//! seen with the same data as a replay (200) and with other data as 409.

mod auth;
mod input;
mod route;

use http_common::orders;
use http_common::request::{self, Write};
use http_common::types::{Actor, Command, Order};
use http_common::{ApiError, Reply, render};
use serde_json::{Value, json};
use spin_sdk::http::IncomingRequest;

/// The route template, also the idempotency scope of `POST`.
const SCOPE: &str = "POST /orders/{id}/invoices";

http_common::export!(respond, then_kick_integrations);

async fn respond(request: IncomingRequest) -> Result<Reply, ApiError> {
    let (id, _) = request::route(&request, route::order_id)?;
    let method = request::allow(&request, &["GET", "POST"])?;
    let actor = authenticate(&request)?;
    if method == "GET" {
        let order = orders::load(&id).map_err(|error| ApiError::from_service(&error))?;
        return Ok(Reply::json(200, &invoices(&order)));
    }
    let write = Write::read(request).await?;
    let invoice = input::new_invoice(&write.body)?;
    let written = write.apply(&id, &Command::AddInvoice(invoice), actor, SCOPE)?;
    // 200 with the order, whether the invoice was added or was a replay (of its number, or of
    // an `Idempotency-Key`, the latter flagged).
    Ok(Reply::written(&written))
}

/// The caller, from `Authorization` and the two Spin variables.
fn authenticate(request: &IncomingRequest) -> Result<Actor, ApiError> {
    let erp = spin_sdk::variables::get("erp_token").ok();
    let admin = spin_sdk::variables::get("admin_token").ok();
    let authorization = request::header(request, "authorization");
    auth::caller(
        authorization.first().map(Vec::as_slice),
        erp.as_deref(),
        admin.as_deref(),
    )
}

/// `{"items": [invoice...]}`, each invoice as the order renders it (camelCase, with `type`).
fn invoices(order: &Order) -> Value {
    let mut rendered = render::order(order);
    let items = rendered
        .get_mut("invoices")
        .map(Value::take)
        .unwrap_or_else(|| json!([]));
    json!({"items": items})
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_common::fixtures::sample_order;
    use http_common::types::{
        Error, Invoice, InvoiceKind, InvoiceLine, MoneyMismatch, RuleError, TrackingInfo,
    };

    fn invoice(kind: InvoiceKind, number: &str) -> Invoice {
        Invoice {
            kind,
            number: number.into(),
            series: Some("1".into()),
            key: None,
            value: 11480,
            issued_at: "2026-11-22T10:00:00Z".into(),
            url: None,
            items: vec![InvoiceLine {
                sku: "CAM-P-AZ".into(),
                quantity: 2,
                value: 9980,
            }],
            includes_shipping: true,
            tracking: Some(TrackingInfo {
                carrier: "Correios".into(),
                number: "BR1".into(),
                url: None,
            }),
            recorded_at: "2026-11-22T10:00:01Z".into(),
        }
    }

    #[test]
    fn the_invoices_render_as_camel_case_items_with_their_type() {
        let mut order = sample_order();
        order.invoices = vec![
            invoice(InvoiceKind::Output, "3351"),
            invoice(InvoiceKind::Input, "3400"),
        ];
        let body = invoices(&order);
        assert_eq!(body["items"][0]["type"], "output");
        assert_eq!(body["items"][0]["number"], "3351");
        assert_eq!(body["items"][0]["issuedAt"], "2026-11-22T10:00:00Z");
        assert_eq!(body["items"][0]["includesShipping"], true);
        assert_eq!(body["items"][0]["items"][0]["value"], 9980);
        assert_eq!(body["items"][0]["tracking"]["carrier"], "Correios");
        assert_eq!(body["items"][1]["type"], "input");
        assert_eq!(body.as_object().map(|o| o.len()), Some(1));
    }

    #[test]
    fn an_order_without_invoices_has_an_empty_list() {
        assert_eq!(invoices(&sample_order()), json!({"items": []}));
    }

    #[test]
    fn service_errors_map_as_api_md_says() {
        let cases = [
            (Error::NotFound, 404, "not-found"),
            (
                Error::Rejected(RuleError::InvoiceNumberConflict("3351".into())),
                409,
                "invoice-number-conflict",
            ),
            (
                Error::Rejected(RuleError::InvoiceValueMismatch(MoneyMismatch {
                    expected: 11480,
                    actual: 9980,
                })),
                422,
                "invoice-value-mismatch",
            ),
            (
                Error::Rejected(RuleError::NothingToInvoice),
                409,
                "nothing-to-invoice",
            ),
            (
                Error::Rejected(RuleError::HasProblems),
                409,
                "order-has-problems",
            ),
        ];
        for (error, status, code) in cases {
            let api = ApiError::from_service(&error);
            assert_eq!((api.status(), api.code()), (status, code));
        }
    }
}
