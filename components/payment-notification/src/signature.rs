//! The payment provider's signature: `Orderflow-Signature: t=<unix seconds>,v1=<hex
//! HMAC-SHA256(payment_webhook_secret, "<t>.<raw body>")>` (openapi.yaml,
//! `POST /payments/notifications`).
//!
//! As Stripe's scheme, which providers already implement: the header is comma-separated
//! `name=value` pairs; `t` once; one `v1` or several (a provider rotating its secret signs with
//! both), any of which may match; other schemes (`v0`) are ignored. The MAC is compared in
//! constant time (`hmac`'s `verify_slice`), and checked before the time so that an unsigned
//! request learns nothing about the clock. Plain Rust: the caller passes the secret and `now`.

use hmac::{Hmac, Mac};
use http_common::ApiError;
use sha2::Sha256;

/// How far `t` may be from the server's clock, either way, in seconds.
pub(crate) const TOLERANCE_SECONDS: u64 = 300;

/// Why a notification's signature is refused; each is 401.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SignatureError {
    /// No `Orderflow-Signature` header.
    Missing,
    /// A header that is not `t=<digits>,v1=<64 hex digits>`, or several headers.
    Malformed(&'static str),
    /// No `v1` matches the body under the secret (or the configured secret is empty).
    Mismatch,
    /// Correctly signed, but `t` is more than [`TOLERANCE_SECONDS`] from now.
    Stale {
        /// `t` as sent.
        timestamp: i64,
        /// The server's clock.
        now: i64,
    },
}

impl From<SignatureError> for ApiError {
    fn from(error: SignatureError) -> Self {
        const EXPECTED: &str = "t=<unix seconds>,v1=<hex HMAC-SHA256 of \"<t>.<raw body>\">";
        let invalid = |message: &str| {
            ApiError::new(401, "invalid-signature", message)
                .with_detail("header", "Orderflow-Signature")
                .with_detail("expected", EXPECTED)
        };
        match error {
            SignatureError::Missing => {
                invalid("sign the notification with the Orderflow-Signature header")
            }
            SignatureError::Malformed(reason) => invalid(reason),
            SignatureError::Mismatch => invalid(
                "the signature does not match the body under the payment webhook secret",
            ),
            SignatureError::Stale { timestamp, now } => ApiError::new(
                401,
                "stale-signature",
                "the signature's timestamp is more than 300 seconds from the server's clock; sign again with the current time",
            )
            .with_detail("timestamp", timestamp)
            .with_detail("now", now)
            .with_detail("toleranceSeconds", TOLERANCE_SECONDS),
        }
    }
}

/// A parsed `Orderflow-Signature` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Signature {
    /// `t`: when the provider signed, in Unix seconds.
    timestamp: i64,
    /// The text of `t` exactly as sent: it is what was signed.
    timestamp_text: String,
    /// Every `v1` MAC, decoded.
    macs: Vec<[u8; 32]>,
}

/// Parses every value of the header (none: [`SignatureError::Missing`]).
pub(crate) fn parse(values: &[Vec<u8>]) -> Result<Signature, SignatureError> {
    let value = match values {
        [] => return Err(SignatureError::Missing),
        [value] => value,
        [_, _, ..] => {
            return Err(SignatureError::Malformed(
                "send one Orderflow-Signature header, not several",
            ));
        }
    };
    let text = std::str::from_utf8(value)
        .map_err(|_| SignatureError::Malformed("the Orderflow-Signature header is not ASCII"))?;
    let mut timestamp = None;
    let mut macs = Vec::new();
    for part in text.split(',') {
        let Some((name, value)) = part.trim().split_once('=') else {
            return Err(SignatureError::Malformed(
                "Orderflow-Signature must be comma-separated name=value pairs",
            ));
        };
        match name.trim() {
            "t" => {
                if timestamp.is_some() {
                    return Err(SignatureError::Malformed(
                        "Orderflow-Signature carries t more than once",
                    ));
                }
                timestamp = Some(value.trim());
            }
            "v1" => macs.push(decode_mac(value.trim()).ok_or(SignatureError::Malformed(
                "v1 must be 64 hexadecimal digits (an HMAC-SHA256)",
            ))?),
            // Other schemes (v0, a future v2) are the provider's business.
            _ => {}
        }
    }
    let timestamp_text = timestamp.ok_or(SignatureError::Malformed(
        "Orderflow-Signature has no t=<unix seconds>",
    ))?;
    if macs.is_empty() {
        return Err(SignatureError::Malformed(
            "Orderflow-Signature has no v1=<signature>",
        ));
    }
    let timestamp = Some(timestamp_text)
        .filter(|t| !t.is_empty() && t.len() <= 18 && t.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|t| t.parse::<i64>().ok())
        .ok_or(SignatureError::Malformed(
            "t must be the signing time in whole Unix seconds",
        ))?;
    Ok(Signature {
        timestamp,
        timestamp_text: timestamp_text.to_owned(),
        macs,
    })
}

