//! Webhook endpoints: where events are pushed, which ones, and the signing secrets.
//!
//! An endpoint is one document (compare-and-swap) holding its settings and its delivery state
//! (how far it has read the feed, the events queued for it with their attempts); the list of
//! endpoints is another. Secrets are kept as key bytes and shown once, when made; a rotation
//! keeps the previous secret signing beside the new one for [`ROTATION_OVERLAP`].

use chrono::TimeDelta;
use orderflow_domain::values::Timestamp;
use orderflow_kv::Kv;
use serde::{Deserialize, Serialize};

use crate::document::{self, Decision, DocError, Document};
use crate::feed::{Event, FeedError};
use crate::keys;
use crate::notify::Locale;
use crate::signature::Secret;

/// How long a rotated-out secret keeps signing.
pub const ROTATION_OVERLAP: TimeDelta = TimeDelta::hours(24);
/// How many endpoints a store may have.
pub const MAX_ENDPOINTS: usize = 100;

/// What an endpoint receives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// Events, as Standard Webhooks deliveries.
    Webhook,
    /// Rendered customer messages (the store's email service).
    CustomerNotification,
}

/// Which events an endpoint receives: each list empty means any.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Filter {
    /// Event types (`order.placed`, ...).
    pub types: Vec<String>,
    /// Order or subscription statuses after the event.
    pub statuses: Vec<String>,
    /// Order channels.
    pub channels: Vec<String>,
}

impl Filter {
    /// Whether `event` passes.
    pub fn matches(&self, event: &Event) -> bool {
        let any_or = |list: &[String], value: Option<&str>| {
            list.is_empty() || value.is_some_and(|v| list.iter().any(|x| x == v))
        };
        any_or(&self.types, Some(&event.kind))
            && any_or(&self.statuses, event.to.as_deref())
            && any_or(&self.channels, event.channel.as_deref())
    }
}

/// A secret and, once rotated out, when it stops signing.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct KeptSecret {
    /// As shown (`whsec_...`); never rendered after creation.
    pub(crate) secret: String,
    pub(crate) expires_at: Option<Timestamp>,
}

/// An event queued for an endpoint.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Queued {
    /// Its delivery's number at this endpoint.
    pub(crate) delivery: u64,
    pub(crate) position: u64,
    pub(crate) event_id: String,
    pub(crate) subject: String,
    /// Attempts made so far.
    pub(crate) attempts: u32,
    pub(crate) next_at: Timestamp,
    /// A pass is sending it until then.
    pub(crate) lease_until: Option<Timestamp>,
}

/// The stored endpoint.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Stored {
    pub(crate) write_id: String,
    #[serde(default)]
    pub(crate) recent: Vec<String>,
    pub(crate) id: String,
    pub(crate) url: String,
    pub(crate) description: Option<String>,
    pub(crate) kind: Kind,
    /// The language of a notification endpoint's messages.
    #[serde(default)]
    pub(crate) locale: Locale,
    pub(crate) filter: Filter,
    pub(crate) enabled: bool,
    pub(crate) disabled_reason: Option<String>,
    pub(crate) secrets: Vec<KeptSecret>,
    pub(crate) created_at: Timestamp,
    pub(crate) updated_at: Timestamp,
    /// Feed positions up to this one have been queued or filtered out.
    pub(crate) cursor: u64,
    /// A replay in progress: feed positions from `.0` to `.1` still to queue.
    #[serde(default)]
    pub(crate) replay: Option<(u64, u64)>,
    #[serde(default)]
    pub(crate) queue: Vec<Queued>,
    /// Deliveries numbered so far.
    #[serde(default)]
    pub(crate) deliveries: u64,
    /// Since when every attempt has failed.
    pub(crate) failing_since: Option<Timestamp>,
    /// Messages the endpoint took that the order's history does not show yet.
    #[serde(default)]
    pub(crate) unrecorded: Vec<Notified>,
}

/// A customer message an endpoint took, to record in the order's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Notified {
    pub order_id: String,
    pub event_id: String,
    pub endpoint_id: String,
    /// The step's template (`order.shipped`).
    pub template: String,
    pub locale: Locale,
    pub subject: String,
    pub to: String,
}

impl Document for Stored {
    fn write_ids(&mut self) -> (&mut String, &mut Vec<String>) {
        (&mut self.write_id, &mut self.recent)
    }
}

impl Stored {
    /// The secrets that sign now, newest first.
    pub(crate) fn signing(&self, now: Timestamp) -> Vec<Secret> {
        self.secrets
            .iter()
            .filter(|s| s.expires_at.is_none_or(|at| at > now))
            .filter_map(|s| Secret::parse(&s.secret))
            .collect()
    }
}

