//! Listing orders: one page, filtered, with a cursor for the next, in an order that holds across
//! pages.
//!
//! By creation (`createdAt`, `-createdAt`) the walk follows an index whose orders all join it at
//! placement (`all`, a customer's, a channel's, a day's), so that its slots are in placement
//! order: the indexer gives slots in outbox order, and a placement's outbox position is its
//! number. Overlapping placements may
//! take their number and their slots in different orders; an order acknowledged before another
//! was sent has the lower number and the lower slot everywhere, which is the order the API
//! promises (openapi.yaml, `sort`). A status filter walks
//! `all` and checks each order (an index by status would follow when orders *entered* it).
//! By total the walk follows the `total/{minor}` indexes, totals in order through the directory
//! (`totals`), and within a total its slots (the order orders got that total); the cursor is the
//! total and the slot. Every other filter is checked on each order read, so a page costs about
//! `limit` divided by the share of orders that match, bounded per call (a page may come back
//! short with a cursor).

use orderflow_domain::order::{Order, Status};
use orderflow_domain::values::{Channel, FieldError, Money, Sku, TestClockId, Timestamp};

use super::totals::Nodes;
use super::{Failure, Service};
use crate::doc::{IndexEntry, decode};
use crate::keys::{self, Day, IndexName};
use crate::kv::Kv;

/// List order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Sort {
    /// Newest first.
    #[default]
    CreatedAtDesc,
    /// Oldest first.
    CreatedAtAsc,
    /// Smallest total first; equal totals in the order they got that total.
    TotalAsc,
    /// Largest total first; the exact reverse of [`Sort::TotalAsc`].
    TotalDesc,
}

/// List filters, parsed.
#[derive(Debug, Clone, Default)]
pub(crate) struct Query {
    pub(crate) status: Option<Status>,
    pub(crate) q: Option<String>,
    pub(crate) sku: Option<Sku>,
    pub(crate) customer: Option<String>,
    pub(crate) channel: Option<Channel>,
    pub(crate) from: Option<Timestamp>,
    pub(crate) to: Option<Timestamp>,
    pub(crate) min_total: Option<Money>,
    pub(crate) max_total: Option<Money>,
    pub(crate) shipping_method: Option<String>,
    pub(crate) sort: Sort,
    pub(crate) limit: u32,
    pub(crate) cursor: Option<String>,
    /// Only pix and boleto orders awaiting payment (the `unpaid` index; not an API filter).
    pub(crate) unpaid: bool,
    /// With `unpaid`: those of this test clock (none: the live ones).
    pub(crate) unpaid_clock: Option<TestClockId>,
    /// Only orders with open problems (the `problems` index).
    pub(crate) problems: bool,
}

/// A page of orders.
#[derive(Debug, Clone)]
pub(crate) struct Page {
    pub(crate) items: Vec<Order>,
    pub(crate) next_cursor: Option<String>,
}

/// The largest page.
pub(crate) const MAX_LIMIT: u32 = 200;
/// The page size when none is asked for.
const DEFAULT_LIMIT: u32 = 50;
/// At most this many days are walked by one list call.
const MAX_DAYS_PER_CALL: usize = 31;

