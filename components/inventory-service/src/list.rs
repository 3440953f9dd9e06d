//! Listings: tracked SKUs a page at a time (filtered by location and low stock), and a SKU's
//! ledger, a bounded number of reads per call however many exist.

use orderflow_domain::inventory::{Movement, StockItem};
use orderflow_domain::values::{LocationId, Sku};
use orderflow_kv::Kv;

use crate::doc::{SkuEntry, Stored, decode};
use crate::keys;
use crate::service::{Error, Inventory};

/// The largest page a listing answers.
pub const MAX_LIMIT: u32 = 200;

/// At most this many index entries are read by one listing call; a page may hold fewer items
/// than asked and still carry a cursor.
const MAX_SCAN: u64 = 1_000;

/// Which tracked SKUs a listing answers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StockFilter {
    /// Only those with a level at this location (and, with `low_stock`, low there).
    pub location: Option<LocationId>,
    /// Only those low on stock: a level whose available quantity is at or below the SKU's
    /// safety stock.
    pub low_stock: bool,
}

/// A page of a listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    /// The items.
    pub items: Vec<T>,
    /// Present while there may be more.
    pub next_cursor: Option<String>,
}

impl<K: Kv> Inventory<'_, K> {
    /// Tracked SKUs matching `filter`, in the order they were first tracked, `limit` at most
    /// (1..=[`MAX_LIMIT`]), from a previous page's `cursor`.
    pub fn list(
        &self,
        filter: &StockFilter,
        limit: u32,
        cursor: Option<&str>,
    ) -> Result<Page<StockItem>, Error> {
        let limit = usize::try_from(limit.clamp(1, MAX_LIMIT)).unwrap_or(1);
        let mut slot = match cursor {
            Some(cursor) => parse_cursor(cursor)?,
            None => 1,
        };
        let last = self.tracked_count()?;
        let mut items = Vec::new();
        let mut scanned = 0;
        while slot <= last && items.len() < limit && scanned < MAX_SCAN {
            let key = keys::all_entry(slot);
            slot += 1;
            scanned += 1;
            let Some(bytes) = self.kv.get(&key)? else {
                continue;
            };
            let entry: SkuEntry = decode(&key, &bytes).map_err(Error::Store)?;
            let Ok(sku) = Sku::parse(&entry.sku) else {
                continue;
            };
            if let Some(item) = self.item(&sku)?
                && matches(filter, &item)
            {
                items.push(item);
            }
        }
        Ok(Page {
            items,
            next_cursor: (slot <= last).then(|| format!("v1.{slot}")),
        })
    }

    /// The SKU's movements, oldest first, from the one after `cursor` (a previous page's), at
    /// most `limit` (1..=[`MAX_LIMIT`]).
    pub fn movements(
        &self,
        sku: &Sku,
        limit: u32,
        cursor: Option<&str>,
    ) -> Result<Page<Movement>, Error> {
        let limit = u64::from(limit.clamp(1, MAX_LIMIT));
        let stored = self
            .stored(sku)?
            .ok_or_else(|| Error::NotTracked(sku.clone()))?;
        let first = match cursor {
            Some(cursor) => parse_cursor(cursor)?,
            None => 1,
        };
        let (items, next) = self.ledger(sku, &stored, first, limit)?;
        Ok(Page {
            next_cursor: (next <= stored.item.movement_count()).then(|| format!("v1.{next}")),
            items,
        })
    }

    /// Up to `limit` movements of `stored`'s ledger from number `first` on, and the number
    /// after the last one answered.
    pub(crate) fn ledger(
        &self,
        sku: &Sku,
        stored: &Stored,
        first: u64,
        limit: u64,
    ) -> Result<(Vec<Movement>, u64), Error> {
        let total = stored.item.movement_count();
        let chunk = stored.chunk_size.max(1) as u64;
        let archived = stored.archived_chunks() * chunk;
        let mut items = Vec::new();
        let mut number = first;
        while number <= total && (items.len() as u64) < limit {
            let batch: Vec<Movement> = if number <= archived {
                let key = stored.chunk_key(sku, (number - 1) / chunk);
                let bytes = self
                    .kv
                    .get(&key)?
                    .ok_or_else(|| Error::Store(format!("{key} is missing")))?;
                decode(&key, &bytes).map_err(Error::Store)?
            } else {
                stored.ledger.clone()
            };
            let before = number;
            for movement in batch {
                if movement.number >= number && (items.len() as u64) < limit {
                    number = movement.number + 1;
                    items.push(movement);
                }
            }
            if number == before {
                return Err(Error::Store(format!(
                    "the ledger of {sku} has no movement {number}"
                )));
            }
        }
        Ok((items, number))
    }
}

/// Whether `item` passes `filter`.
fn matches(filter: &StockFilter, item: &StockItem) -> bool {
    let safety = i64::from(item.safety_stock());
    let low = |available: i64| available <= safety;
    match &filter.location {
        Some(location) => item
            .levels()
            .get(location)
            .is_some_and(|level| !filter.low_stock || low(level.available())),
        None => !filter.low_stock || item.levels().values().any(|l| low(l.available())),
    }
}

fn parse_cursor(cursor: &str) -> Result<u64, Error> {
    cursor
        .strip_prefix("v1.")
        .and_then(|n| n.parse::<u64>().ok())
        .filter(|n| *n >= 1)
        .ok_or(Error::BadCursor)
}
