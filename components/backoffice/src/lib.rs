//! The back office: the panel the store's operators work in, served by this Spin application on
//! `/admin/...` (the exact route `/admin/check` stays the API's), and `POST /operators`, where the
//! admin token holder creates the operators' accounts.
//!
//! Server-rendered HTML (maud, compiled in) over the orders service's WIT interface, the same
//! service every other component calls: no second path to the store. Its own keys are the
//! operators' and sessions' (`op/`, [`operators`]). Brazilian Portuguese by default, English by
//! `Accept-Language` or the panel's switch ([`i18n`]); money as each language writes it; times in
//! the store's zone (the `store_time_zone` variable). Sign-in with a password hashed with
//! Argon2id, a signed, expiring, HttpOnly, SameSite=Strict session cookie, and a CSRF token in
//! every form ([`session`]).

mod i18n;
mod operators;
mod operators_api;
mod pages;
mod session;
mod web;

use http_common::request::{self, path_and_query};
use http_common::{ApiError, Reply};
use spin_sdk::http::IncomingRequest;

http_common::export!(respond, then_kick_integrations);

async fn respond(request: IncomingRequest) -> Result<Reply, ApiError> {
    let (path, query) = path_and_query(&request);
    let method = request::method_name(&request.method());
    if path == "/operators" {
        return operators_api::respond(request, &method).await;
    }
    web::respond(request, &method, &path, &query).await
}
