//! The buyer and the address of the examples, for the tests and benchmarks of this crate (never
//! used at run time; the linker drops them).

use crate::order::{Address, Customer};
use crate::values::{Country, Email, Invalid, PostalCode, Text};

/// Ana Souza, who buys in every example.
pub fn customer() -> Result<Customer, Invalid> {
    Ok(Customer {
        id: None,
        name: Text::parse("Ana Souza", 200)?,
        email: Email::parse("ana@example.com")?,
        document: None,
        phone: None,
    })
}

/// Rua A, 10, São Paulo: where every example goes.
pub fn address() -> Result<Address, Invalid> {
    Ok(Address {
        street: Text::parse("Rua A", 200)?,
        number: Text::parse("10", 200)?,
        complement: None,
        neighborhood: None,
        city: Text::parse("São Paulo", 200)?,
        state: Text::parse("SP", 200)?,
        postal_code: PostalCode::parse("01001000", true)?,
        country: Country::BRA,
    })
}
