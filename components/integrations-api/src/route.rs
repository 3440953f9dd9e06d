//! The paths this component serves (spin.toml routes `/feed`, `/feed/...` and
//! `/integrations/run` here).

use http_common::path::percent_decode;

/// A resource of this component.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Route {
    /// `/feed`: read the feed.
    Feed,
    /// `/feed/consumers/{name}`: a named consumer.
    Consumer(String),
    /// `/feed/consumers/{name}/items`: its next batch.
    Items(String),
    /// `/feed/consumers/{name}/commit`: commit handles.
    Commit(String),
    /// `/integrations/run`: one sequencer pass.
    Run,
}

impl Route {
    /// The methods the resource accepts (any other is 405).
    pub(crate) fn methods(&self) -> &'static [&'static str] {
        match self {
            Self::Feed | Self::Items(_) => &["GET"],
            Self::Consumer(_) => &["GET", "PUT", "DELETE"],
            Self::Commit(_) | Self::Run => &["POST"],
        }
    }
}

/// A consumer's name: 1-64 of `A-Z a-z 0-9 . _ : -`.
fn is_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b':' | b'-'))
}

/// The route of a path.
pub(crate) fn parse(path: &str) -> Option<Route> {
    match path {
        "/feed" => return Some(Route::Feed),
        "/integrations/run" => return Some(Route::Run),
        _ => {}
    }
    let rest = path.strip_prefix("/feed/consumers/")?;
    let (name, tail) = match rest.split_once('/') {
        Some((name, tail)) => (name, Some(tail)),
        None => (rest, None),
    };
    let name = percent_decode(name).filter(|n| is_name(n))?;
    match tail {
        None => Some(Route::Consumer(name)),
        Some("items") => Some(Route::Items(name)),
        Some("commit") => Some(Route::Commit(name)),
        Some(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_resources_are_recognised() {
        assert_eq!(parse("/feed"), Some(Route::Feed));
        assert_eq!(parse("/integrations/run"), Some(Route::Run));
        assert_eq!(
            parse("/feed/consumers/erp"),
            Some(Route::Consumer("erp".into()))
        );
        assert_eq!(
            parse("/feed/consumers/erp/items"),
            Some(Route::Items("erp".into()))
        );
        assert_eq!(
            parse("/feed/consumers/erp/commit"),
            Some(Route::Commit("erp".into()))
        );
        for other in [
            "/feed/x",
            "/feed/consumers/",
            "/feed/consumers/a b",
            "/feed/consumers/e/x",
        ] {
            assert_eq!(parse(other), None, "{other}");
        }
    }
}
