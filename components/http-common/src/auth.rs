//! `Authorization: Bearer <token>` against a token from a Spin variable, compared in constant
//! time. Both sides are hashed first, so neither the content nor the length of the expected
//! token leaks through timing.

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::ApiError;

/// Accepts the request when its `Authorization` header carries `Bearer <expected>`.
///
/// An empty `expected` token (a misconfigured variable) accepts nothing.
pub fn check_bearer(authorization: Option<&[u8]>, expected: &str) -> Result<(), ApiError> {
    let Some(header) = authorization else {
        return Err(ApiError::unauthorized(
            "send `Authorization: Bearer <token>` with this route's token",
        ));
    };
    let presented = bearer_token(header).ok_or_else(|| {
        ApiError::unauthorized("the Authorization header must read `Bearer <token>`")
    })?;
    let matches: bool = Sha256::digest(presented)
        .ct_eq(&Sha256::digest(expected.as_bytes()))
        .into();
    if matches && !expected.is_empty() {
        Ok(())
    } else {
        Err(ApiError::unauthorized(
            "the bearer token is not valid for this route",
        ))
    }
}

/// The token of a `Bearer` header: the scheme is case-insensitive, the token non-empty.
fn bearer_token(header: &[u8]) -> Option<&[u8]> {
    let header = header.trim_ascii();
    let (scheme, token) = header.split_at_checked(6)?;
    if !scheme.eq_ignore_ascii_case(b"bearer") {
        return None;
    }
    let token = token.strip_prefix(b" ")?.trim_ascii();
    (!token.is_empty()).then_some(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(result: Result<(), ApiError>) -> Option<(u16, &'static str)> {
        result.err().map(|e| (e.status(), e.code()))
    }

    #[test]
    fn the_right_token_is_accepted_whatever_the_scheme_case() {
        assert!(check_bearer(Some(b"Bearer s3cret"), "s3cret").is_ok());
        assert!(check_bearer(Some(b"bearer s3cret"), "s3cret").is_ok());
        assert!(check_bearer(Some(b"  BEARER   s3cret "), "s3cret").is_ok());
    }

    #[test]
    fn a_missing_malformed_or_wrong_token_is_401() {
        let unauthorized = Some((401, "unauthorized"));
        assert_eq!(code(check_bearer(None, "s3cret")), unauthorized);
        assert_eq!(code(check_bearer(Some(b""), "s3cret")), unauthorized);
        assert_eq!(code(check_bearer(Some(b"Bearer"), "s3cret")), unauthorized);
        assert_eq!(code(check_bearer(Some(b"Bearer "), "s3cret")), unauthorized);
        assert_eq!(
            code(check_bearer(Some(b"Basic s3cret"), "s3cret")),
            unauthorized
        );
        assert_eq!(
            code(check_bearer(Some(b"Bearers3cret"), "s3cret")),
            unauthorized
        );
        assert_eq!(
            code(check_bearer(Some(b"Bearer s3cre"), "s3cret")),
            unauthorized
        );
        assert_eq!(
            code(check_bearer(Some(b"Bearer s3cret2"), "s3cret")),
            unauthorized
        );
        assert_eq!(
            code(check_bearer(Some(&[0xff, 0xfe]), "s3cret")),
            unauthorized
        );
    }

    #[test]
    fn an_empty_configured_token_accepts_nothing() {
        assert!(check_bearer(Some(b"Bearer x"), "").is_err());
        assert!(check_bearer(Some(b"Bearer "), "").is_err());
    }
}
