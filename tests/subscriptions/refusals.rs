//! Auth, bad input and the other refusals: every one a 4xx with an error code, never a 5xx; and
//! the routes around a subscription (plans, edits, listings, stats).

use serde_json::{Value, json};

use crate::app::{App, error_code, json};
use crate::sample::{self, create, cycles, get, order_of, run};

/// Every route of the component, with a body where it takes one.
fn routes() -> Vec<(&'static str, &'static str)> {
    vec![
        ("GET", "/plans"),
        ("POST", "/plans"),
        ("GET", "/plans/p-1"),
        ("GET", "/subscriptions"),
        ("POST", "/subscriptions"),
        ("GET", "/subscriptions/stats"),
        ("POST", "/subscriptions/run"),
        ("POST", "/subscriptions/run/shard"),
        ("POST", "/subscriptions/check"),
        ("GET", "/subscriptions/s-1"),
        ("PATCH", "/subscriptions/s-1"),
        ("POST", "/subscriptions/s-1/pause"),
        ("POST", "/subscriptions/s-1/resume"),
        ("POST", "/subscriptions/s-1/cancel"),
        ("POST", "/subscriptions/s-1/skip"),
        ("GET", "/subscriptions/s-1/cycles"),
        ("GET", "/test-clocks"),
        ("POST", "/test-clocks"),
        ("GET", "/test-clocks/tc-1"),
        ("DELETE", "/test-clocks/tc-1"),
        ("POST", "/test-clocks/tc-1/advance"),
    ]
}

#[test]
fn auth_failures_are_401_and_the_checkout_may_only_create() {
    let app = App::start("sub-auth");
    let body = sample::monthly("s-auth", "2028-06-01T15:00:00Z").to_string();
    for authorization in [
        None,
        Some("Bearer wrong"),
        Some("Basic e2e-admin_token-0123456789"),
        Some("Bearer e2e-erp_token-0123456789"),
    ] {
        let client = app.with_authorization(authorization);
        for (method, path) in routes() {
            let reply = client.send(method, path, &[], body.as_bytes());
            assert_eq!(
                reply.status,
                401,
                "{method} {path} with {authorization:?}: {}",
                reply.text()
            );
            assert_eq!(error_code(&reply), "unauthorized");
            assert_eq!(reply.header("www-authenticate"), Some("Bearer"));
        }
    }
    let checkout = app.checkout();
    for (method, path) in routes() {
        if (method, path) == ("POST", "/subscriptions") {
            continue;
        }
        let reply = checkout.send(method, path, &[], b"{}");
        assert_eq!(reply.status, 403, "{method} {path}: {}", reply.text());
        assert_eq!(error_code(&reply), "forbidden");
    }
    let created = checkout.post(
        "/subscriptions",
        &sample::monthly("s-auth", "2028-06-01T15:00:00Z"),
    );
    assert_eq!(created.status, 201, "{}", created.text());
    assert_eq!(get(&app.admin(), "s-auth")["status"], "active");
}

/// `sample::monthly` with `f` applied.
fn monthly_with(f: impl FnOnce(&mut Value)) -> Value {
    let mut body = sample::monthly("s-bad", "2028-06-01T15:00:00Z");
    f(&mut body);
    body
}

