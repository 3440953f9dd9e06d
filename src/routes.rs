//! HTTP routing with Spin's rules, and the `spin-*` headers Spin gives a component.
//!
//! Matching is delegated to the `routefinder` crate, as Spin does (spinframework/spin
//! `crates/routes/src/lib.rs`, v3.6.3): an exact route beats a wildcard, the longest wildcard
//! prefix wins, `:name` matches one segment, `/...` matches the rest; a route written twice keeps
//! the last. The headers follow `crates/trigger-http/src/headers.rs`.

use std::borrow::Cow;
use std::net::SocketAddr;

use serde::Deserialize;

/// A route as written in `[[trigger.http]] route`.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(untagged)]
pub enum RouteConfig {
    /// A pattern such as `/orders/:id` or `/api/...`.
    Route(String),
    /// `{ private = true }`: reachable by no URL.
    Private(PrivateEndpoint),
}

/// `{ private = true }`.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct PrivateEndpoint {
    /// Must be true.
    pub private: bool,
}

/// Why a set of routes could not be built.
#[derive(Debug, thiserror::Error)]
pub enum RouteError {
    /// `{ private = false }` is meaningless.
    #[error(
        "route must be a string pattern or '{{ private = true }}': '{0}' has {{ private = false }}"
    )]
    NotPrivate(String),
    /// routefinder refused the pattern.
    #[error("Error parsing route {route} associated with component {component}: {message}")]
    Pattern {
        /// The route with the base applied.
        route: String,
        /// The component it belongs to.
        component: String,
        /// routefinder's reason.
        message: String,
    },
}

#[derive(Debug, Clone)]
struct Handler {
    component: String,
    /// The route with the base, as written (`/api/...`).
    based_route: String,
    /// The route as written in the manifest.
    raw_route: String,
}

/// Maps request paths to components.
#[derive(Debug)]
pub struct Router {
    inner: routefinder::Router<Handler>,
}

/// The result of routing one path.
#[derive(Debug)]
pub struct RouteMatch<'r> {
    handler: Cow<'r, Handler>,
    named: Vec<(String, String)>,
    trailing: String,
}

impl Router {
    /// Builds the router for `(component, route)` pairs under `base`, Spin's way.
    pub fn build<'a>(
        base: &str,
        routes: impl IntoIterator<Item = (&'a str, &'a RouteConfig)>,
    ) -> Result<Self, RouteError> {
        // Later duplicates replace earlier ones but keep the first one's position, like Spin's
        // IndexMap.
        let mut entries: Vec<Handler> = Vec::new();
        for (component, route) in routes {
            let raw = match route {
                RouteConfig::Route(raw) => raw,
                RouteConfig::Private(PrivateEndpoint { private: true }) => continue,
                RouteConfig::Private(PrivateEndpoint { private: false }) => {
                    return Err(RouteError::NotPrivate(component.to_owned()));
                }
            };
            let handler = Handler {
                component: component.to_owned(),
                based_route: with_base(base, raw),
                raw_route: raw.clone(),
            };
            match entries.iter_mut().find(|h| h.raw_route == *raw) {
                Some(existing) => *existing = handler,
                None => entries.push(handler),
            }
        }
        let mut inner = routefinder::Router::new();
        for handler in entries {
            let spec = match handler.based_route.strip_suffix("/...") {
                Some(prefix) => format!("{prefix}/*"),
                None => handler.based_route.clone(),
            };
            let pattern = |message: String| RouteError::Pattern {
                route: handler.based_route.clone(),
                component: handler.component.clone(),
                message,
            };
            let spec: routefinder::RouteSpec = spec.as_str().try_into().map_err(pattern)?;
            inner
                .add(spec, handler.clone())
                .map_err(|e| pattern(e.to_string()))?;
        }
        Ok(Self { inner })
    }

    /// The best route for `path` (no query), or `None` for a 404.
    pub fn route(&self, path: &str) -> Option<RouteMatch<'_>> {
        let found = self.inner.best_match(path)?;
        let captures = found.captures();
        let named = captures
            .iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        // Spin keeps trailing slashes in the path info, routefinder does not.
        let trailing = match captures.wildcard() {
            None => String::new(),
            Some(w) => match (w.is_empty(), path.ends_with('/')) {
                (true, false) => String::new(),
                (true, true) => "/".to_owned(),
                (false, false) => format!("/{w}"),
                (false, true) => format!("/{w}/"),
            },
        };
        Some(RouteMatch {
            handler: Cow::Borrowed(found.handler()),
            named,
            trailing,
        })
    }
}

