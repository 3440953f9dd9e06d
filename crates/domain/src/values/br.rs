//! Brazilian tax identifiers (CPF, CNPJ) and NF-e / NFC-e access keys, with their check digits.
//!
//! The mod-11 check digits catch most typing mistakes but not all: because a remainder of 0 and
//! of 1 both give the digit 0, a few single-digit changes produce another valid number (see the
//! tests). They prove a number is well-formed, never that it exists.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::Invalid;

/// The mod-11 check digit shared by CPF, CNPJ and NF-e keys: `11 - sum % 11`, or 0 when that is
/// 10 or 11.
fn mod11_digit(sum: u32) -> u8 {
    match 11 - sum % 11 {
        d @ 0..=9 => d as u8,
        _ => 0,
    }
}

/// `Σ value(c) × weight` where a character's value is its ASCII code minus 48 (the digit itself
/// for '0'..='9'; 17 for 'A' in the alphanumeric CNPJ).
fn weighted_sum(chars: &[u8], weights: &[u32]) -> u32 {
    chars
        .iter()
        .zip(weights)
        .map(|(&c, &w)| u32::from(c.wrapping_sub(b'0')) * w)
        .sum()
}

/// `s` trimmed, without the punctuation characters in `punctuation`.
fn without(s: &str, punctuation: &[char]) -> String {
    s.trim()
        .chars()
        .filter(|c| !punctuation.contains(c))
        .collect()
}

fn all_same(b: &[u8]) -> bool {
    b.windows(2).all(|w| w[0] == w[1])
}

/// CPF: 11 digits (accepts "390.533.447-05"), both mod-11 check digits verified, all-same-digit
/// numbers rejected (BadCheckDigit).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Cpf(String);

const CPF_FORMAT: Invalid = Invalid::BadFormat {
    expected: "a CPF of 11 digits, such as 390.533.447-05",
};

impl Cpf {
    /// Parses a CPF, bare or punctuated with '.' and '-'.
    pub fn parse(s: &str) -> Result<Cpf, Invalid> {
        let digits = without(s, &['.', '-']);
        if digits.is_empty() {
            return Err(Invalid::Empty);
        }
        let b = digits.as_bytes();
        if b.len() != 11 || !b.iter().all(u8::is_ascii_digit) {
            return Err(CPF_FORMAT);
        }
        let dv1 = mod11_digit(weighted_sum(&b[..9], &[10, 9, 8, 7, 6, 5, 4, 3, 2]));
        let dv2 = mod11_digit(weighted_sum(&b[..10], &[11, 10, 9, 8, 7, 6, 5, 4, 3, 2]));
        if b[9] != b'0' + dv1 || b[10] != b'0' + dv2 || all_same(b) {
            return Err(Invalid::BadCheckDigit);
        }
        Ok(Cpf(digits))
    }

    /// The 11 digits, e.g. `"39053344705"`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The usual written form, e.g. `"390.533.447-05"`.
    pub fn formatted(&self) -> String {
        let s = &self.0;
        format!("{}.{}.{}-{}", &s[..3], &s[3..6], &s[6..9], &s[9..])
    }
}

/// CNPJ: 14 chars; accepts the classic numeric form and the alphanumeric form in force since
/// July 2026 (first 12 chars `[0-9A-Z]`, last 2 digits; each char's value is its ASCII code minus
/// 48; weights 5..2,9..2 for DV1, 6..2,9..2 for DV2; dv = 11 - sum%11, or 0 if that is ≥ 10).
/// Accepts "11.222.333/0001-81" punctuation; lowercase letters are BadFormat. All-same rejected.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Cnpj(String);

const CNPJ_FORMAT: Invalid = Invalid::BadFormat {
    expected: "a CNPJ of 14 characters (12 digits or uppercase letters, then 2 digits), such as 11.222.333/0001-81",
};

