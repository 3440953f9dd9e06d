//! What a client gets wrong: credentials, bodies, query strings, paths. Refused with openapi.yaml's
//! error shape and a 4xx, never a 5xx, and nothing is written.

use serde_json::{Value, json};

use crate::app::{self, App, error_code, json};
use crate::placement::list_all;
use crate::sample;

/// A route and the Spin variable holding its token.
struct Route {
    method: &'static str,
    path: String,
    token: &'static str,
    body: Vec<u8>,
}

fn routes(order_id: &str) -> Vec<Route> {
    let order = sample::order("auth-probe").to_string().into_bytes();
    let mut routes = vec![
        Route {
            method: "POST",
            path: "/checkout/orders".into(),
            token: "checkout_token",
            body: order,
        },
        Route {
            method: "GET",
            path: "/orders".into(),
            token: "admin_token",
            body: Vec::new(),
        },
        Route {
            method: "GET",
            path: format!("/orders/{order_id}"),
            token: "admin_token",
            body: Vec::new(),
        },
        Route {
            method: "GET",
            path: "/orders/export?format=csv".into(),
            token: "admin_token",
            body: Vec::new(),
        },
        Route {
            method: "POST",
            path: "/admin/check".into(),
            token: "admin_token",
            body: Vec::new(),
        },
    ];
    if app::has_component("change-order") {
        for (command, body) in [
            ("comments", json!({"text": "hello"})),
            ("hold", json!({"reason": "check"})),
            ("cancel", json!({"reason": "customer asked"})),
        ] {
            routes.push(Route {
                method: "POST",
                path: format!("/orders/{order_id}/{command}"),
                token: "admin_token",
                body: body.to_string().into_bytes(),
            });
        }
    }
    if app::has_component("tracking") {
        routes.push(Route {
            method: "POST",
            path: format!("/orders/{order_id}/shipments"),
            token: "logistics_token",
            body: json!({"invoiceNumber": "1", "carrier": "Correios", "number": "BR1"})
                .to_string()
                .into_bytes(),
        });
        routes.push(Route {
            method: "POST",
            path: format!("/orders/{order_id}/shipments/BR1/events"),
            token: "logistics_token",
            body: json!({"status": "in-transit", "occurredAt": "2026-11-22T10:00:00Z"})
                .to_string()
                .into_bytes(),
        });
    }
    if app::has_component("payment-notification") {
        routes.push(Route {
            method: "POST",
            path: format!("/orders/{order_id}/payment"),
            token: "admin_token",
            body: json!({"amount": sample::TOTAL, "note": "pix"})
                .to_string()
                .into_bytes(),
        });
    }
    routes
}

#[test]
fn every_route_refuses_a_missing_or_wrong_token_with_401() {
    let app = App::start("auth");
    let order = app.checkout().place(&sample::order("auth-1"));
    let id = order["id"].as_str().expect("id").to_owned();

    for route in routes(&id) {
        let right = app::secret(route.token);
        let other_token = if route.token == "admin_token" {
            app::secret("checkout_token")
        } else {
            app::secret("admin_token")
        };
        let credentials = [
            None,
            Some(String::new()),
            Some("Bearer".to_owned()),
            Some("Bearer ".to_owned()),
            Some("Bearer wrong".to_owned()),
            Some(format!("Bearer {right}x")),
            Some(format!("Bearer {}", &right[..right.len() - 1])),
            Some(format!("Basic {right}")),
            Some(format!("Token {right}")),
            Some(right.clone()),
            // Another route's token is no credential here.
            Some(format!("Bearer {other_token}")),
        ];
        for authorization in credentials {
            let client = app.with_authorization(authorization.as_deref());
            let reply = client.send(route.method, &route.path, &[], &route.body);
            assert_eq!(
                reply.status,
                401,
                "{} {} with {authorization:?}: {}",
                route.method,
                route.path,
                reply.text()
            );
            assert_eq!(error_code(&reply), "unauthorized");
            assert!(
                !json(&reply)["error"]["message"]
                    .as_str()
                    .unwrap_or("")
                    .is_empty()
            );
        }
    }

    // Nothing was written by the refused requests.
    let stored = app.admin().order(&id);
    assert_eq!(stored, order);
    assert_eq!(list_all(&app, "").len(), 1);
}

