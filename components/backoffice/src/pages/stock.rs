//! Stock: the tracked SKUs with their levels (by location, low stock), and each SKU with its
//! levels and its ledger of movements, where an operator adjusts a location's quantity (a
//! count, a breakage) with a reason that names them.

use http_common::path::percent_decode;
use http_common::types::Actor;
use http_common::{ApiError, Reply};
use inventory_client::inv::{self, Adjustment, PageRequest, Stock, StockFilter};
use inventory_client::render;
use maud::html;

use crate::i18n::{self, Lang};
use crate::pages::{layout, not_found, refusal_banner, service_error, shown_status};
use crate::web::{self, Ctx, field};

/// SKUs or movements per page.
const PAGE: u32 = 50;

/// `GET /admin/stock{rest}`.
pub(crate) fn get(ctx: &Ctx, rest: &str, query: &str) -> Reply {
    let form = web::form(query.as_bytes());
    match rest.strip_prefix('/') {
        None if rest.is_empty() => list(ctx, &form),
        Some(sku) if !sku.is_empty() && !sku.contains('/') => {
            let Some(sku) = percent_decode(sku) else {
                return web::html(404, not_found(ctx));
            };
            let done = field(&form, "done") == "adjust";
            sku_page(ctx, &sku, field(&form, "cursor"), done, None)
        }
        _ => web::html(404, not_found(ctx)),
    }
}

/// `POST /admin/stock/{sku}/adjust`.
pub(crate) fn post(ctx: &Ctx, rest: &str, form: &[(String, String)]) -> Reply {
    let Some(sku) = rest
        .strip_prefix('/')
        .and_then(|r| r.strip_suffix("/adjust"))
        .filter(|s| !s.is_empty() && !s.contains('/'))
    else {
        return web::html(404, not_found(ctx));
    };
    let Some(sku) = percent_decode(sku) else {
        return web::html(404, not_found(ctx));
    };
    let Some((operator, _)) = &ctx.who else {
        return web::redirect("/admin/sign-in");
    };
    let l = ctx.lang;
    let reason = field(form, "reason").trim();
    let refused = match field(form, "delta").trim().parse::<i64>() {
        Ok(delta) if delta != 0 => {
            let adjustment = Adjustment {
                sku: sku.clone(),
                location: field(form, "location").trim().to_owned(),
                delta,
                reason: if reason.is_empty() {
                    String::new()
                } else {
                    format!("{reason} ({})", operator.name)
                },
            };
            match inv::adjust(&adjustment, Actor::Admin) {
                Ok(_) => {
                    return web::redirect(&format!("/admin/stock/{}?done=adjust", encoded(&sku)));
                }
                Err(e) => render::error(e),
            }
        }
        _ => ApiError::new(
            422,
            "validation-failed",
            l.pick(
                "Quantidade: informe um número inteiro diferente de zero, como -2 ou 5.",
                "Quantity: give a whole number other than zero, such as -2 or 5.",
            ),
        ),
    };
    sku_page(ctx, &sku, "", false, Some(&refused))
}

