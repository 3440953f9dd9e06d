//! The webhook endpoints (read from the integrations' own keys, as the integrations API does):
//! each with its filters and state, and its delivery log, newest first, where a failed or dead
//! delivery can be sent again. Creating and changing endpoints (configuration, and a secret
//! shown once) stays with the API's admin token.

use std::time::SystemTime;

use http_common::{ApiError, Reply};
use integrations_service::delivery::{Delivery, DeliveryStatus};
use integrations_service::endpoint::{Endpoints, Kind, View};
use maud::{Markup, html};
use orderflow_domain::values::Timestamp;
use orderflow_kv::SpinKv;

use crate::i18n::{self, Lang};
use crate::pages::{layout, not_found, service_error};
use crate::web::{self, Ctx, field};

/// Deliveries per page of the log.
const PAGE: usize = 25;

fn endpoints(kv: &SpinKv) -> Endpoints<'_, SpinKv> {
    Endpoints::new(
        kv,
        Timestamp::from_system_time(SystemTime::now()),
        orderflow_kv::write::nonce(),
    )
}

/// `GET /admin/webhooks{rest}`: the endpoints, or one with its deliveries.
pub(crate) fn get(ctx: &Ctx, rest: &str, query: &str) -> Reply {
    let kv = match web::kv() {
        Ok(kv) => kv,
        Err(e) => return service_error(ctx, &e),
    };
    match rest.strip_prefix('/') {
        None if rest.is_empty() => list(ctx, &endpoints(&kv)),
        Some(id) if !id.is_empty() && !id.contains('/') => {
            let form = web::form(query.as_bytes());
            let before = field(&form, "before").parse().ok();
            let notice = (field(&form, "done") == "retry").then(|| {
                ctx.lang.pick(
                    "Entrega colocada na fila para agora.",
                    "Delivery queued for now.",
                )
            });
            endpoint(ctx, &endpoints(&kv), id, before, notice)
        }
        _ => web::html(404, not_found(ctx)),
    }
}

/// `POST /admin/webhooks/{id}/deliveries/{n}/retry`.
pub(crate) fn post(ctx: &Ctx, rest: &str) -> Reply {
    let parts: Vec<&str> = rest.trim_start_matches('/').split('/').collect();
    let (id, number) = match parts.as_slice() {
        [id, "deliveries", number, "retry"] => match number.parse::<u64>() {
            Ok(number) => (*id, number),
            Err(_) => return web::html(404, not_found(ctx)),
        },
        _ => return web::html(404, not_found(ctx)),
    };
    let kv = match web::kv() {
        Ok(kv) => kv,
        Err(e) => return service_error(ctx, &e),
    };
    match endpoints(&kv).retry(id, number) {
        Ok(_) => web::redirect(&format!("/admin/webhooks/{id}?done=retry")),
        Err(e) => {
            let error = ApiError::from_endpoint(e);
            if error.status() == 404 {
                return web::html(404, not_found(ctx));
            }
            service_error(ctx, &error)
        }
    }
}

fn list(ctx: &Ctx, endpoints: &Endpoints<'_, SpinKv>) -> Reply {
    let l = ctx.lang;
    let all = match endpoints.list() {
        Ok(all) => all,
        Err(e) => return service_error(ctx, &ApiError::from_endpoint(e)),
    };
    let content = html! {
        h1 { "Webhooks" }
        p.muted { (l.pick(
            "Endereços que recebem os eventos da loja. Cadastre e altere pela API (POST /webhooks/endpoints, token de administrador).",
            "Addresses that receive the store's events. Create and change them through the API (POST /webhooks/endpoints, admin token).",
        )) }
        @if all.is_empty() {
            p.muted { (l.pick("Nenhum endpoint cadastrado.", "No endpoint yet.")) }
        } @else {
            div.scroll { table {
                thead { tr {
                    th scope="col" { "URL" } th scope="col" { (l.pick("Tipo", "Kind")) }
                    th scope="col" { (l.pick("Eventos", "Events")) } th scope="col" { "Status" }
                    th.num scope="col" { (l.pick("Na fila", "Queued")) }
                } }
                tbody {
                    @for e in &all {
                        tr {
                            td { a href={ "/admin/webhooks/" (e.id) } { (e.url) }
                                @if let Some(d) = &e.description { br; span.muted { (d) } } }
                            td { (kind(l, e.kind)) }
                            td { (types(l, e)) }
                            td { (state(l, ctx, e)) }
                            td.num { (e.queued) }
                        }
                    }
                }
            } }
        }
    };
    web::html(200, layout(ctx, "Webhooks", content))
}

