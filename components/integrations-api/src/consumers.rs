//! `/feed/consumers/{name}`: named consumers of the feed, as VTEX's Feed v3 has them.
//!
//! - `PUT` (`admin_token`) `{"types"?, "visibilityTimeoutSeconds"?}` creates the consumer (201;
//!   it receives what happens from then on) or changes its settings (200);
//! - `GET` and `DELETE` (`admin_token`; `GET` also `erp_token`);
//! - `GET .../items?maxlot=` (`admin_token` or `erp_token`) hands out up to `maxlot` (1-100,
//!   default 10) items with handles; an item not committed within the visibility timeout comes
//!   back with a new handle;
//! - `POST .../commit {"handles": [...]}` commits them.

use http_common::input::{Fields, Obj, optional_object, parse_object};
use http_common::{ApiError, Reply};
use integrations_service::consumer::{
    ConsumerError, Consumers, DEFAULT_VISIBILITY, Item, MAX_LOT, Settings, View,
};
use orderflow_kv::SpinKv;
use serde_json::{Value, json};

use crate::query::{EVENT_TYPE, is_event_type};

/// The longest visibility timeout, in seconds (12 hours).
const MAX_VISIBILITY: u32 = 43_200;
/// The batch size when none is asked for.
const DEFAULT_LOT: usize = 10;

fn view(v: &View) -> Value {
    json!({
        "name": v.name,
        "types": v.settings.types,
        "visibilityTimeoutSeconds": v.settings.visibility_timeout_seconds,
        "position": v.position,
        "inFlight": v.in_flight,
    })
}

fn item(item: &Item) -> Value {
    json!({"handle": item.handle, "event": item.event})
}

fn error(name: &str, e: ConsumerError) -> ApiError {
    match e {
        ConsumerError::NotFound => ApiError::new(
            404,
            "consumer-not-found",
            format!("no feed consumer is named {name:?}; create it with PUT first"),
        ),
        ConsumerError::Feed(e) => crate::feed_error(e),
    }
}

/// `PUT /feed/consumers/{name}`.
pub(crate) fn configure(
    consumers: &Consumers<'_, SpinKv>,
    name: &str,
    body: &[u8],
) -> Result<Reply, ApiError> {
    let value = optional_object(body)?.unwrap_or_else(|| json!({}));
    let obj = Obj::root(&value)?;
    let mut fields = Fields::new();
    let types = obj.opt_strings("types")?.unwrap_or_default();
    for (i, kind) in types.iter().enumerate() {
        if !is_event_type(kind) {
            fields.push(
                format!("types[{i}]"),
                "bad-format",
                format!("{kind:?} is not {EVENT_TYPE}"),
            );
        }
    }
    let timeout = obj
        .opt_u32(&mut fields, "visibilityTimeoutSeconds")?
        .unwrap_or(DEFAULT_VISIBILITY);
    if !(1..=MAX_VISIBILITY).contains(&timeout) {
        fields.push(
            "visibilityTimeoutSeconds".to_owned(),
            "out-of-range",
            format!("visibilityTimeoutSeconds must be from 1 to {MAX_VISIBILITY}"),
        );
    }
    fields.finish()?;
    let settings = Settings {
        types,
        visibility_timeout_seconds: timeout,
    };
    let (consumer, created) = consumers
        .configure(name, settings)
        .map_err(|e| error(name, e))?;
    Ok(Reply::json(
        if created { 201 } else { 200 },
        &view(&consumer),
    ))
}

/// `GET /feed/consumers/{name}`.
pub(crate) fn get(consumers: &Consumers<'_, SpinKv>, name: &str) -> Result<Reply, ApiError> {
    match consumers.get(name).map_err(|e| error(name, e))? {
        Some(consumer) => Ok(Reply::json(200, &view(&consumer))),
        None => Err(error(name, ConsumerError::NotFound)),
    }
}

/// `DELETE /feed/consumers/{name}`.
pub(crate) fn delete(consumers: &Consumers<'_, SpinKv>, name: &str) -> Result<Reply, ApiError> {
    get(consumers, name)?;
    consumers.delete(name).map_err(|e| error(name, e))?;
    Ok(Reply::bytes(204, "application/json", Vec::new()))
}

/// `GET /feed/consumers/{name}/items?maxlot=`.
pub(crate) fn items(
    consumers: &Consumers<'_, SpinKv>,
    name: &str,
    raw_query: &str,
) -> Result<Reply, ApiError> {
    let mut lot = DEFAULT_LOT;
    for (key, value) in form_urlencoded::parse(raw_query.as_bytes()) {
        let value = value.trim();
        if key == "maxlot" && !value.is_empty() {
            match value.parse::<usize>() {
                Ok(n) if (1..=MAX_LOT).contains(&n) => lot = n,
                Ok(_) => {
                    let mut fields = Fields::new();
                    fields.push(
                        "maxlot".to_owned(),
                        "out-of-range",
                        format!("maxlot must be from 1 to {MAX_LOT}"),
                    );
                    fields.finish()?;
                }
                Err(_) => return Err(ApiError::wrong_type("maxlot", "an integer")),
            }
        }
    }
    let items = consumers.take(name, lot).map_err(|e| error(name, e))?;
    let items: Vec<Value> = items.iter().map(item).collect();
    Ok(Reply::json(200, &json!({ "items": items })))
}

/// `POST /feed/consumers/{name}/commit`.
pub(crate) fn commit(
    consumers: &Consumers<'_, SpinKv>,
    name: &str,
    body: &[u8],
) -> Result<Reply, ApiError> {
    let value = parse_object(body)?;
    let obj = Obj::root(&value)?;
    let mut fields = Fields::new();
    let handles = obj.opt_strings("handles")?;
    if handles.is_none() {
        fields.push("handles".to_owned(), "required", "handles is required");
    }
    fields.finish()?;
    let handles = handles.unwrap_or_default();
    let committed = consumers
        .commit(name, &handles)
        .map_err(|e| error(name, e))?;
    Ok(Reply::json(200, &json!({ "committed": committed })))
}
