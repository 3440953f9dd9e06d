//! How many units of an item: always at least one, never absurdly many.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::Invalid;

const MAX: u32 = 100_000;

/// A positive item quantity, 1..=100_000.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "u32", into = "u32")]
pub struct Quantity(u32);

impl Quantity {
    /// One unit.
    pub const ONE: Quantity = Quantity(1);

    /// The largest quantity of one item an order may carry.
    pub const MAX: Quantity = Quantity(MAX);

    /// A quantity from outside: `NotPositive` for 0 or less, `OutOfRange` above 100 000.
    pub fn new(n: i64) -> Result<Quantity, Invalid> {
        if n <= 0 {
            return Err(Invalid::NotPositive);
        }
        match u32::try_from(n) {
            Ok(q) if q <= MAX => Ok(Quantity(q)),
            Ok(_) | Err(_) => Err(Invalid::OutOfRange {
                min: 1,
                max: i64::from(MAX),
            }),
        }
    }

    /// The number of units.
    pub fn get(self) -> u32 {
        self.0
    }

    /// `self + other`, or `OutOfRange` when that exceeds 100 000.
    pub fn checked_add(self, other: Quantity) -> Result<Quantity, Invalid> {
        Quantity::new(i64::from(self.0) + i64::from(other.0))
    }

    /// `self - other`, or `None` when nothing would be left (the result would be 0 or below).
    pub fn checked_sub(self, other: Quantity) -> Option<Quantity> {
        self.0.checked_sub(other.0).filter(|&q| q > 0).map(Quantity)
    }
}

impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl TryFrom<u32> for Quantity {
    type Error = Invalid;

    fn try_from(n: u32) -> Result<Self, Self::Error> {
        Quantity::new(i64::from(n))
    }
}

impl From<Quantity> for u32 {
    fn from(q: Quantity) -> u32 {
        q.0
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    const RANGE: Invalid = Invalid::OutOfRange {
        min: 1,
        max: 100_000,
    };

    #[test]
    fn a_quantity_is_between_one_and_a_hundred_thousand() {
        assert_eq!(Quantity::new(1), Ok(Quantity::ONE));
        assert_eq!(Quantity::new(100_000), Ok(Quantity::MAX));
        assert_eq!(Quantity::new(0), Err(Invalid::NotPositive));
        assert_eq!(Quantity::new(-3), Err(Invalid::NotPositive));
        assert_eq!(Quantity::new(100_001), Err(RANGE));
        assert_eq!(Quantity::new(i64::MAX), Err(RANGE));
        assert_eq!(Quantity::new(i64::MIN), Err(Invalid::NotPositive));
    }

    #[test]
    fn adding_past_the_limit_is_refused() {
        assert_eq!(Quantity::MAX.checked_add(Quantity::ONE), Err(RANGE));
        assert_eq!(
            Quantity::ONE.checked_add(Quantity::ONE).map(Quantity::get),
            Ok(2)
        );
    }

    #[test]
    fn subtracting_everything_leaves_nothing() {
        let two = Quantity::ONE.checked_add(Quantity::ONE);
        assert_eq!(
            two.map(|t| t.checked_sub(Quantity::ONE)),
            Ok(Some(Quantity::ONE))
        );
        assert_eq!(Quantity::ONE.checked_sub(Quantity::ONE), None);
        assert_eq!(Quantity::ONE.checked_sub(Quantity::MAX), None);
    }

    #[test]
    fn a_quantity_is_a_json_number_and_a_stored_zero_is_refused() -> Result<(), serde_json::Error> {
        assert_eq!(serde_json::to_string(&Quantity::ONE)?, "1");
        assert_eq!(serde_json::from_str::<Quantity>("2")?.get(), 2);
        assert!(serde_json::from_str::<Quantity>("0").is_err());
        assert!(serde_json::from_str::<Quantity>("100001").is_err());
        assert!(serde_json::from_str::<Quantity>("-1").is_err());
        assert!(serde_json::from_str::<Quantity>("1.5").is_err());
        Ok(())
    }

    proptest! {
        #[test]
        fn new_accepts_exactly_the_valid_range(n: i64) {
            prop_assert_eq!(Quantity::new(n).is_ok(), (1..=100_000).contains(&n));
        }

        #[test]
        fn quantities_round_trip_through_json(n in 1u32..=100_000) {
            let q = Quantity::try_from(n).map_err(|e| TestCaseError::fail(e.to_string()))?;
            let json = serde_json::to_string(&q).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(serde_json::from_str::<Quantity>(&json).ok(), Some(q));
        }
    }
}
