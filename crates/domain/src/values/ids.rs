//! Opaque identifiers chosen by us or by the systems we talk to, and the Idempotency-Key header.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::Invalid;

/// Checks the opaque-id rule: 1..=`max` chars of `[A-Za-z0-9._:-]`.
fn check_opaque(s: &str, max: usize) -> Result<(), Invalid> {
    if s.is_empty() {
        return Err(Invalid::Empty);
    }
    if s.chars().count() > max {
        return Err(Invalid::TooLong { max });
    }
    if s.bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b':' | b'-'))
    {
        Ok(())
    } else {
        Err(Invalid::BadFormat {
            expected: "letters, digits, '.', '_', ':' or '-'",
        })
    }
}

/// Checks the Idempotency-Key rule: 1..=`max` printable ASCII characters, not all spaces.
fn check_idempotency_key(s: &str, max: usize) -> Result<(), Invalid> {
    if s.bytes().all(|b| b == b' ') {
        return Err(Invalid::Empty);
    }
    if s.chars().count() > max {
        return Err(Invalid::TooLong { max });
    }
    if s.bytes().all(|b| (0x20..=0x7E).contains(&b)) {
        Ok(())
    } else {
        Err(Invalid::BadFormat {
            expected: "printable ASCII characters",
        })
    }
}

/// Defines a string newtype whose only constructor runs `$check(s, $max)`.
macro_rules! checked_string {
    ($(#[$doc:meta])* $name:ident, $check:ident, $max:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// The longest value accepted, in characters.
            pub const MAX_LEN: usize = $max;

            /// Parses a value from outside, refusing it unless it follows the rule above.
            pub fn parse(s: &str) -> Result<Self, Invalid> {
                $check(s, $max)?;
                Ok(Self(s.to_owned()))
            }

            /// The value as text, exactly as it was given.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl TryFrom<String> for $name {
            type Error = Invalid;

            fn try_from(s: String) -> Result<Self, Self::Error> {
                $check(&s, $max)?;
                Ok(Self(s))
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }
    };
}

checked_string!(
    /// An order's id: 1..=64 chars of `[A-Za-z0-9._:-]`.
    OrderId, check_opaque, 64
);
checked_string!(
    /// A subscription's id: 1..=64 chars of `[A-Za-z0-9._:-]`.
    SubscriptionId, check_opaque, 64
);
checked_string!(
    /// A test clock's id: 1..=64 chars of `[A-Za-z0-9._:-]`.
    TestClockId, check_opaque, 64
);
checked_string!(
    /// A subscription plan's id: 1..=64 chars of `[A-Za-z0-9._:-]`.
    PlanId, check_opaque, 64
);
checked_string!(
    /// A customer's id in the storefront or ERP: 1..=64 chars of `[A-Za-z0-9._:-]`.
    CustomerId, check_opaque, 64
);
checked_string!(
    /// A payment provider's id for a payment: 1..=64 chars of `[A-Za-z0-9._:-]`.
    PaymentId, check_opaque, 64
);
checked_string!(
    /// The id of one request, for logs and tracing: 1..=64 chars of `[A-Za-z0-9._:-]`.
    RequestId, check_opaque, 64
);
checked_string!(
    /// An order's id in the channel it came from (e.g. a marketplace's "MLB-998877"): 1..=64
    /// chars of `[A-Za-z0-9._:-]`.
    ExternalId, check_opaque, 64
);
checked_string!(
    /// A stock location (a warehouse, a store's back room): 1..=64 chars of `[A-Za-z0-9._:-]`.
    LocationId, check_opaque, 64
);
checked_string!(
    /// The sales channel an order came from: 1..=32 chars of `[A-Za-z0-9._:-]`, default
    /// `"storefront"`.
    Channel, check_opaque, 32
);
checked_string!(
    /// Idempotency-Key header value: 1..=255 printable ASCII characters (0x20..=0x7E), not all
    /// spaces. Kept exactly as sent, since it is compared byte for byte.
    IdempotencyKey, check_idempotency_key, 255
);

impl Default for Channel {
    /// `"storefront"`.
    fn default() -> Self {
        Channel("storefront".to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BAD: Invalid = Invalid::BadFormat {
        expected: "letters, digits, '.', '_', ':' or '-'",
    };

    #[test]
    fn an_opaque_id_accepts_letters_digits_and_separators() {
        for ok in ["o-1042", "MLB-998877", "a.b_c:d-e", "x", &"9".repeat(64)] {
            assert_eq!(
                OrderId::parse(ok).map(|id| id.to_string()),
                Ok(ok.to_owned())
            );
        }
    }

    #[test]
    fn an_opaque_id_refuses_empty_long_and_odd_characters() {
        assert_eq!(OrderId::parse(""), Err(Invalid::Empty));
        assert_eq!(
            OrderId::parse(&"a".repeat(65)),
            Err(Invalid::TooLong { max: 64 })
        );
        for bad in ["a b", "a/b", "ação", "a\n", " a", "a#1", "ü"] {
            assert_eq!(CustomerId::parse(bad), Err(BAD), "{bad:?}");
        }
    }

    #[test]
    fn a_channel_is_at_most_32_chars_and_defaults_to_storefront() {
        assert_eq!(Channel::default().as_str(), "storefront");
        assert!(Channel::parse(&"c".repeat(32)).is_ok());
        assert_eq!(
            Channel::parse(&"c".repeat(33)),
            Err(Invalid::TooLong { max: 32 })
        );
        assert_eq!(Channel::MAX_LEN, 32);
    }

    #[test]
    fn an_idempotency_key_is_printable_ascii_and_not_blank() {
        assert!(IdempotencyKey::parse("order 1042 / try #2 {ok}").is_ok());
        assert!(IdempotencyKey::parse(&"k".repeat(255)).is_ok());
        assert_eq!(
            IdempotencyKey::parse(&"k".repeat(256)),
            Err(Invalid::TooLong { max: 255 })
        );
        assert_eq!(IdempotencyKey::parse(""), Err(Invalid::Empty));
        assert_eq!(IdempotencyKey::parse("   "), Err(Invalid::Empty));
        for bad in ["a\tb", "ação", "a\u{7f}"] {
            assert_eq!(
                IdempotencyKey::parse(bad),
                Err(Invalid::BadFormat {
                    expected: "printable ASCII characters"
                }),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn ids_round_trip_through_json_and_a_stored_bad_id_is_refused()
    -> Result<(), Box<dyn std::error::Error>> {
        let id = PaymentId::parse("pay_123:abc")?;
        let json = serde_json::to_string(&id)?;
        assert_eq!(json, "\"pay_123:abc\"");
        assert_eq!(serde_json::from_str::<PaymentId>(&json)?, id);
        assert!(serde_json::from_str::<PaymentId>("\"pay 123\"").is_err());
        assert!(serde_json::from_str::<PaymentId>("\"\"").is_err());
        assert!(serde_json::from_str::<PaymentId>("123").is_err());
        let key = IdempotencyKey::parse("k 1")?;
        assert_eq!(
            serde_json::from_str::<IdempotencyKey>(&serde_json::to_string(&key)?)?,
            key
        );
        assert!(serde_json::from_str::<IdempotencyKey>("\"\\u0000\"").is_err());
        Ok(())
    }

    #[test]
    fn ids_order_by_their_text() -> Result<(), Invalid> {
        assert!(SubscriptionId::parse("a")? < SubscriptionId::parse("b")?);
        Ok(())
    }
}
