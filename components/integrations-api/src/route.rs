//! The paths this component serves (spin.toml routes `/feed` and `/integrations/run` here).

/// A resource of this component.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Route {
    /// `/feed`: read the feed.
    Feed,
    /// `/integrations/run`: one sequencer pass.
    Run,
}

impl Route {
    /// The methods the resource accepts (any other is 405).
    pub(crate) fn methods(self) -> &'static [&'static str] {
        match self {
            Self::Feed => &["GET"],
            Self::Run => &["POST"],
        }
    }
}

/// The route of a path.
pub(crate) fn parse(path: &str) -> Option<Route> {
    match path {
        "/feed" => Some(Route::Feed),
        "/integrations/run" => Some(Route::Run),
        _ => None,
    }
}
