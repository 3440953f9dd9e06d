//! The HTTP trigger: accepts connections, routes each request, runs the component's
//! `wasi:http/incoming-handler` in a fresh instance, and logs one line per request.
//!
//! Request preparation follows spinframework/spin `crates/trigger-http/src/wasi.rs` and
//! `server.rs` (v3.6.3): the component sees the client's headers plus the `spin-*` headers, and a
//! request no route matches gets `404 Not Found` without touching a component. A component that
//! traps, overruns its time limit or never answers gets `500`; the host keeps serving.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use bytes::Bytes;
use http::{HeaderName, HeaderValue, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::{Notify, oneshot};
use wasmtime_wasi_http::p2::bindings::http::types::Scheme;
use wasmtime_wasi_http::p2::body::HyperOutgoingBody;
use wasmtime_wasi_http::{WasiBody, WasiHttpView};

use crate::outbound::{Chain, ChainedResponse};
use crate::routes::{RouteMatch, Router};
use crate::runtime::{LoadedComponent, Runtime};

/// Paths Spin reserves for itself (`crates/routes/src/lib.rs`).
const WELL_KNOWN_PREFIX: &str = "/.well-known/spin/";

/// The client address a chained request shows (Spin's `CHAINED_CLIENT_ADDR`).
const CHAINED_CLIENT_ADDR: SocketAddr =
    SocketAddr::new(std::net::IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED), 0);

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// Another process holds the address.
    #[error(
        "{0} is already in use (another `orderflow up` or `spin up`?); choose another with --listen"
    )]
    AddressInUse(SocketAddr),
    /// Any other bind failure.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The I/O error.
        source: std::io::Error,
    },
}

/// Counts instances still running, so a graceful stop can wait for them.
#[derive(Debug, Default)]
pub struct InFlight {
    count: AtomicUsize,
    idle: Notify,
}

/// Held while an instance runs.
#[derive(Debug)]
pub struct InFlightGuard(Arc<InFlight>);

impl InFlight {
    /// Marks one more instance running until the guard drops.
    pub fn enter(self: &Arc<Self>) -> InFlightGuard {
        self.count.fetch_add(1, Ordering::SeqCst);
        InFlightGuard(self.clone())
    }

    /// Resolves when no instance is running.
    pub async fn wait_idle(&self) {
        loop {
            let idle = self.idle.notified();
            if self.count.load(Ordering::SeqCst) == 0 {
                return;
            }
            idle.await;
        }
    }
}

impl Drop for InFlightGuard {
    fn drop(&mut self) {
        if self.0.count.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.0.idle.notify_waiters();
        }
    }
}

/// What every connection shares.
#[derive(Debug)]
pub struct HttpTrigger {
    runtime: Arc<Runtime>,
    router: Router,
    body_limit: usize,
    in_flight: Arc<InFlight>,
    count_kv_calls: bool,
}

/// The header `--count-kv-calls` adds to every component's response.
pub const KV_CALLS_HEADER: &str = "orderflow-kv-calls";

/// A host-made response; Spin sends its 404 and 500 with empty bodies (`server.rs`,
/// `not_found`, `internal_error`).
fn text(status: StatusCode, body: &'static str) -> Response<HyperOutgoingBody> {
    let mut response = Response::new(
        Full::new(Bytes::from_static(body.as_bytes()))
            .map_err(|never| match never {})
            .boxed_unsync(),
    );
    *response.status_mut() = status;
    response
}

impl HttpTrigger {
    /// A trigger serving `router`'s routes from `runtime`; with `count_kv_calls`, each
    /// component's response carries [`KV_CALLS_HEADER`].
    pub fn new(
        runtime: Arc<Runtime>,
        router: Router,
        body_limit: usize,
        in_flight: Arc<InFlight>,
        count_kv_calls: bool,
    ) -> Self {
        Self {
            runtime,
            router,
            body_limit,
            in_flight,
            count_kv_calls,
        }
    }

    /// Binds `addr`, reporting a busy port plainly.
    pub async fn bind(addr: SocketAddr) -> Result<TcpListener, ServeError> {
        TcpListener::bind(addr).await.map_err(|source| {
            if source.kind() == std::io::ErrorKind::AddrInUse {
                ServeError::AddressInUse(addr)
            } else {
                ServeError::Bind { addr, source }
            }
        })
    }