/// Accepts `body` when one `v1` of `signature` is its MAC under `secret` and `t` is within
/// [`TOLERANCE_SECONDS`] of `now` (Unix seconds). An empty secret accepts nothing.
pub(crate) fn verify(
    signature: &Signature,
    body: &[u8],
    secret: &str,
    now: i64,
) -> Result<(), SignatureError> {
    if secret.is_empty() {
        return Err(SignatureError::Mismatch);
    }
    let mac = signed(secret, &signature.timestamp_text, body)?;
    // Every candidate is compared, so the time taken does not say which one matched.
    let matched = signature.macs.iter().fold(false, |matched, candidate| {
        mac.clone().verify_slice(candidate).is_ok() | matched
    });
    if !matched {
        return Err(SignatureError::Mismatch);
    }
    if signature.timestamp.abs_diff(now) > TOLERANCE_SECONDS {
        return Err(SignatureError::Stale {
            timestamp: signature.timestamp,
            now,
        });
    }
    Ok(())
}

/// The MAC state after `"<t>.<body>"`.
fn signed(secret: &str, timestamp: &str, body: &[u8]) -> Result<Hmac<Sha256>, SignatureError> {
    // HMAC takes a key of any length; the error is for fixed-size MACs only.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes())
        .map_err(|_| SignatureError::Mismatch)?;
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body);
    Ok(mac)
}

fn decode_mac(hex: &str) -> Option<[u8; 32]> {
    let bytes = hex.as_bytes();
    if bytes.len() != 64 {
        return None;
    }
    let mut mac = [0_u8; 32];
    for (byte, pair) in mac.iter_mut().zip(bytes.chunks_exact(2)) {
        let [high, low] = pair else { return None };
        *byte = nibble(*high)? << 4 | nibble(*low)?;
    }
    Some(mac)
}

/// One hexadecimal digit, either case (`from_str_radix` would also take a leading `+`).
fn nibble(digit: u8) -> Option<u8> {
    char::from(digit)
        .to_digit(16)
        .and_then(|value| u8::try_from(value).ok())
}

