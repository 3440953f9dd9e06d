//! The pages: the layout every page shares, and which page answers a path.

pub(crate) mod actions;
pub(crate) mod activity;
pub(crate) mod order;
pub(crate) mod orders;
pub(crate) mod pending;
pub(crate) mod sign_in;
pub(crate) mod stock;
pub(crate) mod subscriptions;
pub(crate) mod webhooks;

use http_common::{ApiError, Reply};
use maud::{DOCTYPE, Markup, html};

use crate::i18n::Lang;
use crate::web::{self, Ctx};

/// The page around `content`: the top bar (the panel's sections, the operator, sign-out, the
/// language switch) and a skip link for keyboards.
pub(crate) fn layout(ctx: &Ctx, title: &str, content: Markup) -> Markup {
    let l = ctx.lang;
    let back: String = form_urlencoded::byte_serialize(ctx.here.as_bytes()).collect();
    html! {
        (DOCTYPE)
        html lang=(l.tag()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · orderflow" }
                link rel="stylesheet" href="/admin/assets/app.css";
            }
            body {
                a.skip href="#main" { (l.pick("Pular para o conteúdo", "Skip to content")) }
                header.top {
                    a href="/admin/orders" { "orderflow" }
                    @if let Some((operator, csrf)) = &ctx.who {
                        nav aria-label=(l.pick("Seções", "Sections")) {
                            a href="/admin/orders" { (l.pick("Pedidos", "Orders")) }
                            a href="/admin/subscriptions" { (l.pick("Assinaturas", "Subscriptions")) }
                            a href="/admin/stock" { (l.pick("Estoque", "Stock")) }
                            a href="/admin/webhooks" { "Webhooks" }
                        }
                        span.who { (operator.name) }
                        form method="post" action="/admin/sign-out" {
                            input type="hidden" name="_csrf" value=(csrf);
                            button type="submit" { (l.pick("Sair", "Sign out")) }
                        }
                    } @else {
                        nav {}
                    }
                    @match l {
                        Lang::Pt => a href={ "/admin/language?to=en&back=" (back) } lang="en" { "English" },
                        Lang::En => a href={ "/admin/language?to=pt-BR&back=" (back) } lang="pt-BR" { "Português" },
                    }
                }
                main #main { (content) }
            }
        }
    }
}

/// 403: a form without its CSRF token, or posted from another site.
pub(crate) fn forbidden(ctx: &Ctx) -> Markup {
    let l = ctx.lang;
    layout(
        ctx,
        l.pick("Proibido", "Forbidden"),
        html! {
            h1 { (l.pick("Proibido", "Forbidden")) }
            p.error {
                (l.pick(
                    "Este formulário expirou ou não veio deste painel. Volte, recarregue a página e tente de novo.",
                    "This form expired or did not come from this panel. Go back, reload the page and try again.",
                ))
            }
        },
    )
}

/// 404.
pub(crate) fn not_found(ctx: &Ctx) -> Markup {
    let l = ctx.lang;
    layout(
        ctx,
        l.pick("Não encontrado", "Not found"),
        html! {
            h1 { (l.pick("Página não encontrada", "Page not found")) }
            p { a href="/admin/orders" { (l.pick("Ir para os pedidos", "Go to the orders")) } }
        },
    )
}

/// The status a page answers for a service's error: its own, but 503 for any server-side
/// failure (the operator can only retry).
pub(crate) fn shown_status(error: &ApiError) -> u16 {
    if error.status() >= 500 {
        503
    } else {
        error.status()
    }
}

/// A refused form's banner: `message` (the refusal in the page's language), the code, and each
/// refused field as `label` names it with its problem.
pub(crate) fn refusal_banner(
    l: Lang,
    message: &str,
    error: &ApiError,
    label: fn(Lang, &str) -> String,
) -> Markup {
    html! {
        div.error role="alert" {
            p { (message) " (" code { (error.code()) } ")" }
            @if let Some(fields) = error.details().get("fields").and_then(|f| f.as_array()) {
                ul { @for f in fields { li {
                    (label(l, f["field"].as_str().unwrap_or_default())) ": "
                    (crate::i18n::field_problem(l, f["code"].as_str().unwrap_or_default(), f["message"].as_str().unwrap_or_default()))
                } } }
            }
        }
    }
}

/// An error from a service, as a page: its message, and what to do.
pub(crate) fn service_error(ctx: &Ctx, error: &ApiError) -> Reply {
    let l = ctx.lang;
    web::html(
        shown_status(error),
        layout(
            ctx,
            l.pick("Erro", "Error"),
            html! {
                h1 { (l.pick("Não foi possível concluir", "This could not be done")) }
                p.error { (error.message()) " (" code { (error.code()) } ")" }
                p { a href=(ctx.here) { (l.pick("Tentar de novo", "Try again")) } }
            },
        ),
    )
}

/// The page for a GET of a panel path (a session is open).
pub(crate) async fn get(ctx: &Ctx, path: &str, query: &str) -> Reply {
    if let Some(rest) = path.strip_prefix("/admin/subscriptions") {
        return subscriptions::get(ctx, rest, query);
    }
    if let Some(rest) = path.strip_prefix("/admin/webhooks") {
        return webhooks::get(ctx, rest, query);
    }
    if let Some(rest) = path.strip_prefix("/admin/stock") {
        return stock::get(ctx, rest, query);
    }
    match path.strip_prefix("/admin/orders") {
        Some("") => orders::page(ctx, query),
        Some("/export") => orders::export(ctx, query),
        Some(rest) => match rest.strip_prefix('/') {
            Some(id) if !id.is_empty() && !id.contains('/') => order::page(ctx, id, query),
            _ => web::html(404, not_found(ctx)),
        },
        None => web::html(404, not_found(ctx)),
    }
}

/// The answer to a form posted to a panel path (a session is open, its CSRF token checked):
/// `/admin/orders/{id}/{action}`, `/admin/subscriptions/...`, `/admin/webhooks/...`,
/// `/admin/stock/...`.
pub(crate) async fn post(
    ctx: &Ctx,
    path: &str,
    form: &[(String, String)],
) -> Result<Reply, ApiError> {
    if let Some(rest) = path.strip_prefix("/admin/subscriptions") {
        return Ok(subscriptions::post(ctx, rest, form));
    }
    if let Some(rest) = path.strip_prefix("/admin/webhooks") {
        return Ok(webhooks::post(ctx, rest));
    }
    if let Some(rest) = path.strip_prefix("/admin/stock") {
        return Ok(stock::post(ctx, rest, form));
    }
    let target = path
        .strip_prefix("/admin/orders/")
        .and_then(|rest| rest.split_once('/'))
        .and_then(|(id, action)| Some((id, actions::Action::parse(action)?)));
    Ok(match target {
        Some((id, action)) if !id.is_empty() => actions::post(ctx, id, action, form),
        _ => web::html(404, not_found(ctx)),
    })
}
