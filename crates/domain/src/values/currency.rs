//! ISO 4217 currency codes and their minor-unit exponents.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::Invalid;

/// The active ISO 4217 list (codes with a minor unit; sorted, so it can be binary-searched) and
/// each code's number of decimal places. Precious metals, SDRs and testing codes have no minor
/// unit ("N.A." in the standard) and are left out: an order cannot be priced in them.
#[rustfmt::skip]
const CURRENCIES: &[(&str, u8)] = &[
    ("AED", 2), ("AFN", 2), ("ALL", 2), ("AMD", 2), ("AOA", 2), ("ARS", 2), ("AUD", 2),
    ("AWG", 2), ("AZN", 2), ("BAM", 2), ("BBD", 2), ("BDT", 2), ("BGN", 2), ("BHD", 3),
    ("BIF", 0), ("BMD", 2), ("BND", 2), ("BOB", 2), ("BOV", 2), ("BRL", 2), ("BSD", 2),
    ("BTN", 2), ("BWP", 2), ("BYN", 2), ("BZD", 2), ("CAD", 2), ("CDF", 2), ("CHE", 2),
    ("CHF", 2), ("CHW", 2), ("CLF", 4), ("CLP", 0), ("CNY", 2), ("COP", 2), ("COU", 2),
    ("CRC", 2), ("CUP", 2), ("CVE", 2), ("CZK", 2), ("DJF", 0), ("DKK", 2), ("DOP", 2),
    ("DZD", 2), ("EGP", 2), ("ERN", 2), ("ETB", 2), ("EUR", 2), ("FJD", 2), ("FKP", 2),
    ("GBP", 2), ("GEL", 2), ("GHS", 2), ("GIP", 2), ("GMD", 2), ("GNF", 0), ("GTQ", 2),
    ("GYD", 2), ("HKD", 2), ("HNL", 2), ("HTG", 2), ("HUF", 2), ("IDR", 2), ("ILS", 2),
    ("INR", 2), ("IQD", 3), ("IRR", 2), ("ISK", 0), ("JMD", 2), ("JOD", 3), ("JPY", 0),
    ("KES", 2), ("KGS", 2), ("KHR", 2), ("KMF", 0), ("KPW", 2), ("KRW", 0), ("KWD", 3),
    ("KYD", 2), ("KZT", 2), ("LAK", 2), ("LBP", 2), ("LKR", 2), ("LRD", 2), ("LSL", 2),
    ("LYD", 3), ("MAD", 2), ("MDL", 2), ("MGA", 2), ("MKD", 2), ("MMK", 2), ("MNT", 2),
    ("MOP", 2), ("MRU", 2), ("MUR", 2), ("MVR", 2), ("MWK", 2), ("MXN", 2), ("MXV", 2),
    ("MYR", 2), ("MZN", 2), ("NAD", 2), ("NGN", 2), ("NIO", 2), ("NOK", 2), ("NPR", 2),
    ("NZD", 2), ("OMR", 3), ("PAB", 2), ("PEN", 2), ("PGK", 2), ("PHP", 2), ("PKR", 2),
    ("PLN", 2), ("PYG", 0), ("QAR", 2), ("RON", 2), ("RSD", 2), ("RUB", 2), ("RWF", 0),
    ("SAR", 2), ("SBD", 2), ("SCR", 2), ("SDG", 2), ("SEK", 2), ("SGD", 2), ("SHP", 2),
    ("SLE", 2), ("SOS", 2), ("SRD", 2), ("SSP", 2), ("STN", 2), ("SVC", 2), ("SYP", 2),
    ("SZL", 2), ("THB", 2), ("TJS", 2), ("TMT", 2), ("TND", 3), ("TOP", 2), ("TRY", 2),
    ("TTD", 2), ("TWD", 2), ("TZS", 2), ("UAH", 2), ("UGX", 0), ("USD", 2), ("USN", 2),
    ("UYI", 0), ("UYU", 2), ("UYW", 4), ("UZS", 2), ("VED", 2), ("VES", 2), ("VND", 0),
    ("VUV", 0), ("WST", 2), ("XAF", 0), ("XCD", 2), ("XCG", 2), ("XOF", 0), ("XPF", 0),
    ("YER", 2), ("ZAR", 2), ("ZMW", 2), ("ZWG", 2),
];