/// The server's clock in Unix seconds (0 before 1970, which makes every signature stale).
pub(crate) fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| {
            i64::try_from(elapsed.as_secs()).unwrap_or(i64::MAX)
        })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    const SECRET: &str = "whsec_test_0123456789";
    const NOW: i64 = 1_763_780_000;
    const BODY: &[u8] = br#"{"orderId":"o-1","paymentId":"pay-1","status":"approved","amount":11480,"method":"pix","occurredAt":"2026-11-22T01:00:00Z"}"#;

    /// The header a provider sends: the MAC computed independently, with the hmac crate.
    pub(crate) fn header(secret: &str, timestamp: i64, body: &[u8]) -> String {
        let mut mac = match Hmac::<Sha256>::new_from_slice(secret.as_bytes()) {
            Ok(mac) => mac,
            Err(error) => panic!("{error}"),
        };
        mac.update(format!("{timestamp}.").as_bytes());
        mac.update(body);
        let hex: String = mac
            .finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        format!("t={timestamp},v1={hex}")
    }

    fn check(header: &str, body: &[u8], secret: &str, now: i64) -> Result<(), SignatureError> {
        let signature = parse(&[header.as_bytes().to_vec()])?;
        verify(&signature, body, secret, now)
    }

    fn code(result: Result<(), SignatureError>) -> Option<(u16, &'static str)> {
        result
            .err()
            .map(ApiError::from)
            .map(|e| (e.status(), e.code()))
    }

    #[test]
    fn a_notification_signed_with_the_secret_is_accepted() {
        assert_eq!(check(&header(SECRET, NOW, BODY), BODY, SECRET, NOW), Ok(()));
    }

    #[test]
    fn the_mac_is_hmac_sha256_as_rfc_4231_publishes_it() {
        // RFC 4231, test case 2.
        let mut mac = match Hmac::<Sha256>::new_from_slice(b"Jefe") {
            Ok(mac) => mac,
            Err(error) => panic!("{error}"),
        };
        mac.update(b"what do ya want for nothing?");
        assert_eq!(
            decode_mac("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"),
            Some(mac.finalize().into_bytes().into())
        );
    }

    #[test]
    fn a_known_vector_from_another_implementation_is_accepted() {
        // HMAC-SHA256("secret", "1700000000.{}"), computed with Python's hmac module.
        let header =
            "t=1700000000,v1=b8569b78799ff9e3cbff0fc2d63a33a2b57f3282abd07c37ae5e8e7d79a5f163";
        assert_eq!(check(header, b"{}", "secret", 1_700_000_100), Ok(()));
        assert_eq!(header, self::header("secret", 1_700_000_000, b"{}"));
    }

    #[test]
    fn uppercase_hex_spaces_and_other_schemes_are_accepted() {
        let signed = header(SECRET, NOW, BODY);
        let upper = signed
            .to_uppercase()
            .replace("T=", "t=")
            .replace("V1=", "v1=");
        assert_eq!(check(&upper, BODY, SECRET, NOW), Ok(()));
        let spaced = signed.replace(',', " , v0=legacy, ");
        assert_eq!(check(&spaced, BODY, SECRET, NOW), Ok(()));
    }

    #[test]
    fn any_v1_may_match_while_the_provider_rotates_its_secret() {
        let old = header("old-secret", NOW, BODY);
        let new = header(SECRET, NOW, BODY);
        let (_, new_mac) = new.split_once(",v1=").unwrap_or_default();
        let both = format!("{old},v1={new_mac}");
        assert_eq!(check(&both, BODY, SECRET, NOW), Ok(()));
        assert_eq!(check(&both, BODY, "old-secret", NOW), Ok(()));
        assert_eq!(
            check(&both, BODY, "third", NOW),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn a_wrong_secret_another_body_or_another_time_is_invalid_signature() {
        let invalid = Some((401, "invalid-signature"));
        let signed = header(SECRET, NOW, BODY);
        assert_eq!(code(check(&signed, BODY, "wrong-secret", NOW)), invalid);
        assert_eq!(code(check(&signed, b"{}", SECRET, NOW)), invalid);
        let mut tampered = BODY.to_vec();
        tampered[40] ^= 1;
        assert_eq!(code(check(&signed, &tampered, SECRET, NOW)), invalid);
        let moved = signed.replace(&format!("t={NOW}"), &format!("t={}", NOW + 1));
        assert_eq!(code(check(&moved, BODY, SECRET, NOW)), invalid);
        // The same digits with a leading zero are other signed text.
        let padded = signed.replace("t=", "t=0");
        assert_eq!(code(check(&padded, BODY, SECRET, NOW)), invalid);
    }

    #[test]
    fn an_empty_secret_accepts_nothing() {
        assert_eq!(
            check(&header("", NOW, BODY), BODY, "", NOW),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn a_signature_more_than_300_seconds_off_is_stale() {
        let stale = Some((401, "stale-signature"));
        for t in [NOW - 301, NOW + 301, 0] {
            assert_eq!(
                code(check(&header(SECRET, t, BODY), BODY, SECRET, NOW)),
                stale,
                "{t}"
            );
        }
        for t in [NOW - 300, NOW + 300] {
            assert_eq!(
                check(&header(SECRET, t, BODY), BODY, SECRET, NOW),
                Ok(()),
                "{t}"
            );
        }
    }

    #[test]
    fn a_stale_signature_says_when_and_the_tolerance() {
        let error = ApiError::from(SignatureError::Stale {
            timestamp: NOW - 400,
            now: NOW,
        });
        assert_eq!(error.details().get("toleranceSeconds"), Some(&300.into()));
        assert_eq!(error.details().get("timestamp"), Some(&(NOW - 400).into()));
    }

    #[test]
    fn a_badly_signed_stale_request_is_invalid_not_stale() {
        let signed = header("wrong", NOW - 10_000, BODY);
        assert_eq!(
            check(&signed, BODY, SECRET, NOW),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn missing_or_malformed_headers_are_invalid_signature() {
        let invalid = Some((401, "invalid-signature"));
        assert_eq!(code(parse(&[]).map(|_| ())), invalid);
        assert_eq!(parse(&[]), Err(SignatureError::Missing));
        let mac = "ab".repeat(32);
        for header in [
            String::new(),
            "garbage".to_owned(),
            format!("v1={mac}"),
            format!("t={NOW}"),
            format!("t=,v1={mac}"),
            format!("t=-5,v1={mac}"),
            format!("t=1.5,v1={mac}"),
            format!("t=99999999999999999999,v1={mac}"),
            format!("t={NOW},t={NOW},v1={mac}"),
            format!("t={NOW},v1={}", "ab".repeat(31)),
            format!("t={NOW},v1={}", "zz".repeat(32)),
            format!("t={NOW},v1={mac}0"),
            format!("t={NOW};v1={mac}"),
            format!("t={NOW},v1=+{}", &mac[1..]),
        ] {
            let result = parse(&[header.as_bytes().to_vec()]).map(|_| ());
            assert_eq!(code(result), invalid, "{header:?}");
        }
        assert_eq!(code(parse(&[vec![0xff, 0xfe]]).map(|_| ())), invalid);
        let one = header(SECRET, NOW, BODY).into_bytes();
        assert_eq!(code(parse(&[one.clone(), one]).map(|_| ())), invalid);
    }

    #[test]
    fn the_clock_is_after_the_epoch() {
        assert!(now() > NOW - 10 * 365 * 24 * 3600);
    }
}

#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::tests::header;
    use super::*;

    const NOW: i64 = 1_763_780_000;

    proptest! {
        #[test]
        fn any_header_bytes_and_body_are_refused_with_401_never_a_panic(
            value in prop::collection::vec(any::<u8>(), 0..160),
            body in prop::collection::vec(any::<u8>(), 0..256),
        ) {
            let result = parse(&[value]).and_then(|s| verify(&s, &body, "secret", NOW));
            if let Err(error) = result {
                prop_assert_eq!(ApiError::from(error).status(), 401);
            }
        }

        #[test]
        fn any_body_signed_now_with_the_secret_is_accepted_and_any_flipped_bit_refused(
            body in prop::collection::vec(any::<u8>(), 1..512),
            secret in "[ -~]{1,40}",
            skew in -300_i64..=300,
            bit in any::<prop::sample::Index>(),
        ) {
            let signed = header(&secret, NOW + skew, &body);
            let signature = parse(&[signed.into_bytes()]);
            prop_assert!(signature.is_ok());
            let Ok(signature) = signature else { return Ok(()) };
            prop_assert_eq!(verify(&signature, &body, &secret, NOW), Ok(()));
            let mut tampered = body.clone();
            let at = bit.index(tampered.len() * 8);
            tampered[at / 8] ^= 1 << (at % 8);
            prop_assert_eq!(verify(&signature, &tampered, &secret, NOW), Err(SignatureError::Mismatch));
        }
    }
}
