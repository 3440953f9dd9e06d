//! Amounts of money in integer minor units, with arithmetic that refuses to overflow.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::{Currency, Invalid};

/// An amount in integer minor units (centavos) — never a float. Signed (a balance can be negative);
/// prices, amounts and payments are parsed with `non_negative`.
///
/// The currency is not part of the value: an order has one currency for all its amounts.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Money(i64);

impl Money {
    /// Nothing.
    pub const ZERO: Money = Money(0);

    /// An amount of `minor` units, positive or negative.
    pub const fn from_minor(minor: i64) -> Money {
        Money(minor)
    }

    /// The amount in minor units.
    pub const fn minor(self) -> i64 {
        self.0
    }

    /// A price, amount or payment from outside: zero or more minor units.
    pub fn non_negative(minor: i64) -> Result<Money, Invalid> {
        if minor < 0 {
            Err(Invalid::Negative)
        } else {
            Ok(Money(minor))
        }
    }

    /// `self + other`, or `Overflow`.
    pub fn checked_add(self, other: Money) -> Result<Money, Invalid> {
        self.0
            .checked_add(other.0)
            .map(Money)
            .ok_or(Invalid::Overflow)
    }

    /// `self - other`, or `Overflow`.
    pub fn checked_sub(self, other: Money) -> Result<Money, Invalid> {
        self.0
            .checked_sub(other.0)
            .map(Money)
            .ok_or(Invalid::Overflow)
    }

    /// `self × quantity` (a unit price times a quantity), or `Overflow`.
    pub fn checked_mul(self, quantity: u32) -> Result<Money, Invalid> {
        self.0
            .checked_mul(i64::from(quantity))
            .map(Money)
            .ok_or(Invalid::Overflow)
    }

    /// `-self`, or `Overflow` for the one amount with no opposite (`i64::MIN`).
    pub fn checked_neg(self) -> Result<Money, Invalid> {
        self.0.checked_neg().map(Money).ok_or(Invalid::Overflow)
    }

    /// The sum of all `items`, or `Overflow` as soon as a partial sum leaves `i64`.
    ///
    /// Stopping at the first overflow is deliberate: a total that only fits thanks to a later
    /// negative amount still means an input was absurd.
    pub fn sum<I: IntoIterator<Item = Money>>(items: I) -> Result<Money, Invalid> {
        items
            .into_iter()
            .try_fold(Money::ZERO, |total, item| total.checked_add(item))
    }

    /// Whether the amount is below zero.
    pub fn is_negative(self) -> bool {
        self.0 < 0
    }

    /// Whether the amount is zero.
    pub fn is_zero(self) -> bool {
        self.0 == 0
    }

    /// The smaller of two amounts.
    pub fn min(self, other: Money) -> Money {
        Money(self.0.min(other.0))
    }

    /// The larger of two amounts.
    pub fn max(self, other: Money) -> Money {
        Money(self.0.max(other.0))
    }

    /// "114.80" for 11480 BRL, "-0.05", "1500" for JPY — decimal text with the currency's exponent (for exports).
    pub fn to_decimal_string(self, currency: Currency) -> String {
        let exponent = currency.exponent();
        let sign = if self.0 < 0 { "-" } else { "" };
        // unsigned_abs: i64::MIN has no positive i64 counterpart.
        let abs = self.0.unsigned_abs();
        if exponent == 0 {
            return format!("{sign}{abs}");
        }
        let scale = 10u64.pow(exponent);
        let width = exponent as usize;
        format!("{sign}{}.{:0width$}", abs / scale, abs % scale)
    }
}

