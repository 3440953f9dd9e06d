//! Values parsed at the edge: money, ids, text, Brazilian documents, quantities and instants.
//!
//! Parse, don't validate: every type here has private fields and is built only through `parse`,
//! `new` or `TryFrom`, and deserializing runs the same checks, so a stored document that was
//! edited by hand cannot smuggle in a value the API would have refused. Past the edge, code sees
//! only valid values. A refusal is an [`Invalid`]; the caller attaches the field with
//! [`Invalid::at`].
//!
//! ```
//! use orderflow_domain::values::{Cpf, Invalid, Money};
//!
//! let cpf = Cpf::parse("390.533.447-05")?;
//! assert_eq!(cpf.as_str(), "39053344705");
//! assert_eq!(Money::non_negative(-1), Err(Invalid::Negative));
//! let err = Invalid::Negative.at("unitPrice").within("items[2]");
//! assert_eq!(err.to_string(), "items[2].unitPrice must not be negative");
//! # Ok::<(), Invalid>(())
//! ```

mod br;
mod currency;
mod email;
mod error;
mod ids;
mod money;
mod quantity;
mod text;
mod time;

pub use br::{Cnpj, Cpf, Document, NfeKey};
pub use currency::Currency;
pub use email::Email;
pub use error::{FieldError, Invalid};
pub use ids::{
    Channel, CustomerId, ExternalId, IdempotencyKey, LocationId, OrderId, PaymentId, PlanId,
    RequestId, SubscriptionId, TestClockId,
};
pub use money::Money;
pub use quantity::Quantity;
pub use text::{Country, Phone, PostalCode, Sku, Text, Uf};
pub use time::Timestamp;