#[test]
fn bad_bodies_and_queries_are_4xx_with_a_code_never_5xx() {
    let app = App::start("sub-refusals");
    let admin = app.admin();
    let raw = |method: &str, path: &str, body: &[u8]| admin.send(method, path, &[], body);
    let check = |reply: crate::helpers::Reply, status: u16, code: &str, what: &str| {
        assert_eq!(reply.status, status, "{what}: {}", reply.text());
        assert_eq!(error_code(&reply), code, "{what}");
        reply
    };

    // Malformed JSON and wrong types: 400, naming the field.
    check(
        raw("POST", "/subscriptions", b"{"),
        400,
        "malformed-json",
        "truncated JSON",
    );
    check(
        raw("POST", "/subscriptions", b"\xff\xfe"),
        400,
        "malformed-json",
        "not UTF-8",
    );
    check(
        raw("POST", "/subscriptions", b"[1, 2]"),
        400,
        "wrong-type",
        "an array",
    );
    let items = check(
        admin.post(
            "/subscriptions",
            &monthly_with(|b| b["items"] = json!("coffee")),
        ),
        400,
        "wrong-type",
        "items as a string",
    );
    assert_eq!(json(&items)["error"]["details"]["field"], "items");
    check(
        admin.post(
            "/subscriptions",
            &monthly_with(|b| b["items"][0]["unitPrice"] = json!(49.9)),
        ),
        400,
        "wrong-type",
        "a price with a fraction",
    );
    check(
        admin.post("/subscriptions/run", &json!({"now": 5})),
        422,
        "test-clock-required",
        "now as a number",
    );
    check(
        raw("POST", "/subscriptions/run", b"now"),
        400,
        "malformed-json",
        "run with text",
    );

    // Well-formed but invalid: 422 with one entry per field.
    let missing = check(
        admin.post(
            "/subscriptions",
            &json!({"startAt": "2028-06-01T15:00:00Z"}),
        ),
        422,
        "validation-failed",
        "no customer, address, items, shipping, payment, schedule",
    );
    let fields: Vec<String> = json(&missing)["error"]["details"]["fields"]
        .as_array()
        .expect("fields")
        .iter()
        .filter_map(|f| f["field"].as_str().map(str::to_owned))
        .collect();
    for field in [
        "customer",
        "shippingAddress",
        "items",
        "shipping",
        "payment",
        "schedule",
    ] {
        assert!(fields.iter().any(|f| f == field), "{field} in {fields:?}");
    }
    for (what, body) in [
        (
            "an unknown time zone",
            monthly_with(|b| b["timezone"] = json!("Mars/Olympus")),
        ),
        (
            "an unknown unit",
            monthly_with(|b| b["schedule"] = json!({"every": 1, "unit": "fortnight"})),
        ),
        (
            "every and cron",
            monthly_with(|b| {
                b["schedule"] = json!({"every": 1, "unit": "day", "cron": "0 0 12 * * *"})
            }),
        ),
        (
            "a bad cron expression",
            monthly_with(|b| b["schedule"] = json!({"cron": "every day"})),
        ),
        (
            "a start that is not a time",
            monthly_with(|b| b["startAt"] = json!("tomorrow")),
        ),
        (
            "an unknown payment method",
            monthly_with(|b| b["payment"]["method"] = json!("cash")),
        ),
        (
            "a bad email",
            monthly_with(|b| b["customer"]["email"] = json!("ana")),
        ),
        (
            "an unknown plan",
            monthly_with(|b| b["planId"] = json!("p-none")),
        ),
        (
            "a purchase day of 400",
            monthly_with(|b| b["purchaseDay"] = json!(400)),
        ),
    ] {
        let reply = admin.post("/subscriptions", &body);
        assert_eq!(reply.status, 422, "{what}: {}", reply.text());
    }
    check(
        admin.post("/plans", &json!({})),
        422,
        "validation-failed",
        "an empty plan",
    );
    // A live pass never runs at another instant: test clocks do that.
    check(
        admin.post(
            "/subscriptions/run",
            &json!({"now": "2099-01-01T00:00:00Z"}),
        ),
        422,
        "test-clock-required",
        "a live pass in the future",
    );
    let shard = |body: Value| admin.post("/subscriptions/run/shard", &body);
    let now = "2026-01-01T00:00:00Z";
    for (body, what) in [
        (
            json!({"now": "2099-01-01T00:00:00Z", "index": 0, "count": 2}),
            "a live shard in the future",
        ),
        (json!({"now": now, "index": 2, "count": 2}), "shard 2 of 2"),
        (json!({"now": now, "index": 0, "count": 0}), "shard 0 of 0"),
        (json!({"now": now, "index": 0}), "a shard without its count"),
        (json!({"index": 0, "count": 2}), "a shard without its clock"),
    ] {
        check(shard(body), 422, "validation-failed", what);
    }
    check(
        shard(json!({"now": now, "index": "0", "count": 2})),
        400,
        "wrong-type",
        "a shard index as text",
    );

    // Over 256 KiB: 413.
    let big = format!("{{\"padding\": \"{}\"}}", "x".repeat(300 * 1024));
    check(
        raw("POST", "/subscriptions", big.as_bytes()),
        413,
        "body-too-large",
        "300 KiB",
    );

    // Queries.
    check(
        admin.get("/subscriptions?limit=0"),
        422,
        "validation-failed",
        "limit 0",
    );
    check(
        admin.get("/subscriptions?limit=ten"),
        400,
        "wrong-type",
        "limit ten",
    );
    check(
        admin.get("/subscriptions?status=late"),
        422,
        "validation-failed",
        "unknown status",
    );
    check(
        admin.get("/subscriptions?status=active&customer=c-17"),
        422,
        "one-filter-at-a-time",
        "two filters",
    );

    // Unknown resources and methods.
    check(
        admin.get("/subscriptions/s-none"),
        404,
        "not-found",
        "unknown subscription",
    );
    check(
        admin.post("/subscriptions/s-none/pause", &json!({})),
        404,
        "not-found",
        "pause unknown",
    );
    check(
        admin.get("/plans/p-none"),
        404,
        "plan-not-found",
        "unknown plan",
    );
    check(
        admin.get("/subscriptions/s-1/renew"),
        404,
        "not-found",
        "unknown action",
    );
    check(
        raw("PUT", "/subscriptions", b""),
        405,
        "method-not-allowed",
        "PUT",
    );
    check(
        raw("DELETE", "/subscriptions/s-1", b""),
        405,
        "method-not-allowed",
        "DELETE",
    );

    // Conflicts.
    create(
        &admin,
        &sample::monthly("s-conflict", "2028-06-01T15:00:00Z"),
    );
    check(
        admin.post(
            "/subscriptions",
            &sample::monthly("s-conflict", "2028-06-01T15:00:00Z"),
        ),
        409,
        "already-exists",
        "the same id again",
    );
    let stale = admin.send(
        "POST",
        "/subscriptions/s-conflict/pause",
        &[("If-Match", "99")],
        b"",
    );
    check(stale, 409, "version-mismatch", "a stale If-Match");
    check(
        admin.send(
            "POST",
            "/subscriptions/s-conflict/pause",
            &[("If-Match", "v1")],
            b"",
        ),
        400,
        "invalid-if-match",
        "a malformed If-Match",
    );
    check(
        admin.send("PATCH", "/subscriptions/s-conflict", &[], b"{}"),
        422,
        "empty-command",
        "an empty edit",
    );
    check(
        admin.send(
            "PATCH",
            "/subscriptions/s-conflict",
            &[],
            br#"{"items": [], "schedule": {"every": 2, "unit": "week"}}"#,
        ),
        422,
        "mixed-edit",
        "items and schedule at once",
    );
    let canceled = admin.post(
        "/subscriptions/s-conflict/cancel",
        &json!({"reason": "moved"}),
    );
    assert_eq!(canceled.status, 200, "{}", canceled.text());
    assert_eq!(json(&canceled)["status"], "canceled");
    check(
        admin.post("/subscriptions/s-conflict/resume", &json!({})),
        409,
        "invalid-transition",
        "resume after cancel",
    );

    // Garbage never reaches a 5xx.
    for body in [
        &b"null"[..],
        b"0",
        b"\"x\"",
        b"{\"customer\": []}",
        b"{\"schedule\": {\"every\": -1}}",
    ] {
        for (method, path) in routes() {
            let reply = raw(method, path, body);
            assert!(
                reply.status < 500,
                "{method} {path} {body:?}: {} {}",
                reply.status,
                reply.text()
            );
        }
    }
}

