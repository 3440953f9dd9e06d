//! The panel's security rules over plain HTTP: every panel page without a session goes to
//! sign-in; a forged, altered or signed-out cookie is refused; a form without its session's CSRF
//! token is refused; the session cookie is HttpOnly, SameSite=Strict and scoped to /admin; an
//! operator without the admin role cannot refund; operators are created by the admin token
//! alone, and no answer or log ever holds a password.

use serde_json::json;

use crate::app::{App, error_code, json};
use crate::{PASSWORD, operator};

/// Signs in over HTTP and answers the `Cookie` header value of the session.
fn sign_in(app: &App, email: &str, password: &str) -> Option<String> {
    let body = format!(
        "email={}&password={}",
        form_urlencoded::byte_serialize(email.as_bytes()).collect::<String>(),
        form_urlencoded::byte_serialize(password.as_bytes()).collect::<String>()
    );
    let reply = app.with_authorization(None).send(
        "POST",
        "/admin/sign-in",
        &[("Content-Type", "application/x-www-form-urlencoded")],
        body.as_bytes(),
    );
    let set = reply.header("set-cookie")?.to_owned();
    assert_eq!(reply.status, 303, "{}", reply.text());
    Some(set.split(';').next().expect("a cookie").to_owned())
}

fn get(app: &App, path: &str, cookie: &str) -> crate::helpers::Reply {
    app.with_authorization(None)
        .send("GET", path, &[("Cookie", cookie)], b"")
}

fn csrf_of(page: &str) -> String {
    let at = page.find("name=\"_csrf\" value=\"").expect("a CSRF field") + 20;
    page[at..].split('"').next().expect("a value").to_owned()
}

#[test]
fn without_a_valid_session_every_panel_page_goes_to_sign_in() {
    let app = App::start("panel-sessions");
    operator(&app, "Bruna Lima", "bruna@loja.example", "operator");
    let anonymous = app.with_authorization(None);
    for path in [
        "/admin/",
        "/admin/orders",
        "/admin/orders/o-1",
        "/admin/orders/export?format=csv",
        "/admin/orders?problems=true",
        "/admin/subscriptions",
        "/admin/anything",
    ] {
        let reply = anonymous.get(path);
        assert_eq!(reply.status, 303, "{path}: {}", reply.text());
        let location = reply.header("location").unwrap_or_default();
        assert!(location.starts_with("/admin/sign-in"), "{path}: {location}");
    }
    // The API's exact route stays the API's.
    assert_eq!(anonymous.post("/admin/check", &json!({})).status, 401);

    let cookie = sign_in(&app, "bruna@loja.example", PASSWORD).expect("signed in");
    assert_eq!(get(&app, "/admin/orders", &cookie).status, 200);
    // The cookie's attributes.
    let reply = app.with_authorization(None).send(
        "POST",
        "/admin/sign-in",
        &[("Content-Type", "application/x-www-form-urlencoded")],
        format!(
            "email=bruna%40loja.example&password={}",
            PASSWORD.replace(' ', "+")
        )
        .as_bytes(),
    );
    let set = reply.header("set-cookie").unwrap_or_default().to_owned();
    for part in ["HttpOnly", "SameSite=Strict", "Path=/admin", "Max-Age="] {
        assert!(set.contains(part), "{set}");
    }

    // Forged: another session id, a later expiry, a signature of another key.
    let value = cookie.trim_start_matches("of_session=");
    let (id, rest) = value.split_once('.').expect("id.expires.mac");
    let (expires, mac) = rest.split_once('.').expect("expires.mac");
    let forged = [
        format!("of_session=AAAA{}.{expires}.{mac}", &id[4..]),
        format!(
            "of_session={id}.{}.{mac}",
            expires.parse::<i64>().unwrap() + 86_400
        ),
        format!("of_session={id}.{expires}.{}", "A".repeat(mac.len())),
        format!("of_session={id}.{}", "1"),
        "of_session=".to_owned(),
    ];
    for cookie in &forged {
        let reply = get(&app, "/admin/orders", cookie);
        assert_eq!(reply.status, 303, "{cookie} was let in");
    }
    // Signing out ends the session on the server: the same cookie no longer opens the panel.
    let page = get(&app, "/admin/orders", &cookie).text();
    let out = app.with_authorization(None).send(
        "POST",
        "/admin/sign-out",
        &[
            ("Cookie", &cookie),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ],
        format!("_csrf={}", csrf_of(&page)).as_bytes(),
    );
    assert_eq!(out.status, 303);
    assert!(
        out.header("set-cookie")
            .unwrap_or_default()
            .contains("Max-Age=0")
    );
    assert_eq!(get(&app, "/admin/orders", &cookie).status, 303);
}