/// An endpoint as shown (never with its secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct View {
    pub id: String,
    pub url: String,
    pub description: Option<String>,
    pub kind: Kind,
    /// The language of a notification endpoint's messages.
    pub locale: Locale,
    pub filter: Filter,
    pub enabled: bool,
    pub disabled_reason: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// Events waiting for delivery (retries included).
    pub queued: usize,
    pub failing_since: Option<Timestamp>,
}

pub(crate) fn view(s: &Stored) -> View {
    View {
        id: s.id.clone(),
        url: s.url.clone(),
        description: s.description.clone(),
        kind: s.kind,
        locale: s.locale,
        filter: s.filter.clone(),
        enabled: s.enabled,
        disabled_reason: s.disabled_reason.clone(),
        created_at: s.created_at,
        updated_at: s.updated_at,
        queued: s.queue.len(),
        failing_since: s.failing_since,
    }
}

/// What a new endpoint needs.
#[derive(Debug, Clone)]
pub struct NewEndpoint {
    pub url: String,
    pub description: Option<String>,
    pub kind: Kind,
    pub locale: Locale,
    pub filter: Filter,
}

/// A change of an endpoint; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct EndpointChange {
    pub url: Option<String>,
    pub description: Option<Option<String>>,
    pub filter: Option<Filter>,
    pub locale: Option<Locale>,
    pub enabled: Option<bool>,
    /// Make a new secret (the answer shows it); the old one signs for 24 h more.
    pub rotate_secret: bool,
}

/// Why an endpoint call failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EndpointError {
    /// No endpoint of that id.
    NotFound,
    /// [`MAX_ENDPOINTS`] exist already.
    TooMany,
    /// The store failed.
    Store(String),
    /// Other writers won every attempt.
    Contention,
}

impl From<orderflow_kv::KvError> for EndpointError {
    fn from(e: orderflow_kv::KvError) -> Self {
        EndpointError::Store(e.to_string())
    }
}

impl From<FeedError> for EndpointError {
    fn from(e: FeedError) -> Self {
        match e {
            FeedError::Contention => EndpointError::Contention,
            FeedError::Store(e) | FeedError::Source(e) => EndpointError::Store(e),
            FeedError::Expired { first } => {
                EndpointError::Store(format!("feed expired before {first}"))
            }
        }
    }
}

impl From<DocError> for EndpointError {
    fn from(e: DocError) -> Self {
        match e {
            DocError::Store(e) => EndpointError::Store(e),
            DocError::Contention => EndpointError::Contention,
        }
    }
}

pub(crate) use document::{decode, encode};

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct List {
    write_id: String,
    #[serde(default)]
    recent: Vec<String>,
    ids: Vec<String>,
}

impl Document for List {
    fn write_ids(&mut self) -> (&mut String, &mut Vec<String>) {
        (&mut self.write_id, &mut self.recent)
    }
}

/// The endpoints over a store.
#[derive(Debug)]
pub struct Endpoints<'a, K: Kv> {
    pub(crate) kv: &'a K,
    pub(crate) now: Timestamp,
    pub(crate) nonce: u64,
}

impl<'a, K: Kv> Endpoints<'a, K> {
    /// The endpoints at `now`; `nonce` makes this call's write ids unique.
    pub fn new(kv: &'a K, now: Timestamp, nonce: u64) -> Self {
        Endpoints { kv, now, nonce }
    }

    /// Creates an endpoint with id `id` and secret `secret`, reading the feed from position
    /// `start` on (the feed's end: it receives what happens from now on). Answers the endpoint
    /// and the secret, shown this once.
    pub fn create(
        &self,
        id: &str,
        new: NewEndpoint,
        secret: &Secret,
        start: u64,
    ) -> Result<(View, String), EndpointError> {
        document::write(
            self.kv,
            keys::ENDPOINTS,
            self.nonce,
            |list: Option<List>, _| {
                let mut list = list.unwrap_or_default();
                if list.ids.iter().any(|i| i == id) {
                    return Ok(Decision::Keep(()));
                }
                if list.ids.len() >= MAX_ENDPOINTS {
                    return Err(EndpointError::TooMany);
                }
                list.ids.push(id.to_owned());
                Ok(Decision::Write(list, ()))
            },
        )?;
        let stored = Stored {
            write_id: format!("{:x}.create", self.nonce),
            recent: Vec::new(),
            id: id.to_owned(),
            url: new.url,
            description: new.description,
            kind: new.kind,
            locale: new.locale,
            filter: new.filter,
            enabled: true,
            disabled_reason: None,
            secrets: vec![KeptSecret {
                secret: secret.reveal(),
                expires_at: None,
            }],
            created_at: self.now,
            updated_at: self.now,
            cursor: start,
            replay: None,
            queue: Vec::new(),
            deliveries: 0,
            failing_since: None,
            unrecorded: Vec::new(),
        };
        self.kv.set(&keys::endpoint(id), &encode(&stored)?)?;
        Ok((view(&stored), secret.reveal()))
    }

