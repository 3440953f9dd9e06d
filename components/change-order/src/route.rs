//! The paths this component serves: `/orders/{id}/<action>`, one spin.toml route per action
//! (`/orders/:id/changes`, `/orders/:id/cancel`, ...).

use http_common::path::{is_order_id, percent_decode};

/// What the back office asks of an order; the last segment of the path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Action {
    /// `changes`: items, prices, discount, increment before invoicing.
    Change,
    /// `cancel`: cancel by hand, with a reason.
    Cancel,
    /// `hold`: hold, with a reason.
    Hold,
    /// `unhold`: back to the status the order had.
    Unhold,
    /// `handling`: start handling.
    StartHandling,
    /// `comments`: add a comment.
    Comment,
    /// `refunds`: record an offline refund.
    Refund,
    /// `reprocess`: re-check problems.
    Reprocess,
}

/// Every action, with its path segment and route template (the idempotency scope).
const ACTIONS: [(Action, &str, &str); 8] = [
    (Action::Change, "changes", "POST /orders/{id}/changes"),
    (Action::Cancel, "cancel", "POST /orders/{id}/cancel"),
    (Action::Hold, "hold", "POST /orders/{id}/hold"),
    (Action::Unhold, "unhold", "POST /orders/{id}/unhold"),
    (
        Action::StartHandling,
        "handling",
        "POST /orders/{id}/handling",
    ),
    (Action::Comment, "comments", "POST /orders/{id}/comments"),
    (Action::Refund, "refunds", "POST /orders/{id}/refunds"),
    (
        Action::Reprocess,
        "reprocess",
        "POST /orders/{id}/reprocess",
    ),
];

impl Action {
    /// The route template: the idempotency scope.
    pub(crate) fn scope(self) -> &'static str {
        ACTIONS
            .iter()
            .find(|(action, _, _)| *action == self)
            .map_or("POST /orders/{id}", |(_, _, scope)| scope)
    }
}

/// The order id and action of a path, or `None` (404) for anything else.
///
/// Order ids follow openapi.yaml (1-64 of `A-Z a-z 0-9 . _ : -`, percent-decoded), so any
/// other id is a 404 without asking the service.
pub(crate) fn parse(path: &str) -> Option<(String, Action)> {
    let rest = path.strip_prefix("/orders/")?;
    let (id, segment) = rest.split_once('/')?;
    let action = ACTIONS
        .iter()
        .find(|(_, name, _)| *name == segment)
        .map(|(action, _, _)| *action)?;
    let id = percent_decode(id).filter(|id| is_order_id(id))?;
    Some((id, action))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_of_api_md_is_recognised_with_its_scope() {
        let expected = [
            ("changes", Action::Change),
            ("cancel", Action::Cancel),
            ("hold", Action::Hold),
            ("unhold", Action::Unhold),
            ("handling", Action::StartHandling),
            ("comments", Action::Comment),
            ("refunds", Action::Refund),
            ("reprocess", Action::Reprocess),
        ];
        for (segment, action) in expected {
            assert_eq!(
                parse(&format!("/orders/o-1/{segment}")),
                Some(("o-1".to_owned(), action))
            );
            assert_eq!(action.scope(), format!("POST /orders/{{id}}/{segment}"));
        }
    }

    #[test]
    fn the_order_id_is_percent_decoded() {
        assert_eq!(
            parse("/orders/o%3A1/cancel"),
            Some(("o:1".to_owned(), Action::Cancel))
        );
    }

    #[test]
    fn other_paths_are_not_found() {
        for path in [
            "/",
            "/orders",
            "/orders/",
            "/orders/o-1",
            "/orders/o-1/",
            "/orders/o-1/Cancel",
            "/orders/o-1/cancel/",
            "/orders/o-1/cancel/now",
            "/orders/o-1/change",
            "/orders/o-1/shipments",
            "/orders//cancel",
            "/orders/a%20b/cancel",
            "/orders/%zz/cancel",
            "/orders/%ff/cancel",
            "/orders/ação/cancel",
            "/orders/o-1/%63ancel",
        ] {
            assert_eq!(parse(path), None, "{path}");
        }
        assert_eq!(parse(&format!("/orders/{}/hold", "a".repeat(65))), None);
        assert!(parse(&format!("/orders/{}/hold", "a".repeat(64))).is_some());
    }
}

#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #[test]
        fn any_path_is_routed_or_refused_without_panicking(path in "(/orders(/[a-z0-9%._:-]{0,6}(/(changes|cancel|hold|unhold|handling|comments|refunds|reprocess|[a-z%]{0,4}))?)?)?[/a-z0-9%]{0,4}") {
            if let Some((id, _)) = parse(&path) {
                prop_assert!(is_order_id(&id));
            }
        }

        #[test]
        fn any_string_is_routed_or_refused_without_panicking(path in any::<String>()) {
            let _ = parse(&path);
        }
    }
}
