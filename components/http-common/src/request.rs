//! What a handler reads from the host: the method, path and headers of the incoming request,
//! its body (never more than the limit, whatever the client sends), and tokens from Spin
//! variables. The only module that talks to the host; everything it returns is checked.

use futures::StreamExt;
use spin_sdk::http::{IncomingRequest, Method};

use crate::{ApiError, BODY_LIMIT, auth};

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

/// Every value of a header.
pub fn header(request: &IncomingRequest, name: &str) -> Vec<Vec<u8>> {
    request.headers().get(name)
}

/// Checks `Authorization: Bearer <token>` against the Spin variable `variable`.
pub fn authenticate(request: &IncomingRequest, variable: &str) -> Result<(), ApiError> {
    let expected = spin_sdk::variables::get(variable).map_err(|error| {
        ApiError::new(
            503,
            "not-configured",
            "this route's token is not configured on the server",
        )
        .with_detail("variable", variable)
        .with_detail("reason", error.to_string())
    })?;
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
