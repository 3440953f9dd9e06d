//! Webhook endpoints end to end, with a real HTTP receiver on loopback: deliveries signed as
//! Standard Webhooks says (checked here by a verifier written from the spec, not the app's
//! code), each order's events in order, retried after a failure, logged, replayed and tested.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

use crate::app::{App, json, text};
use crate::commands::{nfe_key, now};
use crate::helpers::receiver::{Received, Receiver};
use crate::sample;

/// Standard Webhooks 1.0, "Verifying signatures": the key is the base64 after `whsec_`; the
/// signed content is `{webhook-id}.{webhook-timestamp}.{body}`; the header holds
/// space-separated `v1,<base64>` signatures, any of which may match.
pub(crate) fn verifies(secret: &str, request: &Received) -> bool {
    let key = STANDARD
        .decode(secret.strip_prefix("whsec_").expect("a whsec_ secret"))
        .expect("base64");
    let id = &request.headers["webhook-id"];
    let timestamp = &request.headers["webhook-timestamp"];
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).expect("a key");
    mac.update(format!("{id}.{timestamp}.").as_bytes());
    mac.update(&request.body);
    let expected = format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()));
    request.headers["webhook-signature"]
        .split(' ')
        .any(|signature| signature == expected)
}

pub(crate) fn body(request: &Received) -> Value {
    serde_json::from_slice(&request.body).expect("a JSON body")
}

fn run(app: &App) -> Value {
    let reply = app.admin().post("/integrations/run", &json!({}));
    assert_eq!(reply.status, 200, "{}", reply.text());
    json(&reply)
}

#[test]
fn an_erp_endpoint_gets_each_event_signed_in_order_after_a_failure() {
    let app = App::start("webhooks");
    let admin = app.admin();
    // The first attempt fails with 500; the receiver then recovers.
    let erp = Receiver::start(&[500, 204]);
    let refused = admin.post(
        "/webhooks/endpoints",
        &json!({"url": "https://erp.example.com/hooks"}),
    );
    assert_eq!(refused.status, 422, "{}", refused.text());
    assert_eq!(
        json(&refused)["error"]["details"]["fields"][0]["code"],
        "host-not-allowed"
    );
    let created = admin.post(
        "/webhooks/endpoints",
        &json!({"url": erp.url("/erp"), "types": ["order.placed", "order.payment-approved"]}),
    );
    assert_eq!(created.status, 201, "{}", created.text());
    let endpoint = json(&created);
    let secret = text(&endpoint, "secret");
    let id = text(&endpoint, "id");
    assert!(
        admin
            .get(&format!("/webhooks/endpoints/{id}"))
            .text()
            .find("whsec_")
            .is_none(),
        "the secret is shown once"
    );

    let order = app.checkout().place(&sample::order("hook-1"));
    let paid = admin.post(
        &format!("/orders/{}/payment", text(&order, "id")),
        &json!({"amount": sample::TOTAL}),
    );
    assert_eq!(paid.status, 200, "{}", paid.text());
    // This pass (or the cron runner's) fails with the placement; the payment waits behind it
    // and the retry is due 5 s later.
    run(&app);
    std::thread::sleep(std::time::Duration::from_secs(5));
    for _ in 0..3 {
        run(&app);
    }
    let received = erp.received();
    assert_eq!(received.len(), 3, "{received:?}");
    for request in &received {
        assert!(verifies(&secret, request), "{request:?}");
        assert_eq!(request.path, "/erp");
        assert_eq!(request.headers["webhook-id"], body(request)["data"]["id"]);
    }
    let kinds: Vec<Value> = received.iter().map(|r| body(r)["type"].clone()).collect();
    assert_eq!(
        kinds,
        [
            json!("order.placed"),
            json!("order.placed"),
            json!("order.payment-approved")
        ]
    );
    assert_eq!(
        received[0].body, received[1].body,
        "a retry sends the same body"
    );
    assert_eq!(
        body(&received[2])["data"]["data"]["order"]["status"],
        "payment-approved"
    );

    let log = json(&admin.get(&format!("/webhooks/endpoints/{id}/deliveries")));
    let log = log["items"].as_array().expect("items").clone();
    assert_eq!(log.len(), 2);
    let placed = log
        .iter()
        .find(|d| d["eventType"] == "order.placed")
        .expect("placed");
    assert_eq!(placed["status"], "delivered");
    let statuses: Vec<Value> = placed["attempts"]
        .as_array()
        .expect("attempts")
        .iter()
        .map(|a| a["status"].clone())
        .collect();
    assert_eq!(statuses, [json!(500), json!(204)]);

    // A replay from before the order sends both again, with the same ids and bodies.
    let replay = admin.post(
        &format!("/webhooks/endpoints/{id}/replay"),
        &json!({"since": "2000-01-01T00:00:00Z"}),
    );
    assert_eq!(replay.status, 202, "{}", replay.text());
    for _ in 0..3 {
        run(&app);
    }
    let again = erp.received();
    assert_eq!(again.len(), 5);
    assert_eq!(again[3].body, received[1].body);
    assert_eq!(again[4].body, received[2].body);

    // A test event, now.
    let test = json(&admin.post(&format!("/webhooks/endpoints/{id}/test"), &json!({})));
    assert_eq!(test["delivered"], true, "{test}");
    let last = erp.received().pop().expect("the test event");
    assert_eq!(body(&last)["type"], "webhook.test");
    assert!(verifies(&secret, &last));
}