impl Cnpj {
    /// Parses a CNPJ, bare or punctuated with '.', '/' and '-'.
    pub fn parse(s: &str) -> Result<Cnpj, Invalid> {
        let chars = without(s, &['.', '/', '-']);
        if chars.is_empty() {
            return Err(Invalid::Empty);
        }
        let b = chars.as_bytes();
        let base_ok = |c: &u8| c.is_ascii_digit() || c.is_ascii_uppercase();
        if b.len() != 14 || !b[..12].iter().all(base_ok) || !b[12..].iter().all(u8::is_ascii_digit)
        {
            return Err(CNPJ_FORMAT);
        }
        let dv1 = mod11_digit(weighted_sum(
            &b[..12],
            &[5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2],
        ));
        let dv2 = mod11_digit(weighted_sum(
            &b[..13],
            &[6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2],
        ));
        if b[12] != b'0' + dv1 || b[13] != b'0' + dv2 || all_same(b) {
            return Err(Invalid::BadCheckDigit);
        }
        Ok(Cnpj(chars))
    }

    /// The 14 characters, e.g. `"11222333000181"`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The usual written form, e.g. `"11.222.333/0001-81"`.
    pub fn formatted(&self) -> String {
        let s = &self.0;
        format!(
            "{}.{}.{}/{}-{}",
            &s[..2],
            &s[2..5],
            &s[5..8],
            &s[8..12],
            &s[12..]
        )
    }
}

/// A CPF or a CNPJ, told apart by length after stripping punctuation (11 → Cpf, 14 → Cnpj).
/// Serialized as the bare string; deserializing parses it again.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Document {
    /// A person's CPF.
    Cpf(Cpf),
    /// A company's CNPJ.
    Cnpj(Cnpj),
}

impl Document {
    /// Parses a CPF or a CNPJ, bare or punctuated.
    pub fn parse(s: &str) -> Result<Document, Invalid> {
        match without(s, &['.', '/', '-']).chars().count() {
            0 => Err(Invalid::Empty),
            11 => Cpf::parse(s).map(Document::Cpf),
            14 => Cnpj::parse(s).map(Document::Cnpj),
            _ => Err(Invalid::BadFormat {
                expected: "a CPF (11 digits) or a CNPJ (14 characters)",
            }),
        }
    }

    /// The bare digits (or characters) of the document.
    pub fn as_str(&self) -> &str {
        match self {
            Document::Cpf(c) => c.as_str(),
            Document::Cnpj(c) => c.as_str(),
        }
    }

    /// The usual written form of the document.
    pub fn formatted(&self) -> String {
        match self {
            Document::Cpf(c) => c.formatted(),
            Document::Cnpj(c) => c.formatted(),
        }
    }
}

/// NF-e / NFC-e access key: exactly 44 digits (spaces allowed between groups and stripped),
/// check digit = mod-11 over the first 43 with weights 2..=9 repeating from the right,
/// dv = 11 - sum%11 mapped to 0 when ≥ 10; model (positions 21-22) must be 55 or 65.
///
/// Layout: cUF (2) · AAMM (4) · issuer CNPJ/CPF (14) · model (2) · series (3) · number (9) ·
/// emission type (1) · random code (8) · check digit (1).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct NfeKey(String);

impl NfeKey {
    /// Parses a key, bare or in the groups of four printed on a DANFE.
    pub fn parse(s: &str) -> Result<NfeKey, Invalid> {
        let digits = without(s, &[' ']);
        if digits.is_empty() {
            return Err(Invalid::Empty);
        }
        let b = digits.as_bytes();
        if b.len() != 44 || !b.iter().all(u8::is_ascii_digit) {
            return Err(Invalid::BadFormat {
                expected: "an access key of 44 digits",
            });
        }
        if !matches!(&b[20..22], b"55" | b"65") {
            return Err(Invalid::BadFormat {
                expected: "the key of an NF-e (model 55) or NFC-e (model 65)",
            });
        }
        // Weights 2, 3, ..., 9, 2, 3, ... from the rightmost of the first 43 digits.
        let sum: u32 = b[..43]
            .iter()
            .rev()
            .zip((2..=9).cycle())
            .map(|(&d, w)| u32::from(d - b'0') * w)
            .sum();
        if b[43] != b'0' + mod11_digit(sum) {
            return Err(Invalid::BadCheckDigit);
        }
        Ok(NfeKey(digits))
    }

    /// The 44 digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The decimal value of the digits at `range` (at most 9 of them, so it fits a `u32`).
    fn field(&self, range: std::ops::Range<usize>) -> u32 {
        self.0.as_bytes()[range]
            .iter()
            .fold(0, |n, &d| n * 10 + u32::from(d - b'0'))
    }

    /// The IBGE code of the issuer's state (35 for São Paulo).
    pub fn uf_code(&self) -> u8 {
        self.field(0..2) as u8
    }

