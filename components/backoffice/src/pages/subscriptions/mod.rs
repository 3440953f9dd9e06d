//! The subscriptions' pages, under `/admin/subscriptions`: the dashboard with the list
//! ([`list`]), each subscription with its cycles ([`detail`]) and the commands its status allows
//! ([`actions`], [`forms`], [`edit`]), and the plans ([`plans`]).
//!
//! Over `orderflow:core/subscriptions` (subscriptions-client's bindings, the service composed
//! into this component), as the subscriptions API calls it: the same rules, the same refusals
//! ([`error`]), the names in the panel's language ([`names`]).

mod actions;
mod detail;
mod edit;
mod error;
mod forms;
mod list;
mod names;
mod plans;

use http_common::Reply;
use maud::{Markup, html};

use crate::i18n::Lang;
use crate::pages::not_found;
use crate::web::{self, Ctx};

/// A subscription's page.
fn href(id: &str) -> String {
    let id: String = form_urlencoded::byte_serialize(id.as_bytes()).collect();
    format!("/admin/subscriptions/{id}")
}

/// A subscription id from its path segment, percent-decoded; `None` (404 without asking the
/// service) outside the ids' pattern, which subscriptions share with orders.
fn id_of(segment: &str) -> Option<String> {
    http_common::path::order_id(segment)
}

/// The section's own links: the subscriptions and the plans.
fn section_nav(l: Lang, plans_page: bool) -> Markup {
    html! {
        nav.section aria-label=(l.pick("Assinaturas", "Subscriptions")) {
            a href="/admin/subscriptions" aria-current=[(!plans_page).then_some("page")] { (l.pick("Assinaturas", "Subscriptions")) }
            a href="/admin/subscriptions/plans" aria-current=[plans_page.then_some("page")] { (l.pick("Planos", "Plans")) }
        }
    }
}

/// The page for a GET of `/admin/subscriptions{rest}`.
pub(crate) fn get(ctx: &Ctx, rest: &str, query: &str) -> Reply {
    match rest {
        "" | "/" => list::page(ctx, query),
        "/plans" => plans::page(ctx, query),
        _ => match rest.strip_prefix('/').and_then(id_of) {
            Some(id) => detail::page(ctx, &id, query),
            None => web::html(404, not_found(ctx)),
        },
    }
}

/// The answer to a form posted to `/admin/subscriptions{rest}`: `/{id}/{action}`.
pub(crate) fn post(ctx: &Ctx, rest: &str, form: &[(String, String)]) -> Reply {
    let target = rest
        .strip_prefix('/')
        .and_then(|rest| rest.split_once('/'))
        .and_then(|(id, action)| Some((id_of(id)?, actions::Action::parse(action)?)));
    match target {
        Some((id, action)) => actions::post(ctx, &id, action, form),
        None => web::html(404, not_found(ctx)),
    }
}
