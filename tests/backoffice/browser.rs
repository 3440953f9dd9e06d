//! An operator at the panel, in a real headless Chromium: signs in, finds an order by filter,
//! opens it, reads its history, switches to English, signs out; and the same list on a
//! phone-sized screen. Each step keeps a screenshot under target/screenshots/.

use serde_json::Value;

use crate::app::{App, json, text};
use crate::helpers::webdriver::Browser;
use crate::{PASSWORD, operator, sample};

#[test]
fn an_operator_signs_in_finds_an_order_and_reads_it() {
    let app = App::start("panel-browse");
    operator(&app, "Bruna Lima", "bruna@loja.example", "operator");
    let checkout = app.checkout();
    let mut other = sample::order("MLB-PANEL-2");
    other["customer"]["name"] = "Carlos Pereira".into();
    other["customer"]["email"] = "carlos@example.com".into();
    let ana = checkout.place(&sample::order("MLB-PANEL-1"));
    let carlos = checkout.place(&other);
    assert_eq!(carlos["totals"]["total"], sample::TOTAL, "R$ 114,80 below");
    let base = format!("http://{}", app.addr());

    let browser = Browser::start("panel-browse", 1280, 900);
    // Without a session, the panel sends the operator to sign in.
    browser.goto(&format!("{base}/admin/"));
    assert!(
        browser.url().contains("/admin/sign-in"),
        "{}",
        browser.url()
    );
    assert!(browser.text("h1").contains("Entrar"), "pt-BR by default");
    browser.fill("input[name=email]", "bruna@loja.example");
    browser.fill("input[name=password]", "wrong password, surely");
    browser.click("button[type=submit]");
    assert!(
        browser
            .text("[role=alert]")
            .contains("E-mail ou senha incorretos")
    );
    browser.screenshot("1-refused");
    browser.fill("input[name=password]", PASSWORD);
    browser.click("button[type=submit]");
    assert!(
        browser.url().ends_with("/admin/orders"),
        "{}",
        browser.url()
    );
    assert!(browser.text("header").contains("Bruna Lima"));
    let list = browser.text("table.orders");
    assert!(
        list.contains("Ana Souza") && list.contains("Carlos Pereira"),
        "{list}"
    );
    assert!(
        list.contains("R$ 114,80"),
        "money as pt-BR writes it: {list}"
    );
    browser.screenshot("2-orders");

    // Found by the free-text filter (the filters fold until one is set), then by its tab.
    browser.click("details.filters-box summary");
    browser.fill("input[name=q]", "Carlos");
    browser.click("form.filters button[type=submit]");
    let found = browser.text("table.orders");
    assert!(
        found.contains("Carlos Pereira") && !found.contains("Ana Souza"),
        "{found}"
    );
    browser.click("ul.tabs a[href*='status=payment-pending']");
    assert!(browser.url().contains("status=payment-pending") && browser.url().contains("q=Carlos"));
    assert!(browser.text("table.orders").contains("Carlos Pereira"));
    browser.click("ul.tabs a[href*='status=canceled']");
    assert!(!browser.has("table.orders"), "no canceled order");
    browser.screenshot("3-filtered");

    // The order: customer, items, totals and the history.
    browser.goto(&format!("{base}/admin/orders/{}", text(&carlos, "id")));
    assert!(
        browser
            .text("h1")
            .contains(&format!("#{}", carlos["number"]))
    );
    let page = browser.text("main");
    for expected in [
        "carlos@example.com",
        "CAM-P-AZ",
        "R$ 114,80",
        "Pedido realizado",
        "Loja (checkout)",
    ] {
        assert!(page.contains(expected), "{expected:?} in {page}");
    }
    browser.screenshot("4-order");

    // English on request, kept across pages.
    browser.click("a[lang=en]");
    assert!(
        browser.text("h1").starts_with("Order #"),
        "{}",
        browser.text("h1")
    );
    assert!(browser.text("main").contains("R$114.80"));
    browser.goto(&format!("{base}/admin/orders/{}", text(&ana, "id")));
    assert!(browser.text("main").contains("Order placed"));
    browser.screenshot("5-english");

    // Signed out, the panel is closed again.
    browser.click("header form button");
    assert!(browser.url().contains("/admin/sign-in"));
    browser.goto(&format!("{base}/admin/orders"));
    assert!(
        browser.url().contains("/admin/sign-in"),
        "{}",
        browser.url()
    );
}