    /// The year (two-digit year + 2000) and month of issue.
    pub fn year_month(&self) -> (u16, u8) {
        (2000 + self.field(2..4) as u16, self.field(4..6) as u8)
    }

    /// The issuer's CNPJ (or a CPF padded with zeros), as the 14 characters in the key.
    pub fn issuer(&self) -> &str {
        &self.0[6..20]
    }

    /// 55 for an NF-e, 65 for an NFC-e.
    pub fn model(&self) -> u8 {
        self.field(20..22) as u8
    }

    /// The invoice series.
    pub fn series(&self) -> u16 {
        self.field(22..25) as u16
    }

    /// The invoice number.
    pub fn number(&self) -> u32 {
        self.field(25..34)
    }
}

/// Defines `Display`, `TryFrom<String>` (through `parse`) and `From<T> for String`.
macro_rules! string_conversions {
    ($($name:ident),*) => {$(
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
    )*};
}

string_conversions!(Cpf, Cnpj, Document, NfeKey);

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    /// Reference CPF check digits in the textbook form "sum × 10 mod 11, 10 → 0", written
    /// independently of the code under test.
    fn cpf_with_check_digits(base: &[u8; 9]) -> String {
        let mut d: Vec<u32> = base.iter().map(|&x| u32::from(x)).collect();
        for len in [9u32, 10] {
            let sum: u32 = d.iter().zip((2..=len + 1).rev()).map(|(x, w)| x * w).sum();
            d.push(sum * 10 % 11 % 10);
        }
        d.iter().map(|x| x.to_string()).collect()
    }

    /// Reference NF-e check digit: weights 2..=9 assigned from the right.
    fn nfe_with_check_digit(first43: &str) -> String {
        let digits: Vec<u32> = first43.chars().filter_map(|c| c.to_digit(10)).collect();
        assert_eq!(digits.len(), 43);
        let mut sum = 0;
        for (i, d) in digits.iter().rev().enumerate() {
            sum += d * (2 + (i as u32 % 8));
        }
        let dv = if 11 - sum % 11 >= 10 {
            0
        } else {
            11 - sum % 11
        };
        format!("{first43}{dv}")
    }

    fn nfe_remainder(key: &str) -> u32 {
        let digits: Vec<u32> = key
            .chars()
            .take(43)
            .filter_map(|c| c.to_digit(10))
            .collect();
        let sum: u32 = digits
            .iter()
            .rev()
            .enumerate()
            .map(|(i, d)| d * (2 + (i as u32 % 8)))
            .sum();
        sum % 11
    }

    #[test]
    fn known_valid_cpfs_are_accepted() -> TestResult {
        for cpf in ["39053344705", "11144477735", "52998224725"] {
            assert_eq!(Cpf::parse(cpf)?.as_str(), cpf);
        }
        let cpf = Cpf::parse("390.533.447-05")?;
        assert_eq!(cpf.as_str(), "39053344705");
        assert_eq!(cpf.formatted(), "390.533.447-05");
        assert_eq!(
            cpf_with_check_digits(&[3, 9, 0, 5, 3, 3, 4, 4, 7]),
            "39053344705"
        );
        Ok(())
    }

    #[test]
    fn invalid_cpfs_are_refused_for_the_right_reason() {
        assert_eq!(Cpf::parse("39053344704"), Err(Invalid::BadCheckDigit));
        assert_eq!(Cpf::parse("39053344715"), Err(Invalid::BadCheckDigit));
        // All-same numbers pass the arithmetic but are not issued.
        assert_eq!(Cpf::parse("11111111111"), Err(Invalid::BadCheckDigit));
        assert_eq!(Cpf::parse("00000000000"), Err(Invalid::BadCheckDigit));
        for bad in [
            "3905334470",
            "390533447050",
            "3905334470a",
            "ABCDEFGHIJK",
            "390 533 447 05",
            "390/533/447-05",
        ] {
            assert_eq!(Cpf::parse(bad), Err(CPF_FORMAT), "{bad}");
        }
        assert_eq!(Cpf::parse(" "), Err(Invalid::Empty));
        assert_eq!(Cpf::parse("..-"), Err(Invalid::Empty));
    }

    #[test]
    fn a_cpf_check_digit_cannot_catch_every_single_digit_change() -> TestResult {
        // 7 → 8 in the first digit: DV1's remainder moves from 1 to 0 (both give 0) and the first
        // digit's DV2 weight is 11 ≡ 0. The algorithm's known blind spot, not a bug here.
        assert!(Cpf::parse("70499962206").is_ok());
        assert!(Cpf::parse("80499962206").is_ok());
        Ok(())
    }

    #[test]
    fn known_valid_cnpjs_are_accepted_numeric_and_alphanumeric() -> TestResult {
        for cnpj in ["11222333000181", "11444777000161", "12ABC34501DE35"] {
            assert_eq!(Cnpj::parse(cnpj)?.as_str(), cnpj);
        }
        let c = Cnpj::parse("11.222.333/0001-81")?;
        assert_eq!(c.as_str(), "11222333000181");
        assert_eq!(c.formatted(), "11.222.333/0001-81");
        // Receita Federal's example: values 1,2,17,18,19,3,4,5,0,1,20,21 (ASCII − 48);
        // DV1: Σ×(5,4,3,2,9,8,7,6,5,4,3,2) = 459, 459 mod 11 = 8, 11 − 8 = 3;
        // DV2: Σ×(6,5,4,3,2,9,8,7,6,5,4,3,2) over the 13 = 424, 424 mod 11 = 6, 11 − 6 = 5.
        assert_eq!(
            Cnpj::parse("12.ABC.345/01DE-35")?.formatted(),
            "12.ABC.345/01DE-35"
        );
        Ok(())
    }

    #[test]
    fn invalid_cnpjs_are_refused_for_the_right_reason() {
        assert_eq!(Cnpj::parse("11222333000182"), Err(Invalid::BadCheckDigit));
        assert_eq!(Cnpj::parse("11222333000191"), Err(Invalid::BadCheckDigit));
        assert_eq!(Cnpj::parse("12ABC34501DE36"), Err(Invalid::BadCheckDigit));
        assert_eq!(Cnpj::parse("11111111111111"), Err(Invalid::BadCheckDigit));
        assert_eq!(Cnpj::parse("00000000000000"), Err(Invalid::BadCheckDigit));
        for bad in [
            "12abc34501de35",
            "12ABC34501DE3A",
            "1122233300018",
            "112223330001811",
            "11 222 333 0001 81",
            "12ÁBC34501DE35",
        ] {
            assert_eq!(Cnpj::parse(bad), Err(CNPJ_FORMAT), "{bad}");
        }
        assert_eq!(Cnpj::parse(""), Err(Invalid::Empty));
    }

    #[test]
    fn a_document_is_told_apart_by_its_length() -> TestResult {
        assert!(matches!(
            Document::parse("390.533.447-05")?,
            Document::Cpf(_)
        ));
        assert!(matches!(
            Document::parse("11.222.333/0001-81")?,
            Document::Cnpj(_)
        ));
        assert!(matches!(
            Document::parse("12ABC34501DE35")?,
            Document::Cnpj(_)
        ));
        assert_eq!(
            Document::parse("39053344705")?.formatted(),
            "390.533.447-05"
        );
        assert_eq!(Document::parse("39053344704"), Err(Invalid::BadCheckDigit));
        assert!(matches!(
            Document::parse("123456789012"),
            Err(Invalid::BadFormat { .. })
        ));
        assert_eq!(Document::parse(""), Err(Invalid::Empty));
        Ok(())
    }

    #[test]
    fn documents_round_trip_through_json_as_bare_strings() -> TestResult {
        for s in ["39053344705", "11222333000181", "12ABC34501DE35"] {
            let d = Document::parse(s)?;
            let json = serde_json::to_string(&d)?;
            assert_eq!(json, format!("\"{s}\""));
            assert_eq!(serde_json::from_str::<Document>(&json)?, d);
        }
        assert!(serde_json::from_str::<Document>("\"39053344704\"").is_err());
        assert!(serde_json::from_str::<Document>("{\"Cpf\":\"39053344705\"}").is_err());
        let cpf = Cpf::parse("390.533.447-05")?;
        assert_eq!(serde_json::to_string(&cpf)?, "\"39053344705\"");
        assert_eq!(serde_json::from_str::<Cpf>("\"39053344705\"")?, cpf);
        assert!(serde_json::from_str::<Cpf>("\"11111111111\"").is_err());
        let cnpj = Cnpj::parse("12ABC34501DE35")?;
        assert_eq!(
            serde_json::from_str::<Cnpj>(&serde_json::to_string(&cnpj)?)?,
            cnpj
        );
        assert!(serde_json::from_str::<Cnpj>("\"12abc34501de35\"").is_err());
        Ok(())
    }

    /// Keys published in documentation, with their check digits worked out by hand:
    /// - the Manual de Orientação do Contribuinte's sample NF-e (SP, 2008-05, CNPJ
    ///   99999090910270, series 1, number 1): Σ = 679, 679 mod 11 = 8, 11 − 8 = 3;
    /// - an NFC-e (model 65) from Amazonas used in a widely copied explanation of the key:
    ///   Σ = 693, 693 mod 11 = 0, 11 − 0 = 11 ≥ 10 → 0;
    /// - an NF-e from Rio de Janeiro, 2015-03: Σ = 655, 655 mod 11 = 6, 11 − 6 = 5.
    const PUBLISHED_KEYS: [&str; 3] = [
        "35080599999090910270550010000000015180051273",
        "13181017921427000125650010000000309887251170",
        "33150308370779000149550010001100931002410775",
    ];

    #[test]
    fn published_nfe_keys_are_accepted() -> TestResult {
        for key in PUBLISHED_KEYS {
            assert_eq!(NfeKey::parse(key)?.as_str(), key);
            assert_eq!(nfe_with_check_digit(&key[..43]), key);
        }
        let k = NfeKey::parse(PUBLISHED_KEYS[0])?;
        assert_eq!(k.uf_code(), 35);
        assert_eq!(k.year_month(), (2008, 5));
        assert_eq!(k.issuer(), "99999090910270");
        assert_eq!(k.model(), 55);
        assert_eq!(k.series(), 1);
        assert_eq!(k.number(), 1);
        let nfce = NfeKey::parse(PUBLISHED_KEYS[1])?;
        assert_eq!((nfce.uf_code(), nfce.model(), nfce.number()), (13, 65, 30));
        assert_eq!(nfce.year_month(), (2018, 10));
        Ok(())
    }

    #[test]
    fn constructed_nfe_keys_with_computed_check_digits_are_accepted() -> TestResult {
        for first43 in [
            // SP, 2026-11, CNPJ 11222333000181, NF-e series 1 number 1042, normal emission.
            "3526111122233300018155001000001042112345678",
            // MG, 2025-01, alphanumeric-era issuer still numeric, NFC-e series 999, top number.
            "3125011144477700016165999999999999187654321",
            // RS, 2030-12, NF-e series 0, contingency emission (tpEmis 9).
            "4330121122233300018155000000000001900000000",
        ] {
            let key = nfe_with_check_digit(first43);
            let parsed = NfeKey::parse(&key)?;
            assert_eq!(parsed.as_str(), key);
            assert_eq!(parsed.issuer(), &first43[6..20]);
        }
        let k = NfeKey::parse(&nfe_with_check_digit(
            "3125011144477700016165999999999999187654321",
        ))?;
        assert_eq!(k.series(), 999);
        assert_eq!(k.number(), 999_999_999);
        assert_eq!(k.year_month(), (2025, 1));
        // Groups of four, as printed on a DANFE.
        let spaced = "3508 0599 9990 9091 0270 5500 1000 0000 0151 8005 1273";
        assert_eq!(NfeKey::parse(spaced)?.as_str(), PUBLISHED_KEYS[0]);
        Ok(())
    }

    #[test]
    fn malformed_nfe_keys_are_refused() {
        let good = PUBLISHED_KEYS[0];
        let short = &good[..43];
        let long = format!("{good}0");
        let letters = format!("{}A{}", &good[..10], &good[11..]);
        let dashed = "3508-0599-9990-9091-0270-5500-1000-0000-0151-8005-1273";
        for bad in [short, long.as_str(), letters.as_str(), dashed] {
            assert!(
                matches!(NfeKey::parse(bad), Err(Invalid::BadFormat { .. })),
                "{bad}"
            );
        }
        assert_eq!(
            NfeKey::parse("35080599999090910270550010000000015180051274"),
            Err(Invalid::BadCheckDigit)
        );
        // A CT-e key (model 57) with a correct check digit is still not an NF-e.
        let cte = nfe_with_check_digit("3508059999909091027057001000000001518005127");
        assert_eq!(
            NfeKey::parse(&cte),
            Err(Invalid::BadFormat {
                expected: "the key of an NF-e (model 55) or NFC-e (model 65)"
            })
        );
        assert_eq!(NfeKey::parse("  "), Err(Invalid::Empty));
    }

    #[test]
    fn nfe_keys_round_trip_through_json() -> TestResult {
        let k = NfeKey::parse(PUBLISHED_KEYS[2])?;
        let json = serde_json::to_string(&k)?;
        assert_eq!(serde_json::from_str::<NfeKey>(&json)?, k);
        assert!(
            serde_json::from_str::<NfeKey>("\"35080599999090910270550010000000015180051274\"")
                .is_err()
        );
        Ok(())
    }

    proptest! {
        #[test]
        fn any_cpf_base_with_its_check_digits_parses(base in prop::array::uniform9(0u8..10)) {
            let cpf = cpf_with_check_digits(&base);
            let same = base.iter().all(|&d| d == base[0]);
            if same {
                prop_assert_eq!(Cpf::parse(&cpf), Err(Invalid::BadCheckDigit));
            } else {
                prop_assert_eq!(Cpf::parse(&cpf).map(String::from), Ok(cpf));
            }
        }

        #[test]
        fn a_single_digit_change_to_a_cpf_is_refused_unless_the_dvs_still_match(
            base in prop::array::uniform9(0u8..10),
            position in 0usize..11,
            delta in 1u8..10,
        ) {
            prop_assume!(!base.iter().all(|&d| d == base[0]));
            let cpf = cpf_with_check_digits(&base);
            let mut changed: Vec<u8> = cpf.bytes().map(|b| b - b'0').collect();
            changed[position] = (changed[position] + delta) % 10;
            let changed_base: [u8; 9] = changed[..9].try_into().map_err(|_| TestCaseError::fail("9 digits"))?;
            let text: String = changed.iter().map(|d| char::from(b'0' + d)).collect();
            let dvs_still_match = position < 9 && cpf_with_check_digits(&changed_base) == text;
            // A changed check digit is always caught; a changed base digit only escapes through
            // the 0/1-remainder blind spot, which the reference reproduces.
            prop_assert_eq!(Cpf::parse(&text).is_ok(), dvs_still_match && !all_same(text.as_bytes()));
        }

        #[test]
        fn any_nfe_key_with_its_check_digit_parses(
            prefix in "[0-9]{20}",
            model in prop_oneof![Just("55"), Just("65")],
            suffix in "[0-9]{21}",
        ) {
            let key = nfe_with_check_digit(&format!("{prefix}{model}{suffix}"));
            prop_assert_eq!(NfeKey::parse(&key).map(String::from), Ok(key));
        }

        #[test]
        fn a_single_digit_change_to_an_nfe_key_is_caught_except_between_remainders_0_and_1(
            prefix in "[0-9]{20}",
            model in prop_oneof![Just("55"), Just("65")],
            suffix in "[0-9]{21}",
            position in 0usize..44,
            delta in 1u8..10,
        ) {
            let key = nfe_with_check_digit(&format!("{prefix}{model}{suffix}"));
            let mut bytes = key.clone().into_bytes();
            bytes[position] = b'0' + (bytes[position] - b'0' + delta) % 10;
            let changed = String::from_utf8(bytes).map_err(|e| TestCaseError::fail(e.to_string()))?;
            if NfeKey::parse(&changed).is_ok() {
                // Only a base digit can change undetected, and only when the sum's remainder
                // moves between 0 and 1 (both give the digit 0).
                prop_assert!(position < 43);
                let pair = (nfe_remainder(&key), nfe_remainder(&changed));
                prop_assert!(pair == (0, 1) || pair == (1, 0), "{key} → {changed}: {pair:?}");
            }
        }

        #[test]
        fn a_valid_cpf_round_trips_through_json(base in prop::array::uniform9(0u8..10)) {
            prop_assume!(!base.iter().all(|&d| d == base[0]));
            let cpf = Cpf::parse(&cpf_with_check_digits(&base)).map_err(|e| TestCaseError::fail(e.to_string()))?;
            let json = serde_json::to_string(&cpf).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(serde_json::from_str::<Cpf>(&json).ok(), Some(cpf));
        }
    }
}
