//! What a handler reads from the host: the method, path and headers of the incoming request,
//! its body (never more than the limit, whatever the client sends), and tokens from Spin
//! variables; and the call to the orders service of a request that writes ([`Write`]). The only
//! module that talks to the host; everything it returns is checked.

use futures::StreamExt;
use spin_sdk::http::{IncomingRequest, Method};

use crate::orders::{self, Idempotency, Written};
use crate::types::{Actor, Command};
use crate::{ApiError, BODY_LIMIT, auth, idempotency, precondition};

/// The method's name, as on the wire.
pub fn method_name(method: &Method) -> String {
    match method {
        Method::Get => "GET".to_owned(),
        Method::Head => "HEAD".to_owned(),
        Method::Post => "POST".to_owned(),
        Method::Put => "PUT".to_owned(),
        Method::Delete => "DELETE".to_owned(),
        Method::Connect => "CONNECT".to_owned(),
        Method::Options => "OPTIONS".to_owned(),
        Method::Trace => "TRACE".to_owned(),
        Method::Patch => "PATCH".to_owned(),
        Method::Other(other) => other.clone(),
    }
}

/// The path and the query string (without `?`; empty when absent).
pub fn path_and_query(request: &IncomingRequest) -> (String, String) {
    let full = request.path_with_query().unwrap_or_default();
    match full.split_once('?') {
        Some((path, query)) => (path.to_owned(), query.to_owned()),
        None => (full, String::new()),
    }
}

/// The route the request's path names, by `parse` (404 `no-route` when it names none), and the
/// query string.
pub fn route<T>(
    request: &IncomingRequest,
    parse: impl FnOnce(&str) -> Option<T>,
) -> Result<(T, String), ApiError> {
    let (path, query) = path_and_query(request);
    let route = parse(&path).ok_or_else(|| ApiError::no_route(&path))?;
    Ok((route, query))
}

/// The request's method when `allowed` lists it, else 405 `method-not-allowed` naming them.
pub fn allow(request: &IncomingRequest, allowed: &[&str]) -> Result<String, ApiError> {
    let method = method_name(&request.method());
    if allowed.contains(&method.as_str()) {
        Ok(method)
    } else {
        Err(ApiError::method_not_allowed(&method, allowed))
    }
}

/// Every value of a header.
pub fn header(request: &IncomingRequest, name: &str) -> Vec<Vec<u8>> {
    request.headers().get(name)
}

/// A secret from the Spin variable `variable` (503 `not-configured` with `message` when the
/// host has none).
pub fn secret(variable: &str, message: &'static str) -> Result<String, ApiError> {
    spin_sdk::variables::get(variable).map_err(|error| {
        ApiError::new(503, "not-configured", message)
            .with_detail("variable", variable)
            .with_detail("reason", error.to_string())
    })
}

/// A route's token from the Spin variable `variable` (503 `not-configured` when the host has
/// none).
pub fn token(variable: &str) -> Result<String, ApiError> {
    secret(
        variable,
        "this route's token is not configured on the server",
    )
}

/// Checks `Authorization: Bearer <token>` against the Spin variable `variable`.
pub fn authenticate(request: &IncomingRequest, variable: &str) -> Result<(), ApiError> {
    let expected = token(variable)?;
    let values = header(request, "authorization");
    auth::check_bearer(values.first().map(Vec::as_slice), &expected)
}

/// Reads the body, refusing (413 `body-too-large`) anything over [`BODY_LIMIT`] without
/// reading past it.
pub async fn read_body(request: IncomingRequest) -> Result<Vec<u8>, ApiError> {
    let declared = header(&request, "content-length")
        .first()
        .and_then(|value| std::str::from_utf8(value).ok())
        .and_then(|value| value.trim().parse::<u64>().ok());
    if declared.is_some_and(|length| length > BODY_LIMIT as u64) {
        return Err(ApiError::body_too_large(BODY_LIMIT));
    }
    let mut body = Vec::new();
    let mut stream = request.into_body_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|error| {
            ApiError::new(400, "body-unreadable", "the request body could not be read")
                .with_detail("reason", error.to_debug_string())
        })?;
        if body.len().saturating_add(chunk.len()) > BODY_LIMIT {
            return Err(ApiError::body_too_large(BODY_LIMIT));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// What a request that writes an order brings besides its route: its `Idempotency-Key`, its
/// `If-Match` where the route honours it, and its body.
#[derive(Debug)]
pub struct Write {
    key: Option<String>,
    /// The version `If-Match` expects (none: no precondition).
    pub expected_version: Option<u64>,
    /// The body.
    pub body: Vec<u8>,
}

impl Write {
    /// Reads `Idempotency-Key`, `If-Match` and the body, in that order (400, 400, 413).
    pub async fn read(request: IncomingRequest) -> Result<Self, ApiError> {
        let key = idempotency::key(&header(&request, "idempotency-key"))?;
        let expected_version = precondition::if_match(&header(&request, "if-match"))?;
        let body = read_body(request).await?;
        Ok(Self {
            key,
            expected_version,
            body,
        })
    }

    /// Reads `Idempotency-Key` and the body, for a route without `If-Match` (the header is
    /// ignored there).
    pub async fn read_keyed(request: IncomingRequest) -> Result<Self, ApiError> {
        let key = idempotency::key(&header(&request, "idempotency-key"))?;
        let body = read_body(request).await?;
        Ok(Self {
            key,
            expected_version: None,
            body,
        })
    }

    /// The `Idempotency-Key` for the service, scoped to the route template `scope`.
    pub fn idempotency(&self, scope: &str) -> Option<Idempotency> {
        self.key
            .clone()
            .map(|key| idempotency::idempotency(scope, key, &self.body))
    }

    /// Applies `command` to order `id` as `actor`, with this request's `If-Match` and its key
    /// scoped to `scope`; a service error is the API error it maps to.
    pub fn apply(
        &self,
        id: &str,
        command: &Command,
        actor: Actor,
        scope: &str,
    ) -> Result<Written, ApiError> {
        let idempotency = self.idempotency(scope);
        orders::apply(
            id,
            command,
            actor,
            self.expected_version,
            idempotency.as_ref(),
        )
        .map_err(|error| ApiError::from_service(&error))
    }
}
