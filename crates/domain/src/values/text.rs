//! Text people type and short codes of postal addresses: names, SKUs, CEPs, phones, countries, UFs.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::Invalid;

/// The most characters a stored [`Text`] may have when read back.
const STORED_TEXT_MAX: usize = 10_000;

/// Free text a person typed (names, reasons, comments): trimmed, 1..=max chars, no control characters except \n and \t in `multiline`.
///
/// In JSON it is a plain string. Reading a stored document accepts any text of up to 10 000
/// characters that `multiline` would accept, because the field-specific limit is not known there
/// (and a limit lowered later must not make old documents unreadable).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Text(String);

impl Text {
    /// One line of text: trimmed, 1..=`max` chars, no control characters at all.
    pub fn parse(s: &str, max: usize) -> Result<Text, Invalid> {
        Text::checked(s, max, false)
    }

    /// Text that may span lines: trimmed, 1..=`max` chars, no control characters except `\n`
    /// and `\t`. A `\r\n` line break (what browsers send from a textarea) is stored as `\n`.
    pub fn multiline(s: &str, max: usize) -> Result<Text, Invalid> {
        if s.contains("\r\n") {
            Text::checked(&s.replace("\r\n", "\n"), max, true)
        } else {
            Text::checked(s, max, true)
        }
    }

    fn checked(s: &str, max: usize, multiline: bool) -> Result<Text, Invalid> {
        let s = s.trim();
        if s.is_empty() {
            return Err(Invalid::Empty);
        }
        if s.chars().count() > max {
            return Err(Invalid::TooLong { max });
        }
        let allowed = |c: char| !c.is_control() || (multiline && matches!(c, '\n' | '\t'));
        if !s.chars().all(allowed) {
            return Err(Invalid::BadFormat {
                expected: if multiline {
                    "text without control characters other than line breaks and tabs"
                } else {
                    "one line of text without control characters"
                },
            });
        }
        Ok(Text(s.to_owned()))
    }

    /// The text, trimmed.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for Text {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        Text::multiline(&s, STORED_TEXT_MAX).map_err(serde::de::Error::custom)
    }
}

/// Defines `Display`, `TryFrom<String>` (through `parse`) and `From<T> for String` for a
/// string newtype.
macro_rules! string_conversions {
    ($name:ident) => {
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl TryFrom<String> for $name {
            type Error = Invalid;

            fn try_from(s: String) -> Result<Self, Self::Error> {
                $name::parse(&s)
            }
        }

        impl From<$name> for String {
            fn from(v: $name) -> String {
                v.as_str().to_owned()
            }
        }
    };
}

/// A SKU: 1..=64 chars, printable, no whitespace.
///
/// Letters beyond ASCII are allowed (sellers write "AÇÚCAR-1KG"); the SKU is kept exactly as
/// given, with no trimming or case folding, because it is matched against other systems.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Sku(String);

impl Sku {
    /// Parses a SKU.
    pub fn parse(s: &str) -> Result<Sku, Invalid> {
        if s.is_empty() {
            return Err(Invalid::Empty);
        }
        if s.chars().count() > 64 {
            return Err(Invalid::TooLong { max: 64 });
        }
        if s.chars().any(|c| c.is_control() || c.is_whitespace()) {
            return Err(Invalid::BadFormat {
                expected: "printable characters without spaces",
            });
        }
        Ok(Sku(s.to_owned()))
    }

