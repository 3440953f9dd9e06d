//! Standard Webhooks (standardwebhooks.com, spec 1.0.0): the symmetric scheme.
//!
//! A secret is shown as `whsec_<base64>`; the key is the base64 part decoded. A delivery carries
//! `webhook-id`, `webhook-timestamp` (Unix seconds of the attempt) and `webhook-signature`: a
//! space-separated list of `v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`, one per secret
//! in force, so that a receiver keeps verifying while a rotated secret is still valid.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

/// The prefix of a shown secret.
pub const SECRET_PREFIX: &str = "whsec_";
/// How many random bytes a new secret has (the spec asks for 24 to 64).
pub const SECRET_BYTES: usize = 32;

/// A signing secret: its key bytes.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Vec<u8>);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never in a log.
        f.write_str("Secret(..)")
    }
}

impl Secret {
    /// A secret from fresh random bytes (at least 24 of them).
    pub fn from_random(bytes: [u8; SECRET_BYTES]) -> Self {
        Secret(bytes.to_vec())
    }

    /// Reads a shown secret (`whsec_<base64>`).
    pub fn parse(text: &str) -> Option<Self> {
        let key = STANDARD.decode(text.strip_prefix(SECRET_PREFIX)?).ok()?;
        (24..=64).contains(&key.len()).then_some(Secret(key))
    }

    /// The secret as shown to its owner, once.
    pub fn reveal(&self) -> String {
        format!("{SECRET_PREFIX}{}", STANDARD.encode(&self.0))
    }

    /// `v1,<base64>` for one delivery attempt.
    pub fn sign(&self, id: &str, timestamp: i64, body: &[u8]) -> String {
        format!("v1,{}", STANDARD.encode(self.mac(id, timestamp, body)))
    }

    fn mac(&self, id: &str, timestamp: i64, body: &[u8]) -> Vec<u8> {
        // HMAC takes a key of any length.
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(&self.0) else {
            return Vec::new();
        };
        mac.update(id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        mac.finalize().into_bytes().to_vec()
    }

    /// Whether `header` (a `webhook-signature` value) holds a `v1` signature of this secret,
    /// compared in constant time.
    pub fn verifies(&self, id: &str, timestamp: i64, body: &[u8], header: &str) -> bool {
        let expected = self.mac(id, timestamp, body);
        header.split(' ').any(|signature| {
            signature
                .strip_prefix("v1,")
                .and_then(|b64| STANDARD.decode(b64).ok())
                .is_some_and(|got| bool::from(got.ct_eq(&expected)))
        })
    }
}

/// The `webhook-signature` header: one signature per secret in force, space separated.
pub fn header(secrets: &[&Secret], id: &str, timestamp: i64, body: &[u8]) -> String {
    secrets
        .iter()
        .map(|s| s.sign(id, timestamp, body))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_specs_example_signs_as_published() {
        // The example of the reference libraries' tests (standard-webhooks, libraries/*):
        // secret MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw, id msg_p5jXN8AQM9LWM0D4loKWxJek, timestamp
        // 1614265330, body {"test": 2432232314}.
        let secret = Secret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").expect("a secret");
        let body = br#"{"test": 2432232314}"#;
        let signature = secret.sign("msg_p5jXN8AQM9LWM0D4loKWxJek", 1_614_265_330, body);
        assert_eq!(signature, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
        assert!(secret.verifies(
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1_614_265_330,
            body,
            &format!("v1a,whatever {signature}")
        ));
        assert!(!secret.verifies(
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1_614_265_331,
            body,
            &signature
        ));
    }

    #[test]
    fn secrets_round_trip_and_never_print() {
        let secret = Secret::from_random([7; SECRET_BYTES]);
        let shown = secret.reveal();
        assert!(shown.starts_with("whsec_"));
        assert_eq!(Secret::parse(&shown), Some(secret.clone()));
        assert_eq!(format!("{secret:?}"), "Secret(..)");
        assert_eq!(Secret::parse("whsec_c2hvcnQ="), None, "too short");
        assert_eq!(
            Secret::parse("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"),
            None,
            "no prefix"
        );
    }

    #[test]
    fn a_rotation_header_carries_both_signatures() {
        let old = Secret::from_random([1; SECRET_BYTES]);
        let new = Secret::from_random([2; SECRET_BYTES]);
        let header = header(&[&new, &old], "evt_o1_0", 1_700_000_000, b"{}");
        assert_eq!(header.split(' ').count(), 2);
        assert!(old.verifies("evt_o1_0", 1_700_000_000, b"{}", &header));
        assert!(new.verifies("evt_o1_0", 1_700_000_000, b"{}", &header));
    }
}
