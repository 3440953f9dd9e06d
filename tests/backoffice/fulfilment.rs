//! An admin at the panel, in headless Chromium, takes an invoiced order to its customer (the
//! tracking code, then the carrier's events), refunds a returned unit with return to stock, and
//! works the "Pendentes" list: an order paid short, explained, fixed and reprocessed; an
//! operator adjusts stock and sends a failed webhook delivery again.

use serde_json::{Value, json};

use crate::app::{App, json, text};
use crate::browser::{open_form, sign_in};
use crate::helpers::webdriver::Browser;
use crate::{operator, sample};

const SKU: &str = "CAM-P-AZ";

fn ok(reply: &crate::helpers::Reply, what: &str) -> Value {
    assert!(
        (200..300).contains(&reply.status),
        "{what}: {} {}",
        reply.status,
        reply.text()
    );
    json(reply)
}

/// The ERP's level of the sample's SKU at sp-1.
fn set_level(app: &App, on_hand: u32) {
    let level = app.client("erp_token").send(
        "PUT",
        &format!("/inventory/{SKU}/locations/sp-1"),
        &[],
        json!({ "onHand": on_hand }).to_string().as_bytes(),
    );
    ok(&level, "stock level");
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

#[test]
fn an_admin_ships_tracks_and_refunds_a_unit_back_to_stock() {
    let app = App::start("panel-fulfilment");
    operator(&app, "Paula Reis", "paula@loja.example", "admin");
    let admin = app.admin();
    set_level(&app, 10);
    let order = app.checkout().place(&sample::order("MLB-SHIP-1"));
    let id = text(&order, "id");
    let path = |p: &str| format!("/orders/{id}{p}");
    ok(
        &admin.post(&path("/payment"), &json!({"amount": sample::TOTAL})),
        "payment",
    );
    ok(&admin.post(&path("/handling"), &json!({})), "handling");
    let invoice = json!({
        "type": "output", "number": "7001", "series": "1", "key": sample::nfe_key(7001),
        "value": sample::TOTAL, "issuedAt": now(),
    });
    ok(&admin.post(&path("/invoices"), &invoice), "invoice");
    let on_hand = || json(&admin.get(&format!("/inventory/{SKU}")))["onHand"].clone();
    assert_eq!(on_hand(), 8, "two units sold");

    let base = format!("http://{}", app.addr());
    let browser = Browser::start("panel-fulfilment", 1280, 1000);
    sign_in(&browser, &base, "paula@loja.example");
    browser.goto(&format!("{base}{}", format_args!("/admin/orders/{id}")));
    // Invoiced: it can be shipped, not tracked yet.
    assert!(browser.has("form[action$='/shipment']"));
    assert!(!browser.has("form[action$='/tracking']"));

    open_form(&browser, "shipment");
    browser.fill("form[action$='/shipment'] input[name=carrier]", "Correios");
    browser.fill(
        "form[action$='/shipment'] input[name=number]",
        "BR123456789BR",
    );
    browser.click("form[action$='/shipment'] button");
    assert_eq!(browser.text("[role=status]"), "Rastreio adicionado.");
    assert!(
        browser.text("h1").contains("Enviado"),
        "{}",
        browser.text("h1")
    );
    assert!(browser.text("main").contains("BR123456789BR"));

    open_form(&browser, "tracking");
    browser.click("form[action$='/tracking'] select[name=status] option[value=delivered]");
    browser.fill("form[action$='/tracking'] input[name=city]", "Campinas");
    browser.fill("form[action$='/tracking'] input[name=state]", "SP");
    browser.click("form[action$='/tracking'] button");
    assert_eq!(
        browser.text("[role=status]"),
        "Evento de entrega registrado."
    );
    assert!(
        browser.text("h1").contains("Entregue"),
        "{}",
        browser.text("h1")
    );
    assert!(browser.text("main").contains("Campinas"));
    browser.screenshot("1-delivered");

    // One unit comes back: refunded, and back on the shelf.
    open_form(&browser, "refund");
    browser.fill("form[action$='/refund'] input[name=amount]", "49,90");
    browser.fill(
        &format!("form[action$='/refund'] input[name='qty.{SKU}']"),
        "1",
    );
    browser.click("form[action$='/refund'] input[name=returnToStock]");
    browser.screenshot("2-refund-form");
    browser.click("form[action$='/refund'] button[type=submit]");
    assert_eq!(browser.text("[role=status]"), "Reembolso registrado.");
    assert!(browser.text("main").contains("R$ 49,90"));
    browser.screenshot("3-refunded");
    assert_eq!(on_hand(), 9, "the returned unit is on hand again");

    let shown = json(&admin.get(&path("")));
    assert_eq!(shown["totals"]["refunded"], 4990);
    let by_paula: Vec<String> = shown["history"]
        .as_array()
        .expect("history")
        .iter()
        .filter(|h| h["operator"] == "Paula Reis")
        .map(|h| text(h, "event"))
        .collect();
    assert_eq!(
        by_paula.len(),
        3,
        "shipment, tracking and refund: {by_paula:?}"
    );
    assert_eq!(
        by_paula.last().map(String::as_str),
        Some("refunded"),
        "{by_paula:?}"
    );
}

#[test]
fn an_order_paid_short_is_explained_fixed_and_reprocessed_from_pendentes() {
    let app = App::start("panel-pending");
    operator(&app, "Bruna Lima", "bruna@loja.example", "operator");
    let admin = app.admin();
    let order = app.checkout().place(&sample::order("MLB-PEND-1"));
    let id = text(&order, "id");
    app.checkout().place(&sample::order("MLB-PEND-2"));
    // Paid R$ 10,00 short: the order has a problem.
    ok(
        &admin.post(
            &format!("/orders/{id}/payment"),
            &json!({"amount": sample::TOTAL - 1000}),
        ),
        "short payment",
    );

    let base = format!("http://{}", app.addr());
    let browser = Browser::start("panel-pending", 1280, 900);
    sign_in(&browser, &base, "bruna@loja.example");
    let tab = browser.text("ul.tabs a[href*='problems=true']");
    assert_eq!(tab, "Pendentes 1", "the tab counts it");
    assert!(browser.text("ul.tabs").contains("Aguardando pagamento 1"));
    browser.click("ul.tabs a[href*='problems=true']");
    let pending = browser.text("ul.pending");
    assert!(
        pending.contains("esperado R$ 114,80, recebido R$ 104,80"),
        "{pending}"
    );
    assert!(pending.contains("Faltam R$ 10,00"), "{pending}");
    browser.screenshot("1-pendentes");

    // The fix: the rest of the payment, approved on the order's page.
    browser.click("ul.pending a.button");
    open_form(&browser, "approve-payment");
    browser.click("form[action$='/approve-payment'] button");
    assert_eq!(browser.text("[role=status]"), "Pagamento aprovado.");

    // Back to "Pendentes": reprocessing clears the problem and the list empties.
    browser.goto(&format!("{base}/admin/orders?problems=true"));
    browser.click("ul.pending form[action$='/reprocess'] button");
    assert_eq!(browser.text("[role=status]"), "Pedido reprocessado.");
    assert!(browser.url().contains("problems=true"), "{}", browser.url());
    assert!(!browser.has("ul.pending"));
    assert_eq!(
        browser.text("ul.tabs a[href*='problems=true']"),
        "Pendentes"
    );
    browser.screenshot("2-reprocessed");
    let shown = json(&admin.get(&format!("/orders/{id}")));
    assert_eq!(shown["problems"], json!([]));
    assert_eq!(
        shown["history"]
            .as_array()
            .and_then(|h| h.last())
            .map(|h| h["operator"].clone()),
        Some(json!("Bruna Lima"))
    );
}

#[test]
fn an_operator_adjusts_stock_and_sends_a_failed_delivery_again() {
    let app = App::start("panel-stock-webhooks");
    operator(&app, "Bruna Lima", "bruna@loja.example", "operator");
    let admin = app.admin();
    set_level(&app, 10);
    // The ERP's receiver fails the first attempt and the retry 5 s later (the next would be in
    // 5 minutes), then takes everything.
    let erp = crate::helpers::receiver::Receiver::start(&[500, 500, 200]);
    let created = ok(
        &admin.post(
            "/webhooks/endpoints",
            &json!({"url": erp.url("/erp"), "types": ["order.placed"]}),
        ),
        "endpoint",
    );
    let endpoint = text(&created, "id");
    app.checkout().place(&sample::order("MLB-HOOK-1"));
    let deliveries = format!("/webhooks/endpoints/{endpoint}/deliveries");
    let first = |status: &str, attempts: usize| {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        loop {
            ok(&admin.post("/integrations/run", &json!({})), "pass");
            let log = json(&admin.get(&deliveries));
            if log["items"][0]["status"] == status && erp.received().len() == attempts {
                return;
            }
            assert!(std::time::Instant::now() < deadline, "{log}");
            std::thread::sleep(std::time::Duration::from_millis(200));
        }
    };
    first("retrying", 2);

    let base = format!("http://{}", app.addr());
    let browser = Browser::start("panel-stock-webhooks", 1280, 900);
    sign_in(&browser, &base, "bruna@loja.example");

    // Stock: the level, the reservation of the order, then a count that finds two fewer.
    browser.click("header nav a[href='/admin/stock']");
    assert!(browser.text("main table").contains(SKU));
    browser.click(&format!("main table a[href='/admin/stock/{SKU}']"));
    let page = browser.text("main");
    assert!(
        page.contains("Reserva") && page.contains("Nível do ERP"),
        "{page}"
    );
    browser.click("details.action summary");
    browser.fill("input[name=delta]", "-2");
    browser.fill("input[name=reason]", "contagem");
    browser.click("details.action button[type=submit]");
    assert_eq!(browser.text("[role=status]"), "Estoque ajustado.");
    assert!(browser.text("main").contains("contagem (Bruna Lima)"));
    browser.screenshot("1-stock");
    let stock = json(&admin.get(&format!("/inventory/{SKU}")));
    assert_eq!(stock["onHand"], 8, "{stock}");

    // Webhooks: the failed delivery, sent again from its log, and taken.
    browser.click("header nav a[href='/admin/webhooks']");
    browser.click("main table a");
    assert!(
        browser
            .text("table.deliveries")
            .contains("Tentando de novo")
    );
    browser.click("table.deliveries form button");
    assert_eq!(
        browser.text("[role=status]"),
        "Entrega colocada na fila para agora."
    );
    first("delivered", 3);
    browser.goto(&format!("{base}/admin/webhooks/{endpoint}"));
    assert!(browser.text("table.deliveries").contains("Entregue"));
    browser.screenshot("2-webhooks");
    assert_eq!(
        erp.received().len(),
        3,
        "two failed attempts, then the one taken"
    );
}
