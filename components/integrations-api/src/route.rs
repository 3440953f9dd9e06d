//! The paths this component serves (spin.toml routes `/feed`, `/feed/...`, `/webhooks/...`,
//! `/notifications/...` and `/integrations/run` here).

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
    /// `/integrations/run`: one sequencer and delivery pass.
    Run,
    /// `/integrations/kick`: a pass after a write's answer, reachable only as the private
    /// component `integrations-kick` (no public route matches it).
    Kick,
    /// `/webhooks/endpoints`.
    Endpoints,
    /// `/webhooks/endpoints/{id}`.
    Endpoint(String),
    /// `/webhooks/endpoints/{id}/deliveries`.
    Deliveries(String),
    /// `/webhooks/endpoints/{id}/deliveries/{n}/retry`.
    Retry(String, u64),
    /// `/webhooks/endpoints/{id}/replay`.
    Replay(String),
    /// `/webhooks/endpoints/{id}/test`.
    Test(String),
    /// `/notifications/templates`.
    Templates,
    /// `/notifications/templates/{step}`.
    Template(String),
}

impl Route {
    /// The methods the resource accepts (any other is 405).
    pub(crate) fn methods(&self) -> &'static [&'static str] {
        match self {
            Self::Feed | Self::Items(_) | Self::Deliveries(_) | Self::Templates => &["GET"],
            Self::Template(_) => &["GET", "PUT", "DELETE"],
            Self::Consumer(_) => &["GET", "PUT", "DELETE"],
            Self::Endpoints => &["GET", "POST"],
            Self::Endpoint(_) => &["GET", "PATCH", "DELETE"],
            Self::Commit(_)
            | Self::Run
            | Self::Kick
            | Self::Retry(..)
            | Self::Replay(_)
            | Self::Test(_) => &["POST"],
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
        "/integrations/kick" => return Some(Route::Kick),
        "/webhooks/endpoints" => return Some(Route::Endpoints),
        "/notifications/templates" => return Some(Route::Templates),
        _ => {}
    }
    if let Some(step) = path.strip_prefix("/notifications/templates/") {
        return percent_decode(step)
            .filter(|s| is_name(s))
            .map(Route::Template);
    }
    if let Some(rest) = path.strip_prefix("/webhooks/endpoints/") {
        return webhook(rest);
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

/// The routes under `/webhooks/endpoints/`.
fn webhook(rest: &str) -> Option<Route> {
    let mut parts = rest.split('/');
    let id = percent_decode(parts.next()?).filter(|n| is_name(n))?;
    let route = match (parts.next(), parts.next(), parts.next()) {
        (None, ..) => Route::Endpoint(id),
        (Some("deliveries"), None, _) => Route::Deliveries(id),
        (Some("deliveries"), Some(n), Some("retry")) => Route::Retry(id, n.parse().ok()?),
        (Some("replay"), None, _) => Route::Replay(id),
        (Some("test"), None, _) => Route::Test(id),
        _ => return None,
    };
    parts.next().is_none().then_some(route)
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