impl<K: Kv> Service<'_, K> {
    /// One page of orders matching `query`. Reads at most about three times `limit` entries and
    /// 31 days of the day index per call, whatever the number of orders.
    pub(crate) fn list(&self, query: &Query) -> Result<Page, Failure> {
        // What was acknowledged before this call is in the indexes.
        self.catch_up()?;
        let limit = match query.limit {
            0 => DEFAULT_LIMIT,
            n => n.min(MAX_LIMIT),
        };
        let limit = usize::try_from(limit).unwrap_or(50);
        let budget = limit * 3 + 20;
        match query.sort {
            Sort::TotalAsc => self.list_by_total(query, limit, budget, true),
            Sort::TotalDesc => self.list_by_total(query, limit, budget, false),
            Sort::CreatedAtAsc | Sort::CreatedAtDesc => self.list_by_creation(query, limit, budget),
        }
    }

    fn list_by_creation(
        &self,
        query: &Query,
        limit: usize,
        budget: usize,
    ) -> Result<Page, Failure> {
        let descending = query.sort != Sort::CreatedAtAsc;
        let source = Source::for_query(query, self.now);
        let mut cursor = match &query.cursor {
            Some(text) => Cursor::parse(text).ok_or_else(bad_cursor)?,
            None => Cursor {
                day: source.first_day(descending),
                position: None,
            },
        };
        let mut items = Vec::new();
        let mut examined = 0usize;
        let mut days = 0usize;
        let mut top: Option<(Option<Day>, u64)> = None;
        let next_cursor = loop {
            if items.len() >= limit || examined >= budget || days > MAX_DAYS_PER_CALL {
                break Some(cursor);
            }
            let index = match source.index(cursor.day.as_ref()) {
                Ok(index) => index,
                Err(()) => break None,
            };
            // One counter read per index (or day) per call.
            let top = match &top {
                Some((day, top)) if *day == cursor.day => *top,
                Some(_) | None => {
                    let value = self.counter(&keys::index_counter(&index))?;
                    top = Some((cursor.day.clone(), value));
                    value
                }
            };
            let position = cursor.position.unwrap_or(if descending { top } else { 1 });
            let exhausted = if descending {
                position == 0
            } else {
                position > top
            };
            if exhausted {
                days += 1;
                match source.next_day(cursor.day.as_ref(), descending) {
                    Some(day) => {
                        cursor = Cursor {
                            day: Some(day),
                            position: None,
                        };
                        continue;
                    }
                    None => break None,
                }
            }
            examined += 1;
            cursor.position = Some(if descending {
                position - 1
            } else {
                position + 1
            });
            if let Some(order) = self.entry(&index, position)?
                && query.matches(&order)
            {
                items.push(order);
            }
        };
        Ok(Page {
            items,
            next_cursor: next_cursor.map(|c| c.render()),
        })
    }

    /// A page by total: the `total/{minor}` indexes in the direction asked, each by slot, from
    /// `minTotal`/`maxTotal` when given.
    fn list_by_total(
        &self,
        query: &Query,
        limit: usize,
        budget: usize,
        ascending: bool,
    ) -> Result<Page, Failure> {
        let low = query.min_total.map_or(0, keys::total_key);
        let high = query.max_total.map_or(u64::MAX, |max| {
            if max.is_negative() {
                0
            } else {
                keys::total_key(max)
            }
        });
        let nodes = Nodes::default();
        let inside = |total: u64| total >= low && total <= high;
        let mut at = match &query.cursor {
            Some(text) => Some(TotalCursor::parse(text, ascending).ok_or_else(bad_cursor)?),
            None => self
                .seek_total(&nodes, if ascending { low } else { high }, ascending)?
                .map(|total| TotalCursor { total, slot: None }),
        };
        if query.max_total.is_some_and(|max| max.is_negative()) || low > high {
            at = None;
        }
        let mut items = Vec::new();
        let mut examined = 0usize;
        let mut top: Option<(u64, u64)> = None;
        let next_cursor = loop {
            let Some(cursor) = at.take() else {
                break None;
            };
            if !inside(cursor.total) {
                break None;
            }
            if examined >= budget {
                break Some(cursor);
            }
            let index = IndexName::total(cursor.total);
            let last = match top {
                Some((total, last)) if total == cursor.total => last,
                Some(_) | None => {
                    examined += 1;
                    let last = self.counter(&keys::index_counter(&index))?;
                    top = Some((cursor.total, last));
                    last
                }
            };
            let slot = cursor.slot.unwrap_or(if ascending { 1 } else { last });
            if (ascending && slot > last) || slot == 0 {
                let next = if ascending {
                    cursor.total.checked_add(1)
                } else {
                    cursor.total.checked_sub(1)
                };
                at = match next {
                    Some(from) => self
                        .seek_total(&nodes, from, ascending)?
                        .map(|total| TotalCursor { total, slot: None }),
                    None => None,
                };
                continue;
            }
            // Checked once the cursor is on a slot to read: a full page that ends the listing
            // says so rather than leaving an empty page to ask for.
            if items.len() >= limit {
                break Some(TotalCursor {
                    total: cursor.total,
                    slot: Some(slot),
                });
            }
            examined += 1;
            at = Some(TotalCursor {
                total: cursor.total,
                slot: Some(if ascending { slot + 1 } else { slot - 1 }),
            });
            if let Some(order) = self.entry(&index, slot)?
                && query.matches(&order)
            {
                items.push(order);
            }
        };
        Ok(Page {
            items,
            next_cursor: next_cursor.map(|c| c.render(ascending)),
        })
    }

    /// A counter's value, read (not incremented by 0: that would be a write).
    pub(super) fn counter(&self, key: &str) -> Result<u64, Failure> {
        let value = crate::kv::counter_value(self.kv.get(key)?.as_deref())
            .ok_or_else(|| Failure::Store(format!("{key} does not hold a counter")))?;
        Ok(u64::try_from(value).unwrap_or(0))
    }

    /// The order at `position` of an index, if it still holds it: the order's document says it
    /// joined the index at the version the entry names.
    pub(super) fn entry(&self, index: &IndexName, position: u64) -> Result<Option<Order>, Failure> {
        let key = keys::index_entry(index, position);
        let Some(bytes) = self.kv.get(&key)? else {
            return Ok(None);
        };
        let entry: IndexEntry = decode(&key, &bytes).map_err(Failure::Store)?;
        let Some(stored) = self.read(&keys::order(&entry.id))? else {
            return Ok(None);
        };
        let holds = stored.joined.get(index) == Some(&entry.v);
        Ok(holds.then_some(stored.order))
    }
}

