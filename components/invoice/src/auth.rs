//! Who may call this component's routes: the ERP (`erp_token`) or the back office
//! (`admin_token`), either bearer token accepted, each compared in constant time.

use http_common::ApiError;
use http_common::auth::check_bearer;
use http_common::types::Actor;

/// The actor whose token the `Authorization` header carries. `erp` and `admin` are the
/// configured tokens (`None`: the variable is not set); with neither configured the route is
/// 503 `not-configured`, with a token that matches neither 401.
pub(crate) fn caller(
    authorization: Option<&[u8]>,
    erp: Option<&str>,
    admin: Option<&str>,
) -> Result<Actor, ApiError> {
    if erp.is_none() && admin.is_none() {
        return Err(ApiError::new(
            503,
            "not-configured",
            "neither erp_token nor admin_token is configured on the server",
        ));
    }
    // Both are compared, whatever the first answers, so timing does not tell which token was
    // tried.
    let as_erp = erp.map(|token| check_bearer(authorization, token));
    let as_admin = admin.map(|token| check_bearer(authorization, token));
    match (as_erp, as_admin) {
        (_, Some(Ok(()))) => Ok(Actor::Admin),
        (Some(Ok(())), _) => Ok(Actor::Erp),
        (Some(Err(error)), _) | (None, Some(Err(error))) => Err(error),
        // Ruled out above; answered as a bad token all the same.
        (None, None) => Err(ApiError::unauthorized(
            "the bearer token is not valid for this route",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(result: Result<Actor, ApiError>) -> Result<Actor, (u16, &'static str)> {
        result.map_err(|e| (e.status(), e.code()))
    }

    #[test]
    fn the_erp_token_acts_as_the_erp_and_the_admin_token_as_admin() {
        let (erp, admin) = (Some("erp-s3cret"), Some("adm-s3cret"));
        assert_eq!(
            status(caller(Some(b"Bearer erp-s3cret"), erp, admin)),
            Ok(Actor::Erp)
        );
        assert_eq!(
            status(caller(Some(b"Bearer adm-s3cret"), erp, admin)),
            Ok(Actor::Admin)
        );
    }

    #[test]
    fn a_missing_malformed_or_other_token_is_401() {
        let (erp, admin) = (Some("erp-s3cret"), Some("adm-s3cret"));
        for header in [
            None,
            Some(&b""[..]),
            Some(b"erp-s3cret"),
            Some(b"Basic erp-s3cret"),
            Some(b"Bearer checkout"),
            Some(b"Bearer erp-s3cretadm-s3cret"),
        ] {
            assert_eq!(
                status(caller(header, erp, admin)),
                Err((401, "unauthorized")),
                "{header:?}"
            );
        }
    }

    #[test]
    fn one_configured_token_is_enough_and_none_is_503() {
        assert_eq!(
            status(caller(Some(b"Bearer adm"), None, Some("adm"))),
            Ok(Actor::Admin)
        );
        assert_eq!(
            status(caller(Some(b"Bearer erp"), Some("erp"), None)),
            Ok(Actor::Erp)
        );
        assert_eq!(
            status(caller(Some(b"Bearer adm"), Some("erp"), None)),
            Err((401, "unauthorized"))
        );
        assert_eq!(
            status(caller(Some(b"Bearer x"), None, None)),
            Err((503, "not-configured"))
        );
    }

    #[test]
    fn an_empty_configured_token_accepts_nothing() {
        assert_eq!(
            status(caller(Some(b"Bearer "), Some(""), Some(""))),
            Err((401, "unauthorized"))
        );
    }
}