/// An ISO 4217 code in the active list (embed the list with each code's minor-unit exponent: BRL 2, USD 2, EUR 2, JPY 0, KWD 3, CLP 0, ...). Uppercase only; "brl" is BadFormat.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(into = "String")]
pub struct Currency {
    /// Always an entry of `CURRENCIES`, so `as_str` needs no fallible conversion.
    code: &'static str,
    exponent: u8,
}

impl Currency {
    /// The Brazilian real, the default currency of an order.
    pub const BRL: Currency = Currency {
        code: "BRL",
        exponent: 2,
    };

    /// Parses an uppercase ISO 4217 code from the active list.
    pub fn parse(s: &str) -> Result<Currency, Invalid> {
        if s.is_empty() {
            return Err(Invalid::Empty);
        }
        CURRENCIES
            .binary_search_by(|(code, _)| (*code).cmp(s))
            .ok()
            .and_then(|i| CURRENCIES.get(i))
            .map(|&(code, exponent)| Currency { code, exponent })
            .ok_or(Invalid::BadFormat {
                expected: "an uppercase ISO 4217 currency code such as BRL",
            })
    }

    /// The three-letter code, e.g. `"BRL"`.
    pub fn as_str(&self) -> &str {
        self.code
    }

    /// The number of decimal places of the minor unit: 2 for BRL (centavos), 0 for JPY.
    pub fn exponent(self) -> u32 {
        u32::from(self.exponent)
    }
}

impl Default for Currency {
    /// BRL.
    fn default() -> Self {
        Currency::BRL
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code)
    }
}

impl TryFrom<String> for Currency {
    type Error = Invalid;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        Currency::parse(&s)
    }
}

impl From<Currency> for String {
    fn from(c: Currency) -> String {
        c.code.to_owned()
    }
}

// A derived `Deserialize` would require `'de: 'static` because of the `&'static str` inside.
impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        Currency::try_from(s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_list_is_sorted_unique_and_uppercase() {
        assert!(CURRENCIES.windows(2).all(|w| w[0].0 < w[1].0));
        assert!(
            CURRENCIES
                .iter()
                .all(|(c, e)| c.len() == 3 && c.bytes().all(|b| b.is_ascii_uppercase()) && *e <= 4)
        );
    }

    #[test]
    fn the_brl_constant_is_the_listed_brl() {
        assert_eq!(Currency::parse("BRL"), Ok(Currency::BRL));
        assert_eq!(Currency::default(), Currency::BRL);
    }

    #[test]
    fn known_codes_carry_their_exponents() {
        for (code, exponent) in [
            ("BRL", 2),
            ("USD", 2),
            ("EUR", 2),
            ("JPY", 0),
            ("KWD", 3),
            ("CLP", 0),
            ("CLF", 4),
        ] {
            assert_eq!(
                Currency::parse(code).map(Currency::exponent),
                Ok(exponent),
                "{code}"
            );
        }
    }

    #[test]
    fn lowercase_unknown_and_withdrawn_codes_are_refused() {
        let bad = Invalid::BadFormat {
            expected: "an uppercase ISO 4217 currency code such as BRL",
        };
        for code in ["brl", "Brl", "XXX", "BRZ", "BR", "BRLL", " BRL", "XAU"] {
            assert_eq!(Currency::parse(code), Err(bad.clone()), "{code}");
        }
        assert_eq!(Currency::parse(""), Err(Invalid::Empty));
    }

    #[test]
    fn a_currency_is_a_json_string_and_a_stored_bad_code_is_refused()
    -> Result<(), serde_json::Error> {
        assert_eq!(serde_json::to_string(&Currency::BRL)?, "\"BRL\"");
        assert_eq!(
            serde_json::from_str::<Currency>("\"JPY\"")?.to_string(),
            "JPY"
        );
        assert!(serde_json::from_str::<Currency>("\"brl\"").is_err());
        assert!(serde_json::from_str::<Currency>("986").is_err());
        Ok(())
    }
}