impl Query {
    fn matches(&self, order: &Order) -> bool {
        let customer = order.customer();
        let total = order.totals().total;
        self.status.is_none_or(|s| order.status() == s)
            && (!self.problems || !order.problems().is_empty())
            && self.channel.as_ref().is_none_or(|c| order.channel() == c)
            && self.from.is_none_or(|from| *order.created_at() >= from)
            && self.to.is_none_or(|to| *order.created_at() < to)
            && self.min_total.is_none_or(|min| total >= min)
            && self.max_total.is_none_or(|max| total <= max)
            && self
                .sku
                .as_ref()
                .is_none_or(|sku| order.items().iter().any(|i| &i.sku == sku))
            && self.shipping_method.as_ref().is_none_or(|m| {
                order
                    .shipping()
                    .method
                    .as_str()
                    .eq_ignore_ascii_case(m.trim())
            })
            && self.customer.as_ref().is_none_or(|c| {
                let value = keys::customer_value(c);
                customer.id.as_ref().is_some_and(|id| id.as_str() == value)
                    || customer.email.as_str() == value
                    || customer
                        .document
                        .as_ref()
                        .is_some_and(|d| d.as_str() == value)
            })
            && self.q.as_ref().is_none_or(|q| {
                let q = q.trim().to_lowercase();
                order.number().to_string() == q.trim_start_matches('#')
                    || customer.name.as_str().to_lowercase().contains(&q)
                    || order
                        .items()
                        .iter()
                        .any(|i| i.name.as_str().to_lowercase().contains(&q))
            })
    }
}

/// Where a listing reads from: one index (`all` when nothing narrower applies), or the day
/// indexes of a range.
#[derive(Debug)]
enum Source {
    Index(IndexName),
    Days { first: Day, last: Day },
}

impl Source {
    /// The narrowest source in creation order.
    fn for_query(query: &Query, now: Timestamp) -> Self {
        if query.unpaid {
            Source::Index(IndexName::unpaid(query.unpaid_clock.as_ref()))
        } else if query.problems {
            Source::Index(IndexName::problems())
        } else if let Some(customer) = &query.customer {
            Source::Index(IndexName::customer(&keys::customer_value(customer)))
        } else if let Some(channel) = &query.channel {
            Source::Index(IndexName::channel(channel))
        } else if let Some(from) = query.from {
            let to = query.to.unwrap_or(now);
            Source::Days {
                first: Day::of(from),
                last: Day::of(to),
            }
        } else {
            Source::Index(IndexName::all())
        }
    }

