//! Operators, the people who sign in to the panel, and their sessions, over the key-value store
//! (keys under `op/`, built here and nowhere else):
//!
//! | key | holds | written by |
//! |---|---|---|
//! | `op/o/{id}` | an operator: name, email, role, Argon2id hash of the password | `set-many` with its email's key at creation |
//! | `op/e/{email}` | the id of the operator with that email | the same `set-many` |
//! | `op/n/ids` · `op/n/c/{email}/{window}` | the id counter · the creation claim of an email | `increment` |
//! | `op/s/{session}` | a session: its operator and expiry | `set` at sign-in, `delete` at sign-out |
//!
//! Passwords are hashed with Argon2id (RFC 9106's second recommended parameters, as the
//! `argon2` crate's defaults: 19 MiB, 2 passes) and a 16-byte salt from wasi:random; only the
//! PHC string is stored, and no answer or log ever carries it.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use orderflow_kv::{Kv, KvError, claim, escape};
use serde::{Deserialize, Serialize};

/// What an operator may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum Role {
    /// Everything.
    Admin,
    /// Everything but refunds and configuration.
    Operator,
}

impl Role {
    /// The wire name.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Operator => "operator",
        }
    }

    /// The role named `text`.
    pub(crate) fn parse(text: &str) -> Option<Role> {
        match text {
            "admin" => Some(Role::Admin),
            "operator" => Some(Role::Operator),
            _ => None,
        }
    }
}

/// An operator as stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Operator {
    /// `op-{n}`.
    pub(crate) id: String,
    /// As shown in orders' histories.
    pub(crate) name: String,
    /// Lowercase; unique.
    pub(crate) email: String,
    /// What they may do.
    pub(crate) role: Role,
    /// Argon2id, PHC string.
    pub(crate) password_hash: String,
    /// RFC 3339.
    pub(crate) created_at: String,
}

/// A session as stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SessionRecord {
    /// The operator's id.
    pub(crate) operator: String,
    /// Unix seconds.
    pub(crate) expires: i64,
}

/// Why an operator could not be created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum CreateError {
    /// Another operator has this email (or is being created with it).
    EmailTaken,
    /// The store failed.
    Store(String),
}

impl From<KvError> for CreateError {
    fn from(e: KvError) -> Self {
        CreateError::Store(e.0)
    }
}

fn operator_key(id: &str) -> String {
    format!("op/o/{}", escape(id))
}

fn email_key(email: &str) -> String {
    format!("op/e/{}", escape(email))
}

fn session_key(id: &str) -> String {
    format!("op/s/{}", escape(id))
}

const ID_COUNTER: &str = "op/n/ids";

/// An email as stored and looked up: trimmed, lowercase.
pub(crate) fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

/// The Argon2id PHC string of `password` with `salt`.
pub(crate) fn hash_password(password: &str, salt: &[u8]) -> Result<String, String> {
    let salt = SaltString::encode_b64(salt).map_err(|e| format!("salt: {e}"))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| format!("hashing: {e}"))
}