/// A small deterministic generator (xorshift64*), so a failure is reproducible.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % n as u64).unwrap_or(0)
    }

    fn bytes(&mut self, len: usize) -> Vec<u8> {
        (0..len).map(|_| self.next().to_le_bytes()[0]).collect()
    }

    /// A JSON value of any type.
    fn value(&mut self, depth: u32) -> Value {
        match self.below(if depth == 0 { 6 } else { 8 }) {
            0 => Value::Null,
            1 => Value::Bool(self.below(2) == 0),
            2 => json!(self.next() as i64),
            3 => json!(-1.5e300),
            4 => {
                let len = self.below(12);
                json!(String::from_utf8_lossy(&self.bytes(len)))
            }
            5 => json!(
                [
                    "",
                    "=1+1",
                    "ação",
                    "\u{0}",
                    "999999999999999999999999999999"
                ][self.below(5)]
            ),
            6 => Value::Array((0..self.below(3)).map(|_| self.value(depth - 1)).collect()),
            _ => {
                let mut map = serde_json::Map::new();
                for _ in 0..self.below(3) {
                    map.insert(format!("k{}", self.below(4)), self.value(depth - 1));
                }
                Value::Object(map)
            }
        }
    }
}

/// Every leaf path of a JSON value (object keys and array indexes).
fn paths(value: &Value, prefix: &mut Vec<PathStep>, out: &mut Vec<Vec<PathStep>>) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                prefix.push(PathStep::Key(key.clone()));
                out.push(prefix.clone());
                paths(child, prefix, out);
                prefix.pop();
            }
        }
        Value::Array(items) => {
            for (index, child) in items.iter().enumerate() {
                prefix.push(PathStep::Index(index));
                out.push(prefix.clone());
                paths(child, prefix, out);
                prefix.pop();
            }
        }
        Value::Null | Value::Bool(_) | Value::Number(_) | Value::String(_) => {}
    }
}

#[derive(Debug, Clone)]
enum PathStep {
    Key(String),
    Index(usize),
}

fn at<'v>(value: &'v mut Value, path: &[PathStep]) -> &'v mut Value {
    path.iter().fold(value, |v, step| match step {
        PathStep::Key(key) => &mut v[key.as_str()],
        PathStep::Index(index) => &mut v[*index],
    })
}

/// Posts `body` to the checkout and checks the answer is a 4xx of openapi.yaml's `Error` shape, or
/// a placement; returns the status.
fn refused_or_placed(app: &App, body: &[u8], what: &str) -> u16 {
    let reply = app.checkout().send("POST", "/checkout/orders", &[], body);
    assert!(
        reply.status < 500,
        "{what}: {} {}\nbody: {}",
        reply.status,
        reply.text(),
        String::from_utf8_lossy(body)
    );
    if reply.status >= 400 {
        let error = json(&reply);
        assert!(error["error"]["code"].is_string(), "{what}: {error}");
        assert!(error["error"]["message"].is_string(), "{what}: {error}");
    }
    reply.status
}

