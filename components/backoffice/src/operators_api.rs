//! `POST /operators {"name", "email", "password", "role"}` with the admin token: creates an
//! operator's account (201, without the password or its hash; 409 `email-taken`; 422 naming each
//! bad field).

use http_common::input::read_object;
use http_common::request::{authenticate, read_body};
use http_common::{ApiError, Reply};
use serde_json::json;
use spin_sdk::http::IncomingRequest;

use crate::operators::{self, CreateError, NewOperator, Role};
use crate::web;

/// The shortest password accepted (NIST SP 800-63B asks at least 8; a panel that refunds asks
/// more).
pub(crate) const MIN_PASSWORD: usize = 12;

pub(crate) async fn respond(request: IncomingRequest, method: &str) -> Result<Reply, ApiError> {
    if method != "POST" {
        return Err(ApiError::method_not_allowed(method, &["POST"]));
    }
    authenticate(&request, "admin_token")?;
    let body = read_body(request).await?;
    let (name, email, password, role) = read_object(&body, |obj, fields| {
        let name = obj.string(fields, "name")?;
        let email = obj.string(fields, "email")?;
        let password = obj.string(fields, "password")?;
        let role = obj.string(fields, "role")?;
        // Present but blank is as bad as absent (absent ones `string` has named already).
        let mut blank = |field: &str, value: &str| -> Result<bool, ApiError> {
            let present = obj.opt_string(field)?.is_some();
            if present && value.trim().is_empty() {
                fields.push(field.into(), "empty", format!("{field} must not be blank"));
            }
            Ok(present && !value.trim().is_empty())
        };
        let name = name.trim().to_owned();
        let has_name = blank("name", &name)?;
        let has_email = blank("email", &email)?;
        let has_password = blank("password", &password)?;
        let has_role = blank("role", &role)?;
        if has_name && name.chars().count() > 100 {
            fields.push("name".into(), "too-long", "name is at most 100 characters");
        }
        let email = operators::normalize_email(&email);
        let valid_email = email.len() <= 254
            && email
                .split_once('@')
                .is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.'))
            && !email.chars().any(char::is_whitespace);
        if has_email && !valid_email {
            fields.push(
                "email".into(),
                "bad-format",
                "email must be an email address",
            );
        }
        if has_password && password.chars().count() < MIN_PASSWORD {
            fields.push(
                "password".into(),
                "too-short",
                format!("password must have at least {MIN_PASSWORD} characters"),
            );
        }
        if password.len() > 1024 {
            fields.push(
                "password".into(),
                "too-long",
                "password is at most 1024 bytes",
            );
        }
        let role = Role::parse(&role);
        if has_role && role.is_none() {
            fields.push(
                "role".into(),
                "unknown-value",
                "role must be one of: admin, operator",
            );
        }
        Ok((name, email, password, role))
    })?;
    let role = role.ok_or_else(|| ApiError::new(422, "validation-failed", "role is required"))?;
    let salt = wasi::random::random::get_random_bytes(16);
    let password_hash = operators::hash_password(&password, &salt).map_err(|e| {
        ApiError::new(
            503,
            "hashing-failed",
            "the password could not be hashed; retry",
        )
        .with_detail("reason", e)
    })?;
    let kv = web::kv()?;
    let (now, created_at) = web::now();
    let created = operators::create(
        &kv,
        now,
        &created_at,
        NewOperator {
            name,
            email,
            role,
            password_hash,
        },
    )
    .map_err(|e| match e {
        CreateError::EmailTaken => {
            ApiError::new(409, "email-taken", "another operator has this email")
        }
        CreateError::Store(reason) => web::store_error(&reason),
    })?;
    Ok(Reply::json(
        201,
        &json!({
            "id": created.id,
            "name": created.name,
            "email": created.email,
            "role": created.role.as_str(),
            "createdAt": created.created_at,
        }),
    ))
}
