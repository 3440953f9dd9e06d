//! `/webhooks/endpoints`: where events are pushed (`admin_token`).
//!
//! - `POST {"url", "types"?, "statuses"?, "channels"?, "description"?, "kind"?, "locale"?}`
//!   answers 201 with the endpoint and its signing secret, `whsec_...`, shown this once (`kind`
//!   `customer-notification`: rendered customer messages in `locale`, `pt-BR` by default);
//! - `GET` lists them, `GET /{id}` shows one, `PATCH /{id}` changes it (`enabled`,
//!   `rotateSecret: true` answers a new secret; the old one signs beside it for 24 h),
//!   `DELETE /{id}` removes it;
//! - `GET /{id}/deliveries?before=&limit=` is its delivery log, newest first;
//!   `POST /{id}/deliveries/{n}/retry` sends one again; `POST /{id}/replay {"since"}` sends
//!   again every matching event from a time; `POST /{id}/test` sends a test event now.

use http_common::input::{Fields, Obj, optional_object, parse_object};
use http_common::{ApiError, Reply};
use integrations_service::delivery::{Delivery, Transport};
use integrations_service::endpoint::{
    EndpointChange, EndpointError, Endpoints, Filter, Kind, NewEndpoint, View,
};
use integrations_service::feed::Feed;
use integrations_service::notify::Locale;
use integrations_service::signature::{SECRET_BYTES, Secret};
use orderflow_domain::values::Timestamp;
use orderflow_kv::SpinKv;
use serde_json::{Value, json};

use crate::hosts;
use crate::query::{EVENT_TYPE, is_event_type};

fn view(v: &View) -> Value {
    json!({
        "id": v.id,
        "url": v.url,
        "description": v.description,
        "kind": match v.kind { Kind::Webhook => "webhook", Kind::CustomerNotification => "customer-notification" },
        "locale": v.locale.as_str(),
        "types": v.filter.types,
        "statuses": v.filter.statuses,
        "channels": v.filter.channels,
        "enabled": v.enabled,
        "disabledReason": v.disabled_reason,
        "queued": v.queued,
        "failingSince": v.failing_since,
        "createdAt": v.created_at,
        "updatedAt": v.updated_at,
    })
}

fn delivery(d: &Delivery) -> Value {
    json!({
        "id": d.id,
        "eventId": d.event_id,
        "eventType": d.event_type,
        "position": d.position,
        "status": d.status,
        "nextAttemptAt": d.next_attempt_at,
        "attempts": d.attempts.iter().map(|a| json!({
            "at": a.at,
            "status": a.status,
            "latencyMs": a.latency_ms,
            "answer": a.answer,
        })).collect::<Vec<_>>(),
    })
}

pub(crate) fn error(e: EndpointError) -> ApiError {
    ApiError::from_endpoint(e)
}

/// A fresh secret from the host's secure random source.
fn new_secret() -> Secret {
    let mut bytes = [0u8; SECRET_BYTES];
    let random = wasi::random::random::get_random_bytes(SECRET_BYTES as u64);
    for (b, r) in bytes.iter_mut().zip(random) {
        *b = r;
    }
    Secret::from_random(bytes)
}

/// A new endpoint id: `we_` and 16 random hex digits.
fn new_id() -> String {
    let random = wasi::random::random::get_random_u64();
    format!("we_{random:016x}")
}

fn event_types(obj: &Obj<'_>, fields: &mut Fields) -> Result<Option<Vec<String>>, ApiError> {
    let types = obj.opt_strings("types")?;
    for (i, kind) in types.iter().flatten().enumerate() {
        if !is_event_type(kind) {
            fields.push(
                format!("types[{i}]"),
                "bad-format",
                format!("{kind:?} is not {EVENT_TYPE}"),
            );
        }
    }
    Ok(types)
}

/// The URL, checked against what the host lets deliveries reach.
/// `locale`: `pt-BR` or `en`, the language of a notification endpoint's messages.
fn locale(obj: &Obj<'_>, fields: &mut Fields) -> Result<Option<Locale>, ApiError> {
    let Some(text) = obj.opt_string("locale")? else {
        return Ok(None);
    };
    let parsed = Locale::parse(&text);
    if parsed.is_none() {
        fields.push(
            "locale".to_owned(),
            "unknown-value",
            "locale must be one of: pt-BR, en",
        );
    }
    Ok(parsed)
}