#[test]
fn plans_edits_listings_and_stats() {
    let app = App::start("sub-routes");
    let admin = app.admin();

    // A plan gives its schedule to the subscriptions made from it.
    let plan = admin.post(
        "/plans",
        &json!({"id": "p-pet", "name": "Ração a cada 2 semanas",
                "schedule": {"every": 2, "unit": "week"}, "timezone": "America/Sao_Paulo"}),
    );
    assert_eq!(plan.status, 201, "{}", plan.text());
    assert_eq!(
        json(&admin.get("/plans/p-pet"))["name"],
        "Ração a cada 2 semanas"
    );
    let plans = json(&admin.get("/plans"));
    assert_eq!(plans["items"][0]["id"], "p-pet", "{plans}");
    let mut body = sample::monthly("s-pet", "2028-07-03T15:00:00Z");
    let fields = body.as_object_mut().expect("an object");
    fields.remove("schedule");
    fields.remove("timezone");
    body["planId"] = json!("p-pet");
    let sub = create(&admin, &body);
    assert_eq!(sub["planId"], "p-pet");
    assert_eq!(sub["schedule"], json!({"every": 2, "unit": "week"}));
    assert_eq!(sub["timezone"], "America/Sao_Paulo");

    // An edit of the items changes the next orders.
    let reply = admin.send(
        "PATCH",
        "/subscriptions/s-pet",
        &[],
        json!({"items": [{"sku": "RAC-15KG", "name": "Ração 15 kg", "quantity": 1, "unitPrice": 25990}]})
            .to_string()
            .as_bytes(),
    );
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(json(&reply)["items"][0]["sku"], "RAC-15KG");
    assert_eq!(run(&admin, "2028-07-03T15:01:00Z")["created"], 1);
    let records = cycles(&admin, "s-pet");
    let order = order_of(&admin, "s-pet", &records[0]);
    assert_eq!(order["items"][0]["sku"], "RAC-15KG");
    assert_eq!(order["totals"]["total"], 25990 + 1500);

    // A schedule edit: monthly from the next run on.
    let reply = admin.send(
        "PATCH",
        "/subscriptions/s-pet",
        &[],
        br#"{"schedule": {"every": 1, "unit": "month"}}"#,
    );
    assert_eq!(reply.status, 200, "{}", reply.text());
    let edited = json(&reply);
    assert_eq!(edited["schedule"], json!({"every": 1, "unit": "month"}));
    assert_eq!(edited["nextRunAt"], "2028-07-17T15:00:00Z");

    // An address edit.
    let reply = admin.send(
        "PATCH",
        "/subscriptions/s-pet",
        &[],
        br#"{"shippingAddress": {"street": "Rua B", "number": "20", "city": "Campinas", "state": "SP", "postalCode": "13010000"}}"#,
    );
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(json(&reply)["shippingAddress"]["city"], "Campinas");

    // Listings and stats: s-pet lives on the test clock, the other two are live. Listings show
    // every subscription; the due listing and the dashboard are the live ones'.
    let live = |id: &str, start: &str| {
        let mut body = sample::monthly(id, start);
        body["testClock"] = Value::Null;
        create(&admin, &body)
    };
    live("s-other", "2028-08-01T15:00:00Z");
    live("s-due", "2028-07-10T15:00:00Z");
    let pause = admin.post("/subscriptions/s-other/pause", &json!({}));
    assert_eq!(pause.status, 200, "{}", pause.text());
    let ids = |query: &str| -> Vec<String> {
        let reply = admin.get(&format!("/subscriptions{query}"));
        assert_eq!(reply.status, 200, "{query}: {}", reply.text());
        json(&reply)["items"]
            .as_array()
            .expect("items")
            .iter()
            .filter_map(|s| s["id"].as_str().map(str::to_owned))
            .collect()
    };
    let mut all = ids("");
    all.sort();
    assert_eq!(all, ["s-due", "s-other", "s-pet"]);
    assert_eq!(ids("?status=paused"), ["s-other"]);
    let mut active = ids("?status=active");
    active.sort();
    assert_eq!(active, ["s-due", "s-pet"]);
    let mut by_customer = ids("?customer=c-17");
    by_customer.sort();
    assert_eq!(by_customer, ["s-due", "s-other", "s-pet"]);
    assert_eq!(ids("?dueBefore=2028-07-18T00:00:00Z"), ["s-due"]);
    assert!(ids("?dueBefore=2028-07-01T00:00:00Z").is_empty());
    let stats = json(&admin.get("/subscriptions/stats"));
    assert_eq!(
        (stats["active"].as_i64(), stats["paused"].as_i64()),
        (Some(1), Some(1)),
        "{stats}"
    );
    assert_eq!(
        stats["monthlyRecurringRevenue"][0]["currency"], "BRL",
        "{stats}"
    );
    let check = json(&admin.post("/subscriptions/check", &json!({})));
    assert_eq!(check["consistent"], true, "{check}");
}