    /// Serves until `shutdown` resolves, then lets open connections finish their requests.
    pub async fn serve(
        self: Arc<Self>,
        listener: TcpListener,
        shutdown: impl std::future::Future<Output = ()>,
    ) {
        let graceful = hyper_util::server::graceful::GracefulShutdown::new();
        tokio::pin!(shutdown);
        loop {
            let (stream, client) = tokio::select! {
                () = &mut shutdown => break,
                accepted = listener.accept() => match accepted {
                    Ok(pair) => pair,
                    Err(e) => {
                        tracing::warn!("accept failed: {e}");
                        continue;
                    }
                },
            };
            let _ = stream.set_nodelay(true);
            let this = self.clone();
            let service = hyper::service::service_fn(move |req| {
                let this = this.clone();
                async move { Ok::<_, Infallible>(this.handle(req, client).await) }
            });
            let conn = hyper::server::conn::http1::Builder::new()
                .keep_alive(true)
                .serve_connection(TokioIo::new(stream), service);
            let conn = graceful.watch(conn);
            tokio::spawn(async move {
                if let Err(e) = conn.await {
                    tracing::debug!("connection from {client}: {e}");
                }
            });
        }
        drop(listener);
        graceful.shutdown().await;
    }

    async fn handle(
        self: &Arc<Self>,
        req: Request<Incoming>,
        client: SocketAddr,
    ) -> Response<HyperOutgoingBody> {
        let started = Instant::now();
        let method = req.method().clone();
        let path = req.uri().path().to_owned();
        // Spin answers its well-known paths itself, before routing.
        if let Some(well_known) = path.strip_prefix(WELL_KNOWN_PREFIX) {
            let response = match well_known {
                "health" => text(StatusCode::OK, "OK"),
                _ => text(StatusCode::NOT_FOUND, ""),
            };
            tracing::info!(
                "{method} {path} -> {} (well-known)",
                response.status().as_u16()
            );
            return response;
        }
        let Some(found) = self.router.route(&path) else {
            tracing::info!("{method} {path} -> 404 (no route) {:?}", started.elapsed());
            return text(StatusCode::NOT_FOUND, "");
        };
        let route = found.based_route().to_owned();
        let component_id = found.component().to_owned();
        let Some(component) = self.runtime.component(&component_id) else {
            tracing::error!("route {route} names unloaded component {component_id}");
            return text(StatusCode::INTERNAL_SERVER_ERROR, "");
        };
        let response = if req
            .headers()
            .get(http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok()?.parse::<usize>().ok())
            .is_some_and(|n| n > self.body_limit)
        {
            text(StatusCode::PAYLOAD_TOO_LARGE, "")
        } else {
            let host = req
                .headers()
                .get(http::header::HOST)
                .and_then(|h| h.to_str().ok())
                .unwrap_or("localhost")
                .to_owned();
            let spin_headers =
                found.spin_headers("http", &host, &path_and_query(req.uri()), client);
            self.run(component, req, spin_headers).await
        };
        tracing::info!(
            "{method} {path} route={route} component={component_id} -> {} {:?}",
            response.status().as_u16(),
            started.elapsed()
        );
        response
    }

    /// A service-chaining request from a component (see `crate::outbound`), routed as Spin's
    /// `OutboundHttpInterceptor` does: to `component_id` as if its route were `/...`.
    async fn handle_chained(
        self: Arc<Self>,
        component_id: String,
        req: Request<WasiBody>,
    ) -> Response<HyperOutgoingBody> {
        let started = Instant::now();
        let method = req.method().clone();
        let path = req.uri().path().to_owned();
        let Some(component) = self
            .runtime
            .component(&component_id)
            .filter(|c| c.proxy().is_some())
            .cloned()
        else {
            tracing::error!(
                "{method} {path}: service chaining to {component_id}, which no HTTP route serves"
            );
            return text(StatusCode::INTERNAL_SERVER_ERROR, "");
        };
        let host = req.uri().host().unwrap_or("localhost").to_owned();
        let spin_headers = RouteMatch::synthetic(&component_id, &path).spin_headers(
            "http",
            &host,
            &path_and_query(req.uri()),
            CHAINED_CLIENT_ADDR,
        );
        let response = self.run(&component, req, spin_headers).await;
        tracing::info!(
            "{method} {path} chained component={component_id} -> {} {:?}",
            response.status().as_u16(),
            started.elapsed()
        );
        response
    }

