//! The store's own message templates: one per order step and language, replacing the default
//! ([`notify::default_template`]) until deleted. A template is a plain document written whole
//! (`PUT` semantics: the last write wins), so no compare-and-swap is needed.

use orderflow_domain::values::Timestamp;
use orderflow_kv::Kv;
use serde::{Deserialize, Serialize};

use crate::document::{decode, encode};
use crate::endpoint::EndpointError;
use crate::keys;
use crate::notify::{self, Locale, STEPS, Template};

/// The longest subject a template may have, in characters.
pub const SUBJECT_MAX: usize = 200;
/// The longest text or HTML body a template may have, in characters.
pub const BODY_MAX: usize = 64 * 1024;

/// A stored template.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Stored {
    template: Template,
    updated_at: Timestamp,
}

/// A step's template in one language, as the store has it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Effective {
    /// The step (`order.shipped`).
    pub step: &'static str,
    pub locale: Locale,
    pub template: Template,
    /// Whether the store replaced the default; when.
    pub custom_since: Option<Timestamp>,
}

/// The step of a name (`order.shipped`), if customers hear of it.
pub fn step(name: &str) -> Option<&'static str> {
    STEPS.iter().copied().find(|s| *s == name)
}

/// The templates over a store.
#[derive(Debug)]
pub struct Templates<'a, K: Kv> {
    kv: &'a K,
}

impl<'a, K: Kv> Templates<'a, K> {
    /// The templates in `kv`.
    pub fn new(kv: &'a K) -> Self {
        Templates { kv }
    }

    /// The template a message for `step` in `locale` is rendered from: the store's, else the
    /// default.
    pub fn effective(
        &self,
        step: &'static str,
        locale: Locale,
    ) -> Result<Effective, EndpointError> {
        let key = keys::template(step, locale.as_str());
        let stored = match self.kv.get(&key)? {
            Some(bytes) => Some(decode::<Stored>(&key, &bytes)?),
            None => None,
        };
        Ok(match stored {
            Some(stored) => Effective {
                step,
                locale,
                template: stored.template,
                custom_since: Some(stored.updated_at),
            },
            None => Effective {
                step,
                locale,
                template: notify::default_template(step, locale).unwrap_or_else(|| Template {
                    subject: String::new(),
                    text: String::new(),
                    html: String::new(),
                }),
                custom_since: None,
            },
        })
    }

    /// Every step in both languages.
    pub fn all(&self) -> Result<Vec<Effective>, EndpointError> {
        let mut out = Vec::new();
        for step in STEPS {
            for locale in [Locale::PtBr, Locale::En] {
                out.push(self.effective(step, locale)?);
            }
        }
        Ok(out)
    }

    /// Replaces the default of `step` in `locale` with `template`.
    pub fn put(
        &self,
        step: &'static str,
        locale: Locale,
        template: Template,
        now: Timestamp,
    ) -> Result<Effective, EndpointError> {
        let stored = Stored {
            template,
            updated_at: now,
        };
        self.kv
            .set(&keys::template(step, locale.as_str()), &encode(&stored)?)?;
        Ok(Effective {
            step,
            locale,
            template: stored.template,
            custom_since: Some(now),
        })
    }

    /// Goes back to the default of `step` in `locale`.
    pub fn reset(&self, step: &'static str, locale: Locale) -> Result<Effective, EndpointError> {
        self.kv.delete(&keys::template(step, locale.as_str()))?;
        self.effective(step, locale)
    }
}
