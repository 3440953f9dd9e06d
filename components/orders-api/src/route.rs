//! The paths this component serves (spin.toml routes `/orders` and `/orders/...` here).

/// A resource of this component.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Route {
    /// `/orders`: the list.
    List,
    /// `/orders/export`: the CSV or XML export.
    Export,
    /// `/orders/{id}`: one order (the id percent-decoded; 1-64 of `A-Z a-z 0-9 . _ : -`, as
    /// openapi.yaml says, so any other id is a 404 without asking the service).
    Order(String),
}

impl Route {
    /// The methods the resource accepts (any other is 405).
    pub(crate) fn methods(&self) -> &'static [&'static str] {
        match self {
            Self::Order(_) => &["GET", "PATCH"],
            Self::List | Self::Export => &["GET"],
        }
    }
}

/// The route of a path, or `None` (404) for anything else under `/orders/`.
pub(crate) fn parse(path: &str) -> Option<Route> {
    let rest = path.strip_prefix("/orders")?;
    if rest.is_empty() {
        return Some(Route::List);
    }
    let segment = rest.strip_prefix('/')?;
    if segment == "export" {
        return Some(Route::Export);
    }
    if segment.is_empty() || segment.contains('/') {
        return None;
    }
    percent_decode(segment)
        .filter(|id| is_order_id(id))
        .map(Route::Order)
}

fn is_order_id(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b':' | b'-'))
}

/// `%XX` escapes decoded; `None` for a bad escape or a result that is not UTF-8.
fn percent_decode(segment: &str) -> Option<String> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_three_resources_are_recognised() {
        assert_eq!(parse("/orders"), Some(Route::List));
        assert_eq!(parse("/orders/export"), Some(Route::Export));
        assert_eq!(
            parse("/orders/01J0ORDER"),
            Some(Route::Order("01J0ORDER".into()))
        );
        assert_eq!(parse("/orders/o-1%3A2"), Some(Route::Order("o-1:2".into())));
    }

    #[test]
    fn an_order_is_read_or_edited_and_the_list_and_export_only_read() {
        assert_eq!(Route::Order("o-1".into()).methods(), ["GET", "PATCH"]);
        assert_eq!(Route::List.methods(), ["GET"]);
        assert_eq!(Route::Export.methods(), ["GET"]);
    }

    #[test]
    fn other_paths_are_not_found() {
        for path in [
            "/",
            "/order",
            "/ordersx",
            "/orders/",
            "/orders/1/invoices",
            "/orders/%",
            "/orders/%zz",
            "/orders/%ff",
            "/orders/%E2%82",
            "/orders/a%20b",
            "/orders/a%2Fb",
            "/orders/ação",
        ] {
            assert_eq!(parse(path), None, "{path}");
        }
        assert_eq!(parse(&format!("/orders/{}", "a".repeat(65))), None);
        assert!(parse(&format!("/orders/{}", "a".repeat(64))).is_some());
    }
}
