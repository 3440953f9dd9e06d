//! The query string of `GET /orders` and `GET /orders/export` (the listing's parameters, read
//! by `http_common::list_query`, and the export's `format`), and `POST /admin/check`'s `repair`.

use http_common::ApiError;
use http_common::input::Fields;
use http_common::list_query::{self, unknown};
use http_common::orders::Query;

pub(crate) use http_common::export::Format;

/// What a list or export request asks for.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Request {
    pub(crate) query: Query,
    pub(crate) format: Format,
}

/// The `repair` parameter of `POST /admin/check`: `true` or `false` (the default); anything else
/// is 422 naming the parameter.
pub(crate) fn repair(raw: &str) -> Result<bool, ApiError> {
    let mut repair = false;
    let mut fields = Fields::new();
    for (name, value) in form_urlencoded::parse(raw.as_bytes()) {
        if name == "repair" {
            match value.trim() {
                "true" => repair = true,
                "false" | "" => repair = false,
                _ => unknown(&mut fields, "repair", &["true", "false"]),
            }
        }
    }
    fields.finish()?;
    Ok(repair)
}

/// Parses a raw query string (without `?`): the listing's parameters, then `format`.
pub(crate) fn parse(raw: &str) -> Result<Request, ApiError> {
    let query = list_query::parse(raw)?;
    let mut format = Format::Csv;
    let mut fields = Fields::new();
    for (name, value) in form_urlencoded::parse(raw.as_bytes()) {
        if name == "format" {
            match value.trim() {
                "csv" => format = Format::Csv,
                "xml" => format = Format::Xml,
                "" => {}
                _ => unknown(&mut fields, "format", &["csv", "xml"]),
            }
        }
    }
    fields.finish()?;
    Ok(Request { query, format })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repair_is_false_unless_asked_and_refuses_other_values() {
        assert_eq!(repair("").ok(), Some(false));
        assert_eq!(repair("repair=false").ok(), Some(false));
        assert_eq!(repair("repair=true").ok(), Some(true));
        assert_eq!(repair("other=1&repair=true").ok(), Some(true));
        let error = repair("repair=yes").err().map(|e| (e.status(), e.code()));
        assert_eq!(error, Some((422, "validation-failed")));
    }

    #[test]
    fn the_format_is_csv_unless_xml_and_refuses_others() {
        assert_eq!(parse("").map(|r| r.format).ok(), Some(Format::Csv));
        assert_eq!(
            parse("format=xml").map(|r| r.format).ok(),
            Some(Format::Xml)
        );
        let error = parse("format=pdf").err().map(|e| (e.status(), e.code()));
        assert_eq!(error, Some((422, "validation-failed")));
    }
}

#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use http_common::list_query::MAX_LIMIT;

    use super::parse;
    use crate::route;

    proptest! {
        #[test]
        fn any_query_string_is_parsed_or_refused_with_400_or_422(raw in "[a-zA-Z=&%0-9+._~-]{0,64}|.{0,64}") {
            match parse(&raw) {
                Ok(request) => prop_assert!((1..=MAX_LIMIT).contains(&request.query.limit)),
                Err(error) => prop_assert!(error.status() == 400 || error.status() == 422, "{error}"),
            }
        }

        #[test]
        fn any_path_routes_or_is_not_found_without_panicking(path in "(/orders)?(/[a-zA-Z0-9%._~-]{0,8}){0,3}|.{0,32}") {
            let _ = route::parse(&path);
        }
    }
}