    async fn run<B>(
        self: &Arc<Self>,
        component: &Arc<LoadedComponent>,
        req: Request<B>,
        spin_headers: Vec<(String, String)>,
    ) -> Response<HyperOutgoingBody>
    where
        B: hyper::body::Body<Data = Bytes> + Send + 'static,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        let Some(proxy) = component.proxy().cloned() else {
            return text(StatusCode::INTERNAL_SERVER_ERROR, "");
        };
        let (mut parts, body) = req.into_parts();
        for (name, value) in spin_headers {
            if let (Ok(name), Ok(value)) =
                (HeaderName::try_from(name), HeaderValue::try_from(value))
            {
                parts.headers.insert(name, value);
            }
        }
        let limit = self.body_limit;
        let body = Limited::new(body, limit).map_err(move |e| {
            if e.is::<http_body_util::LengthLimitError>() {
                wasmtime_wasi_http::Error::HttpRequestBodySize(Some(limit as u64))
            } else {
                wasmtime_wasi_http::Error::InternalError(Some(e.to_string()))
            }
        });
        let req = Request::from_parts(parts, body);

        let chain: Arc<dyn Chain> = self.clone();
        let mut store = self.runtime.store(component, Some(chain));
        let (sender, receiver) = oneshot::channel();
        // The key-value calls are counted when the guest sets its response, in its own call:
        // what it does afterwards (finishing the body, a kick) is not counted.
        let calls = self.count_kv_calls.then(|| store.data().kv_calls());
        let prepared = store
            .data_mut()
            .http()
            .new_incoming_request(Scheme::Http, req)
            .and_then(|req| {
                let out = store
                    .data_mut()
                    .http()
                    .new_response_outparam_from_callback(move |mut response| {
                        if let (Some(calls), Ok(response)) = (&calls, &mut response)
                            && let Ok(value) = HeaderValue::try_from(calls.header_value())
                        {
                            response.headers_mut().insert(KV_CALLS_HEADER, value);
                        }
                        // The receiver is gone only when the host gave up on the request.
                        let _ = sender.send(response);
                    })?;
                Ok((req, out))
            });
        let (req, out) = match prepared {
            Ok(pair) => pair,
            Err(e) => {
                tracing::error!(
                    component = component.id(),
                    "cannot prepare the request: {e:?}"
                );
                return text(StatusCode::INTERNAL_SERVER_ERROR, "");
            }
        };
        let guard = self.in_flight.enter();
        let time_limit = self.runtime.time_limit();
        let id = component.id().to_owned();
        let task = tokio::spawn(async move {
            let _guard = guard;
            let started = Instant::now();
            let proxy = proxy.instantiate_async(&mut store).await?;
            tracing::debug!(component = id, "instantiated in {:?}", started.elapsed());
            let call = proxy
                .wasi_http_incoming_handler()
                .call_handle(&mut store, req, out);
            // The epoch deadline traps the guest; this also bounds time spent in host calls.
            match tokio::time::timeout(time_limit, call).await {
                Ok(result) => result,
                Err(_) => Err(wasmtime::format_err!(
                    "the request exceeded the time limit of {time_limit:?}"
                )),
            }
        });
        match receiver.await {
            Ok(Ok(response)) => {
                // Nothing the guest wrote may be seen through its answer before it is durable:
                // the head waits for the commit (a failed one answers 500 instead), and so does
                // each body frame, for writes made while streaming (a failed commit then stops
                // the store, so that no later answer claims those writes).
                let backend = component.backend().clone();
                if let Err(e) = backend.flush() {
                    tracing::error!(component = component.id(), "writes not committed: {e}");
                    return text(StatusCode::INTERNAL_SERVER_ERROR, "");
                }
                let response = response.map(|body| {
                    body.map_frame(move |frame| {
                        if let Err(e) = backend.flush() {
                            tracing::error!("writes made while streaming not committed: {e}");
                        }
                        frame
                    })
                    .boxed_unsync()
                });
                let id = component.id().to_owned();
                tokio::spawn(async move {
                    if let Ok(Err(e)) = task.await {
                        tracing::error!(component = id, "component failed after responding: {e:?}");
                    }
                });
                response
            }
            Ok(Err(code)) => {
                tracing::error!(
                    component = component.id(),
                    "component answered with error {code:?}"
                );
                text(StatusCode::INTERNAL_SERVER_ERROR, "")
            }
            Err(_) => {
                match task.await {
                    Ok(Ok(())) => tracing::error!(
                        component = component.id(),
                        "component returned without setting a response"
                    ),
                    Ok(Err(e)) => tracing::error!(
                        component = component.id(),
                        "component trapped: {}",
                        describe_trap(&e)
                    ),
                    Err(e) => {
                        tracing::error!(component = component.id(), "component task failed: {e}")
                    }
                }
                text(StatusCode::INTERNAL_SERVER_ERROR, "")
            }
        }
    }
}

impl Chain for HttpTrigger {
    fn call(self: Arc<Self>, component: &str, request: Request<WasiBody>) -> ChainedResponse {
        Box::pin(self.handle_chained(component.to_owned(), request))
    }
}

/// The path and query of a request's URI (the path alone when it has neither).
fn path_and_query(uri: &http::Uri) -> String {
    uri.path_and_query()
        .map_or_else(|| uri.path().to_owned(), |p| p.as_str().to_owned())
}

/// A trap's message with its wasm backtrace, on one line per frame.
pub fn describe_trap(e: &wasmtime::Error) -> String {
    if let Some(trap) = e.downcast_ref::<wasmtime::Trap>()
        && *trap == wasmtime::Trap::Interrupt
    {
        return "the component exceeded the time limit (epoch deadline)".to_owned();
    }
    format!("{e:?}")
}