    fn first_day(&self, descending: bool) -> Option<Day> {
        match self {
            Source::Days { first, last } => Some(if descending { last } else { first }.clone()),
            Source::Index(_) => None,
        }
    }

    /// The index to read at `day`; `Err` when out of the range.
    fn index(&self, day: Option<&Day>) -> Result<IndexName, ()> {
        match (self, day) {
            (Source::Index(index), None) => Ok(index.clone()),
            (Source::Days { first, last }, Some(day)) if day >= first && day <= last => {
                Ok(IndexName::day(day))
            }
            (Source::Days { .. }, _) | (Source::Index(_), Some(_)) => Err(()),
        }
    }

    fn next_day(&self, day: Option<&Day>, descending: bool) -> Option<Day> {
        let (Source::Days { first, last }, Some(day)) = (self, day) else {
            return None;
        };
        let next = day.step(!descending)?;
        (next >= *first && next <= *last).then_some(next)
    }
}

/// Where the next page starts: the day (for day ranges) and the next position to read.
#[derive(Debug, Clone)]
struct Cursor {
    day: Option<Day>,
    position: Option<u64>,
}

impl Cursor {
    fn render(&self) -> String {
        let day = self.day.as_ref().map_or("-", Day::as_str);
        match self.position {
            Some(position) => format!("v1.{day}.{position}"),
            None => format!("v1.{day}.-"),
        }
    }

    fn parse(text: &str) -> Option<Cursor> {
        let mut parts = text.split('.');
        let (Some("v1"), Some(day), Some(position), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return None;
        };
        let day = match day {
            "-" => None,
            day => Some(Day::parse(day)?),
        };
        let position = match position {
            "-" => None,
            n => Some(n.parse().ok()?),
        };
        Some(Cursor { day, position })
    }
}

/// Where a listing by total goes on: the total, and the next slot to read in it (`None`: its
/// first in the listing's direction).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct TotalCursor {
    total: u64,
    slot: Option<u64>,
}

impl TotalCursor {
    /// `t1.{a|d}.{total}.{slot|-}`: the direction is in it, so that a cursor is never read by a
    /// listing in the other direction.
    fn render(&self, ascending: bool) -> String {
        let direction = if ascending { 'a' } else { 'd' };
        match self.slot {
            Some(slot) => format!("t1.{direction}.{}.{slot}", self.total),
            None => format!("t1.{direction}.{}.-", self.total),
        }
    }

    fn parse(text: &str, ascending: bool) -> Option<TotalCursor> {
        let mut parts = text.split('.');
        let (Some("t1"), Some(direction), Some(total), Some(slot), None) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return None;
        };
        if direction != if ascending { "a" } else { "d" } {
            return None;
        }
        let slot = match slot {
            "-" => None,
            n => Some(n.parse().ok()?),
        };
        Some(TotalCursor {
            total: total.parse().ok()?,
            slot,
        })
    }
}

/// The refusal of a cursor this listing did not hand out.
fn bad_cursor() -> Failure {
    Failure::Invalid(vec![FieldError::new(
        "cursor",
        orderflow_domain::values::Invalid::BadFormat {
            expected: "a cursor from a previous page of the same sort",
        },
    )])
}

#[cfg(test)]
mod tests {
    use super::TotalCursor;

    #[test]
    fn total_cursors_read_back_in_their_own_direction_only() {
        for cursor in [
            TotalCursor {
                total: 0,
                slot: None,
            },
            TotalCursor {
                total: 12_990,
                slot: Some(3),
            },
        ] {
            assert_eq!(TotalCursor::parse(&cursor.render(true), true), Some(cursor));
            assert_eq!(TotalCursor::parse(&cursor.render(false), true), None);
        }
        assert_eq!(TotalCursor::parse("v1.-.3", true), None);
        assert_eq!(TotalCursor::parse("t1.a.x.1", true), None);
    }
}
