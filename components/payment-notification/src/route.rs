//! The paths this component serves: spin.toml routes `/payments/notifications` and
//! `/orders/:id/payment` here.

use http_common::path::{is_order_id, percent_decode};

/// A resource of this component.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Route {
    /// `/payments/notifications`: the provider's signed webhook.
    Notifications,
    /// `/orders/{id}/payment`: manual approval (the id percent-decoded; 1-64 of
    /// `A-Z a-z 0-9 . _ : -`, as openapi.yaml says, so any other id is a 404 without asking the
    /// service).
    ManualPayment(String),
}

/// The route of a path, or `None` (404).
pub(crate) fn parse(path: &str) -> Option<Route> {
    if path == "/payments/notifications" {
        return Some(Route::Notifications);
    }
    let id = path.strip_prefix("/orders/")?.strip_suffix("/payment")?;
    if id.is_empty() || id.contains('/') {
        return None;
    }
    percent_decode(id)
        .filter(|id| is_order_id(id))
        .map(Route::ManualPayment)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_webhook_and_the_manual_approval_are_recognised() {
        assert_eq!(parse("/payments/notifications"), Some(Route::Notifications));
        assert_eq!(
            parse("/orders/o-1042/payment"),
            Some(Route::ManualPayment("o-1042".into()))
        );
        assert_eq!(
            parse("/orders/o-1%3A2/payment"),
            Some(Route::ManualPayment("o-1:2".into()))
        );
    }

    #[test]
    fn other_paths_and_ids_outside_the_pattern_are_not_found() {
        for path in [
            "/",
            "/payments",
            "/payments/notifications/",
            "/payments/notifications/x",
            "/orders/payment",
            "/orders//payment",
            "/orders/a/b/payment",
            "/orders/a/payments",
            "/orders/%zz/payment",
            "/orders/a%20b/payment",
            "/orders/a%2Fb/payment",
            "/orders/ação/payment",
        ] {
            assert_eq!(parse(path), None, "{path}");
        }
        assert_eq!(parse(&format!("/orders/{}/payment", "a".repeat(65))), None);
    }
}