fn list(ctx: &Ctx, form: &[(String, String)]) -> Reply {
    let l = ctx.lang;
    let location = field(form, "location").trim();
    let low = field(form, "low") == "true";
    let filter = StockFilter {
        location: Some(location.to_owned()).filter(|s| !s.is_empty()),
        low_stock: low,
    };
    let page = PageRequest {
        limit: PAGE,
        cursor: Some(field(form, "cursor").to_owned()).filter(|s| !s.is_empty()),
    };
    let listed = match inv::list(&filter, &page) {
        Ok(listed) => listed,
        Err(e) => return service_error(ctx, &render::error(e)),
    };
    let next = listed.next_cursor.as_ref().map(|cursor| {
        let mut link = form_urlencoded::Serializer::new(String::new());
        if !location.is_empty() {
            link.append_pair("location", location);
        }
        if low {
            link.append_pair("low", "true");
        }
        link.append_pair("cursor", cursor);
        format!("/admin/stock?{}", link.finish())
    });
    let content = html! {
        h1 { (l.pick("Estoque", "Stock")) }
        form.filters method="get" action="/admin/stock" role="search" {
            label { (l.pick("Local", "Location")) input name="location" value=(location); }
            label.check { input type="checkbox" name="low" value="true" checked[low]; (l.pick("Só estoque baixo", "Low stock only")) }
            button.primary type="submit" { (l.pick("Filtrar", "Filter")) }
        }
        @if listed.items.is_empty() {
            p.muted { (l.pick("Nenhum SKU com estoque controlado com estes filtros.", "No tracked SKU matches these filters.")) }
        } @else {
            div.scroll { table {
                thead { tr {
                    th scope="col" { "SKU" }
                    th.num scope="col" { (l.pick("Em estoque", "On hand")) }
                    th.num scope="col" { (l.pick("Reservado", "Reserved")) }
                    th.num scope="col" { (l.pick("Disponível", "Available")) }
                    th.num scope="col" { (l.pick("Estoque de segurança", "Safety stock")) }
                    th scope="col" { (l.pick("Locais", "Locations")) }
                } }
                tbody {
                    @for s in &listed.items {
                        tr {
                            td { a href={ "/admin/stock/" (encoded(&s.sku)) } { (s.sku) } }
                            td.num { (s.on_hand) } td.num { (s.reserved) }
                            td.num { @if low_here(s) { span.badge.on-hold { (s.available) } } @else { (s.available) } }
                            td.num { (s.safety_stock) }
                            td { (s.locations.iter().map(|x| x.location.as_str()).collect::<Vec<_>>().join(", ")) }
                        }
                    }
                }
            } }
        }
        @if let Some(next) = next {
            p.pager { a href=(next) rel="next" { (l.pick("Próxima página →", "Next page →")) } }
        }
    };
    web::html(200, layout(ctx, l.pick("Estoque", "Stock"), content))
}

