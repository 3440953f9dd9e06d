//! `GET /feed`'s query: `after` (a position, default 0), `limit` (1-500, default 100) and
//! `types` (comma-separated event types, default every type).

use http_common::ApiError;
use http_common::input::Fields;

/// The largest page.
pub(crate) const MAX_LIMIT: usize = 500;
/// The page size when none is asked for.
const DEFAULT_LIMIT: usize = 100;

/// A feed read, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FeedQuery {
    pub(crate) after: u64,
    pub(crate) limit: usize,
    pub(crate) types: Vec<String>,
}

/// Parses the query string.
pub(crate) fn parse(raw: &str) -> Result<FeedQuery, ApiError> {
    let mut query = FeedQuery {
        after: 0,
        limit: DEFAULT_LIMIT,
        types: Vec::new(),
    };
    let mut fields = Fields::new();
    for (name, value) in form_urlencoded::parse(raw.as_bytes()) {
        let value = value.trim();
        if value.is_empty() {
            continue;
        }
        match name.as_ref() {
            "after" => {
                query.after = value
                    .parse()
                    .map_err(|_| ApiError::wrong_type("after", "a non-negative integer"))?;
            }
            "limit" => match value.parse::<usize>() {
                Ok(limit) if (1..=MAX_LIMIT).contains(&limit) => query.limit = limit,
                Ok(_) => fields.push(
                    "limit".to_owned(),
                    "out-of-range",
                    format!("limit must be from 1 to {MAX_LIMIT}"),
                ),
                Err(_) => return Err(ApiError::wrong_type("limit", "an integer")),
            },
            "types" => {
                for kind in value.split(',').map(str::trim).filter(|t| !t.is_empty()) {
                    if is_event_type(kind) {
                        query.types.push(kind.to_owned());
                    } else {
                        fields.push(
                            "types".to_owned(),
                            "bad-format",
                            format!("{kind:?} is not {EVENT_TYPE}"),
                        );
                    }
                }
            }
            _ => {}
        }
    }
    fields.finish()?;
    Ok(query)
}

/// What an event type is, for error messages.
pub(crate) const EVENT_TYPE: &str =
    "an event type (order.<event>, subscription.<event> or inventory.<event>, kebab case)";

/// `order.<event>`, `subscription.<event>` or `inventory.<event>`, the event in kebab case.
pub(crate) fn is_event_type(text: &str) -> bool {
    let event = text
        .strip_prefix("order.")
        .or_else(|| text.strip_prefix("subscription."))
        .or_else(|| text.strip_prefix("inventory."));
    event.is_some_and(|e| {
        !e.is_empty()
            && !e.starts_with('-')
            && !e.ends_with('-')
            && e.bytes().all(|b| b.is_ascii_lowercase() || b == b'-')
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_feed_query_reads_its_three_parameters() {
        assert_eq!(
            parse("after=7&limit=20&types=order.placed,subscription.cycle-created"),
            Ok(FeedQuery {
                after: 7,
                limit: 20,
                types: vec!["order.placed".into(), "subscription.cycle-created".into()],
            })
        );
        assert_eq!(parse("").map(|q| (q.after, q.limit)), Ok((0, 100)));
    }

    #[test]
    fn bad_values_are_refused_with_the_field() {
        for (raw, status) in [
            ("after=-1", 400),
            ("limit=0", 422),
            ("limit=501", 422),
            ("limit=x", 400),
            ("types=placed", 422),
            ("types=order.Placed", 422),
        ] {
            assert_eq!(parse(raw).map_err(|e| e.status()), Err(status), "{raw}");
        }
    }
}