#[test]
fn the_list_fits_a_phone_and_works_from_the_keyboard() {
    let app = App::start("panel-phone");
    operator(&app, "Bruna Lima", "bruna@loja.example", "admin");
    app.checkout().place(&sample::order("MLB-PHONE-1"));
    let base = format!("http://{}", app.addr());
    let browser = Browser::start("panel-phone", 390, 844);
    browser.goto(&format!("{base}/admin/sign-in"));
    // The keyboard alone: the email field has the focus; Tab to the password; Enter submits.
    browser.keys("bruna@loja.example\u{E004}");
    browser.keys(PASSWORD);
    browser.keys("\u{E007}");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !browser.url().ends_with("/admin/orders") {
        if std::time::Instant::now() > deadline {
            let shot = browser.screenshot("0-stuck");
            panic!("still at {} (see {})", browser.url(), shot.display());
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    // Nothing wider than the screen.
    let width = browser.script("return document.documentElement.scrollWidth");
    assert!(width.as_i64().unwrap_or(9999) <= 390, "page width {width}");
    assert!(browser.text("table.orders").contains("Ana Souza"));
    browser.screenshot("1-orders");
}

/// Unfolds the form of `action` on an order's page.
pub(crate) fn open_form(browser: &Browser, action: &str) {
    browser.click(&format!("details:has(form[action$='/{action}']) summary"));
}

/// Signs `email` in with the test password and waits for the orders page.
pub(crate) fn sign_in(browser: &Browser, base: &str, email: &str) {
    browser.goto(&format!("{base}/admin/sign-in"));
    browser.fill("input[name=email]", email);
    browser.fill("input[name=password]", PASSWORD);
    browser.click("button[type=submit]");
    assert!(
        browser.url().ends_with("/admin/orders"),
        "{}",
        browser.url()
    );
}

#[test]
fn an_operator_approves_handles_and_invoices_and_the_history_names_them() {
    let app = App::start("panel-actions");
    operator(&app, "Bruna Lima", "bruna@loja.example", "operator");
    let order = app.checkout().place(&sample::order("MLB-ACT-1"));
    let id = text(&order, "id");
    let base = format!("http://{}", app.addr());
    let page = format!("{base}/admin/orders/{id}");
    let browser = Browser::start("panel-actions", 1280, 1000);
    sign_in(&browser, &base, "bruna@loja.example");
    browser.goto(&page);
    // A pending pix order offers approval, not handling or invoicing.
    assert!(browser.has("form[action$='/approve-payment']"));
    assert!(
        !browser.has("form[action$='/start-handling']") && !browser.has("form[action$='/invoice']")
    );
    browser.screenshot("1-pending");

    // The amount is the balance, as the operator reads it (R$ 114,80).
    open_form(&browser, "approve-payment");
    assert_eq!(
        browser.script("return document.querySelector('input[name=amount]').value"),
        "114,80"
    );
    browser.click("form[action$='/approve-payment'] button");
    assert_eq!(browser.text("[role=status]"), "Pagamento aprovado.");
    assert!(browser.text("h1").contains("Pagamento aprovado"));
    browser.click("form[action$='/start-handling'] button");
    assert_eq!(browser.text("[role=status]"), "Preparação iniciada.");

    // An NF-e key whose check digit is wrong: the service's refusal, on the page.
    let good = sample::nfe_key(5001);
    let mut bad = good.clone();
    let last = bad.pop().and_then(|c| c.to_digit(10)).unwrap_or(0);
    bad.push(char::from_digit((last + 1) % 10, 10).unwrap_or('0'));
    open_form(&browser, "invoice");
    browser.fill("form[action$='/invoice'] input[name=number]", "5001");
    browser.fill("form[action$='/invoice'] input[name=key]", &bad);
    browser.click("form[action$='/invoice'] button");
    let refused = browser.text("[role=alert]");
    assert!(refused.contains("dígito verificador inválido"), "{refused}");
    // The form comes back open with what was typed.
    let typed = browser.script(
        "return document.querySelector(\"form[action$='/invoice'] input[name=key]\").value",
    );
    assert_eq!(typed, bad.as_str());
    browser.screenshot("2-refused");
    browser.fill("form[action$='/invoice'] input[name=number]", "5001");
    browser.fill("form[action$='/invoice'] input[name=key]", &good);
    browser.click("form[action$='/invoice'] button");
    assert_eq!(browser.text("[role=status]"), "Nota fiscal registrada.");
    assert!(browser.text("h1").contains("Faturado"));
    assert!(browser.text("main").contains(&good));
    assert!(
        browser.text("main").contains("Bruna Lima"),
        "the history names her"
    );
    browser.screenshot("3-invoiced");

    // The API shows the same history: each step by the admin actor, under her name.
    let shown = json(&app.admin().get(&format!("/orders/{id}")));
    let steps: Vec<(String, Value, Value)> = shown["history"]
        .as_array()
        .expect("history")
        .iter()
        .map(|h| (text(h, "event"), h["actor"].clone(), h["operator"].clone()))
        .collect();
    let bruna = Value::from("Bruna Lima");
    let admin = Value::from("admin");
    assert_eq!(
        steps,
        [
            (
                "order-placed".to_owned(),
                Value::from("checkout"),
                Value::Null
            ),
            ("payment-approved".to_owned(), admin.clone(), bruna.clone()),
            ("handling-started".to_owned(), admin.clone(), bruna.clone()),
            ("invoiced".to_owned(), admin, bruna),
        ]
    );

    // A form the order moved past meanwhile is refused, not applied over the change.
    browser.goto(&page);
    let commented = app.admin().post(
        &format!("/orders/{id}/comments"),
        &serde_json::json!({"text": "from the API"}),
    );
    assert_eq!(commented.status, 200, "{}", commented.text());
    open_form(&browser, "comment");
    browser.fill("form[action$='/comment'] textarea", "from the panel");
    browser.click("form[action$='/comment'] button");
    assert!(browser.text("[role=alert]").contains("version-mismatch"));
}