fn sku_page(ctx: &Ctx, sku: &str, cursor: &str, done: bool, refused: Option<&ApiError>) -> Reply {
    let l = ctx.lang;
    let stock = match inv::get(sku) {
        Ok(stock) => stock,
        Err(inv::Error::NotTracked) => return web::html(404, not_found(ctx)),
        Err(e) => return service_error(ctx, &render::error(e)),
    };
    let page = PageRequest {
        limit: PAGE,
        cursor: Some(cursor.to_owned()).filter(|s| !s.is_empty()),
    };
    let movements = match inv::movements(sku, &page) {
        Ok(movements) => movements,
        Err(e) => return service_error(ctx, &render::error(e)),
    };
    let csrf = ctx.who.as_ref().map_or("", |(_, csrf)| csrf.as_str());
    let content = html! {
        @if let Some(error) = refused {
            (refusal_banner(l, &i18n::refusal(l, error), error, i18n::field_label))
        }
        @if done { p.notice role="status" { (l.pick("Estoque ajustado.", "Stock adjusted.")) } }
        p { a href="/admin/stock" { (l.pick("← Estoque", "← Stock")) } }
        h1 { (stock.sku) }
        dl {
            dt { (l.pick("Em estoque", "On hand")) } dd { (stock.on_hand) }
            dt { (l.pick("Reservado", "Reserved")) } dd { (stock.reserved) }
            dt { (l.pick("Disponível", "Available")) } dd { (stock.available) }
            dt { (l.pick("Estoque de segurança", "Safety stock")) } dd { (stock.safety_stock) }
            dt { (l.pick("Venda sem estoque", "Backorders")) } dd { (l.pick(if stock.allow_backorders { "sim" } else { "não" }, if stock.allow_backorders { "yes" } else { "no" })) }
        }
        h2 { (l.pick("Por local", "By location")) }
        div.scroll { table {
            thead { tr {
                th scope="col" { (l.pick("Local", "Location")) }
                th.num scope="col" { (l.pick("Em estoque", "On hand")) }
                th.num scope="col" { (l.pick("Reservado", "Reserved")) }
                th.num scope="col" { (l.pick("Disponível", "Available")) }
                th scope="col" { (l.pick("Atualizado pelo ERP", "Updated by the ERP")) }
            } }
            tbody {
                @for level in &stock.locations {
                    tr {
                        td { (level.location) } td.num { (level.on_hand) } td.num { (level.reserved) } td.num { (level.available) }
                        td { @if let Some(at) = &level.erp_updated_at { (i18n::time(l, ctx.zone, at)) } }
                    }
                }
            }
        } }
        details.action open[refused.is_some()] {
            summary { (l.pick("Ajustar estoque", "Adjust stock")) }
            form method="post" action={ "/admin/stock/" (encoded(&stock.sku)) "/adjust" } {
                input type="hidden" name="_csrf" value=(csrf);
                label { (l.pick("Local", "Location"))
                    select name="location" required {
                        @for level in &stock.locations { option value=(level.location) { (level.location) } }
                    }
                }
                label { (l.pick("Quantidade (+ entra, − sai)", "Quantity (+ in, − out)")) input name="delta" type="number" required step="1"; }
                label { (l.pick("Motivo", "Reason")) input name="reason" required maxlength="200"; }
                button type="submit" { (l.pick("Ajustar", "Adjust")) }
            }
        }
        h2 { (l.pick("Movimentações", "Movements")) }
        div.scroll { table {
            thead { tr {
                th scope="col" { "#" } th scope="col" { (l.pick("Quando", "When")) }
                th scope="col" { (l.pick("Local", "Location")) } th scope="col" { (l.pick("Motivo", "Reason")) }
                th.num scope="col" { (l.pick("Em estoque", "On hand")) } th.num scope="col" { (l.pick("Reservado", "Reserved")) }
                th scope="col" { (l.pick("Pedido", "Order")) }
            } }
            tbody {
                @for m in &movements.items {
                    tr {
                        td { (m.number) } td { (i18n::time(l, ctx.zone, &m.at)) } td { (m.location) }
                        td { (reason(l, &m.reason)) @if let Some(note) = &m.note { br; span.muted { (note) } } }
                        td.num { (signed(m.on_hand)) } td.num { (signed(m.reserved)) }
                        td { @if let Some(order) = &m.order_id { a href={ "/admin/orders/" (order) } { (order) } } }
                    }
                }
            }
        } }
        @if let Some(next) = &movements.next_cursor {
            p.pager { a href={ "/admin/stock/" (encoded(&stock.sku)) "?cursor=" (encoded(next)) } rel="next" { (l.pick("Mais movimentações →", "More movements →")) } }
        }
    };
    let status = refused.map_or(200, shown_status);
    web::html(status, layout(ctx, &stock.sku, content))
}

/// Whether a location of `s` is at or below its safety stock.
fn low_here(s: &Stock) -> bool {
    s.locations
        .iter()
        .any(|level| level.available <= i64::from(s.safety_stock))
}

/// A movement's reason, as the panel's language names it.
fn reason(l: Lang, reason: &str) -> &str {
    let (pt, en) = match reason {
        "level" => ("Nível do ERP", "ERP level"),
        "adjustment" => ("Ajuste", "Adjustment"),
        "reservation" => ("Reserva", "Reservation"),
        "release" => ("Liberação", "Release"),
        "sale" => ("Venda", "Sale"),
        "return" => ("Devolução", "Return"),
        other => return other,
    };
    l.pick(pt, en)
}

fn signed(n: i64) -> String {
    if n > 0 {
        format!("+{n}")
    } else {
        n.to_string()
    }
}

fn encoded(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}
