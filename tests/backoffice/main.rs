//! The back office end to end: the real `spin.toml` served by the real `orderflow` binary, the
//! panel driven in Debian's headless Chromium through chromedriver (`browser`; `fulfilment` for
//! shipping, refunds and "Pendentes"; `subscriptions` for its subscriptions' pages), and its
//! security rules checked over plain HTTP
//! (`security`): sessions, CSRF, roles, secrets.
#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "test harness: a failed step should fail the test, with its message"
)]

#[path = "../helpers/mod.rs"]
mod helpers;
#[path = "../orders/sample.rs"]
mod sample;

use helpers::app;

mod browser;
mod fulfilment;
mod security;
mod subscriptions;

use serde_json::json;

/// The password every test operator gets.
pub(crate) const PASSWORD: &str = "correct horse battery staple";

/// Creates an operator with the admin token and answers its id.
pub(crate) fn operator(app: &app::App, name: &str, email: &str, role: &str) -> String {
    let reply = app.admin().post(
        "/operators",
        &json!({"name": name, "email": email, "password": PASSWORD, "role": role}),
    );
    assert_eq!(reply.status, 201, "{}", reply.text());
    let body = app::json(&reply);
    body["id"].as_str().expect("an id").to_owned()
}