impl RouteMatch<'_> {
    /// Spin's `RouteMatch::synthetic`, for service chaining: `component` as if its route were
    /// `/...` and had matched `path`.
    pub fn synthetic(component: &str, path: &str) -> RouteMatch<'static> {
        RouteMatch {
            handler: Cow::Owned(Handler {
                component: component.to_owned(),
                based_route: "/...".to_owned(),
                raw_route: "/...".to_owned(),
            }),
            named: Vec::new(),
            trailing: path.to_owned(),
        }
    }

    /// The component that handles the request.
    pub fn component(&self) -> &str {
        &self.handler.component
    }

    /// The matched route with the base, as written (e.g. `/orders/...`).
    pub fn based_route(&self) -> &str {
        &self.handler.based_route
    }

    /// The `spin-*` headers for this match, in Spin's order (`headers.rs`,
    /// `compute_default_headers`); `path_and_query` and `host` come from the request.
    pub fn spin_headers(
        &self,
        scheme: &str,
        host: &str,
        path_and_query: &str,
        client: SocketAddr,
    ) -> Vec<(String, String)> {
        let raw = &self.handler.raw_route;
        let mut headers = vec![
            ("spin-path-info".to_owned(), self.trailing.clone()),
            (
                "spin-full-url".to_owned(),
                format!("{scheme}://{host}{path_and_query}"),
            ),
            (
                "spin-matched-route".to_owned(),
                self.handler.based_route.clone(),
            ),
            ("spin-base-path".to_owned(), "/".to_owned()),
            ("spin-raw-component-route".to_owned(), raw.clone()),
            (
                "spin-component-route".to_owned(),
                raw.strip_suffix("/...").unwrap_or(raw).to_owned(),
            ),
            ("spin-client-addr".to_owned(), client.to_string()),
        ];
        for (name, value) in &self.named {
            headers.push((
                format!(
                    "spin-path-match-{}",
                    name.replace('_', "-").to_ascii_lowercase()
                ),
                value.clone(),
            ));
        }
        headers
    }
}

