//! Path segments: `%XX` decoding and the order-id pattern every `/orders/{id}/...` route shares.

/// `%XX` escapes decoded; `None` for a bad escape or a result that is not UTF-8.
pub fn percent_decode(segment: &str) -> Option<String> {
    let bytes = segment.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while let Some(&byte) = bytes.get(index) {
        if byte == b'%' {
            let hex = bytes.get(index + 1..index + 3)?;
            let hex = std::str::from_utf8(hex).ok()?;
            decoded.push(u8::from_str_radix(hex, 16).ok()?);
            index += 3;
        } else {
            decoded.push(byte);
            index += 1;
        }
    }
    String::from_utf8(decoded).ok()
}

/// Whether `id` matches openapi.yaml's order id: 1-64 of `A-Z a-z 0-9 . _ : -`. An id outside
/// it is a 404 without asking the service.
pub fn is_order_id(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b':' | b'-'))
}

/// The order id in a raw path segment: percent-decoded, then checked with [`is_order_id`].
pub fn order_id(segment: &str) -> Option<String> {
    percent_decode(segment).filter(|id| is_order_id(id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_are_decoded_and_bad_ones_refused() {
        assert_eq!(percent_decode("o-1%3A2").as_deref(), Some("o-1:2"));
        assert_eq!(percent_decode("a%20b").as_deref(), Some("a b"));
        for bad in ["%", "%z", "%zz", "%ff", "%E2%82"] {
            assert_eq!(percent_decode(bad), None, "{bad}");
        }
    }

    #[test]
    fn order_ids_follow_the_pattern() {
        assert_eq!(order_id("o-1%3A2").as_deref(), Some("o-1:2"));
        assert!(order_id(&"a".repeat(64)).is_some());
        for bad in ["", "a%20b", "a%2Fb", "ação", "a/b"] {
            assert_eq!(order_id(bad), None, "{bad}");
        }
        assert_eq!(order_id(&"a".repeat(65)), None);
    }
}
