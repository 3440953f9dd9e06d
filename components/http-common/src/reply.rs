//! An answer before it becomes a Spin response: status, headers, body.

use serde_json::Value;

use crate::orders::Written;
use crate::{ApiError, render};

/// An HTTP answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Reply {
    /// A body of any type.
    pub fn bytes(status: u16, content_type: &str, body: Vec<u8>) -> Self {
        Self {
            status,
            headers: vec![("content-type".to_owned(), content_type.to_owned())],
            body,
        }
    }

    /// A JSON body.
    pub fn json(status: u16, value: &Value) -> Self {
        // Serialising a `Value` cannot fail (its keys are strings).
        let body = serde_json::to_vec(value).unwrap_or_default();
        Self::bytes(status, "application/json", body)
    }

    /// An error answer (openapi.yaml's `Error`), with its headers.
    pub fn error(error: &ApiError) -> Self {
        error.headers().iter().fold(
            Self::json(error.status(), &error.to_json()),
            |reply, (name, value)| reply.with_header(name, value),
        )
    }

    /// 200 with the order a command wrote, whether the command changed it or was a replay (of a
    /// natural id, or of an `Idempotency-Key`, the latter flagged).
    pub fn written(written: &Written) -> Self {
        Self::json(200, &render::order(&written.order)).replayed(written.replayed)
    }

    /// `Idempotent-Replayed: true` when `replayed`: the answer replays the first request with
    /// the same `Idempotency-Key`.
    #[must_use]
    pub fn replayed(self, replayed: bool) -> Self {
        if replayed {
            self.with_header("idempotent-replayed", "true")
        } else {
            self
        }
    }

    /// Adds a header.
    #[must_use]
    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// The status.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The value of the first header with this (lowercase) name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body.
    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// Status, headers and body.
    pub fn into_parts(self) -> (u16, Vec<(String, String)>, Vec<u8>) {
        (self.status, self.headers, self.body)
    }

    /// The Spin response.
    pub fn into_response(self) -> spin_sdk::http::Response {
        let mut builder = spin_sdk::http::Response::builder();
        builder.status(self.status);
        for (name, value) in self.headers {
            builder.header(name, value);
        }
        builder.body(self.body).build()
    }
}

impl From<ApiError> for Reply {
    fn from(error: ApiError) -> Self {
        Self::error(&error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_error_reply_is_json_with_the_error_headers() {
        let reply = Reply::from(ApiError::method_not_allowed("PUT", &["GET", "POST"]));
        assert_eq!(reply.status(), 405);
        assert_eq!(reply.header("content-type"), Some("application/json"));
        assert_eq!(reply.header("allow"), Some("GET, POST"));
        let body: Value = serde_json::from_slice(reply.body()).unwrap_or_default();
        assert_eq!(body["error"]["code"], "method-not-allowed");
    }

    #[test]
    fn a_write_answers_200_with_the_order_and_flags_key_replays() {
        let mut written = Written {
            order: crate::fixtures::sample_order(),
            changed: true,
            replayed: false,
        };
        for changed in [true, false] {
            written.changed = changed;
            let reply = Reply::written(&written);
            assert_eq!(reply.status(), 200);
            assert_eq!(reply.header("idempotent-replayed"), None);
            let body: Value = serde_json::from_slice(reply.body()).unwrap_or_default();
            assert_eq!(body["id"], "01J0ORDER");
        }
        written.replayed = true;
        assert_eq!(
            Reply::written(&written).header("idempotent-replayed"),
            Some("true")
        );
    }

    #[test]
    fn a_reply_becomes_a_spin_response_with_its_headers() {
        let response = Reply::bytes(201, "text/csv", b"a,b\n".to_vec())
            .with_header("idempotent-replayed", "true")
            .into_response();
        assert_eq!(*response.status(), 201);
        assert_eq!(
            response
                .header("idempotent-replayed")
                .and_then(|v| v.as_str()),
            Some("true")
        );
        assert_eq!(response.body(), b"a,b\n");
    }
}