#[test]
fn a_rotated_secret_signs_beside_the_new_one_and_a_410_disables_the_endpoint() {
    let app = App::start("webhooks-rotate");
    let admin = app.admin();
    let erp = Receiver::start(&[204, 410]);
    let endpoint = json(&admin.post("/webhooks/endpoints", &json!({"url": erp.url("/erp")})));
    let id = text(&endpoint, "id");
    let old = text(&endpoint, "secret");
    let rotated = json(&admin.send(
        "PATCH",
        &format!("/webhooks/endpoints/{id}"),
        &[],
        json!({"rotateSecret": true}).to_string().as_bytes(),
    ));
    let new = text(&rotated, "secret");
    assert_ne!(old, new);
    app.checkout().place(&sample::order("rotate-1"));
    run(&app);
    let first = erp.received().pop().expect("a delivery");
    assert!(verifies(&old, &first), "the old secret still verifies");
    assert!(verifies(&new, &first), "and so does the new one");
    app.checkout().place(&sample::order("rotate-2"));
    run(&app);
    let gone = json(&admin.get(&format!("/webhooks/endpoints/{id}")));
    assert_eq!(gone["enabled"], false, "{gone}");
    assert!(
        gone["disabledReason"]
            .as_str()
            .is_some_and(|r| r.contains("410")),
        "{gone}"
    );
}

/// Runs passes until `receiver` has `n` requests (kicked passes may have sent them already).
fn received_at_least(app: &App, receiver: &Receiver, n: usize) -> Vec<Received> {
    for _ in 0..30 {
        if receiver.received().len() >= n {
            break;
        }
        run(app);
    }
    receiver.received()
}