    /// The endpoint's stored document.
    pub(crate) fn stored(&self, id: &str) -> Result<Stored, EndpointError> {
        let key = keys::endpoint(id);
        match self.kv.get(&key)? {
            None => Err(EndpointError::NotFound),
            Some(bytes) => Ok(decode(&key, &bytes)?),
        }
    }

    /// The endpoint.
    pub fn get(&self, id: &str) -> Result<View, EndpointError> {
        self.stored(id).map(|s| view(&s))
    }

    /// Every endpoint, oldest first.
    pub fn list(&self) -> Result<Vec<View>, EndpointError> {
        let ids = match self.kv.get(keys::ENDPOINTS)? {
            None => Vec::new(),
            Some(bytes) => decode::<List>(keys::ENDPOINTS, &bytes)?.ids,
        };
        let mut views = Vec::new();
        for id in ids {
            match self.stored(&id) {
                Ok(stored) => views.push(view(&stored)),
                // Listed but not written yet (a create cut short): not an endpoint.
                Err(EndpointError::NotFound) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(views)
    }

    /// Runs `change` on the endpoint's document with compare-and-swap; `None` from it writes
    /// nothing.
    pub(crate) fn update<T>(
        &self,
        id: &str,
        mut change: impl FnMut(&mut Stored) -> Result<Option<T>, EndpointError>,
    ) -> Result<(Stored, Option<T>), EndpointError> {
        let key = keys::endpoint(id);
        document::write(self.kv, &key, self.nonce, |current: Option<Stored>, _| {
            let mut stored = current.ok_or(EndpointError::NotFound)?;
            Ok(match change(&mut stored)? {
                None => Decision::Keep((stored, None)),
                Some(value) => Decision::Write(stored.clone(), (stored, Some(value))),
            })
        })
    }

    /// Changes the endpoint; answers it and, after a rotation, the new secret (shown this
    /// once). Enabling a disabled endpoint starts it at the feed's end (`feed_last`): what
    /// happened meanwhile is for a replay to send.
    pub fn change(
        &self,
        id: &str,
        change: &EndpointChange,
        new_secret: &Secret,
        feed_last: u64,
    ) -> Result<(View, Option<String>), EndpointError> {
        let now = self.now;
        let (stored, _) = self.update(id, |s| {
            if let Some(url) = &change.url {
                s.url.clone_from(url);
            }
            if let Some(description) = &change.description {
                s.description.clone_from(description);
            }
            if let Some(filter) = &change.filter {
                s.filter = filter.clone();
            }
            if let Some(locale) = change.locale {
                s.locale = locale;
            }
            if let Some(enabled) = change.enabled {
                if enabled && !s.enabled {
                    s.cursor = s.cursor.max(feed_last);
                    s.failing_since = None;
                    s.disabled_reason = None;
                }
                if !enabled && s.enabled {
                    s.disabled_reason = Some("disabled by an operator".to_owned());
                }
                s.enabled = enabled;
            }
            if change.rotate_secret && !s.secrets.iter().any(|k| k.secret == new_secret.reveal()) {
                let expires = now.checked_add(ROTATION_OVERLAP);
                s.secrets.retain(|k| k.expires_at.is_none_or(|at| at > now));
                for kept in &mut s.secrets {
                    kept.expires_at = kept.expires_at.or(expires);
                }
                s.secrets.insert(
                    0,
                    KeptSecret {
                        secret: new_secret.reveal(),
                        expires_at: None,
                    },
                );
            }
            s.updated_at = now;
            Ok(Some(()))
        })?;
        Ok((
            view(&stored),
            change.rotate_secret.then(|| new_secret.reveal()),
        ))
    }

    /// Deletes the endpoint (absent: [`EndpointError::NotFound`]).
    pub fn delete(&self, id: &str) -> Result<(), EndpointError> {
        self.stored(id)?;
        document::write(
            self.kv,
            keys::ENDPOINTS,
            self.nonce,
            |list: Option<List>, _| {
                let Some(mut list) = list else {
                    return Ok::<_, EndpointError>(Decision::Keep(()));
                };
                if !list.ids.iter().any(|i| i == id) {
                    return Ok(Decision::Keep(()));
                }
                list.ids.retain(|i| i != id);
                Ok(Decision::Write(list, ()))
            },
        )?;
        self.kv.delete(&keys::endpoint(id))?;
        Ok(())
    }
}
