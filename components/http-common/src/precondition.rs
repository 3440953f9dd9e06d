//! `If-Match: <version>` on mutating order routes: the order version the
//! client saw, sent to the service as `expected-version`; a stale one is 409 `version-mismatch`.

use crate::ApiError;

/// The expected version from every value of the `If-Match` header (none: no precondition).
/// Accepts `7`, the entity-tag form `"7"` and the weak form `W/"7"`.
pub fn if_match(values: &[Vec<u8>]) -> Result<Option<u64>, ApiError> {
    let value = match values {
        [] => return Ok(None),
        [value] => value,
        [_, _, ..] => return Err(bad("send one If-Match header, not several")),
    };
    let text = std::str::from_utf8(value)
        .map_err(|_| bad("If-Match must be an order version such as 3"))?
        .trim();
    let text = text.strip_prefix("W/").unwrap_or(text);
    let text = text
        .strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .unwrap_or(text);
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad("If-Match must be an order version such as 3"));
    }
    text.parse::<u64>()
        .map(Some)
        .map_err(|_| bad("If-Match is larger than any order version"))
}

fn bad(message: &str) -> ApiError {
    ApiError::new(400, "invalid-if-match", message).with_detail("field", "If-Match")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(value: &str) -> Result<Option<u64>, ApiError> {
        if_match(&[value.as_bytes().to_vec()])
    }

    #[test]
    fn a_version_is_read_bare_quoted_or_weak() {
        assert_eq!(if_match(&[]).ok(), Some(None));
        assert_eq!(parse("7").ok(), Some(Some(7)));
        assert_eq!(parse(" \"12\" ").ok(), Some(Some(12)));
        assert_eq!(parse("W/\"3\"").ok(), Some(Some(3)));
    }

    #[test]
    fn anything_else_is_400_naming_the_header() {
        for value in [
            "",
            "*",
            "-1",
            "1.5",
            "\"\"",
            "abc",
            "99999999999999999999999",
        ] {
            let error = parse(value).err();
            assert_eq!(
                error.as_ref().map(|e| (e.status(), e.code())),
                Some((400, "invalid-if-match")),
                "{value:?}"
            );
        }
        assert!(if_match(&[b"1".to_vec(), b"2".to_vec()]).is_err());
        assert!(if_match(&[vec![0xff]]).is_err());
    }
}