    /// The SKU as given.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

string_conversions!(Sku);

/// A postal code. Brazilian CEP 8 digits ("01001-000" accepted, stored "01001000"); outside
/// Brazil 1..=16 chars of `[A-Za-z0-9 -]`, trimmed and otherwise kept as given.
///
/// A stored document is read with the foreign rule, which every stored CEP also meets.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PostalCode(String);

impl PostalCode {
    /// Parses a CEP when `country_is_brazil`, otherwise a foreign postal code.
    pub fn parse(s: &str, country_is_brazil: bool) -> Result<PostalCode, Invalid> {
        let s = s.trim();
        if s.is_empty() {
            return Err(Invalid::Empty);
        }
        if country_is_brazil {
            let b = s.as_bytes();
            let digits: String = match b.len() {
                8 => s.to_owned(),
                9 if b.get(5) == Some(&b'-') => s.replacen('-', "", 1),
                _ => String::new(),
            };
            if digits.len() == 8 && digits.bytes().all(|b| b.is_ascii_digit()) {
                Ok(PostalCode(digits))
            } else {
                Err(Invalid::BadFormat {
                    expected: "a CEP of 8 digits, such as 01001-000",
                })
            }
        } else if s.chars().count() > 16 {
            Err(Invalid::TooLong { max: 16 })
        } else if s
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b' ' || b == b'-')
        {
            Ok(PostalCode(s.to_owned()))
        } else {
            Err(Invalid::BadFormat {
                expected: "letters, digits, spaces or '-'",
            })
        }
    }

    /// The postal code; a CEP as 8 digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PostalCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for PostalCode {
    type Error = Invalid;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        PostalCode::parse(&s, false)
    }
}

impl From<PostalCode> for String {
    fn from(v: PostalCode) -> String {
        v.0
    }
}

/// Phone: E.164-ish: optional leading '+', 8..=15 digits after stripping spaces, '-', '(' and ')'.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Phone(String);

impl Phone {
    /// Parses a phone number typed with the usual punctuation, e.g. "+55 (11) 99999-0000".
    pub fn parse(s: &str) -> Result<Phone, Invalid> {
        let s = s.trim();
        if s.is_empty() {
            return Err(Invalid::Empty);
        }
        let (plus, rest) = match s.strip_prefix('+') {
            Some(rest) => ("+", rest),
            None => ("", s),
        };
        let digits: String = rest
            .chars()
            .filter(|c| !matches!(c, ' ' | '-' | '(' | ')'))
            .collect();
        if (8..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Phone(format!("{plus}{digits}")))
        } else {
            Err(Invalid::BadFormat {
                expected: "a phone number of 8 to 15 digits, optionally starting with +",
            })
        }
    }

    /// The normalized number: "+5511999990000", or bare digits when no '+' was given.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

string_conversions!(Phone);

/// Every ISO 3166-1 alpha-3 code, sorted.
#[rustfmt::skip]
const COUNTRIES: &[&str] = &[
    "ABW", "AFG", "AGO", "AIA", "ALA", "ALB", "AND", "ARE", "ARG", "ARM", "ASM", "ATA", "ATF",
    "ATG", "AUS", "AUT", "AZE", "BDI", "BEL", "BEN", "BES", "BFA", "BGD", "BGR", "BHR", "BHS",
    "BIH", "BLM", "BLR", "BLZ", "BMU", "BOL", "BRA", "BRB", "BRN", "BTN", "BVT", "BWA", "CAF",
    "CAN", "CCK", "CHE", "CHL", "CHN", "CIV", "CMR", "COD", "COG", "COK", "COL", "COM", "CPV",
    "CRI", "CUB", "CUW", "CXR", "CYM", "CYP", "CZE", "DEU", "DJI", "DMA", "DNK", "DOM", "DZA",
    "ECU", "EGY", "ERI", "ESH", "ESP", "EST", "ETH", "FIN", "FJI", "FLK", "FRA", "FRO", "FSM",
    "GAB", "GBR", "GEO", "GGY", "GHA", "GIB", "GIN", "GLP", "GMB", "GNB", "GNQ", "GRC", "GRD",
    "GRL", "GTM", "GUF", "GUM", "GUY", "HKG", "HMD", "HND", "HRV", "HTI", "HUN", "IDN", "IMN",
    "IND", "IOT", "IRL", "IRN", "IRQ", "ISL", "ISR", "ITA", "JAM", "JEY", "JOR", "JPN", "KAZ",
    "KEN", "KGZ", "KHM", "KIR", "KNA", "KOR", "KWT", "LAO", "LBN", "LBR", "LBY", "LCA", "LIE",
    "LKA", "LSO", "LTU", "LUX", "LVA", "MAC", "MAF", "MAR", "MCO", "MDA", "MDG", "MDV", "MEX",
    "MHL", "MKD", "MLI", "MLT", "MMR", "MNE", "MNG", "MNP", "MOZ", "MRT", "MSR", "MTQ", "MUS",
    "MWI", "MYS", "MYT", "NAM", "NCL", "NER", "NFK", "NGA", "NIC", "NIU", "NLD", "NOR", "NPL",
    "NRU", "NZL", "OMN", "PAK", "PAN", "PCN", "PER", "PHL", "PLW", "PNG", "POL", "PRI", "PRK",
    "PRT", "PRY", "PSE", "PYF", "QAT", "REU", "ROU", "RUS", "RWA", "SAU", "SDN", "SEN", "SGP",
    "SGS", "SHN", "SJM", "SLB", "SLE", "SLV", "SMR", "SOM", "SPM", "SRB", "SSD", "STP", "SUR",
    "SVK", "SVN", "SWE", "SWZ", "SXM", "SYC", "SYR", "TCA", "TCD", "TGO", "THA", "TJK", "TKL",
    "TKM", "TLS", "TON", "TTO", "TUN", "TUR", "TUV", "TWN", "TZA", "UGA", "UKR", "UMI", "URY",
    "USA", "UZB", "VAT", "VCT", "VEN", "VGB", "VIR", "VNM", "VUT", "WLF", "WSM", "YEM", "ZAF",
    "ZMB", "ZWE",
];