fn endpoint(
    ctx: &Ctx,
    endpoints: &Endpoints<'_, SpinKv>,
    id: &str,
    before: Option<u64>,
    notice: Option<&str>,
) -> Reply {
    let l = ctx.lang;
    let (view, (deliveries, next)) = match endpoints
        .get(id)
        .and_then(|view| Ok((view, endpoints.deliveries(id, before, PAGE)?)))
    {
        Ok(found) => found,
        Err(e) => {
            let error = ApiError::from_endpoint(e);
            if error.status() == 404 {
                return web::html(404, not_found(ctx));
            }
            return service_error(ctx, &error);
        }
    };
    let csrf = ctx.who.as_ref().map_or("", |(_, csrf)| csrf.as_str());
    let content = html! {
        @if let Some(notice) = notice { p.notice role="status" { (notice) } }
        p { a href="/admin/webhooks" { "← Webhooks" } }
        h1 { (view.url) }
        dl {
            dt { (l.pick("Tipo", "Kind")) } dd { (kind(l, view.kind)) }
            dt { (l.pick("Eventos", "Events")) } dd { (types(l, &view)) }
            dt { "Status" } dd { (state(l, ctx, &view)) }
            dt { (l.pick("Criado em", "Created")) } dd { (i18n::time(l, ctx.zone, &view.created_at.to_string())) }
        }
        h2 { (l.pick("Entregas", "Deliveries")) }
        @if deliveries.is_empty() {
            p.muted { (l.pick("Nenhuma entrega ainda.", "No delivery yet.")) }
        } @else {
            div.scroll { table.deliveries {
                thead { tr {
                    th scope="col" { "#" } th scope="col" { (l.pick("Evento", "Event")) }
                    th scope="col" { "Status" } th scope="col" { (l.pick("Última tentativa", "Last attempt")) }
                    th scope="col" { (l.pick("Próxima", "Next")) } th scope="col" { (l.pick("Ação", "Action")) }
                } }
                tbody {
                    @for d in &deliveries {
                        tr {
                            td { (d.number) }
                            td { (d.event_type) br; code.muted { (d.event_id) } }
                            td { (delivery_badge(l, d.status)) " " (d.attempts.len()) "×" }
                            td { (last_attempt(l, ctx, d)) }
                            td { @if let Some(at) = d.next_attempt_at { (i18n::time(l, ctx.zone, &at.to_string())) } }
                            td {
                                @if matches!(d.status, DeliveryStatus::Dead | DeliveryStatus::Retrying) {
                                    form method="post" action={ "/admin/webhooks/" (view.id) "/deliveries/" (d.number) "/retry" } {
                                        input type="hidden" name="_csrf" value=(csrf);
                                        button type="submit" { (l.pick("Reenviar", "Send again")) " #" (d.number) }
                                    }
                                }
                            }
                        }
                    }
                }
            } }
            @if let Some(next) = next {
                p.pager { a href={ "/admin/webhooks/" (view.id) "?before=" (next) } rel="next" { (l.pick("Entregas anteriores →", "Older deliveries →")) } }
            }
        }
    };
    web::html(200, layout(ctx, "Webhooks", content))
}

fn kind(l: Lang, kind: Kind) -> &'static str {
    match kind {
        Kind::Webhook => "Webhook",
        Kind::CustomerNotification => l.pick("E-mails ao cliente", "Customer emails"),
    }
}

fn types(l: Lang, e: &View) -> String {
    if e.filter.types.is_empty() {
        l.pick("todos", "all").to_owned()
    } else {
        e.filter.types.join(", ")
    }
}

fn state(l: Lang, ctx: &Ctx, e: &View) -> Markup {
    html! {
        @if e.enabled {
            span.badge.delivered { (l.pick("Ativo", "Enabled")) }
            @if let Some(since) = e.failing_since {
                " " span.muted { (l.pick("falhando desde ", "failing since ")) (i18n::time(l, ctx.zone, &since.to_string())) }
            }
        } @else {
            span.badge.canceled { (l.pick("Desativado", "Disabled")) }
            @if let Some(reason) = &e.disabled_reason { " " span.muted { (reason) } }
        }
    }
}

fn delivery_badge(l: Lang, status: DeliveryStatus) -> Markup {
    let (class, pt, en) = match status {
        DeliveryStatus::Pending => ("payment-pending", "Na fila", "Queued"),
        DeliveryStatus::Retrying => ("delivery-difficulty", "Tentando de novo", "Retrying"),
        DeliveryStatus::Delivered => ("delivered", "Entregue", "Delivered"),
        DeliveryStatus::Dead => ("on-hold", "Falhou", "Failed"),
    };
    html! { span class={ "badge " (class) } { (l.pick(pt, en)) } }
}

fn last_attempt(l: Lang, ctx: &Ctx, d: &Delivery) -> Markup {
    html! {
        @if let Some(a) = d.attempts.last() {
            (i18n::time(l, ctx.zone, &a.at.to_string())) " · "
            @match a.status { Some(status) => { "HTTP " (status) }, None => { (a.answer) } }
            " · " (a.latency_ms) " ms"
        }
    }
}
