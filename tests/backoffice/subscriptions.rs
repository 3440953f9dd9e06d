//! An operator at the panel's subscriptions, in a real headless Chromium: the dashboard, a
//! subscription found by its customer, its cycle linking to its order, a refused then an accepted
//! schedule edit, an items edit, pausing it, and the plans; then the same pages on a phone-sized
//! screen. Each step keeps a screenshot under target/screenshots/.

use std::time::{Duration, Instant};

use chrono::{DateTime, TimeDelta, Utc};
use serde_json::{Value, json};

use crate::app::{App, Client, json, text};
use crate::helpers::webdriver::Browser;
use crate::{PASSWORD, operator};

/// The live subscription the operator pauses.
const ID: &str = "s-panel-1";

/// The subscription on a test clock, with one cycle charged.
const CLOCKED: &str = "s-panel-clock";

/// An instant as the API writes it.
fn rfc3339(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// A monthly coffee subscription (2 × 49.90 + 15.00 shipping = R$ 114,80 a cycle) on plan
/// `p-cafe`, starting at `start`.
fn coffee(id: &str, start: DateTime<Utc>) -> Value {
    json!({
        "id": id,
        "planId": "p-cafe",
        "startAt": rfc3339(start),
        "customer": {"id": "c-17", "name": "Ana Souza", "email": "ana@example.com", "document": "39053344705"},
        "shippingAddress": {
            "street": "Rua A", "number": "10", "neighborhood": "Centro",
            "city": "São Paulo", "state": "SP", "postalCode": "01001000", "country": "BRA"
        },
        "items": [{"sku": "CAF-1KG", "name": "Café 1 kg", "quantity": 2, "unitPrice": 4990}],
        "shipping": {"method": "PAC", "carrier": "Correios", "price": 1500},
        "payment": {"method": "credit-card"}
    })
}

/// Two plans; [`ID`], live, starting in a month (no pass charges it during the test); and
/// [`CLOCKED`] on a test clock frozen now, whose advance past its start makes cycle 1's order
/// (the cron runner never touches a clock's subscriptions). Answers that order's id.
fn subscriptions(admin: &Client) -> String {
    for plan in [
        json!({"id": "p-cafe", "name": "Café do mês", "schedule": {"every": 1, "unit": "month"},
               "timezone": "America/Sao_Paulo"}),
        json!({"id": "p-racao", "name": "Ração quinzenal", "schedule": {"every": 2, "unit": "week"},
               "purchaseDay": 5, "timezone": "America/Sao_Paulo", "maxCycles": 12}),
    ] {
        let reply = admin.post("/plans", &plan);
        assert_eq!(reply.status, 201, "{}", reply.text());
    }
    let now = Utc::now();
    let live = admin.post("/subscriptions", &coffee(ID, now + TimeDelta::days(30)));
    assert_eq!(live.status, 201, "{}", live.text());
    let clock = admin.post(
        "/test-clocks",
        &json!({"id": "tc-panel", "frozenTime": rfc3339(now)}),
    );
    assert_eq!(clock.status, 201, "{}", clock.text());
    let start = now + TimeDelta::hours(1);
    let mut clocked = coffee(CLOCKED, start);
    clocked["testClock"] = "tc-panel".into();
    let created = admin.post("/subscriptions", &clocked);
    assert_eq!(created.status, 201, "{}", created.text());
    let advanced = admin.post(
        "/test-clocks/tc-panel/advance",
        &json!({"frozenTime": rfc3339(start + TimeDelta::minutes(1))}),
    );
    assert_eq!(advanced.status, 200, "{}", advanced.text());
    assert_eq!(json(&advanced)["created"], 1, "{}", advanced.text());
    let cycles = json(&admin.get(&format!("/subscriptions/{CLOCKED}/cycles")));
    text(&cycles["items"][0], "orderId")
}

/// Waits until the browser shows an address containing `part` (a click may return before the
/// browser has followed it).
fn wait_for(browser: &Browser, part: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !browser.url().contains(part) {
        assert!(Instant::now() < deadline, "still at {}", browser.url());
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Signs `email` in with the test password and waits for the panel's first page, the orders.
fn sign_in(browser: &Browser, base: &str, email: &str) {
    browser.goto(&format!("{base}/admin/sign-in"));
    browser.fill("input[name=email]", email);
    browser.fill("input[name=password]", PASSWORD);
    browser.click("button[type=submit]");
    wait_for(browser, "/admin/orders");
}

/// Unfolds the form of `action` on a subscription's page.
fn open_form(browser: &Browser, action: &str) {
    browser.click(&format!("details:has(form[action$='/{action}']) summary"));
}

/// The page's width: nothing may be wider than the screen.
fn page_width(browser: &Browser) -> i64 {
    browser
        .script("return document.documentElement.scrollWidth")
        .as_i64()
        .unwrap_or(9999)
}

#[test]
fn an_operator_finds_a_subscription_and_pauses_it() {
    let app = App::start("panel-subscriptions");
    operator(&app, "Bruna Lima", "bruna@loja.example", "operator");
    let admin = app.admin();
    let order_id = subscriptions(&admin);
    let base = format!("http://{}", app.addr());

    let browser = Browser::start("panel-subscriptions", 1280, 1000);
    sign_in(&browser, &base, "bruna@loja.example");
    browser.click("header nav a[href='/admin/subscriptions']");
    wait_for(&browser, "/admin/subscriptions");
    assert_eq!(browser.text("h1"), "Assinaturas");
    // The dashboard counts live subscriptions; the list shows the test clock's too.
    let stats = browser.text("dl.stats");
    assert!(stats.contains("Ativas\n1\n"), "{stats}");
    let list = browser.text("table.subscriptions");
    assert!(
        list.contains(ID) && list.contains(CLOCKED) && list.contains("Ana Souza"),
        "{list}"
    );
    assert!(
        list.contains("R$ 114,80"),
        "per cycle, as pt-BR writes it: {list}"
    );
    browser.screenshot("1-dashboard");

    // Found by its customer, then by its tab; no canceled one.
    browser.click("details.filters-box summary");
    browser.fill("input[name=customer]", "ana@example.com");
    browser.click("form.filters button[type=submit]");
    assert!(browser.text("table.subscriptions").contains(ID));
    browser.click("ul.tabs a[href*='status=canceled']");
    wait_for(&browser, "status=canceled");
    assert!(
        !browser.has("table.subscriptions"),
        "no canceled subscription"
    );
    browser.click("ul.tabs a[href*='status=active']");
    wait_for(&browser, "status=active");

    // The clock's subscription: its cycle 1 links to the order it made.
    browser.click(&format!("table.subscriptions a[href$='/{CLOCKED}']"));
    wait_for(&browser, CLOCKED);
    assert!(
        browser.text("h1").contains(CLOCKED),
        "{}",
        browser.text("h1")
    );
    assert!(browser.text("table.cycles").contains("Pedido criado"));
    browser.click(&format!("table.cycles a[href='/admin/orders/{order_id}']"));
    wait_for(&browser, "/admin/orders/");
    assert!(
        browser.text("h1").starts_with("Pedido #"),
        "{}",
        browser.text("h1")
    );
    browser.goto(&format!("{base}/admin/subscriptions/{CLOCKED}"));
    browser.screenshot("2-cycles");

    // The live one: schedule, customer, items; an active one is paused, not resumed.
    browser.goto(&format!("{base}/admin/subscriptions?status=active"));
    browser.click(&format!("table.subscriptions a[href$='/{ID}']"));
    wait_for(&browser, ID);
    assert!(browser.text("h1").contains(ID), "{}", browser.text("h1"));
    assert!(browser.text("h1").contains("Ativa"));
    let page = browser.text("main");
    for expected in [
        "Café do mês",
        "A cada mês",
        "ana@example.com",
        "CAF-1KG",
        "R$ 114,80",
    ] {
        assert!(page.contains(expected), "{expected:?} in {page}");
    }
    assert!(page.contains("Nenhum ciclo"), "nothing charged yet: {page}");
    assert!(!browser.has("form[action$='/resume']"));
    browser.screenshot("3-subscription");

    // A schedule starting in the past: the service's refusal, the form open again as typed.
    let next_run = text(
        &json(&admin.get(&format!("/subscriptions/{ID}"))),
        "nextRunAt",
    );
    open_form(&browser, "schedule");
    browser.script("document.querySelector('input[name=anchor]').value = '2020-01-10T09:00'");
    browser.click("form[action$='/schedule'] button[type=submit]");
    let refused = browser.text("[role=alert]");
    assert!(refused.contains("anchor-in-the-past"), "{refused}");
    assert_eq!(
        browser.script("return document.querySelector('input[name=anchor]').value"),
        "2020-01-10T09:00"
    );
    browser.screenshot("4-refused");

    // Every two weeks from the same next charge (left as shown, it keeps its exact instant).
    browser.goto(&format!("{base}/admin/subscriptions/{ID}"));
    open_form(&browser, "schedule");
    browser.fill("form[action$='/schedule'] input[name=every]", "2");
    browser.script("document.querySelector('select[name=unit]').value = 'week'");
    browser.click("form[action$='/schedule'] button[type=submit]");
    wait_for(&browser, "done=schedule");
    assert_eq!(browser.text("[role=status]"), "Agenda alterada.");
    assert!(browser.text("main").contains("A cada 2 semanas"));
    let edited = json(&admin.get(&format!("/subscriptions/{ID}")));
    assert_eq!(edited["schedule"], json!({"every": 2, "unit": "week"}));
    assert_eq!(text(&edited, "nextRunAt"), next_run);

    // Three bags a cycle: R$ 164,70 with shipping.
    open_form(&browser, "items");
    browser.fill("form[action$='/items'] input[name='quantity.0']", "3");
    browser.script("document.querySelector(\"form[action$='/items']\").scrollIntoView()");
    browser.screenshot("5-items");
    browser.click("form[action$='/items'] button[type=submit]");
    wait_for(&browser, "done=items");
    assert_eq!(browser.text("[role=status]"), "Itens alterados.");
    assert!(browser.text("main").contains("R$ 164,70"));

    // Paused through its form, with a reason.
    open_form(&browser, "pause");
    browser.fill(
        "form[action$='/pause'] input[name=reason]",
        "Cliente viajando",
    );
    browser.click("form[action$='/pause'] button[type=submit]");
    wait_for(&browser, "done=pause");
    assert_eq!(browser.text("[role=status]"), "Assinatura pausada.");
    assert!(
        browser.text("h1").contains("Pausada"),
        "{}",
        browser.text("h1")
    );
    assert!(browser.text("main").contains("Cliente viajando"));
    assert!(browser.has("form[action$='/resume']") && !browser.has("form[action$='/pause']"));
    browser.screenshot("6-paused");
    let shown = admin.get(&format!("/subscriptions/{ID}"));
    assert!(
        shown.text().contains("\"status\":\"paused\""),
        "{}",
        shown.text()
    );
    assert_eq!(json(&shown)["pauseReason"], "Cliente viajando");

    // Back to the list, now counting one paused; then the plans, with their schedules.
    browser.click("main a[href='/admin/subscriptions']");
    assert!(browser.text("dl.stats").contains("Pausadas\n1\n"));
    browser.click("nav.section a[href$='/plans']");
    let plans = browser.text("table.plans");
    for expected in [
        "Café do mês",
        "A cada mês",
        "Ração quinzenal",
        "A cada 2 semanas",
        "sexta-feira",
    ] {
        assert!(plans.contains(expected), "{expected:?} in {plans}");
    }
    browser.screenshot("7-plans");

    // In English, on a phone: nothing wider than the screen, the edit forms open included.
    let phone = Browser::start("panel-subscriptions-phone", 390, 844);
    sign_in(&phone, &base, "bruna@loja.example");
    phone.click("a[lang=en]");
    let deadline = Instant::now() + Duration::from_secs(10);
    while phone.script("return document.documentElement.lang") != "en" {
        assert!(Instant::now() < deadline, "still in {}", phone.url());
        std::thread::sleep(Duration::from_millis(100));
    }
    let fits = |step: &str| {
        let width = page_width(&phone);
        let shot = phone.screenshot(step);
        assert!(
            width <= 390,
            "{step}: page width {width} (see {})",
            shot.display()
        );
    };
    phone.goto(&format!("{base}/admin/subscriptions"));
    fits("1-dashboard");
    phone.goto(&format!("{base}/admin/subscriptions/{CLOCKED}"));
    fits("2-subscription");
    phone.script("document.getElementById('cycles').scrollIntoView()");
    fits("3-cycles");
    phone.goto(&format!("{base}/admin/subscriptions/{ID}"));
    assert!(phone.text("h1").contains("Paused"), "{}", phone.text("h1"));
    open_form(&phone, "schedule");
    phone.script("document.querySelector(\"form[action$='/schedule']\").scrollIntoView()");
    fits("4-schedule");
    open_form(&phone, "items");
    phone.script("document.querySelector(\"form[action$='/items']\").scrollIntoView()");
    fits("5-items");
    phone.goto(&format!("{base}/admin/subscriptions/plans"));
    fits("6-plans");
}
