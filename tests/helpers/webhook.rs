//! The payment provider's side of `POST /payments/notifications`: notification bodies and the
//! `Orderflow-Signature` HMAC the provider signs them with. Shared by the orders and the
//! subscriptions suites.

use serde_json::json;
use sha2::{Digest, Sha256};

use super::Reply;
use super::app::{self, App};

/// HMAC-SHA256 (RFC 2104), as the payment provider signs.
pub(crate) fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    let mut block = [0_u8; 64];
    if key.len() > block.len() {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let inner = Sha256::new()
        .chain_update(block.map(|b| b ^ 0x36))
        .chain_update(message)
        .finalize();
    Sha256::new()
        .chain_update(block.map(|b| b ^ 0x5c))
        .chain_update(inner)
        .finalize()
        .into()
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A payment provider's notification body for a pix payment.
pub(crate) fn payment(order_id: &str, payment_id: &str, status: &str, amount: i64) -> Vec<u8> {
    payment_by(order_id, payment_id, status, amount, "pix")
}

/// A payment provider's notification body for a payment by `method`.
pub(crate) fn payment_by(
    order_id: &str,
    payment_id: &str,
    status: &str,
    amount: i64,
    method: &str,
) -> Vec<u8> {
    json!({
        "orderId": order_id,
        "paymentId": payment_id,
        "status": status,
        "amount": amount,
        "method": method,
        "occurredAt": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    })
    .to_string()
    .into_bytes()
}

/// The `Orderflow-Signature` of `body` at unix time `t`.
pub(crate) fn signature(body: &[u8], t: i64) -> String {
    let mut message = format!("{t}.").into_bytes();
    message.extend_from_slice(body);
    let mac = hmac_sha256(app::secret("payment_webhook_secret").as_bytes(), &message);
    format!("t={t},v1={}", hex(&mac))
}

/// POSTs a signed notification.
pub(crate) fn notify(app: &App, body: &[u8]) -> Reply {
    let t = chrono::Utc::now().timestamp();
    app.with_authorization(None).send(
        "POST",
        "/payments/notifications",
        &[("Orderflow-Signature", &signature(body, t))],
        body,
    )
}
