//! The panel's requests: who is asking (the session), in which language and zone, and which page
//! answers. Pages that need a session redirect to the sign-in page without one; every POST
//! carries the session's CSRF token (the sign-in form, which has no session yet, is held to
//! same-origin requests instead); every answer forbids caching and framing.

use chrono::{SecondsFormat, Utc};
use chrono_tz::Tz;
use http_common::request::{header, read_body, secret};
use http_common::{ApiError, Reply};
use maud::Markup;
use orderflow_kv::SpinKv;
use spin_sdk::http::IncomingRequest;

use crate::i18n::Lang;
use crate::operators::{self, Operator};
use crate::pages;
use crate::session;

/// What every page knows of its request.
#[derive(Debug, Clone)]
pub(crate) struct Ctx {
    pub(crate) lang: Lang,
    pub(crate) zone: Tz,
    /// The signed-in operator and the session's CSRF token.
    pub(crate) who: Option<(Operator, String)>,
    /// The path and query asked for (for the language switch's way back).
    pub(crate) here: String,
}

/// The store.
pub(crate) fn kv() -> Result<SpinKv, ApiError> {
    SpinKv::open().map_err(|e| store_error(&e.0))
}

/// 503 `store-unavailable`.
pub(crate) fn store_error(reason: &str) -> ApiError {
    ApiError::new(
        503,
        "store-unavailable",
        "the key-value store is unavailable; retry later",
    )
    .with_detail("reason", reason)
    .with_header("retry-after", "5")
}

/// Now, in unix seconds and RFC 3339.
pub(crate) fn now() -> (i64, String) {
    let now = Utc::now();
    (
        now.timestamp(),
        now.to_rfc3339_opts(SecondsFormat::Secs, true),
    )
}

fn first_header(request: &IncomingRequest, name: &str) -> Option<String> {
    header(request, name)
        .into_iter()
        .next()
        .and_then(|v| String::from_utf8(v).ok())
}

fn session_key() -> Result<Vec<u8>, ApiError> {
    secret(
        "session_key",
        "the panel's session key is not configured on the server",
    )
    .map(String::into_bytes)
}

fn zone() -> Tz {
    spin_sdk::variables::get("store_time_zone")
        .ok()
        .and_then(|name| name.parse().ok())
        .unwrap_or(chrono_tz::America::Sao_Paulo)
}

/// Whether the request came over HTTPS (Spin's `spin-full-url`, or a proxy's
/// `x-forwarded-proto`): then the cookie is `Secure`.
fn over_https(request: &IncomingRequest) -> bool {
    first_header(request, "spin-full-url").is_some_and(|url| url.starts_with("https://"))
        || first_header(request, "x-forwarded-proto").is_some_and(|p| p == "https")
}

/// Whether a POST comes from the panel's own pages: `Sec-Fetch-Site` (when the browser sends it)
/// is same-origin, and `Origin` (when sent) names this host.
fn same_origin(request: &IncomingRequest) -> bool {
    let site_ok = first_header(request, "sec-fetch-site")
        .is_none_or(|site| site == "same-origin" || site == "none");
    // wasi:http carries the Host header as the request's authority.
    let host = request
        .authority()
        .or_else(|| first_header(request, "host"))
        .unwrap_or_default();
    let origin_ok = first_header(request, "origin").is_none_or(|origin| {
        origin
            .split_once("://")
            .is_some_and(|(_, authority)| authority == host)
    });
    site_ok && origin_ok
}

/// An HTML answer with the panel's headers.
pub(crate) fn html(status: u16, markup: Markup) -> Reply {
    Reply::bytes(
        status,
        "text/html; charset=utf-8",
        markup.into_string().into_bytes(),
    )
    .with_header(
        "content-security-policy",
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    )
    .with_header("x-content-type-options", "nosniff")
    .with_header("referrer-policy", "same-origin")
    .with_header("cache-control", "no-store")
}

/// 303 to `location`.
pub(crate) fn redirect(location: &str) -> Reply {
    Reply::bytes(303, "text/plain; charset=utf-8", Vec::new())
        .with_header("location", location)
        .with_header("cache-control", "no-store")
}

/// A form body's fields.
pub(crate) fn form(body: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(body)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// The value of field `name` in a form (empty when absent).
pub(crate) fn field<'a>(form: &'a [(String, String)], name: &str) -> &'a str {
    form.iter()
        .find(|(k, _)| k == name)
        .map_or("", |(_, v)| v.as_str())
}

/// Where to go after signing in: a panel path, never another site.
fn next_page(raw: &str) -> &str {
    if within_panel(raw) {
        raw
    } else {
        "/admin/orders"
    }
}

/// Whether `raw` is a path of the panel (never another site), to go back to.
pub(crate) fn within_panel(raw: &str) -> bool {
    raw.starts_with("/admin/") && !raw.contains("//") && !raw.contains('\\')
}

