//! `allowed_outbound_hosts`: which outgoing `wasi:http` requests a component may make.
//!
//! Parsing and matching follow spinframework/spin
//! `crates/outbound-networking-config/src/allowed_hosts.rs` (v3.6.3) for the forms this project
//! uses: `scheme://host[:port]` with `*` for any scheme, host or port, and `*.domain` for
//! subdomains. A denied request fails with `error-code.http-request-denied`, as in Spin's
//! `crates/factor-outbound-http/src/wasi.rs`. CIDR ranges, port ranges and `self` requests are
//! refused at start-up rather than half-supported.
//!
//! Service chaining is Spin's (`crates/trigger-http/src/outbound_http.rs`): a request to
//! `http://<component-id>.spin.internal/<path>`, allowed by an entry naming that host (or
//! `http://*.spin.internal`), never leaves the process: it is handed to the HTTP trigger, which
//! runs that component in a fresh instance as if `/...` had matched `<path>`. As in Spin, only
//! HTTP-triggered instances can chain; from a cron event such a request fails as Spin's cron
//! trigger fails it, on the name lookup.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use http_body_util::BodyExt;
use wasmtime_wasi_http::{WasiBody, WasiHttpHooks};

use crate::kv::Backend;

/// An `allowed_outbound_hosts` entry the runner cannot honour.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("allowed_outbound_hosts entry {entry:?}: {reason}")]
pub struct AllowedHostError {
    entry: String,
    reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Host {
    Any,
    Subdomain(String),
    Exact(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Allowed {
    scheme: Option<String>,
    host: Host,
    port: Option<u16>,
}

/// A component's allowed outbound hosts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AllowedHosts {
    entries: Vec<Allowed>,
}

fn default_port(scheme: &str) -> Option<u16> {
    match scheme {
        "http" => Some(80),
        "https" => Some(443),
        _ => None,
    }
}

impl AllowedHosts {
    /// Parses the (already rendered) entries.
    pub fn parse(entries: &[String]) -> Result<Self, AllowedHostError> {
        let entries = entries
            .iter()
            .map(|e| Self::parse_one(e))
            .collect::<Result<_, _>>()?;
        Ok(Self { entries })
    }

    fn parse_one(entry: &str) -> Result<Allowed, AllowedHostError> {
        let fail = |reason: &str| AllowedHostError {
            entry: entry.to_owned(),
            reason: reason.to_owned(),
        };
        let url = entry.trim();
        let (scheme, rest) = url
            .split_once("://")
            .ok_or_else(|| fail("does not contain a scheme (e.g., 'http://' or '*://')"))?;
        let rest = rest.strip_suffix('/').unwrap_or(rest);
        if rest.contains('/') {
            return Err(fail("has a path but is not allowed to"));
        }
        let (host, port) = match rest.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (rest, None),
        };
        let scheme = match scheme {
            "*" => None,
            s if s.chars().all(char::is_alphabetic) => Some(s.to_owned()),
            _ => return Err(fail("only alphabetic schemes or '*' are allowed")),
        };
        let port = match port {
            Some("*") => None,
            Some(p) => Some(
                p.parse()
                    .map_err(|_| fail("port must be a number or '*'"))?,
            ),
            None => match scheme.as_deref() {
                Some(s) => Some(default_port(s).ok_or_else(|| {
                    fail("no port was provided and the scheme has no known default port")
                })?),
                None => return Err(fail("'*://' needs a port: write '*://host:*'")),
            },
        };
        let host = if host == "*" {
            Host::Any
        } else if let Some(domain) = host.strip_prefix("*.") {
            if domain.contains('*') {
                return Err(fail("wildcards are allowed only as prefixes"));
            }
            Host::Subdomain(format!(".{}", domain.to_ascii_lowercase()))
        } else if host.contains('*') {
            return Err(fail("wildcards are allowed only as subdomains"));
        } else if host == "self" || host == "self.alt" {
            return Err(fail(
                "self requests are not supported (service chaining is)",
            ));
        } else if host.contains('/') || host.is_empty() {
            return Err(fail("is not a host"));
        } else {
            Host::Exact(host.to_ascii_lowercase())
        };
        Ok(Allowed { scheme, host, port })
    }

    /// Whether a request to `uri` is allowed.
    pub fn allows(&self, uri: &http::Uri) -> bool {
        let scheme = uri.scheme_str().unwrap_or("https");
        let Some(host) = uri.host() else { return false };
        let host = host.to_ascii_lowercase();
        let Some(port) = uri.port_u16().or_else(|| default_port(scheme)) else {
            return false;
        };
        self.entries.iter().any(|a| {
            a.scheme.as_deref().is_none_or(|s| s == scheme)
                && a.port.is_none_or(|p| p == port)
                && match &a.host {
                    Host::Any => true,
                    Host::Subdomain(suffix) => host.ends_with(suffix.as_str()),
                    Host::Exact(h) => *h == host,
                }
        })
    }
}

/// The component a service-chaining URL names (`http://<id>.spin.internal/...`), Spin's
/// `parse_service_chaining_target`.
pub fn chained_component(uri: &http::Uri) -> Option<&str> {
    let host = uri.host()?.trim();
    let (first, rest) = host.split_once('.')?;
    (rest.eq_ignore_ascii_case("spin.internal") && !first.is_empty()).then_some(first)
}

/// An answer to a chained request.
pub type ChainedResponse = Pin<Box<dyn Future<Output = http::Response<WasiBody>> + Send>>;

/// Runs chained requests in-process: the HTTP trigger.
pub trait Chain: Send + Sync {
    /// Runs `component` on `request` as the trigger runs a routed request.
    fn call(self: Arc<Self>, component: &str, request: http::Request<WasiBody>) -> ChainedResponse;
}

/// `wasi:http` hooks for one instance: checks each outgoing request against its component's
/// allowed hosts, then runs a chained request in-process or hands any other to
/// wasmtime-wasi-http's default client.
#[derive(Clone)]
pub struct OutboundHooks {
    allowed: Arc<AllowedHosts>,
    backend: Arc<dyn Backend>,
    chain: Option<Arc<dyn Chain>>,
}

impl std::fmt::Debug for OutboundHooks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OutboundHooks")
            .field("allowed", &self.allowed)
            .field("chains", &self.chain.is_some())
            .finish_non_exhaustive()
    }
}