#[test]
fn a_form_without_its_csrf_token_or_from_another_site_is_refused() {
    let app = App::start("panel-csrf");
    operator(&app, "Bruna Lima", "bruna@loja.example", "operator");
    let cookie = sign_in(&app, "bruna@loja.example", PASSWORD).expect("signed in");
    let form = [
        ("Cookie", cookie.as_str()),
        ("Content-Type", "application/x-www-form-urlencoded"),
    ];
    let client = app.with_authorization(None);
    for body in ["", "_csrf=", "_csrf=not-the-token"] {
        let reply = client.send("POST", "/admin/sign-out", &form, body.as_bytes());
        assert_eq!(reply.status, 403, "{body:?}: {}", reply.text());
    }
    // Another session's token does not do either.
    let other = sign_in(&app, "bruna@loja.example", PASSWORD).expect("signed in again");
    let token = csrf_of(&get(&app, "/admin/orders", &other).text());
    let reply = client.send(
        "POST",
        "/admin/sign-out",
        &form,
        format!("_csrf={token}").as_bytes(),
    );
    assert_eq!(reply.status, 403);
    assert_eq!(
        get(&app, "/admin/orders", &cookie).status,
        200,
        "still signed in"
    );
    // A sign-in posted from another site is refused before any password is checked.
    let reply = client.send(
        "POST",
        "/admin/sign-in",
        &[
            ("Origin", "https://evil.example"),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ],
        b"email=bruna%40loja.example&password=x",
    );
    assert_eq!(reply.status, 403);
}

#[test]
fn operators_are_created_by_the_admin_token_and_passwords_never_show() {
    let app = App::start("panel-operators");
    let anonymous = app.with_authorization(None);
    let body = json!({"name": "Bruna", "email": "bruna@loja.example", "password": PASSWORD, "role": "operator"});
    assert_eq!(anonymous.post("/operators", &body).status, 401);
    assert_eq!(app.checkout().post("/operators", &body).status, 401);
    let created = app.admin().post("/operators", &body);
    assert_eq!(created.status, 201, "{}", created.text());
    let shown = json(&created);
    assert_eq!(shown["role"], "operator");
    assert_eq!(shown["email"], "bruna@loja.example");
    assert!(shown.get("password").is_none() && shown.get("passwordHash").is_none());
    let again = app.admin().post(
        "/operators",
        &json!({"name": "B", "email": "BRUNA@loja.example", "password": PASSWORD, "role": "admin"}),
    );
    assert_eq!(
        (again.status, error_code(&again)),
        (409, "email-taken".to_owned())
    );
    let bad = app.admin().post(
        "/operators",
        &json!({"name": "", "email": "nope", "password": "short", "role": "owner"}),
    );
    assert_eq!(bad.status, 422, "{}", bad.text());
    let fields: Vec<String> = json(&bad)["error"]["details"]["fields"]
        .as_array()
        .expect("fields")
        .iter()
        .map(|f| f["field"].as_str().unwrap_or_default().to_owned())
        .collect();
    for field in ["name", "email", "password", "role"] {
        assert!(fields.contains(&field.to_owned()), "{field} in {fields:?}");
    }
    // Signing in with it, right and wrong; then no answer and no log line holds the password.
    assert!(sign_in(&app, "bruna@loja.example", "a wrong password!").is_none());
    let cookie = sign_in(&app, "Bruna@Loja.example", PASSWORD).expect("signed in");
    let page = get(&app, "/admin/orders", &cookie).text();
    for text in [created.text(), again.text(), bad.text(), page, app.log()] {
        assert!(
            !text.contains(PASSWORD) && !text.contains("$argon2"),
            "{text}"
        );
    }
}

#[test]
fn an_operator_without_the_admin_role_cannot_refund() {
    let app = App::start("panel-roles");
    operator(&app, "Bruna Lima", "bruna@loja.example", "operator");
    operator(&app, "Paula Reis", "paula@loja.example", "admin");
    let order = app.checkout().place(&crate::sample::order("MLB-ROLE-1"));
    let id = order["id"].as_str().expect("an id").to_owned();
    let paid = app.admin().post(
        &format!("/orders/{id}/payment"),
        &json!({"amount": crate::sample::TOTAL}),
    );
    assert_eq!(paid.status, 200, "{}", paid.text());
    let page = format!("/admin/orders/{id}");
    let refund = |cookie: &str| {
        let shown = get(&app, &page, cookie).text();
        let body = format!("_csrf={}&version=2&amount=10%2C00", csrf_of(&shown));
        let reply = app.with_authorization(None).send(
            "POST",
            &format!("/admin/orders/{id}/refund"),
            &[
                ("Cookie", cookie),
                ("Content-Type", "application/x-www-form-urlencoded"),
            ],
            body.as_bytes(),
        );
        (shown, reply)
    };

    let bruna = sign_in(&app, "bruna@loja.example", PASSWORD).expect("signed in");
    let (shown, reply) = refund(&bruna);
    assert!(
        !shown.contains("/refund\""),
        "no refund form for an operator"
    );
    assert_eq!(reply.status, 403, "{}", reply.text());
    assert!(reply.text().contains("forbidden"));
    let order = json(&app.admin().get(&format!("/orders/{id}")));
    assert_eq!(
        (
            order["version"].clone(),
            order["totals"]["refunded"].clone()
        ),
        (json!(2), json!(0)),
        "nothing written"
    );

    let paula = sign_in(&app, "paula@loja.example", PASSWORD).expect("signed in");
    let (shown, reply) = refund(&paula);
    assert!(
        shown.contains("/refund\""),
        "an admin is offered the refund"
    );
    assert_eq!(reply.status, 303, "{}", reply.text());
    let order = json(&app.admin().get(&format!("/orders/{id}")));
    assert_eq!(order["totals"]["refunded"], 1000);
    let last = order["history"].as_array().and_then(|h| h.last()).cloned();
    assert_eq!(
        last.map(|h| h["operator"].clone()),
        Some(json!("Paula Reis"))
    );
}