impl fmt::Display for Money {
    /// The minor-unit integer, e.g. `11480`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn currency(code: &str) -> Currency {
        match Currency::parse(code) {
            Ok(c) => c,
            Err(e) => panic!("{code}: {e}"),
        }
    }

    #[test]
    fn a_negative_price_is_refused() {
        assert_eq!(Money::non_negative(-1), Err(Invalid::Negative));
        assert_eq!(Money::non_negative(0), Ok(Money::ZERO));
        assert_eq!(Money::non_negative(4990), Ok(Money::from_minor(4990)));
    }

    #[test]
    fn arithmetic_at_the_edges_reports_overflow_instead_of_wrapping() {
        let max = Money::from_minor(i64::MAX);
        let min = Money::from_minor(i64::MIN);
        assert_eq!(
            max.checked_add(Money::from_minor(1)),
            Err(Invalid::Overflow)
        );
        assert_eq!(
            min.checked_sub(Money::from_minor(1)),
            Err(Invalid::Overflow)
        );
        assert_eq!(min.checked_neg(), Err(Invalid::Overflow));
        assert_eq!(max.checked_neg(), Ok(Money::from_minor(-i64::MAX)));
        assert_eq!(max.checked_mul(2), Err(Invalid::Overflow));
        assert_eq!(
            Money::from_minor(4990).checked_mul(2),
            Ok(Money::from_minor(9980))
        );
        assert_eq!(Money::from_minor(-5).checked_mul(0), Ok(Money::ZERO));
    }

    #[test]
    fn the_sum_of_nothing_is_zero() {
        assert_eq!(Money::sum([]), Ok(Money::ZERO));
        assert_eq!(
            Money::sum([9980, 1500].map(Money::from_minor)),
            Ok(Money::from_minor(11480))
        );
    }

    #[test]
    fn min_max_and_predicates_behave_like_integers() {
        let a = Money::from_minor(-3);
        let b = Money::from_minor(7);
        assert_eq!(a.min(b), a);
        assert_eq!(a.max(b), b);
        assert!(a.is_negative() && !b.is_negative());
        assert!(Money::ZERO.is_zero() && !a.is_zero());
        assert!(a < b);
    }

    #[test]
    fn decimal_text_uses_the_currency_exponent() {
        let brl = Currency::BRL;
        assert_eq!(Money::from_minor(11480).to_decimal_string(brl), "114.80");
        assert_eq!(Money::from_minor(-5).to_decimal_string(brl), "-0.05");
        assert_eq!(Money::from_minor(0).to_decimal_string(brl), "0.00");
        assert_eq!(Money::from_minor(-100).to_decimal_string(brl), "-1.00");
        assert_eq!(
            Money::from_minor(1500).to_decimal_string(currency("JPY")),
            "1500"
        );
        assert_eq!(
            Money::from_minor(-1500).to_decimal_string(currency("CLP")),
            "-1500"
        );
        assert_eq!(
            Money::from_minor(1).to_decimal_string(currency("KWD")),
            "0.001"
        );
        assert_eq!(
            Money::from_minor(12345).to_decimal_string(currency("CLF")),
            "1.2345"
        );
        assert_eq!(
            Money::from_minor(i64::MIN).to_decimal_string(brl),
            "-92233720368547758.08"
        );
    }

    #[test]
    fn money_displays_as_its_minor_units() {
        assert_eq!(Money::from_minor(-11480).to_string(), "-11480");
    }

    #[test]
    fn money_is_a_bare_integer_in_json() -> Result<(), serde_json::Error> {
        let m = Money::from_minor(11480);
        assert_eq!(serde_json::to_string(&m)?, "11480");
        assert_eq!(serde_json::from_str::<Money>("-5")?, Money::from_minor(-5));
        assert!(serde_json::from_str::<Money>("114.80").is_err());
        assert!(serde_json::from_str::<Money>("\"11480\"").is_err());
        assert!(serde_json::from_str::<Money>("9223372036854775808").is_err());
        Ok(())
    }

    proptest! {
        #[test]
        fn checked_add_and_sub_agree_with_wide_arithmetic(a: i64, b: i64) {
            let wide_sum = i128::from(a) + i128::from(b);
            let wide_diff = i128::from(a) - i128::from(b);
            let (ma, mb) = (Money::from_minor(a), Money::from_minor(b));
            match i64::try_from(wide_sum) {
                Ok(s) => prop_assert_eq!(ma.checked_add(mb), Ok(Money::from_minor(s))),
                Err(_) => prop_assert_eq!(ma.checked_add(mb), Err(Invalid::Overflow)),
            }
            match i64::try_from(wide_diff) {
                Ok(d) => prop_assert_eq!(ma.checked_sub(mb), Ok(Money::from_minor(d))),
                Err(_) => prop_assert_eq!(ma.checked_sub(mb), Err(Invalid::Overflow)),
            }
        }

        #[test]
        fn checked_mul_agrees_with_wide_arithmetic(a: i64, q: u32) {
            let wide = i128::from(a) * i128::from(q);
            let got = Money::from_minor(a).checked_mul(q);
            match i64::try_from(wide) {
                Ok(p) => prop_assert_eq!(got, Ok(Money::from_minor(p))),
                Err(_) => prop_assert_eq!(got, Err(Invalid::Overflow)),
            }
        }

        #[test]
        fn sum_is_the_wide_sum_or_overflow(items in proptest::collection::vec(
            prop_oneof![any::<i64>(), -1_000_000i64..1_000_000], 0..20)
        ) {
            // Reference: the running sum in i128; overflow as soon as a prefix leaves i64.
            let mut wide = 0i128;
            let mut overflowed = false;
            for &m in &items {
                wide += i128::from(m);
                if i64::try_from(wide).is_err() {
                    overflowed = true;
                    break;
                }
            }
            let got = Money::sum(items.iter().copied().map(Money::from_minor));
            if overflowed {
                prop_assert_eq!(got, Err(Invalid::Overflow));
            } else {
                prop_assert_eq!(got.map(Money::minor).map(i128::from), Ok(wide));
            }
        }

        #[test]
        fn money_round_trips_through_json(m: i64) {
            let json = serde_json::to_string(&Money::from_minor(m)).map_err(|e| TestCaseError::fail(e.to_string()))?;
            let back: Money = serde_json::from_str(&json).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(back, Money::from_minor(m));
        }
    }
}
