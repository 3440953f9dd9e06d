//! Who is calling: the carrier or logistics integration (`logistics_token`) or, on the shipments
//! route only, the ERP (`erp_token`), which often records the tracking number with the invoice.
//! The token decides the actor written in the order's history.

use http_common::ApiError;
use http_common::auth::check_bearer;
use http_common::types::Actor;

use crate::route::Route;

/// The actor of a request with this `Authorization` header, given the configured tokens (an empty
/// token accepts nothing). The ERP's token on the events route is 403: a valid credential that
/// this route does not accept.
pub(crate) fn caller(
    route: &Route,
    authorization: Option<&[u8]>,
    logistics_token: &str,
    erp_token: &str,
) -> Result<Actor, ApiError> {
    let logistics = check_bearer(authorization, logistics_token);
    if logistics.is_ok() {
        return Ok(Actor::Logistics);
    }
    let erp = check_bearer(authorization, erp_token);
    match (route, erp) {
        (Route::Shipments { .. }, Ok(())) => Ok(Actor::Erp),
        (Route::Events { .. }, Ok(())) => Err(ApiError::new(
            403,
            "forbidden",
            "the ERP token may add shipments but not tracking events; use the logistics token",
        )),
        (Route::Shipments { .. } | Route::Events { .. }, Err(_)) => {
            logistics.map(|()| Actor::Logistics)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shipments() -> Route {
        Route::Shipments {
            order: "o-1".into(),
        }
    }

    fn events() -> Route {
        Route::Events {
            order: "o-1".into(),
            shipment: "X".into(),
        }
    }

    fn outcome(route: &Route, header: Option<&[u8]>) -> Result<Actor, (u16, &'static str)> {
        caller(route, header, "log-s3cret", "erp-s3cret").map_err(|e| (e.status(), e.code()))
    }

    #[test]
    fn the_logistics_token_is_the_logistics_actor_on_both_routes() {
        for route in [shipments(), events()] {
            assert_eq!(
                outcome(&route, Some(b"Bearer log-s3cret")),
                Ok(Actor::Logistics)
            );
        }
    }

    #[test]
    fn the_erp_token_adds_shipments_as_the_erp() {
        assert_eq!(
            outcome(&shipments(), Some(b"Bearer erp-s3cret")),
            Ok(Actor::Erp)
        );
    }

    #[test]
    fn the_erp_token_on_tracking_events_is_403() {
        assert_eq!(
            outcome(&events(), Some(b"Bearer erp-s3cret")),
            Err((403, "forbidden"))
        );
    }

    #[test]
    fn a_missing_or_unknown_token_is_401_on_both_routes() {
        for route in [shipments(), events()] {
            assert_eq!(outcome(&route, None), Err((401, "unauthorized")));
            assert_eq!(
                outcome(&route, Some(b"Bearer admin-s3cret")),
                Err((401, "unauthorized"))
            );
            assert_eq!(
                outcome(&route, Some(b"Basic log-s3cret")),
                Err((401, "unauthorized"))
            );
        }
    }

    #[test]
    fn unconfigured_tokens_accept_nothing() {
        assert_eq!(
            caller(&shipments(), Some(b"Bearer x"), "", "").map_err(|e| e.status()),
            Err(401)
        );
    }
}
