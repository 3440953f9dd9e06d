//! Deliveries leave through `wasi:http/outgoing-handler`, which the host allows only towards
//! `allowed_outbound_hosts` (here `{{ webhook_hosts }}`), with a 10-second limit on connecting,
//! on the first byte of the answer and between its bytes: a receiver slower than that has
//! failed, and the attempt says why.

use std::time::{Duration, Instant};

use integrations_service::delivery::{ANSWER_KEPT, Answer, Transport};
use wasi::http::outgoing_handler;
use wasi::http::types::{
    Fields, IncomingResponse, Method, OutgoingBody, OutgoingRequest, RequestOptions, Scheme,
};

/// The limit on each wait of a delivery.
const TIMEOUT: Duration = Duration::from_secs(10);
/// What one write of the body may carry (wasi:io's guarantee).
const CHUNK: usize = 4096;

/// Outbound HTTP as the host provides it.
#[derive(Debug, Clone, Copy)]
pub struct Wasi;

impl Transport for Wasi {
    fn post(&self, url: &str, headers: &[(String, String)], body: &[u8]) -> Answer {
        let started = Instant::now();
        let answer = send(url, headers, body);
        let latency_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        match answer {
            Ok((status, text)) => Answer {
                status: Some(status),
                text,
                latency_ms,
            },
            Err(why) => Answer {
                status: None,
                text: why,
                latency_ms,
            },
        }
    }
}

/// `scheme://authority/path?query` split for wasi:http.
fn split(url: &str) -> Result<(Scheme, &str, &str), String> {
    let (scheme, rest) = url
        .split_once("://")
        .ok_or_else(|| format!("{url} is not an absolute URL"))?;
    let scheme = match scheme {
        "http" => Scheme::Http,
        "https" => Scheme::Https,
        other => return Err(format!("scheme {other} is not http or https")),
    };
    let (authority, path) = match rest.find('/') {
        Some(at) => (&rest[..at], &rest[at..]),
        None => (rest, "/"),
    };
    Ok((scheme, authority, path))
}

fn send(url: &str, headers: &[(String, String)], body: &[u8]) -> Result<(u16, String), String> {
    let (scheme, authority, path) = split(url)?;
    // A declared length rather than chunks: every receiver reads it.
    let length = (
        "content-length".to_owned(),
        body.len().to_string().into_bytes(),
    );
    let fields = Fields::from_list(
        &headers
            .iter()
            .map(|(name, value)| (name.clone(), value.as_bytes().to_vec()))
            .chain([length])
            .collect::<Vec<_>>(),
    )
    .map_err(|e| format!("headers: {e:?}"))?;
    let request = OutgoingRequest::new(fields);
    let set = |ok: Result<(), ()>, what: &str| ok.map_err(|()| format!("cannot set the {what}"));
    set(request.set_method(&Method::Post), "method")?;
    set(request.set_scheme(Some(&scheme)), "scheme")?;
    set(request.set_authority(Some(authority)), "authority")?;
    set(request.set_path_with_query(Some(path)), "path")?;
    let options = RequestOptions::new();
    let nanos = u64::try_from(TIMEOUT.as_nanos()).unwrap_or(u64::MAX);
    // A host that does not support a limit refuses to set it; the others still apply.
    let _ = options.set_connect_timeout(Some(nanos));
    let _ = options.set_first_byte_timeout(Some(nanos));
    let _ = options.set_between_bytes_timeout(Some(nanos));
    let outgoing = request.body().map_err(|()| "no request body".to_owned())?;
    let future =
        outgoing_handler::handle(request, Some(options)).map_err(|e| format!("refused: {e:?}"))?;
    {
        let stream = outgoing
            .write()
            .map_err(|()| "no request body stream".to_owned())?;
        for chunk in body.chunks(CHUNK) {
            stream
                .blocking_write_and_flush(chunk)
                .map_err(|e| format!("writing the body: {e:?}"))?;
        }
    }
    OutgoingBody::finish(outgoing, None).map_err(|e| format!("finishing the body: {e:?}"))?;
    future.subscribe().block();
    let response = match future.get() {
        Some(Ok(Ok(response))) => response,
        Some(Ok(Err(code))) => return Err(format!("{code:?}")),
        Some(Err(())) | None => return Err("no answer".to_owned()),
    };
    Ok((response.status(), excerpt(&response)))
}

/// The first [`ANSWER_KEPT`] bytes of the answer, as text.
fn excerpt(response: &IncomingResponse) -> String {
    let Ok(body) = response.consume() else {
        return String::new();
    };
    let Ok(stream) = body.stream() else {
        return String::new();
    };
    let mut kept = Vec::new();
    while kept.len() < ANSWER_KEPT {
        match stream.blocking_read((ANSWER_KEPT - kept.len()) as u64) {
            Ok(bytes) if !bytes.is_empty() => kept.extend(bytes),
            Ok(_) | Err(_) => break,
        }
    }
    String::from_utf8_lossy(&kept).into_owned()
}