fn url(obj: &Obj<'_>, fields: &mut Fields, required: bool) -> Result<Option<String>, ApiError> {
    let url = obj.opt_string("url")?;
    let Some(url) = url else {
        if required {
            fields.push("url".to_owned(), "required", "url is required");
        }
        return Ok(None);
    };
    if url.len() > 2000 || hosts::parts(&url).is_none() {
        fields.push(
            "url".to_owned(),
            "bad-format",
            "url must be an absolute http or https URL of at most 2000 characters",
        );
        return Ok(Some(url));
    }
    let pattern = http_common::request::secret(
        "webhook_hosts",
        "the hosts webhooks may reach are not configured on the server",
    )?;
    if !hosts::allows(&pattern, &url) {
        fields.push(
            "url".to_owned(),
            "host-not-allowed",
            format!(
                "deliveries may only reach {pattern} (the webhook_hosts variable, which the \
                 operator sets to open the hosts of their ERP and email service)"
            ),
        );
    }
    Ok(Some(url))
}

/// `POST /webhooks/endpoints`.
pub(crate) fn create(
    kv: &SpinKv,
    endpoints: &Endpoints<'_, SpinKv>,
    body: &[u8],
) -> Result<Reply, ApiError> {
    let value = parse_object(body)?;
    let obj = Obj::root(&value)?;
    let mut fields = Fields::new();
    let url = url(&obj, &mut fields, true)?;
    let types = event_types(&obj, &mut fields)?.unwrap_or_default();
    let statuses = obj.opt_strings("statuses")?.unwrap_or_default();
    let channels = obj.opt_strings("channels")?.unwrap_or_default();
    let description = obj.opt_string("description")?;
    let kind = match obj.opt_string("kind")?.as_deref() {
        None | Some("webhook") => Kind::Webhook,
        Some("customer-notification") => Kind::CustomerNotification,
        Some(_) => {
            fields.push(
                "kind".to_owned(),
                "unknown-value",
                "kind must be one of: webhook, customer-notification",
            );
            Kind::Webhook
        }
    };
    let locale = locale(&obj, &mut fields)?.unwrap_or_default();
    fields.finish()?;
    let start = Feed::new(kv, crate::now(), 0)
        .bounds()
        .map_err(crate::feed_error)?
        .1;
    let secret = new_secret();
    let (endpoint, shown) = endpoints
        .create(
            &new_id(),
            NewEndpoint {
                url: url.unwrap_or_default(),
                description,
                kind,
                locale,
                filter: Filter {
                    types,
                    statuses,
                    channels,
                },
            },
            &secret,
            start,
        )
        .map_err(error)?;
    let mut answer = view(&endpoint);
    answer["secret"] = json!(shown);
    Ok(Reply::json(201, &answer))
}

/// `GET /webhooks/endpoints`.
pub(crate) fn list(endpoints: &Endpoints<'_, SpinKv>) -> Result<Reply, ApiError> {
    let items: Vec<Value> = endpoints.list().map_err(error)?.iter().map(view).collect();
    Ok(Reply::json(200, &json!({ "items": items })))
}

/// `GET /webhooks/endpoints/{id}`.
pub(crate) fn get(endpoints: &Endpoints<'_, SpinKv>, id: &str) -> Result<Reply, ApiError> {
    Ok(Reply::json(200, &view(&endpoints.get(id).map_err(error)?)))
}

/// `PATCH /webhooks/endpoints/{id}`.
pub(crate) fn change(
    kv: &SpinKv,
    endpoints: &Endpoints<'_, SpinKv>,
    id: &str,
    body: &[u8],
) -> Result<Reply, ApiError> {
    let value = optional_object(body)?.unwrap_or_else(|| json!({}));
    let obj = Obj::root(&value)?;
    let mut fields = Fields::new();
    let url = url(&obj, &mut fields, false)?;
    let types = event_types(&obj, &mut fields)?;
    let statuses = obj.opt_strings("statuses")?;
    let channels = obj.opt_strings("channels")?;
    let description = obj.opt_string("description")?;
    let enabled = match value.get("enabled") {
        None | Some(Value::Null) => None,
        Some(_) => Some(obj.bool_or("enabled", true)?),
    };
    let rotate_secret = obj.bool_or("rotateSecret", false)?;
    let locale = locale(&obj, &mut fields)?;
    fields.finish()?;
    let current = endpoints.get(id).map_err(error)?;
    let filter = (types.is_some() || statuses.is_some() || channels.is_some()).then(|| Filter {
        types: types.unwrap_or(current.filter.types.clone()),
        statuses: statuses.unwrap_or(current.filter.statuses.clone()),
        channels: channels.unwrap_or(current.filter.channels.clone()),
    });
    let change = EndpointChange {
        url,
        description: description.map(Some),
        filter,
        locale,
        enabled,
        rotate_secret,
    };
    let last = Feed::new(kv, crate::now(), 0)
        .bounds()
        .map_err(crate::feed_error)?
        .1;
    let (endpoint, secret) = endpoints
        .change(id, &change, &new_secret(), last)
        .map_err(error)?;
    let mut answer = view(&endpoint);
    if let Some(secret) = secret {
        answer["secret"] = json!(secret);
    }
    Ok(Reply::json(200, &answer))
}