/// Spin's `sanitize_with_base`: absolute route, one trailing slash stripped from each part.
fn with_base(base: &str, route: &str) -> String {
    let route = if route.starts_with('/') {
        route.to_owned()
    } else {
        format!("/{route}")
    };
    let strip = |s: &str| s.strip_suffix('/').unwrap_or(s).to_owned();
    format!("{}{}", strip(base), strip(&route))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn router(routes: &[(&str, &str)]) -> Router {
        let configs: Vec<(String, RouteConfig)> = routes
            .iter()
            .map(|(c, r)| ((*c).to_owned(), RouteConfig::Route((*r).to_owned())))
            .collect();
        Router::build("/", configs.iter().map(|(c, r)| (c.as_str(), r))).unwrap()
    }

    /// (routes, path) → component, mirroring the cases of Spin's `route_tests`.
    #[test]
    fn routes_resolve_with_spin_precedence() {
        type Case<'a> = (&'a [(&'a str, &'a str)], &'a str, Option<&'a str>);
        let table: &[Case<'_>] = &[
            (
                &[("foo", "/foo"), ("foobar", "/foo/bar")],
                "/foo",
                Some("foo"),
            ),
            (
                &[("foo", "/foo"), ("foobar", "/foo/bar")],
                "/foo/bar",
                Some("foobar"),
            ),
            (&[("foo", "/foo")], "/foo/bar", None),
            (&[("foo", "/foo")], "/", None),
            (&[("all", "/...")], "/foo/bar", Some("all")),
            (&[("all", "/...")], "/", Some("all")),
            (&[("all", "/...")], "/abc/", Some("all")),
            (
                &[("exact", "/one"), ("wild", "/...")],
                "/one",
                Some("exact"),
            ),
            (
                &[("exact", "/one"), ("wild", "/...")],
                "/one/two",
                Some("wild"),
            ),
            (
                &[
                    ("a", "/one/..."),
                    ("ab", "/one/two/..."),
                    ("abc", "/one/two/three/..."),
                ],
                "/one/two/three/four",
                Some("abc"),
            ),
            (
                &[
                    ("abc", "/one/two/three/..."),
                    ("ab", "/one/two/..."),
                    ("a", "/one/..."),
                ],
                "/one/two/three/four",
                Some("abc"),
            ),
            (
                &[("a", "/one/..."), ("ab", "/one/two/...")],
                "/one/twothree",
                Some("a"),
            ),
            (
                &[("wild", "/orders/..."), ("one", "/orders/:id")],
                "/orders/42",
                Some("one"),
            ),
            (
                &[("wild", "/orders/..."), ("one", "/orders/:id")],
                "/orders/42/x",
                Some("wild"),
            ),
            (
                &[("one", "/orders/:id"), ("new", "/orders/new")],
                "/orders/new",
                Some("new"),
            ),
            (
                &[("one", "/orders/:id"), ("new", "/orders/new")],
                "/orders/7",
                Some("one"),
            ),
            (
                &[("first", "/foo"), ("second", "/foo")],
                "/foo",
                Some("second"),
            ),
            (&[("trailing", "/foo/")], "/foo", Some("trailing")),
        ];
        for (routes, path, expected) in table {
            let r = router(routes);
            let got = r.route(path).map(|m| m.component().to_owned());
            assert_eq!(got.as_deref(), *expected, "routes {routes:?}, path {path}");
        }
    }

    #[test]
    fn a_private_route_is_unreachable_and_private_false_is_refused() {
        let private = RouteConfig::Private(PrivateEndpoint { private: true });
        let r = Router::build("/", [("hidden", &private)]).unwrap();
        assert!(r.route("/").is_none());
        let public = RouteConfig::Private(PrivateEndpoint { private: false });
        let err = Router::build("/", [("bad", &public)]).unwrap_err();
        assert!(err.to_string().contains("'bad'"));
    }

    #[test]
    fn the_base_prefixes_every_route() {
        let route = RouteConfig::Route("/foo".to_owned());
        let r = Router::build("/base/", [("foo", &route)]).unwrap();
        assert_eq!(r.route("/base/foo").unwrap().component(), "foo");
        assert!(r.route("/foo").is_none());
    }

    #[test]
    fn the_trailing_wildcard_keeps_trailing_slashes_like_spin() {
        let r = router(&[("comp", "/test/...")]);
        for (path, info) in [
            ("/test", ""),
            ("/test/", "/"),
            ("/test/hello", "/hello"),
            ("/test/hello/", "/hello/"),
        ] {
            assert_eq!(r.route(path).unwrap().trailing, info, "{path}");
        }
    }

    #[test]
    fn spin_headers_match_spins_default_headers() {
        let r = router(&[("c", "/foo/:id/...")]);
        let m = r.route("/foo/42/bar").unwrap();
        let client: SocketAddr = "127.0.0.1:8777".parse().unwrap();
        let headers = m.spin_headers("http", "fermyon.dev", "/foo/42/bar?k=v", client);
        let get = |name: &str| {
            headers
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(
            get("spin-full-url"),
            Some("http://fermyon.dev/foo/42/bar?k=v")
        );
        assert_eq!(get("spin-path-info"), Some("/bar"));
        assert_eq!(get("spin-matched-route"), Some("/foo/:id/..."));
        assert_eq!(get("spin-base-path"), Some("/"));
        assert_eq!(get("spin-raw-component-route"), Some("/foo/:id/..."));
        assert_eq!(get("spin-component-route"), Some("/foo/:id"));
        assert_eq!(get("spin-client-addr"), Some("127.0.0.1:8777"));
        assert_eq!(get("spin-path-match-id"), Some("42"));
    }

    #[test]
    fn a_chained_request_matches_as_spins_synthetic_route() {
        let m = RouteMatch::synthetic("api", "/subscriptions/run/shard");
        assert_eq!(m.component(), "api");
        let client: SocketAddr = "0.0.0.0:0".parse().unwrap();
        let headers = m.spin_headers(
            "http",
            "api.spin.internal",
            "/subscriptions/run/shard",
            client,
        );
        let get = |name: &str| {
            headers
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(get("spin-path-info"), Some("/subscriptions/run/shard"));
        assert_eq!(get("spin-matched-route"), Some("/..."));
        assert_eq!(get("spin-raw-component-route"), Some("/..."));
        assert_eq!(get("spin-component-route"), Some(""));
        assert_eq!(
            get("spin-full-url"),
            Some("http://api.spin.internal/subscriptions/run/shard")
        );
    }
}
