//! `/notifications/templates` (`admin_token`): the customer messages' templates.
//!
//! - `GET /notifications/templates` lists every step in both languages, the store's template
//!   where it has one (`custom: true`), else the default;
//! - `GET /notifications/templates/{step}?locale=` shows one (`pt-BR` by default);
//! - `PUT /notifications/templates/{step}` `{"locale"?, "subject", "text", "html"}` replaces the
//!   default (placeholders `{{number}}`, `{{items}}`, ...: see `notify`);
//! - `DELETE /notifications/templates/{step}?locale=` goes back to the default.
//!
//! A message already rendered keeps the template it was rendered with: only messages rendered
//! afterwards use the new one.

use http_common::input::{Fields, Obj, parse_object};
use http_common::{ApiError, Reply};
use integrations_service::endpoint::EndpointError;
use integrations_service::notify::{Locale, STEPS, Template};
use integrations_service::templates::{self, BODY_MAX, Effective, SUBJECT_MAX, Templates};
use orderflow_kv::SpinKv;
use serde_json::{Value, json};

fn render(e: &Effective) -> Value {
    json!({
        "step": e.step,
        "locale": e.locale.as_str(),
        "custom": e.custom_since.is_some(),
        "updatedAt": e.custom_since,
        "subject": e.template.subject,
        "text": e.template.text,
        "html": e.template.html,
    })
}

fn error(e: EndpointError) -> ApiError {
    crate::endpoints::error(e)
}

/// The step named in the path, or 404 naming the steps.
pub(crate) fn step(name: &str) -> Result<&'static str, ApiError> {
    templates::step(name).ok_or_else(|| {
        ApiError::new(
            404,
            "template-not-found",
            format!("customers hear of these steps only: {}", STEPS.join(", ")),
        )
        .with_detail("step", name)
    })
}

/// `locale` of a query string (`pt-BR` when absent).
fn query_locale(raw: &str) -> Result<Locale, ApiError> {
    let mut locale = Locale::default();
    for (name, value) in form_urlencoded::parse(raw.as_bytes()) {
        if name == "locale" && !value.trim().is_empty() {
            locale = parse_locale(value.trim())?;
        }
    }
    Ok(locale)
}

fn parse_locale(text: &str) -> Result<Locale, ApiError> {
    if let Some(locale) = Locale::parse(text) {
        return Ok(locale);
    }
    let mut fields = Fields::new();
    fields.push(
        "locale".to_owned(),
        "unknown-value",
        "locale must be one of: pt-BR, en",
    );
    fields.finish()?;
    Ok(Locale::default())
}

/// `GET /notifications/templates`.
pub(crate) fn list(kv: &SpinKv) -> Result<Reply, ApiError> {
    let all = Templates::new(kv).all().map_err(error)?;
    Ok(Reply::json(
        200,
        &json!({"items": all.iter().map(render).collect::<Vec<_>>()}),
    ))
}

/// `GET /notifications/templates/{step}`.
pub(crate) fn get(kv: &SpinKv, step: &'static str, raw_query: &str) -> Result<Reply, ApiError> {
    let locale = query_locale(raw_query)?;
    let effective = Templates::new(kv).effective(step, locale).map_err(error)?;
    Ok(Reply::json(200, &render(&effective)))
}

/// `PUT /notifications/templates/{step}`.
pub(crate) fn put(kv: &SpinKv, step: &'static str, body: &[u8]) -> Result<Reply, ApiError> {
    let value = parse_object(body)?;
    let obj = Obj::root(&value)?;
    let mut fields = Fields::new();
    let locale = match obj.opt_string("locale")? {
        None => Locale::default(),
        Some(text) => parse_locale(&text)?,
    };
    let subject = obj.string(&mut fields, "subject")?;
    let text = obj.string(&mut fields, "text")?;
    let html = obj.string(&mut fields, "html")?;
    if subject.trim().is_empty() {
        fields.push("subject".to_owned(), "empty", "subject must not be empty");
    } else if subject.chars().count() > SUBJECT_MAX || subject.contains(['\r', '\n']) {
        fields.push(
            "subject".to_owned(),
            "bad-format",
            format!("subject must be one line of at most {SUBJECT_MAX} characters"),
        );
    }
    for (name, body) in [("text", &text), ("html", &html)] {
        if body.trim().is_empty() {
            fields.push(
                name.to_owned(),
                "empty",
                format!("{name} must not be empty"),
            );
        } else if body.chars().count() > BODY_MAX {
            fields.push(
                name.to_owned(),
                "too-long",
                format!("{name} must be at most {BODY_MAX} characters"),
            );
        }
    }
    fields.finish()?;
    let template = Template {
        subject,
        text,
        html,
    };
    let effective = Templates::new(kv)
        .put(step, locale, template, crate::now())
        .map_err(error)?;
    Ok(Reply::json(200, &render(&effective)))
}

/// `DELETE /notifications/templates/{step}`.
pub(crate) fn reset(kv: &SpinKv, step: &'static str, raw_query: &str) -> Result<Reply, ApiError> {
    let locale = query_locale(raw_query)?;
    let effective = Templates::new(kv).reset(step, locale).map_err(error)?;
    Ok(Reply::json(200, &render(&effective)))
}