/// Looks `s` up in a sorted table and returns the table's own `'static` copy.
fn lookup(table: &'static [&'static str], s: &str) -> Option<&'static str> {
    table
        .binary_search(&s)
        .ok()
        .and_then(|i| table.get(i))
        .copied()
}

/// Country: ISO 3166-1 alpha-3 uppercase ("BRA").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(into = "String")]
pub struct Country(&'static str);

impl Country {
    /// Brazil.
    pub const BRA: Country = Country("BRA");

    /// Parses an uppercase ISO 3166-1 alpha-3 code.
    pub fn parse(s: &str) -> Result<Country, Invalid> {
        if s.is_empty() {
            return Err(Invalid::Empty);
        }
        lookup(COUNTRIES, s).map(Country).ok_or(Invalid::BadFormat {
            expected: "an uppercase ISO 3166-1 alpha-3 country code such as BRA",
        })
    }

    /// The three-letter code, e.g. `"BRA"`.
    pub fn as_str(&self) -> &str {
        self.0
    }
}

impl Default for Country {
    /// Brazil.
    fn default() -> Self {
        Country::BRA
    }
}

string_conversions!(Country);

/// The 27 federative units of Brazil, sorted.
const UFS: &[&str] = &[
    "AC", "AL", "AM", "AP", "BA", "CE", "DF", "ES", "GO", "MA", "MG", "MS", "MT", "PA", "PB", "PE",
    "PI", "PR", "RJ", "RN", "RO", "RR", "RS", "SC", "SE", "SP", "TO",
];

/// Brazilian state (UF): the 27 two-letter codes, uppercase ("SP"). Used for addresses in
/// Brazil; outside Brazil, addresses use [`Text`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Uf(&'static str);

impl Uf {
    /// Parses one of the 27 uppercase codes.
    pub fn parse(s: &str) -> Result<Uf, Invalid> {
        if s.is_empty() {
            return Err(Invalid::Empty);
        }
        lookup(UFS, s)
            .map(Uf)
            .ok_or(Invalid::NotOneOf { allowed: UFS })
    }

    /// The two-letter code, e.g. `"SP"`.
    pub fn as_str(&self) -> &str {
        self.0
    }
}

string_conversions!(Uf);

// A derived `Deserialize` would require `'de: 'static` because of the `&'static str` inside.
impl<'de> Deserialize<'de> for Country {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        Country::try_from(s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    #[test]
    fn text_is_trimmed_and_counted_in_characters() -> TestResult {
        assert_eq!(Text::parse("  Ana Souza \n", 80)?.as_str(), "Ana Souza");
        assert_eq!(Text::parse("São Paulo", 9)?.as_str(), "São Paulo");
        assert_eq!(
            Text::parse("São Paulo!", 9),
            Err(Invalid::TooLong { max: 9 })
        );
        assert_eq!(Text::parse("   ", 9), Err(Invalid::Empty));
        assert_eq!(Text::parse("", 9), Err(Invalid::Empty));
        Ok(())
    }

    #[test]
    fn one_line_text_refuses_every_control_character() {
        for bad in ["a\nb", "a\tb", "a\u{0}b", "a\u{1b}[31m", "a\rb", "a\u{85}b"] {
            assert!(
                matches!(Text::parse(bad, 80), Err(Invalid::BadFormat { .. })),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn multiline_text_keeps_line_breaks_and_tabs_only() -> TestResult {
        assert_eq!(
            Text::multiline("line 1\n\tline 2\r\nline 3 ", 80)?.as_str(),
            "line 1\n\tline 2\nline 3"
        );
        assert!(matches!(
            Text::multiline("a\u{7}b", 80),
            Err(Invalid::BadFormat { .. })
        ));
        assert!(matches!(
            Text::multiline("a\rb", 80),
            Err(Invalid::BadFormat { .. })
        ));
        Ok(())
    }

    #[test]
    fn stored_text_reads_back_up_to_ten_thousand_characters() -> TestResult {
        let t = Text::multiline("Entregar\nna portaria", 500)?;
        let json = serde_json::to_string(&t)?;
        assert_eq!(json, "\"Entregar\\nna portaria\"");
        assert_eq!(serde_json::from_str::<Text>(&json)?, t);
        let long = format!("\"{}\"", "x".repeat(10_000));
        assert!(serde_json::from_str::<Text>(&long).is_ok());
        let too_long = format!("\"{}\"", "x".repeat(10_001));
        assert!(serde_json::from_str::<Text>(&too_long).is_err());
        assert!(serde_json::from_str::<Text>("\"a\\u0000b\"").is_err());
        assert!(serde_json::from_str::<Text>("\"\"").is_err());
        Ok(())
    }

    #[test]
    fn a_sku_is_printable_without_whitespace() -> TestResult {
        assert_eq!(Sku::parse("CAM-P-AZ")?.as_str(), "CAM-P-AZ");
        assert!(Sku::parse("AÇÚCAR/1KG#2").is_ok());
        assert!(Sku::parse(&"S".repeat(64)).is_ok());
        assert_eq!(
            Sku::parse(&"S".repeat(65)),
            Err(Invalid::TooLong { max: 64 })
        );
        assert_eq!(Sku::parse(""), Err(Invalid::Empty));
        for bad in ["CAM P", " CAM", "CAM\t", "CAM\u{a0}P", "CAM\u{0}"] {
            assert!(
                matches!(Sku::parse(bad), Err(Invalid::BadFormat { .. })),
                "{bad:?}"
            );
        }
        let json = serde_json::to_string(&Sku::parse("CAM-P-AZ")?)?;
        assert_eq!(serde_json::from_str::<Sku>(&json)?.as_str(), "CAM-P-AZ");
        assert!(serde_json::from_str::<Sku>("\"CAM P\"").is_err());
        Ok(())
    }

    #[test]
    fn a_cep_is_stored_as_eight_digits() -> TestResult {
        assert_eq!(PostalCode::parse("01001-000", true)?.as_str(), "01001000");
        assert_eq!(PostalCode::parse(" 01001000 ", true)?.as_str(), "01001000");
        for bad in [
            "0100100",
            "010010000",
            "01001_000",
            "0100-1000",
            "0100A000",
            "01.001-000",
        ] {
            assert!(
                matches!(PostalCode::parse(bad, true), Err(Invalid::BadFormat { .. })),
                "{bad}"
            );
        }
        assert_eq!(PostalCode::parse(" ", true), Err(Invalid::Empty));
        Ok(())
    }

    #[test]
    fn a_foreign_postal_code_is_short_alphanumeric_text() -> TestResult {
        assert_eq!(PostalCode::parse("SW1A 1AA", false)?.as_str(), "SW1A 1AA");
        assert_eq!(PostalCode::parse("10115", false)?.as_str(), "10115");
        assert_eq!(PostalCode::parse("1000-001", false)?.as_str(), "1000-001");
        assert_eq!(
            PostalCode::parse(&"1".repeat(17), false),
            Err(Invalid::TooLong { max: 16 })
        );
        assert!(matches!(
            PostalCode::parse("75001/Paris", false),
            Err(Invalid::BadFormat { .. })
        ));
        let stored = serde_json::to_string(&PostalCode::parse("01001-000", true)?)?;
        assert_eq!(stored, "\"01001000\"");
        assert_eq!(
            serde_json::from_str::<PostalCode>(&stored)?.as_str(),
            "01001000"
        );
        assert!(serde_json::from_str::<PostalCode>("\"01001/000\"").is_err());
        Ok(())
    }

    #[test]
    fn a_phone_is_normalized_to_its_digits() -> TestResult {
        assert_eq!(
            Phone::parse("+55 (11) 99999-0000")?.as_str(),
            "+5511999990000"
        );
        assert_eq!(Phone::parse("(11) 3333-4444")?.as_str(), "1133334444");
        assert_eq!(Phone::parse("12345678")?.as_str(), "12345678");
        assert_eq!(
            Phone::parse("+123456789012345")?.as_str(),
            "+123456789012345"
        );
        for bad in [
            "1234567",
            "+1234567890123456",
            "11 9999a0000",
            "++5511999990000",
            "55+11999990000",
            "+",
        ] {
            assert!(
                matches!(Phone::parse(bad), Err(Invalid::BadFormat { .. })),
                "{bad}"
            );
        }
        assert_eq!(Phone::parse(""), Err(Invalid::Empty));
        let json = serde_json::to_string(&Phone::parse("+55 11 99999 0000")?)?;
        assert_eq!(json, "\"+5511999990000\"");
        assert_eq!(
            serde_json::from_str::<Phone>(&json)?.as_str(),
            "+5511999990000"
        );
        assert!(serde_json::from_str::<Phone>("\"call me\"").is_err());
        Ok(())
    }

    #[test]
    fn the_country_list_is_complete_sorted_and_uppercase() {
        assert_eq!(COUNTRIES.len(), 249);
        assert!(COUNTRIES.windows(2).all(|w| w[0] < w[1]));
        assert!(
            COUNTRIES
                .iter()
                .all(|c| c.len() == 3 && c.bytes().all(|b| b.is_ascii_uppercase()))
        );
    }

    #[test]
    fn a_country_is_an_uppercase_alpha_3_code() -> TestResult {
        assert_eq!(Country::parse("BRA")?, Country::BRA);
        assert_eq!(Country::default(), Country::BRA);
        assert_eq!(Country::parse("PRT")?.as_str(), "PRT");
        for bad in ["bra", "BR", "BRAZ", "XXX", "Brasil"] {
            assert!(
                matches!(Country::parse(bad), Err(Invalid::BadFormat { .. })),
                "{bad}"
            );
        }
        assert_eq!(serde_json::to_string(&Country::BRA)?, "\"BRA\"");
        assert_eq!(serde_json::from_str::<Country>("\"USA\"")?.as_str(), "USA");
        assert!(serde_json::from_str::<Country>("\"US\"").is_err());
        Ok(())
    }

    #[test]
    fn a_uf_is_one_of_the_27_brazilian_states() -> TestResult {
        assert_eq!(UFS.len(), 27);
        assert!(UFS.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(Uf::parse("SP")?.as_str(), "SP");
        assert_eq!(Uf::parse("DF")?.to_string(), "DF");
        for bad in ["sp", "XX", "SPA", "S"] {
            assert_eq!(
                Uf::parse(bad),
                Err(Invalid::NotOneOf { allowed: UFS }),
                "{bad}"
            );
        }
        assert_eq!(Uf::parse(""), Err(Invalid::Empty));
        assert_eq!(serde_json::from_str::<Uf>("\"RJ\"")?, Uf::parse("RJ")?);
        assert!(serde_json::from_str::<Uf>("\"rj\"").is_err());
        Ok(())
    }
}
