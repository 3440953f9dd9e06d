//! The paths this component serves (spin.toml routes `/orders`, `/orders/...` and
//! `/admin/check` here).

use http_common::path::{is_order_id, percent_decode};

/// A resource of this component.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Route {
    /// `/orders`: the list.
    List,
    /// `/orders/export`: the CSV or XML export.
    Export,
    /// `/orders/{id}`: one order (the id percent-decoded; 1-64 of `A-Z a-z 0-9 . _ : -`, as
    /// openapi.yaml says, so any other id is a 404 without asking the service).
    Order(String),
    /// `/admin/check`: the orders service's consistency check and repair.
    Check,
}

impl Route {
    /// The methods the resource accepts (any other is 405).
    pub(crate) fn methods(&self) -> &'static [&'static str] {
        match self {
            Self::Order(_) => &["GET", "PATCH"],
            Self::List | Self::Export => &["GET"],
            Self::Check => &["POST"],
        }
    }
}

/// The route of a path, or `None` (404) for anything else under `/orders/`.
pub(crate) fn parse(path: &str) -> Option<Route> {
    if path == "/admin/check" {
        return Some(Route::Check);
    }
    let rest = path.strip_prefix("/orders")?;
    if rest.is_empty() {
        return Some(Route::List);
    }
    let segment = rest.strip_prefix('/')?;
    if segment == "export" {
        return Some(Route::Export);
    }
    if segment.is_empty() || segment.contains('/') {
        return None;
    }
    percent_decode(segment)
        .filter(|id| is_order_id(id))
        .map(Route::Order)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_three_resources_are_recognised() {
        assert_eq!(parse("/orders"), Some(Route::List));
        assert_eq!(parse("/orders/export"), Some(Route::Export));
        assert_eq!(
            parse("/orders/01J0ORDER"),
            Some(Route::Order("01J0ORDER".into()))
        );
        assert_eq!(parse("/orders/o-1%3A2"), Some(Route::Order("o-1:2".into())));
        assert_eq!(parse("/admin/check"), Some(Route::Check));
    }

    #[test]
    fn an_order_is_read_or_edited_and_the_list_and_export_only_read() {
        assert_eq!(Route::Order("o-1".into()).methods(), ["GET", "PATCH"]);
        assert_eq!(Route::List.methods(), ["GET"]);
        assert_eq!(Route::Export.methods(), ["GET"]);
        assert_eq!(Route::Check.methods(), ["POST"]);
    }

    #[test]
    fn other_paths_are_not_found() {
        for path in [
            "/",
            "/order",
            "/ordersx",
            "/orders/",
            "/orders/1/invoices",
            "/orders/%",
            "/orders/%zz",
            "/orders/%ff",
            "/orders/%E2%82",
            "/orders/a%20b",
            "/orders/a%2Fb",
            "/orders/ação",
            "/admin",
            "/admin/check/",
            "/admin/checks",
        ] {
            assert_eq!(parse(path), None, "{path}");
        }
        assert_eq!(parse(&format!("/orders/{}", "a".repeat(65))), None);
        assert!(parse(&format!("/orders/{}", "a".repeat(64))).is_some());
    }
}
