//! E-mail addresses, checked for the shape real mail systems accept (no quoted local parts, no
//! IP-literal domains).

use std::fmt;

use serde::{Deserialize, Serialize};

use super::Invalid;

const BAD_EMAIL: Invalid = Invalid::BadFormat {
    expected: "an e-mail address such as ana@example.com",
};

/// An e-mail address: trimmed, ≤254 chars, exactly one '@', local part 1..=64 of atext chars and
/// dots (no leading/trailing/double dot), domain of ≥2 labels (1..=63 of [A-Za-z0-9-], not
/// starting/ending with '-'), TLD alphabetic ≥2; domain lowercased, local part kept as given.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

impl Email {
    /// Parses an address typed by a person or sent by another system.
    pub fn parse(s: &str) -> Result<Email, Invalid> {
        let s = s.trim();
        if s.is_empty() {
            return Err(Invalid::Empty);
        }
        if s.chars().count() > 254 {
            return Err(Invalid::TooLong { max: 254 });
        }
        let (local, domain) = s.split_once('@').ok_or(BAD_EMAIL)?;
        if domain.contains('@') || !local_part_ok(local) || !domain_ok(domain) {
            return Err(BAD_EMAIL);
        }
        Ok(Email(format!("{local}@{}", domain.to_ascii_lowercase())))
    }

    /// The address, with its domain in lowercase.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// RFC 5322 "dot-atom": atext runs separated by single dots.
fn local_part_ok(local: &str) -> bool {
    let atext = |b: u8| b.is_ascii_alphanumeric() || b"!#$%&'*+/=?^_`{|}~-".contains(&b);
    (1..=64).contains(&local.len())
        && local
            .split('.')
            .all(|run| !run.is_empty() && run.bytes().all(atext))
}

/// Host name labels, at least two, the last one alphabetic.
fn domain_ok(domain: &str) -> bool {
    let labels: Vec<&str> = domain.split('.').collect();
    let label_ok = |l: &&str| {
        (1..=63).contains(&l.len())
            && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !l.starts_with('-')
            && !l.ends_with('-')
    };
    let tld_ok = labels
        .last()
        .is_some_and(|t| t.len() >= 2 && t.bytes().all(|b| b.is_ascii_alphabetic()));
    labels.len() >= 2 && labels.iter().all(label_ok) && tld_ok
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for Email {
    type Error = Invalid;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        Email::parse(&s)
    }
}

impl From<Email> for String {
    fn from(e: Email) -> String {
        e.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    #[test]
    fn a_common_address_is_accepted_and_its_domain_lowercased() -> TestResult {
        assert_eq!(
            Email::parse(" ana@example.com ")?.as_str(),
            "ana@example.com"
        );
        assert_eq!(
            Email::parse("Ana.Souza+pedidos@Mail.Example.COM.br")?.as_str(),
            "Ana.Souza+pedidos@mail.example.com.br"
        );
        assert!(Email::parse("o'brien_{x}@sub-domain.example.org").is_ok());
        assert!(Email::parse("a@b.co").is_ok());
        Ok(())
    }

    #[test]
    fn malformed_addresses_are_refused() {
        for bad in [
            "ana",
            "ana@",
            "@example.com",
            "ana@@example.com",
            "ana@x@example.com",
            ".ana@example.com",
            "ana.@example.com",
            "an..a@example.com",
            "ana souza@example.com",
            "\"ana\"@example.com",
            "ana@example",
            "ana@example.c",
            "ana@example.c0m",
            "ana@-example.com",
            "ana@example-.com",
            "ana@exa_mple.com",
            "ana@example..com",
            "ana@.example.com",
            "ana@example.com.",
            "ana@[127.0.0.1]",
            "ana@exämple.com",
            "ãna@example.com",
        ] {
            assert_eq!(Email::parse(bad), Err(BAD_EMAIL), "{bad}");
        }
        assert_eq!(Email::parse("  "), Err(Invalid::Empty));
    }

    #[test]
    fn lengths_are_limited_per_part_and_overall() {
        let local64 = "a".repeat(64);
        let label63 = "b".repeat(63);
        assert!(Email::parse(&format!("{local64}@{label63}.com")).is_ok());
        assert_eq!(
            Email::parse(&format!("{}@example.com", "a".repeat(65))),
            Err(BAD_EMAIL)
        );
        assert_eq!(
            Email::parse(&format!("ana@{}.com", "b".repeat(64))),
            Err(BAD_EMAIL)
        );
        let long = format!("{local64}@{label63}.{label63}.{label63}.com");
        assert_eq!(long.len(), 64 + 1 + 3 * 64 + 3);
        assert_eq!(Email::parse(&long), Err(Invalid::TooLong { max: 254 }));
    }

    #[test]
    fn an_email_round_trips_through_json_and_a_stored_bad_one_is_refused() -> TestResult {
        let e = Email::parse("ana@Example.com")?;
        let json = serde_json::to_string(&e)?;
        assert_eq!(json, "\"ana@example.com\"");
        assert_eq!(serde_json::from_str::<Email>(&json)?, e);
        assert!(serde_json::from_str::<Email>("\"ana@example\"").is_err());
        Ok(())
    }
}