#[test]
fn an_email_endpoint_gets_each_step_in_portuguese_and_the_history_records_it() {
    let app = App::start("webhooks-notify");
    let admin = app.admin();
    let erp = app.client("erp_token");
    let logistics = app.client("logistics_token");
    let email = Receiver::start(&[202]);
    let created = admin.post(
        "/webhooks/endpoints",
        &json!({"url": email.url("/send"), "kind": "customer-notification"}),
    );
    assert_eq!(created.status, 201, "{}", created.text());
    assert_eq!(json(&created)["locale"], "pt-BR");
    let secret = text(&json(&created), "secret");
    let order = app.checkout().place(&sample::order("notify-1"));
    let id = text(&order, "id");
    let number = order["number"].as_i64().expect("a number");
    let path = |rest: &str| format!("/orders/{id}{rest}");
    let ok = |reply: crate::helpers::Reply| {
        assert_eq!(reply.status, 200, "{}", reply.text());
        json(&reply)
    };
    ok(admin.post(&path("/payment"), &json!({"amount": sample::TOTAL})));
    let key = nfe_key(3001);
    ok(erp.post(
        &path("/invoices"),
        &json!({"type": "output", "number": "3001", "series": "1", "key": key,
                "value": sample::TOTAL, "issuedAt": now()}),
    ));
    ok(logistics.post(
        &path("/shipments"),
        &json!({"invoiceNumber": "3001", "carrier": "Correios", "number": "BR987654321BR",
                "url": "https://rastreio.example.com/BR987654321BR"}),
    ));
    ok(logistics.post(
        &path("/shipments/BR987654321BR/events"),
        &json!({"status": "delivered", "description": "Entregue", "occurredAt": now()}),
    ));
    // An internal comment is not told; one with notifyCustomer sends the operator's text.
    for (text, notify) in [
        ("checked stock", false),
        ("Seu presente vai embrulhado.", true),
    ] {
        ok(admin.post(
            &path("/comments"),
            &json!({"text": text, "notifyCustomer": notify}),
        ));
    }
    let messages: Vec<Value> = received_at_least(&app, &email, 6)
        .iter()
        .inspect(|r| assert!(verifies(&secret, r)))
        .map(|r| body(r)["data"].clone())
        .collect();
    let subjects: Vec<&str> = messages
        .iter()
        .map(|m| m["subject"].as_str().expect("a subject"))
        .collect();
    assert_eq!(
        subjects,
        [
            format!("Recebemos seu pedido #{number}"),
            format!("Pagamento aprovado: pedido #{number}"),
            format!("Nota fiscal do pedido #{number}"),
            format!("Pedido #{number} enviado"),
            format!("Pedido #{number} entregue"),
            format!("Atualização do pedido #{number}"),
        ]
    );
    assert!(messages.iter().all(|m| m["to"] == "ana@example.com"));
    let says = |i: usize, part: &str, what: &str| {
        assert!(
            messages[i][part].as_str().is_some_and(|t| t.contains(what)),
            "message {i} {part} lacks {what:?}: {}",
            messages[i][part]
        );
    };
    says(0, "text", "R$ 114,80");
    says(0, "html", "Camiseta azul P");
    says(2, "text", &key);
    says(3, "text", "BR987654321BR");
    says(3, "text", "https://rastreio.example.com/BR987654321BR");
    says(5, "text", "Seu presente vai embrulhado.");

    // Each message taken is in the order's history, once, by orderflow itself.
    let mut shown = admin.order(&id);
    for _ in 0..10 {
        if shown["notifications"]
            .as_array()
            .is_some_and(|n| n.len() == 6)
        {
            break;
        }
        run(&app);
        shown = admin.order(&id);
    }
    let templates: Vec<&str> = shown["notifications"]
        .as_array()
        .expect("notifications")
        .iter()
        .map(|n| n["template"].as_str().expect("a template"))
        .collect();
    assert_eq!(
        templates,
        [
            "order.placed",
            "order.payment-approved",
            "order.invoiced",
            "order.shipped",
            "order.delivered",
            "order.commented"
        ]
    );
    let recorded: Vec<&Value> = shown["history"]
        .as_array()
        .expect("history")
        .iter()
        .filter(|h| h["event"] == "customer-notified")
        .collect();
    assert_eq!(recorded.len(), 6);
    assert!(recorded.iter().all(|h| h["actor"] == "system"));
    assert_eq!(shown["status"], "delivered");
    // The recordings are events too, but no message tells of them.
    run(&app);
    assert_eq!(email.received().len(), 6);
}

