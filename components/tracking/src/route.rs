//! The paths this component serves (spin.toml routes `/orders/:id/shipments` and
//! `/orders/:id/shipments/...` here).

use http_common::path::{is_order_id, percent_decode};

/// A resource of this component.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Route {
    /// `/orders/{id}/shipments`: the order's parcels.
    Shipments {
        /// The order id.
        order: String,
    },
    /// `/orders/{id}/shipments/{number}/events`: one parcel's carrier events.
    Events {
        /// The order id.
        order: String,
        /// The shipment's tracking number, percent-decoded.
        shipment: String,
    },
}

impl Route {
    /// The order the route is about.
    pub(crate) fn order(&self) -> &str {
        match self {
            Self::Shipments { order } | Self::Events { order, .. } => order,
        }
    }

    /// The route template: the idempotency scope.
    pub(crate) fn scope(&self) -> &'static str {
        match self {
            Self::Shipments { .. } => "POST /orders/{id}/shipments",
            Self::Events { .. } => "POST /orders/{id}/shipments/{number}/events",
        }
    }
}

/// The route of a path, or `None` (404) for anything else.
///
/// Order ids follow openapi.yaml (1-64 of `A-Z a-z 0-9 . _ : -`), so any other id is a 404
/// without asking the service. A tracking number is any non-empty UTF-8 segment of at most 255
/// bytes once decoded (carriers' formats vary; the service judges it).
pub(crate) fn parse(path: &str) -> Option<Route> {
    let rest = path.strip_prefix("/orders/")?;
    let mut segments = rest.split('/');
    let order = segments
        .next()
        .and_then(percent_decode)
        .filter(|id| is_order_id(id))?;
    if segments.next()? != "shipments" {
        return None;
    }
    match (segments.next(), segments.next(), segments.next()) {
        (None, _, _) => Some(Route::Shipments { order }),
        (Some(number), Some("events"), None) => percent_decode(number)
            .filter(|n| is_tracking_number(n))
            .map(|shipment| Route::Events { order, shipment }),
        (Some(_), _, _) => None,
    }
}

fn is_tracking_number(number: &str) -> bool {
    (1..=255).contains(&number.len()) && !number.chars().any(char::is_control)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_two_resources_are_recognised() {
        assert_eq!(
            parse("/orders/o-1/shipments"),
            Some(Route::Shipments {
                order: "o-1".into()
            })
        );
        assert_eq!(
            parse("/orders/o-1/shipments/BR123456789BR/events"),
            Some(Route::Events {
                order: "o-1".into(),
                shipment: "BR123456789BR".into()
            })
        );
    }

    #[test]
    fn ids_and_tracking_numbers_are_percent_decoded() {
        assert_eq!(
            parse("/orders/o%2D1/shipments/AB%20123%2F4/events"),
            Some(Route::Events {
                order: "o-1".into(),
                shipment: "AB 123/4".into()
            })
        );
    }

    #[test]
    fn each_route_has_its_own_idempotency_scope() {
        let shipments = parse("/orders/o-1/shipments").map(|r| r.scope());
        let events = parse("/orders/o-1/shipments/X/events").map(|r| r.scope());
        assert_eq!(shipments, Some("POST /orders/{id}/shipments"));
        assert_eq!(events, Some("POST /orders/{id}/shipments/{number}/events"));
        assert_eq!(
            parse("/orders/o-9/shipments/X/events").map(|r| r.order().to_owned()),
            Some("o-9".to_owned())
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
            "/orders/o-1/shipment",
            "/orders/o-1/shipments/",
            "/orders/o-1/shipments/X",
            "/orders/o-1/shipments/X/",
            "/orders/o-1/shipments/X/event",
            "/orders/o-1/shipments/X/events/",
            "/orders/o-1/shipments/X/events/1",
            "/orders/o-1/shipments//events",
            "/orders/o-1/shipments/%zz/events",
            "/orders/o-1/shipments/%0A/events",
            "/orders/o-1/shipments/%ff/events",
            "/orders//shipments",
            "/orders/a%20b/shipments",
            "/orders/ação/shipments",
            "/orders/%/shipments",
            "/orders/o-1/invoices",
        ] {
            assert_eq!(parse(path), None, "{path}");
        }
        assert_eq!(
            parse(&format!("/orders/{}/shipments", "a".repeat(65))),
            None
        );
        assert_eq!(
            parse(&format!("/orders/o-1/shipments/{}/events", "9".repeat(256))),
            None
        );
    }
}

#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #[test]
        fn any_path_is_routed_or_refused_without_panicking(path in "(/orders(/[a-z0-9%._:-]{0,6}(/shipments(/[^/]{0,8}(/events)?)?)?)?)?[/a-zA-Z0-9%]{0,6}") {
            if let Some(route) = parse(&path) {
                prop_assert!(is_order_id(route.order()));
            }
        }

        #[test]
        fn any_string_is_routed_or_refused_without_panicking(path in any::<String>()) {
            let _ = parse(&path);
        }
    }
}
