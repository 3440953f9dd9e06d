//! Request bodies the way a store's checkout and back office send them.

use serde_json::{Value, json};

/// A valid pix order of two units (2 × 49.90 + 15.00 shipping = 114.80) from channel
/// `storefront` with external id `external_id`.
pub(crate) fn order(external_id: &str) -> Value {
    json!({
        "channel": "storefront",
        "externalId": external_id,
        "currency": "BRL",
        "customer": {
            "id": "c-17",
            "name": "Ana Souza",
            "email": "ana@example.com",
            "document": "39053344705",
            "phone": "+5511999990000"
        },
        "shippingAddress": {
            "street": "Rua A", "number": "10", "complement": "", "neighborhood": "Centro",
            "city": "São Paulo", "state": "SP", "postalCode": "01001000", "country": "BRA"
        },
        "items": [
            {"sku": "CAM-P-AZ", "name": "Camiseta azul P", "quantity": 2, "unitPrice": 4990, "discount": 0}
        ],
        "shipping": {"method": "PAC", "carrier": "Correios", "price": 1500},
        "payment": {"method": "pix"},
        "totals": {"total": 11480}
    })
}

/// The total of [`order`].
pub(crate) const TOTAL: i64 = 11480;

/// A 44-digit NF-e access key with a valid check digit (modulo 11, weights 2-9 from the right).
pub(crate) fn nfe_key(number: u32) -> String {
    let body = format!("3526111122233300018155001{number:09}112345678");
    assert_eq!(body.len(), 43);
    let sum: u32 = body
        .bytes()
        .rev()
        .zip((2..=9).cycle())
        .map(|(digit, weight)| u32::from(digit - b'0') * weight)
        .sum();
    let check = match 11 - sum % 11 {
        10 | 11 => 0,
        digit => digit,
    };
    format!("{body}{check}")
}