pub(crate) async fn respond(
    request: IncomingRequest,
    method: &str,
    path: &str,
    query: &str,
) -> Result<Reply, ApiError> {
    if path == "/admin/assets/app.css" {
        return Ok(Reply::bytes(
            200,
            "text/css; charset=utf-8",
            include_bytes!("../assets/app.css").to_vec(),
        )
        .with_header("cache-control", "public, max-age=3600"));
    }
    let key = session_key()?;
    let kv = kv()?;
    let (now, _) = now();
    let secure = over_https(&request);
    let cookies = first_header(&request, "cookie").unwrap_or_default();
    let lang = Lang::choose(
        session::cookie(&cookies, "lang"),
        first_header(&request, "accept-language").as_deref(),
    );
    // The session: a cookie whose signature holds, not expired, whose record is still open.
    let mut session_id = None;
    let mut who = None;
    if let Some(signed) = session::cookie(&cookies, session::COOKIE)
        .and_then(|value| session::verify(&key, value, now))
    {
        let record = operators::session(&kv, &signed.id).map_err(|e| store_error(&e.0))?;
        if let Some(record) = record.filter(|r| r.expires > now)
            && let Some(operator) =
                operators::get(&kv, &record.operator).map_err(|e| store_error(&e.0))?
        {
            let csrf = session::csrf_token(&key, &signed.id);
            session_id = Some(signed.id);
            who = Some((operator, csrf));
        }
    }
    let here = if query.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{query}")
    };
    let ctx = Ctx {
        lang,
        zone: zone(),
        who,
        here,
    };

    match (method, path) {
        ("GET", "/admin" | "/admin/") => Ok(redirect(if ctx.who.is_some() {
            "/admin/orders"
        } else {
            "/admin/sign-in"
        })),
        ("GET", "/admin/language") => {
            let form = form(query.as_bytes());
            let to = if field(&form, "to") == "en" {
                "en"
            } else {
                "pt-BR"
            };
            Ok(redirect(next_page(field(&form, "back"))).with_header(
                "set-cookie",
                &format!("lang={to}; Path=/admin; Max-Age=31536000; SameSite=Strict"),
            ))
        }
        ("GET", "/admin/sign-in") => {
            let form = form(query.as_bytes());
            let next = next_page(field(&form, "next"));
            Ok(html(200, pages::sign_in::page(&ctx, "", next, false)))
        }
        ("POST", "/admin/sign-in") => {
            if !same_origin(&request) {
                return Ok(html(403, pages::forbidden(&ctx)));
            }
            let body = form(&read_body(request).await?);
            let next = next_page(field(&body, "next"));
            let email = field(&body, "email");
            let found = operators::by_email(&kv, email).map_err(|e| store_error(&e.0))?;
            // The hash is checked whether or not the email is known, so the answer takes as
            // long either way.
            let hash = found
                .as_ref()
                .map_or(pages::sign_in::DECOY_HASH, |o| o.password_hash.as_str());
            let holds = operators::password_holds(field(&body, "password"), hash);
            let Some(operator) = found.filter(|_| holds) else {
                return Ok(html(401, pages::sign_in::page(&ctx, email, next, true)));
            };
            let id = base64_id();
            let expires = now + session::LIFETIME_SECONDS;
            operators::open_session(&kv, &id, &operator.id, expires)
                .map_err(|e| store_error(&e.0))?;
            Ok(redirect(next).with_header(
                "set-cookie",
                &session::set_cookie(&session::cookie_value(&key, &id, expires), secure),
            ))
        }
        ("POST", "/admin/sign-out") => {
            let body = form(&read_body(request).await?);
            if let Some(id) = &session_id {
                if !session::csrf_holds(&key, id, field(&body, "_csrf")) {
                    return Ok(html(403, pages::forbidden(&ctx)));
                }
                operators::close_session(&kv, id).map_err(|e| store_error(&e.0))?;
            }
            Ok(
                redirect("/admin/sign-in")
                    .with_header("set-cookie", &session::clear_cookie(secure)),
            )
        }
        _ if path.starts_with("/admin/") => {
            // Every other page needs a session.
            let Some(session_id) = session_id else {
                let back: String = form_urlencoded::byte_serialize(ctx.here.as_bytes()).collect();
                return Ok(redirect(&format!("/admin/sign-in?next={back}")));
            };
            if method == "POST" {
                let body = read_body(request).await?;
                let form = form(&body);
                if !form_carries_csrf(&key, &session_id, &form) {
                    return Ok(html(403, pages::forbidden(&ctx)));
                }
                return pages::post(&ctx, path, &form).await;
            }
            if method != "GET" {
                return Err(ApiError::method_not_allowed(method, &["GET", "POST"]));
            }
            Ok(pages::get(&ctx, path, query).await)
        }
        _ => Ok(html(404, pages::not_found(&ctx))),
    }
}

/// Whether a panel form carries this session's CSRF token.
fn form_carries_csrf(key: &[u8], session_id: &str, form: &[(String, String)]) -> bool {
    session::csrf_holds(key, session_id, field(form, "_csrf"))
}

/// A new session id: 16 bytes from wasi:random, base64url.
fn base64_id() -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(wasi::random::random::get_random_bytes(
        session::ID_BYTES as u64,
    ))
}