#[test]
fn malformed_oversized_wrongly_typed_and_random_bodies_never_answer_5xx() {
    let app = App::start("bodies");
    let checkout = app.checkout();

    // Not JSON, or not an object: 400.
    for body in [
        &b""[..],
        b"{",
        b"not json",
        b"[]",
        b"null",
        b"\"order\"",
        b"42",
        b"{\"items\": [}",
        b"\xff\xfe{}",
        b"{\"customer\": {\"name\": \"\xc3\x28\"}}",
    ] {
        let reply = checkout.send("POST", "/checkout/orders", &[], body);
        assert_eq!(
            reply.status,
            400,
            "{:?}: {}",
            String::from_utf8_lossy(body),
            reply.text()
        );
        assert!(
            matches!(
                error_code(&reply).as_str(),
                "malformed-json" | "wrong-type" | "invalid-utf8" | "body-unreadable"
            ),
            "{}",
            reply.text()
        );
    }

    // Wrong types: 400 `wrong-type` naming the field.
    for (field, value) in [
        ("/items/0/quantity", json!("2")),
        ("/items/0/unitPrice", json!(49.9)),
        ("/items", json!({})),
        ("/customer", json!("Ana")),
        ("/shipping/price", json!("15.00")),
        ("/customer/email", json!(["ana@example.com"])),
        ("/channel", json!(7)),
    ] {
        let mut body = sample::order("typed");
        *body.pointer_mut(field).expect("field exists") = value.clone();
        let reply = checkout.post("/checkout/orders", &body);
        assert_eq!(reply.status, 400, "{field} = {value}: {}", reply.text());
        assert_eq!(error_code(&reply), "wrong-type", "{}", reply.text());
        assert!(
            json(&reply)["error"]["details"]["field"].is_string(),
            "{}",
            reply.text()
        );
    }

    // Well-formed but invalid: 422 with one entry per field.
    let mut invalid = sample::order("invalid");
    invalid["items"][0]["quantity"] = json!(0);
    invalid["customer"]["email"] = json!("not-an-email");
    invalid["payment"]["method"] = json!("cash");
    let reply = checkout.post("/checkout/orders", &invalid);
    assert_eq!(reply.status, 422, "{}", reply.text());
    let mut mismatch = sample::order("mismatch");
    mismatch["totals"]["total"] = json!(1);
    let reply = checkout.post("/checkout/orders", &mismatch);
    assert_eq!(reply.status, 422, "{}", reply.text());
    assert_eq!(error_code(&reply), "total-mismatch");

    // Over 256 KiB: 413, whatever the content; 256 KiB itself is read (and judged).
    let limit = 256 * 1024;
    let mut big = sample::order("big");
    big["items"][0]["name"] = json!("x".repeat(limit));
    let reply = checkout.post("/checkout/orders", &big);
    assert_eq!(reply.status, 413, "{}", reply.text());
    assert_eq!(error_code(&reply), "body-too-large");
    let reply = checkout.send("POST", "/checkout/orders", &[], &vec![b' '; limit + 1]);
    assert_eq!(reply.status, 413, "{}", reply.text());
    let reply = checkout.send("POST", "/checkout/orders", &[], &vec![b' '; limit]);
    assert_eq!(reply.status, 400, "{}", reply.text());

    // Random bytes, random JSON, and the valid order with one value replaced by anything.
    let mut random = Random(0x0bad_5eed_cafe_f00d);
    for i in 0..60 {
        let len = random.below(300);
        refused_or_placed(&app, &random.bytes(len), &format!("random bytes #{i}"));
    }
    for i in 0..60 {
        let body = random.value(4).to_string();
        refused_or_placed(&app, body.as_bytes(), &format!("random JSON #{i}"));
    }
    let template = sample::order("mutant");
    let mut leaves = Vec::new();
    paths(&template, &mut Vec::new(), &mut leaves);
    let mut placed = 0;
    for (i, path) in leaves.iter().enumerate() {
        for _ in 0..3 {
            let mut body = template.clone();
            *at(&mut body, path) = random.value(2);
            // Each placement that goes through gets its own external id.
            if body["externalId"].is_string() {
                body["externalId"] = json!(format!("mutant-{i}-{}", random.next()));
            }
            let status = refused_or_placed(&app, body.to_string().as_bytes(), &format!("{path:?}"));
            if status == 201 {
                placed += 1;
            }
        }
    }

    // The command routes: any body on any action, never a 5xx.
    let order = checkout.place(&sample::order("commands-target"));
    placed += 1;
    let id = order["id"].as_str().expect("id").to_owned();
    let mut command_routes = Vec::new();
    if app::has_component("change-order") {
        for action in [
            "changes",
            "cancel",
            "hold",
            "unhold",
            "handling",
            "comments",
            "refunds",
            "reprocess",
        ] {
            command_routes.push(("POST", format!("/orders/{id}/{action}"), "admin_token"));
        }
        command_routes.push(("PATCH", format!("/orders/{id}"), "admin_token"));
    }
    if app::has_component("tracking") {
        command_routes.push(("POST", format!("/orders/{id}/shipments"), "logistics_token"));
        command_routes.push((
            "POST",
            format!("/orders/{id}/shipments/BR1/events"),
            "logistics_token",
        ));
    }
    for (method, path, token) in &command_routes {
        let client = app.client(token);
        for i in 0..12 {
            let body = if i % 3 == 0 {
                let len = random.below(200);
                random.bytes(len)
            } else {
                random.value(3).to_string().into_bytes()
            };
            let reply = client.send(method, path, &[], &body);
            assert!(
                reply.status < 500,
                "{method} {path}: {} {}\nbody: {}",
                reply.status,
                reply.text(),
                String::from_utf8_lossy(&body)
            );
        }
        let big = vec![b'{'; limit + 1];
        let reply = client.send(method, path, &[], &big);
        assert_eq!(reply.status, 413, "{method} {path}: {}", reply.text());
    }

    // The store still answers, and holds exactly the orders that were accepted.
    assert_eq!(list_all(&app, "").len(), placed);
    let log = app.log();
    assert!(!log.contains("trapped"), "a component trapped:\n{log}");
}