#[test]
fn a_store_template_and_english_replace_the_defaults() {
    let app = App::start("webhooks-templates");
    let admin = app.admin();
    let email = Receiver::start(&[200]);
    let created = admin.post(
        "/webhooks/endpoints",
        &json!({"url": email.url("/mail"), "kind": "customer-notification", "locale": "en"}),
    );
    assert_eq!(created.status, 201, "{}", created.text());
    assert_eq!(json(&created)["locale"], "en");

    let all = json(&admin.get("/notifications/templates"));
    let items = all["items"].as_array().expect("items");
    assert_eq!(items.len(), 18, "nine steps in two languages");
    assert!(items.iter().all(|t| t["custom"] == false));
    let custom = json!({
        "locale": "en",
        "subject": "Paid! Order {{number}}",
        "text": "Thanks {{customerName}}, we got {{total}}.\n{{items}}",
        "html": "<p>Thanks {{customerName}}</p>{{items}}",
    });
    let put = app.admin().send(
        "PUT",
        "/notifications/templates/order.payment-approved",
        &[],
        custom.to_string().as_bytes(),
    );
    assert_eq!(put.status, 200, "{}", put.text());
    assert_eq!(json(&put)["custom"], true);
    let shown = json(&admin.get("/notifications/templates/order.payment-approved?locale=en"));
    assert_eq!(shown["subject"], "Paid! Order {{number}}");
    // The Portuguese one is still the default.
    let pt = json(&admin.get("/notifications/templates/order.payment-approved"));
    assert_eq!(pt["custom"], false);
    assert_eq!(pt["locale"], "pt-BR");

    // Refusals name what to fix.
    let unknown = admin.send("PUT", "/notifications/templates/order.nope", &[], b"{}");
    assert_eq!(unknown.status, 404, "{}", unknown.text());
    assert_eq!(crate::app::error_code(&unknown), "template-not-found");
    let empty = admin.send(
        "PUT",
        "/notifications/templates/order.placed",
        &[],
        json!({"locale": "fr", "subject": "", "text": "x"})
            .to_string()
            .as_bytes(),
    );
    assert_eq!(empty.status, 422, "{}", empty.text());
    let fields: Vec<Value> = json(&empty)["error"]["details"]["fields"]
        .as_array()
        .expect("fields")
        .iter()
        .map(|f| f["field"].clone())
        .collect();
    assert!(fields.contains(&json!("locale")), "{fields:?}");

    let order = app.checkout().place(&sample::order("tpl-1"));
    let number = order["number"].as_i64().expect("a number");
    let paid = admin.post(
        &format!("/orders/{}/payment", text(&order, "id")),
        &json!({"amount": sample::TOTAL}),
    );
    assert_eq!(paid.status, 200, "{}", paid.text());
    let messages: Vec<Value> = received_at_least(&app, &email, 2)
        .iter()
        .map(|r| body(r)["data"].clone())
        .collect();
    assert_eq!(
        messages[0]["subject"],
        format!("We received your order #{number}")
    );
    assert_eq!(messages[0]["locale"], "en");
    assert!(
        messages[0]["text"]
            .as_str()
            .is_some_and(|t| t.contains("BRL 114.80")),
        "{}",
        messages[0]["text"]
    );
    assert_eq!(messages[1]["subject"], format!("Paid! Order {number}"));
    assert_eq!(
        messages[1]["html"]
            .as_str()
            .map(|h| h.starts_with("<p>Thanks Ana")),
        Some(true),
        "{}",
        messages[1]["html"]
    );

    // Back to the default.
    let reset = admin.send(
        "DELETE",
        "/notifications/templates/order.payment-approved?locale=en",
        &[],
        b"",
    );
    assert_eq!(reset.status, 200, "{}", reset.text());
    assert_eq!(json(&reset)["custom"], false);
    assert_eq!(
        json(&reset)["subject"],
        "Payment approved: order #{{number}}"
    );
}

#[test]
fn a_write_reaches_a_healthy_endpoint_within_a_second_without_a_pass_call() {
    let app = App::start("webhooks-kick");
    let erp = Receiver::start(&[204]);
    let created = app.admin().post(
        "/webhooks/endpoints",
        &json!({"url": erp.url("/erp"), "types": ["order.placed"]}),
    );
    assert_eq!(created.status, 201, "{}", created.text());
    // Three placements a few seconds apart: the cron pass (once a minute) could explain one
    // of them at most.
    for i in 0..3 {
        let placed_at = std::time::Instant::now();
        let order = app.checkout().place(&sample::order(&format!("kick-{i}")));
        let heard = loop {
            let got = erp.received();
            if got.len() > i {
                break placed_at.elapsed();
            }
            assert!(
                placed_at.elapsed() < std::time::Duration::from_secs(5),
                "no delivery 5 s after placement {i}"
            );
            std::thread::sleep(std::time::Duration::from_millis(20));
        };
        let last = erp.received().pop().expect("a delivery");
        assert_eq!(body(&last)["data"]["orderId"], order["id"]);
        assert!(heard < std::time::Duration::from_secs(2), "{heard:?}");
    }
}