/// Whether `password` matches the PHC string `hash` (the comparison is the crate's, in constant
/// time).
pub(crate) fn password_holds(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|parsed| {
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

fn decode<T: for<'de> Deserialize<'de>>(key: &str, bytes: &[u8]) -> Result<T, KvError> {
    serde_json::from_slice(bytes).map_err(|e| KvError(format!("{key} does not parse: {e}")))
}

fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>, KvError> {
    serde_json::to_vec(value).map_err(|e| KvError(format!("encoding: {e}")))
}

/// The operator with id `id`.
pub(crate) fn get<K: Kv>(kv: &K, id: &str) -> Result<Option<Operator>, KvError> {
    let key = operator_key(id);
    kv.get(&key)?.map(|b| decode(&key, &b)).transpose()
}

/// The operator with email `email` (normalized here).
pub(crate) fn by_email<K: Kv>(kv: &K, email: &str) -> Result<Option<Operator>, KvError> {
    let key = email_key(&normalize_email(email));
    let Some(bytes) = kv.get(&key)? else {
        return Ok(None);
    };
    let id: String = decode(&key, &bytes)?;
    get(kv, &id)
}

/// What a new operator is made of; the password already hashed.
#[derive(Debug, Clone)]
pub(crate) struct NewOperator {
    /// As shown in orders' histories.
    pub(crate) name: String,
    /// Normalized.
    pub(crate) email: String,
    /// What they may do.
    pub(crate) role: Role,
    /// Argon2id, PHC string.
    pub(crate) password_hash: String,
}

/// Creates an operator at `now` (unix seconds, and RFC 3339 for the record): an email is taken
/// once, by the caller that claims it.
pub(crate) fn create<K: Kv>(
    kv: &K,
    now: i64,
    created_at: &str,
    new: NewOperator,
) -> Result<Operator, CreateError> {
    let email = normalize_email(&new.email);
    let escaped = escape(&email);
    let Some(claimed) = claim::take(kv, now, |w| format!("op/n/c/{escaped}/{w}"))? else {
        return Err(CreateError::EmailTaken);
    };
    if kv.get(&email_key(&email))?.is_some() {
        claim::release(kv, &claimed)?;
        return Err(CreateError::EmailTaken);
    }
    let n = kv.increment(ID_COUNTER, 1)?;
    let operator = Operator {
        id: format!("op-{n}"),
        name: new.name,
        email: email.clone(),
        role: new.role,
        password_hash: new.password_hash,
        created_at: created_at.to_owned(),
    };
    kv.set_many(&[
        (operator_key(&operator.id), encode(&operator)?),
        (email_key(&email), encode(&operator.id)?),
    ])?;
    Ok(operator)
}

/// Records session `id` of `operator` until `expires`.
pub(crate) fn open_session<K: Kv>(
    kv: &K,
    id: &str,
    operator: &str,
    expires: i64,
) -> Result<(), KvError> {
    let record = SessionRecord {
        operator: operator.to_owned(),
        expires,
    };
    kv.set(&session_key(id), &encode(&record)?)
}

/// The session `id`, if it is open.
pub(crate) fn session<K: Kv>(kv: &K, id: &str) -> Result<Option<SessionRecord>, KvError> {
    let key = session_key(id);
    kv.get(&key)?.map(|b| decode(&key, &b)).transpose()
}

/// Ends session `id`.
pub(crate) fn close_session<K: Kv>(kv: &K, id: &str) -> Result<(), KvError> {
    kv.delete(&session_key(id))
}

#[cfg(test)]
mod tests {
    use orderflow_kv::memory::MemoryKv;

    use super::*;

    fn new(email: &str) -> NewOperator {
        NewOperator {
            name: "Ana Souza".into(),
            email: email.into(),
            role: Role::Operator,
            password_hash: hash_password("correct horse battery", b"0123456789abcdef")
                .unwrap_or_default(),
        }
    }

    #[test]
    fn a_password_verifies_against_its_hash_only() {
        let hash = hash_password("correct horse battery", b"0123456789abcdef").unwrap_or_default();
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        assert!(!hash.contains("correct horse"));
        assert!(password_holds("correct horse battery", &hash));
        assert!(!password_holds("correct horse batterx", &hash));
        assert!(!password_holds("correct horse battery", "not a hash"));
    }

    #[test]
    fn an_email_is_taken_once_whatever_its_case() -> Result<(), CreateError> {
        let kv = MemoryKv::new();
        let ana = create(&kv, 1_000, "2026-12-07T12:00:00Z", new("Ana@Example.com "))?;
        assert_eq!(
            (ana.id.as_str(), ana.email.as_str()),
            ("op-1", "ana@example.com")
        );
        assert_eq!(
            create(&kv, 5_000, "2026-12-07T13:00:00Z", new("ana@example.COM")).err(),
            Some(CreateError::EmailTaken)
        );
        let found = by_email(&kv, "ANA@example.com")?.map(|o| o.id);
        assert_eq!(found.as_deref(), Some("op-1"));
        open_session(&kv, "s1", "op-1", 2_000)?;
        assert_eq!(
            session(&kv, "s1")?.map(|s| s.operator).as_deref(),
            Some("op-1")
        );
        close_session(&kv, "s1")?;
        assert!(session(&kv, "s1")?.is_none());
        Ok(())
    }
}

#[cfg(test)]
mod decoy {
    use argon2::password_hash::PasswordHash;

    #[test]
    fn the_decoy_hash_costs_what_a_real_one_costs() {
        let real =
            super::hash_password("anything at all!", b"0123456789abcdef").unwrap_or_default();
        let decoy = PasswordHash::new(crate::pages::sign_in::DECOY_HASH);
        let real = PasswordHash::new(&real);
        let (Ok(decoy), Ok(real)) = (decoy, real) else {
            panic!("both parse");
        };
        assert_eq!(decoy.algorithm, real.algorithm);
        assert_eq!(decoy.params, real.params);
        assert_eq!(decoy.hash.map(|h| h.len()), real.hash.map(|h| h.len()));
        assert!(!super::password_holds(
            "",
            crate::pages::sign_in::DECOY_HASH
        ));
    }
}