impl OutboundHooks {
    /// Hooks enforcing `allowed`; `backend` is committed before a request leaves; `chain` runs
    /// service-chaining requests (`None`: outside the HTTP trigger, where Spin has none).
    pub fn new(
        allowed: Arc<AllowedHosts>,
        backend: Arc<dyn Backend>,
        chain: Option<Arc<dyn Chain>>,
    ) -> Self {
        Self {
            allowed,
            backend,
            chain,
        }
    }
}

/// The future of a request's I/O after its response arrived (wasi-http's `send_request`).
type IoFuture = Box<dyn Future<Output = wasmtime_wasi_http::Result<()>> + Send>;

type SendFuture = Box<
    dyn Future<Output = wasmtime_wasi_http::Result<(http::Response<WasiBody>, IoFuture)>> + Send,
>;

impl WasiHttpHooks for OutboundHooks {
    fn send_request(
        &mut self,
        request: http::Request<WasiBody>,
        options: Option<wasmtime_wasi_http::RequestOptions>,
        fut: IoFuture,
    ) -> SendFuture {
        if !self.allowed.allows(request.uri()) {
            tracing::warn!(uri = %request.uri(), "outbound request denied by allowed_outbound_hosts");
            return Box::new(async { Err(wasmtime_wasi_http::Error::HttpRequestDenied) });
        }
        // The request may tell someone else what this instance wrote: it is committed first.
        if let Err(e) = self.backend.flush() {
            tracing::error!("outbound request refused, the key-value store cannot commit: {e}");
            return Box::new(async { Err(wasmtime_wasi_http::Error::InternalError(None)) });
        }
        // What the trait's default does: the body-written future is not needed.
        drop(fut);
        if let Some(component) = chained_component(request.uri()).map(str::to_owned) {
            let Some(chain) = &self.chain else {
                // No interceptor: the name is looked up, and `.internal` names do not resolve.
                return Box::new(async {
                    Err(wasmtime_wasi_http::Error::DnsError {
                        rcode: Some("address not available".to_owned()),
                        info_code: Some(0),
                    })
                });
            };
            let response = chain.clone().call(&component, request);
            return Box::new(async move {
                let io: IoFuture = Box::new(async { Ok(()) });
                Ok((response.await, io))
            });
        }
        Box::new(async move {
            let (response, io) = wasmtime_wasi_http::default_send_request(request, options).await?;
            let io: IoFuture = Box::new(io);
            Ok((response.map(BodyExt::boxed_unsync), io))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allows(entries: &[&str], uri: &str) -> bool {
        let entries: Vec<String> = entries.iter().map(|e| (*e).to_owned()).collect();
        AllowedHosts::parse(&entries)
            .unwrap()
            .allows(&uri.parse().unwrap())
    }

    #[test]
    fn hosts_match_like_spin() {
        assert!(allows(&["https://example.com"], "https://example.com/a"));
        assert!(!allows(&["https://example.com"], "http://example.com/a"));
        assert!(!allows(
            &["https://example.com"],
            "https://example.com:8443/"
        ));
        assert!(allows(&["http://127.0.0.1:*"], "http://127.0.0.1:3000/"));
        assert!(allows(
            &["*://*.example.com:*"],
            "http://api.example.com:81/"
        ));
        assert!(!allows(&["*://*.example.com:*"], "http://example.com/"));
        assert!(allows(&["http://localhost:8080"], "http://LOCALHOST:8080/"));
        assert!(!allows(&[], "https://example.com/"));
        assert!(allows(
            &["http://subscriptions-api.spin.internal"],
            "http://subscriptions-api.spin.internal/subscriptions/run"
        ));
        assert!(!allows(
            &["http://subscriptions-api.spin.internal"],
            "http://orders-api.spin.internal/orders"
        ));
        assert!(allows(
            &["http://*.spin.internal"],
            "http://orders-api.spin.internal/orders"
        ));
    }

    #[test]
    fn chaining_targets_are_read_like_spin() {
        let target = |uri: &str| chained_component(&uri.parse().unwrap()).map(str::to_owned);
        assert_eq!(
            target("http://subscriptions-api.spin.internal/x").as_deref(),
            Some("subscriptions-api")
        );
        assert_eq!(target("http://a.spin.internal:80/").as_deref(), Some("a"));
        assert_eq!(target("http://a.b.spin.internal/"), None);
        assert_eq!(target("http://spin.internal/"), None);
        assert_eq!(target("https://example.com/"), None);
    }

    #[test]
    fn entries_the_runner_cannot_honour_are_refused() {
        for bad in [
            "example.com",
            "https://example.com/path",
            "http://self",
            "http://self.alt",
            "*://*",
        ] {
            assert!(AllowedHosts::parse(&[bad.to_owned()]).is_err(), "{bad}");
        }
    }
}