/// `DELETE /webhooks/endpoints/{id}`.
pub(crate) fn delete(endpoints: &Endpoints<'_, SpinKv>, id: &str) -> Result<Reply, ApiError> {
    endpoints.delete(id).map_err(error)?;
    Ok(Reply::bytes(204, "application/json", Vec::new()))
}

/// `GET /webhooks/endpoints/{id}/deliveries?before=&limit=`.
pub(crate) fn deliveries(
    endpoints: &Endpoints<'_, SpinKv>,
    id: &str,
    raw_query: &str,
) -> Result<Reply, ApiError> {
    let mut before = None;
    let mut limit = 50usize;
    for (key, value) in form_urlencoded::parse(raw_query.as_bytes()) {
        let value = value.trim();
        if value.is_empty() {
            continue;
        }
        match key.as_ref() {
            "before" => {
                before = Some(value.parse::<u64>().map_err(|_| {
                    ApiError::wrong_type("before", "a delivery number (a non-negative integer)")
                })?);
            }
            "limit" => {
                limit = value
                    .parse::<usize>()
                    .ok()
                    .filter(|n| (1..=200).contains(n))
                    .ok_or_else(|| ApiError::wrong_type("limit", "an integer from 1 to 200"))?;
            }
            _ => {}
        }
    }
    let (items, next) = endpoints.deliveries(id, before, limit).map_err(error)?;
    let items: Vec<Value> = items.iter().map(delivery).collect();
    Ok(Reply::json(
        200,
        &json!({ "items": items, "nextBefore": next }),
    ))
}

/// `POST /webhooks/endpoints/{id}/deliveries/{n}/retry`.
pub(crate) fn retry(
    endpoints: &Endpoints<'_, SpinKv>,
    id: &str,
    number: u64,
) -> Result<Reply, ApiError> {
    let d = endpoints.retry(id, number).map_err(error)?;
    Ok(Reply::json(202, &delivery(&d)))
}

/// `POST /webhooks/endpoints/{id}/replay {"since"}`.
pub(crate) fn replay(
    endpoints: &Endpoints<'_, SpinKv>,
    id: &str,
    body: &[u8],
) -> Result<Reply, ApiError> {
    let value = parse_object(body)?;
    let obj = Obj::root(&value)?;
    let mut fields = Fields::new();
    let since = obj.string(&mut fields, "since")?;
    let since = match Timestamp::parse(&since) {
        Ok(at) => Some(at),
        Err(_) => {
            if !since.is_empty() {
                fields.push(
                    "since".to_owned(),
                    "bad-format",
                    "since must be an RFC 3339 instant",
                );
            }
            None
        }
    };
    fields.finish()?;
    let Some(since) = since else {
        return Err(ApiError::wrong_type("since", "an RFC 3339 instant"));
    };
    let (from, to) = endpoints.replay(id, since).map_err(error)?;
    Ok(Reply::json(202, &json!({ "from": from, "to": to })))
}

/// `POST /webhooks/endpoints/{id}/test`: a `webhook.test` event, signed and sent now.
pub(crate) fn test(
    endpoints: &Endpoints<'_, SpinKv>,
    id: &str,
    transport: &impl Transport,
) -> Result<Reply, ApiError> {
    let (url, headers, body) = endpoints.test_request(id).map_err(error)?;
    let answer = transport.post(&url, &headers, &body);
    Ok(Reply::json(
        200,
        &json!({
            "delivered": answer.status.is_some_and(|s| (200..300).contains(&s)),
            "status": answer.status,
            "latencyMs": answer.latency_ms,
            "answer": answer.text,
        }),
    ))
}
