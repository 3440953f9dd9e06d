//! The paths this component serves (spin.toml routes `/plans`, `/plans/...`, `/subscriptions`,
//! `/subscriptions/...`, `/test-clocks` and `/test-clocks/...` here).

use http_common::path::percent_decode;

/// A command route's action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Action {
    /// `POST .../pause`.
    Pause,
    /// `POST .../resume`.
    Resume,
    /// `POST .../cancel`.
    Cancel,
    /// `POST .../skip`: skip the next cycle.
    Skip,
}

/// A resource of this component.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Route {
    /// `/plans`: list and create.
    Plans,
    /// `/plans/{id}`.
    Plan(String),
    /// `/subscriptions`: list and create.
    Subscriptions,
    /// `/subscriptions/stats`: the dashboard counters.
    Stats,
    /// `/subscriptions/run`: one runner pass on demand.
    Run,
    /// `/subscriptions/run/shard`: one shard of a pass, which `run` sends to this component
    /// itself as a service-chained request (see `crate::shards`).
    RunShard,
    /// `/subscriptions/check`: the service's consistency check and repair.
    Check,
    /// `/subscriptions/{id}`: read and edit.
    Subscription(String),
    /// `/subscriptions/{id}/{action}`.
    Command(String, Action),
    /// `/subscriptions/{id}/cycles`.
    Cycles(String),
    /// `/test-clocks`: list and create.
    TestClocks,
    /// `/test-clocks/{id}`: read and delete.
    TestClock(String),
    /// `/test-clocks/{id}/advance`.
    Advance(String),
}

impl Route {
    /// The methods the resource accepts (any other is 405).
    pub(crate) fn methods(&self) -> &'static [&'static str] {
        match self {
            Self::Plans | Self::Subscriptions | Self::TestClocks => &["GET", "POST"],
            Self::Plan(_) | Self::Stats | Self::Cycles(_) => &["GET"],
            Self::Run | Self::RunShard | Self::Check | Self::Command(..) | Self::Advance(_) => {
                &["POST"]
            }
            Self::Subscription(_) => &["GET", "PATCH"],
            Self::TestClock(_) => &["GET", "DELETE"],
        }
    }
}

/// Whether `id` can name a plan or a subscription: 1-64 of `A-Z a-z 0-9 . _ : -` (the service
/// judges the rest). An id outside it is a 404 without asking the service.
fn is_id(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b':' | b'-'))
}

fn id(segment: &str) -> Option<String> {
    percent_decode(segment).filter(|id| is_id(id))
}

/// The route of a path, or `None` (404) for anything else.
pub(crate) fn parse(path: &str) -> Option<Route> {
    if let Some(rest) = path.strip_prefix("/test-clocks") {
        if rest.is_empty() {
            return Some(Route::TestClocks);
        }
        let mut segments = rest.strip_prefix('/')?.split('/');
        let clock = id(segments.next()?)?;
        return match (segments.next(), segments.next()) {
            (None, _) => Some(Route::TestClock(clock)),
            (Some("advance"), None) => Some(Route::Advance(clock)),
            _ => None,
        };
    }
    if let Some(rest) = path.strip_prefix("/plans") {
        return match rest.strip_prefix('/') {
            None if rest.is_empty() => Some(Route::Plans),
            None => None,
            Some(segment) if segment.contains('/') => None,
            Some(segment) => id(segment).map(Route::Plan),
        };
    }
    let rest = path.strip_prefix("/subscriptions")?;
    if rest.is_empty() {
        return Some(Route::Subscriptions);
    }
    let rest = rest.strip_prefix('/')?;
    let mut segments = rest.split('/');
    let first = segments.next()?;
    let second = segments.next();
    if segments.next().is_some() {
        return None;
    }
    match (first, second) {
        ("stats", None) => Some(Route::Stats),
        ("run", None) => Some(Route::Run),
        ("run", Some("shard")) => Some(Route::RunShard),
        ("check", None) => Some(Route::Check),
        (first, None) => id(first).map(Route::Subscription),
        (first, Some(action)) => {
            let id = id(first)?;
            let action = match action {
                "pause" => Action::Pause,
                "resume" => Action::Resume,
                "cancel" => Action::Cancel,
                "skip" => Action::Skip,
                "cycles" => return Some(Route::Cycles(id)),
                _ => return None,
            };
            Some(Route::Command(id, action))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_resource_of_api_md_is_recognised() {
        assert_eq!(parse("/plans"), Some(Route::Plans));
        assert_eq!(parse("/plans/p-1"), Some(Route::Plan("p-1".into())));
        assert_eq!(parse("/subscriptions"), Some(Route::Subscriptions));
        assert_eq!(parse("/subscriptions/stats"), Some(Route::Stats));
        assert_eq!(parse("/subscriptions/run"), Some(Route::Run));
        assert_eq!(parse("/subscriptions/run/shard"), Some(Route::RunShard));
        assert_eq!(parse("/subscriptions/check"), Some(Route::Check));
        assert_eq!(parse("/test-clocks"), Some(Route::TestClocks));
        assert_eq!(
            parse("/test-clocks/tc-1"),
            Some(Route::TestClock("tc-1".into()))
        );
        assert_eq!(
            parse("/test-clocks/tc-1/advance"),
            Some(Route::Advance("tc-1".into()))
        );
        assert_eq!(
            parse("/subscriptions/s-1"),
            Some(Route::Subscription("s-1".into()))
        );
        assert_eq!(
            parse("/subscriptions/s%2D1/cycles"),
            Some(Route::Cycles("s-1".into()))
        );
        for (name, action) in [
            ("pause", Action::Pause),
            ("resume", Action::Resume),
            ("cancel", Action::Cancel),
            ("skip", Action::Skip),
        ] {
            assert_eq!(
                parse(&format!("/subscriptions/s-1/{name}")),
                Some(Route::Command("s-1".into(), action))
            );
        }
    }

    #[test]
    fn reads_edits_and_commands_take_their_methods() {
        assert_eq!(Route::Plans.methods(), ["GET", "POST"]);
        assert_eq!(Route::Subscription("s".into()).methods(), ["GET", "PATCH"]);
        assert_eq!(Route::Command("s".into(), Action::Skip).methods(), ["POST"]);
        assert_eq!(Route::Run.methods(), ["POST"]);
        assert_eq!(Route::Stats.methods(), ["GET"]);
    }

    #[test]
    fn other_paths_are_not_found() {
        for path in [
            "/",
            "/plan",
            "/plansx",
            "/plans/",
            "/plans/p-1/x",
            "/subscription",
            "/subscriptionsx",
            "/subscriptions/",
            "/subscriptions/s-1/",
            "/subscriptions/s-1/renew",
            "/subscriptions/s-1/pause/now",
            "/subscriptions/run/shards",
            "/subscriptions/run/shard/1",
            "/subscriptions/%zz",
            "/subscriptions/a%20b",
            "/subscriptions/a%2Fb/pause",
            "/test-clocks/",
            "/test-clocksx",
            "/test-clocks/tc-1/",
            "/test-clocks/tc-1/rewind",
            "/test-clocks/tc-1/advance/x",
        ] {
            assert_eq!(parse(path), None, "{path}");
        }
        assert_eq!(parse(&format!("/plans/{}", "a".repeat(65))), None);
    }
}