#[test]
fn malformed_query_strings_paths_and_methods_on_the_read_side_are_4xx() {
    let app = App::start("queries");
    let admin = app.admin();
    app.checkout().place(&sample::order("q-1"));
    for (path, status) in [
        ("/orders?limit=0", 422),
        ("/orders?limit=201", 422),
        ("/orders?limit=ten", 400),
        ("/orders?minTotal=1.5", 400),
        ("/orders?status=paid", 422),
        ("/orders?sort=price", 422),
        ("/orders?cursor=not-a-cursor", 400),
        ("/orders?cursor=%FF%FE", 400),
        ("/orders?from=yesterday", 400),
        ("/orders/export?format=pdf", 422),
        ("/orders/a%2Fb", 404),
        ("/orders/%zz", 404),
        ("/orders/1/2/3", 404),
    ] {
        let reply = admin.get(path);
        assert!(
            reply.status == status || (400..500).contains(&reply.status),
            "{path}: {} {}",
            reply.status,
            reply.text()
        );
        assert!(
            reply.status < 500,
            "{path}: {} {}",
            reply.status,
            reply.text()
        );
        assert!(json(&reply)["error"]["code"].is_string(), "{path}");
    }
    let reply = admin.send("POST", "/admin/check?repair=maybe", &[], b"");
    assert_eq!(reply.status, 422, "{}", reply.text());
    assert_eq!(json(&reply)["error"]["code"], "validation-failed");
    for (method, path) in [
        ("DELETE", "/orders"),
        ("PUT", "/orders/x"),
        ("GET", "/checkout/orders"),
        ("GET", "/admin/check"),
    ] {
        let reply = admin.send(method, path, &[], b"");
        assert!(
            reply.status == 405 || reply.status == 401,
            "{method} {path}: {} {}",
            reply.status,
            reply.text()
        );
    }
    let mut random = Random(0xfeed_beef);
    for _ in 0..80 {
        let query: String = (0..random.below(40))
            .map(|_| char::from(b"abcz=&%+-_.~0129AFFF/?#"[random.below(23)]))
            .collect();
        let path = format!("/orders?{query}");
        let path = path.split('#').next().unwrap_or("/orders").to_owned();
        let reply = admin.get(&path);
        assert!(
            reply.status < 500,
            "{path}: {} {}",
            reply.status,
            reply.text()
        );
    }
}
