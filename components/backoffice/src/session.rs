//! Sessions: a signed cookie naming a session record, and the CSRF token of each form.
//!
//! The cookie is `of_session=<id>.<expires>.<mac>`: a random session id, its expiry (unix
//! seconds) and an HMAC-SHA256 of both under the `session_key` variable, so a forged or altered
//! cookie is refused before anything is read, and an expired one without a read. The session
//! record (`op/s/{id}`, [`crate::operators`]) names the operator; signing out deletes it, so a
//! stolen cookie dies with its session. The cookie is `HttpOnly`, `SameSite=Strict`, scoped to
//! `/admin`, and `Secure` when the request came over HTTPS.
//!
//! Every form carries a CSRF token: an HMAC of the session id under the same key (with another
//! label), compared in constant time; a form posted without it, or with another session's, is
//! refused.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The cookie's name.
pub(crate) const COOKIE: &str = "of_session";

/// How long a session lasts from sign-in: a working day.
pub(crate) const LIFETIME_SECONDS: i64 = 8 * 60 * 60;

/// The bytes of a session id (base64url: 22 characters).
pub(crate) const ID_BYTES: usize = 16;

/// A cookie whose signature holds: the session id and when it expires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Signed {
    /// The session id.
    pub(crate) id: String,
    /// Unix seconds.
    pub(crate) expires: i64,
}

fn mac(key: &[u8], label: &str, text: &str) -> Hmac<Sha256> {
    // HMAC takes keys of any length.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key)
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(label.as_bytes());
    mac.update(b"\0");
    mac.update(text.as_bytes());
    mac
}

/// The cookie's value for session `id` expiring at `expires`.
pub(crate) fn cookie_value(key: &[u8], id: &str, expires: i64) -> String {
    let payload = format!("{id}.{expires}");
    let tag = mac(key, "session", &payload).finalize().into_bytes();
    format!("{payload}.{}", URL_SAFE_NO_PAD.encode(tag))
}

/// The session a cookie value names, if its signature holds and it has not expired at `now`.
pub(crate) fn verify(key: &[u8], value: &str, now: i64) -> Option<Signed> {
    let (payload, tag) = value.rsplit_once('.')?;
    let (id, expires) = payload.split_once('.')?;
    let tag = URL_SAFE_NO_PAD.decode(tag).ok()?;
    // Constant time: `verify_slice` compares the whole tag whatever differs.
    mac(key, "session", payload).verify_slice(&tag).ok()?;
    let expires: i64 = expires.parse().ok()?;
    (expires > now && !id.is_empty()).then(|| Signed {
        id: id.to_owned(),
        expires,
    })
}

/// The CSRF token of session `id`'s forms.
pub(crate) fn csrf_token(key: &[u8], id: &str) -> String {
    URL_SAFE_NO_PAD.encode(mac(key, "csrf", id).finalize().into_bytes())
}

/// Whether `token` is session `id`'s CSRF token (constant time).
pub(crate) fn csrf_holds(key: &[u8], id: &str, token: &str) -> bool {
    URL_SAFE_NO_PAD
        .decode(token)
        .is_ok_and(|tag| mac(key, "csrf", id).verify_slice(&tag).is_ok())
}

/// The `Set-Cookie` value that starts a session.
pub(crate) fn set_cookie(value: &str, secure: bool) -> String {
    format!(
        "{COOKIE}={value}; Path=/admin; Max-Age={LIFETIME_SECONDS}; HttpOnly; SameSite=Strict{}",
        if secure { "; Secure" } else { "" }
    )
}

/// The `Set-Cookie` value that ends one.
pub(crate) fn clear_cookie(secure: bool) -> String {
    format!(
        "{COOKIE}=; Path=/admin; Max-Age=0; HttpOnly; SameSite=Strict{}",
        if secure { "; Secure" } else { "" }
    )
}

/// The value of cookie `name` in a `Cookie` header.
pub(crate) fn cookie<'a>(header: &'a str, name: &str) -> Option<&'a str> {
    header.split(';').find_map(|pair| {
        let (k, v) = pair.trim().split_once('=')?;
        (k == name).then_some(v)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &[u8] = b"a session key for tests";

    #[test]
    fn a_cookie_verifies_until_it_expires_and_not_once_altered() {
        let value = cookie_value(KEY, "abc", 1_000);
        assert_eq!(
            verify(KEY, &value, 999),
            Some(Signed {
                id: "abc".into(),
                expires: 1_000
            })
        );
        assert_eq!(verify(KEY, &value, 1_000), None, "expired");
        assert_eq!(verify(b"another key", &value, 999), None, "another key");
        let longer = value.replacen(".1000.", ".9000.", 1);
        assert_eq!(verify(KEY, &longer, 999), None, "a later expiry, forged");
        let other = value.replacen("abc.", "abd.", 1);
        assert_eq!(verify(KEY, &other, 999), None, "another session, forged");
        assert_eq!(verify(KEY, "abc.1000", 999), None, "no signature");
        assert_eq!(verify(KEY, "", 999), None);
    }

    #[test]
    fn a_csrf_token_belongs_to_its_session() {
        let token = csrf_token(KEY, "abc");
        assert!(csrf_holds(KEY, "abc", &token));
        assert!(!csrf_holds(KEY, "abd", &token));
        assert!(!csrf_holds(KEY, "abc", ""));
        assert!(!csrf_holds(KEY, "abc", "not base64 !"));
    }

    #[test]
    fn the_cookie_is_http_only_strict_and_secure_over_https() {
        let set = set_cookie("v", true);
        for part in [
            "HttpOnly",
            "SameSite=Strict",
            "Secure",
            "Path=/admin",
            "Max-Age=28800",
        ] {
            assert!(set.contains(part), "{set}");
        }
        assert!(!set_cookie("v", false).contains("Secure"));
        assert_eq!(cookie("a=1; of_session=x.y.z; b=2", COOKIE), Some("x.y.z"));
        assert_eq!(cookie("a=1", COOKIE), None);
    }
}
