//! The path this component serves: spin.toml routes `/orders/:id/invoices` here.

use http_common::path::{is_order_id, percent_decode};

/// The order id of `/orders/{id}/invoices` (percent-decoded; 1-64 of `A-Z a-z 0-9 . _ : -`, as
/// openapi.yaml says, so any other id is a 404 without asking the service), or `None` (404).
pub(crate) fn order_id(path: &str) -> Option<String> {
    let id = path.strip_prefix("/orders/")?.strip_suffix("/invoices")?;
    if id.is_empty() || id.contains('/') {
        return None;
    }
    percent_decode(id).filter(|id| is_order_id(id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_orders_invoices_are_recognised() {
        assert_eq!(order_id("/orders/o-1042/invoices"), Some("o-1042".into()));
        assert_eq!(order_id("/orders/o-1%3A2/invoices"), Some("o-1:2".into()));
    }

    #[test]
    fn other_paths_and_ids_outside_the_pattern_are_not_found() {
        for path in [
            "/",
            "/orders/invoices",
            "/orders//invoices",
            "/orders/a/b/invoices",
            "/orders/a/invoices/",
            "/orders/a/invoices/1",
            "/orders/%zz/invoices",
            "/orders/a%20b/invoices",
            "/orders/a%2Fb/invoices",
            "/orders/ação/invoices",
        ] {
            assert_eq!(order_id(path), None, "{path}");
        }
        assert_eq!(
            order_id(&format!("/orders/{}/invoices", "a".repeat(65))),
            None
        );
        assert!(order_id(&format!("/orders/{}/invoices", "a".repeat(64))).is_some());
    }
}
