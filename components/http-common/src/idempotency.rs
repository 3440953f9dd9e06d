//! `Idempotency-Key`: the header's value is checked (1-255 printable ASCII) and sent to the
//! service with the route as scope and a SHA-256 fingerprint of the body, so the same key with
//! another body is refused (`idempotency-key-reused`).

use sha2::{Digest, Sha256};

use crate::ApiError;
use crate::orders::Idempotency;

/// The longest key accepted.
pub const MAX_KEY_LEN: usize = 255;

/// The key of the request, from every value of its `Idempotency-Key` header (none: no key).
pub fn key(values: &[Vec<u8>]) -> Result<Option<String>, ApiError> {
    let value = match values {
        [] => return Ok(None),
        [value] => value,
        [_, _, ..] => return Err(bad_key("send one Idempotency-Key header, not several")),
    };
    if value.is_empty() || value.len() > MAX_KEY_LEN {
        return Err(bad_key("an Idempotency-Key has 1 to 255 characters"));
    }
    match std::str::from_utf8(value) {
        Ok(key) if key.bytes().all(|b| (0x20..=0x7e).contains(&b)) => Ok(Some(key.to_owned())),
        Ok(_) | Err(_) => Err(bad_key(
            "an Idempotency-Key is printable ASCII (space to tilde)",
        )),
    }
}

fn bad_key(message: &str) -> ApiError {
    ApiError::new(400, "invalid-idempotency-key", message).with_detail("field", "Idempotency-Key")
}

/// The lowercase hex SHA-256 of a request body.
pub fn fingerprint(body: &[u8]) -> String {
    Sha256::digest(body)
        .iter()
        .fold(String::with_capacity(64), |mut hex, byte| {
            const DIGITS: &[u8; 16] = b"0123456789abcdef";
            hex.push(char::from(DIGITS[usize::from(byte >> 4)]));
            hex.push(char::from(DIGITS[usize::from(byte & 0x0f)]));
            hex
        })
}

/// What the service needs to replay or refuse a request with this key.
pub fn idempotency(scope: &str, key: String, body: &[u8]) -> Idempotency {
    Idempotency {
        scope: scope.to_owned(),
        key,
        fingerprint: fingerprint(body),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_header_means_no_key_and_one_printable_value_is_the_key() {
        assert_eq!(key(&[]).ok(), Some(None));
        assert_eq!(
            key(&[b"order-123 / retry ~1".to_vec()]).ok(),
            Some(Some("order-123 / retry ~1".to_owned()))
        );
        assert!(key(&[vec![b'k'; 255]]).is_ok());
    }

    #[test]
    fn empty_long_unprintable_or_repeated_keys_are_400() {
        for values in [
            vec![Vec::new()],
            vec![vec![b'k'; 256]],
            vec![b"tab\there".to_vec()],
            vec!["chave-ção".as_bytes().to_vec()],
            vec![vec![0xff]],
            vec![b"a".to_vec(), b"b".to_vec()],
        ] {
            let error = key(&values).err();
            assert_eq!(
                error.as_ref().map(|e| (e.status(), e.code())),
                Some((400, "invalid-idempotency-key")),
                "{values:?}"
            );
        }
    }

    #[test]
    fn the_fingerprint_is_the_hex_sha256_of_the_body() {
        assert_eq!(
            fingerprint(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            fingerprint(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
