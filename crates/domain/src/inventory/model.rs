//! The stock of one SKU and the commands that move it (module documentation in `inventory`).

use std::collections::{BTreeMap, VecDeque};

use serde::{Deserialize, Serialize};

use crate::order::Actor;
use crate::values::{LocationId, OrderId, Sku, Text, Timestamp};

/// One location's stock of a SKU.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Level {
    /// On the shelf: the sum of the location's movements.
    pub on_hand: i64,
    /// Held by open orders: the sum of their holds here.
    pub reserved: i64,
    /// The ERP's own time of the last absolute level it sent: an older one is ignored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub erp_updated_at: Option<Timestamp>,
}

impl Level {
    /// On hand less reserved.
    pub fn available(&self) -> i64 {
        self.on_hand - self.reserved
    }
}

/// What an open order holds of a SKU, at one location: counted in the location's `reserved`.
/// A hold leaves the item when it closes (released or sold): the item remembers the order among
/// its [`StockItem::recent`] ids, so that a late or repeated step changes nothing.
///
/// Stored as `[location, quantity, since in unix milliseconds]`: an item keeps every open
/// order's hold and is read and written whole by each reservation, so each hold's bytes count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "StoredHold", into = "StoredHold")]
pub struct Hold {
    /// Where.
    pub location: LocationId,
    /// How many.
    pub quantity: u32,
    /// When it was first reserved.
    pub since: Option<Timestamp>,
}

/// A hold as stored: the compact form, or the object form items were first written in.
#[derive(Serialize, Deserialize)]
#[serde(untagged)]
enum StoredHold {
    Compact(LocationId, u32, Option<i64>),
    #[serde(rename_all = "camelCase")]
    Object {
        location: LocationId,
        quantity: u32,
        #[serde(default)]
        since: Option<Timestamp>,
    },
}

impl From<StoredHold> for Hold {
    fn from(stored: StoredHold) -> Self {
        match stored {
            StoredHold::Compact(location, quantity, since) => Hold {
                location,
                quantity,
                since: since.and_then(Timestamp::from_unix_millis),
            },
            StoredHold::Object {
                location,
                quantity,
                since,
            } => Hold {
                location,
                quantity,
                since,
            },
        }
    }
}

impl From<Hold> for StoredHold {
    fn from(hold: Hold) -> Self {
        StoredHold::Compact(
            hold.location,
            hold.quantity,
            hold.since.map(Timestamp::unix_millis),
        )
    }
}

/// What an order's hold became when it left the shelf: where from and how many, so that a
/// return later puts them back there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Sold {
    /// Where from.
    pub location: LocationId,
    /// How many left.
    pub quantity: u32,
}

/// How many closed holds and applied returns an item remembers: far more than could happen to
/// one SKU between a step and its replay (a retried pass).
pub const RECENT_STEPS: usize = 512;

/// Why stock moved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "type", content = "note")]
pub enum MovementReason {
    /// The ERP (or a person) set an absolute level.
    Level,
    /// A correction, with what a person or the ERP said of it.
    Adjustment(Text),
    /// An order reserved (or changed what it reserved).
    Reservation,
    /// An order gave its reservation back.
    Release,
    /// An order's reservation left the shelf (invoice or shipment).
    Sale,
    /// Returned items came back on the shelf.
    Return,
}

/// One change of a location's stock: the SKU's ledger is the list of these.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Movement {
    /// Its place in the SKU's ledger, from 1.
    pub number: u64,
    /// When.
    pub at: Timestamp,
    /// Where.
    pub location: LocationId,
    /// The change of on hand.
    pub on_hand: i64,
    /// The change of reserved.
    pub reserved: i64,
    /// Why.
    pub reason: MovementReason,
    /// The order that moved it, if one did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_id: Option<OrderId>,
    /// Who.
    pub actor: Actor,
    /// The position of the outbox entry that published the change this movement opens (its
    /// first movement), set by the service: the entry is committed exactly when the ledger's
    /// movement carries its position.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outbox: Option<u64>,
}

/// What a change of stock tells the store's integrations (the feed's `inventory.*` events).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "type", content = "location")]
pub enum StockEvent {
    /// On hand moved somewhere (a level, an adjustment, a sale, a return).
    StockChanged,
    /// A location's available quantity fell to or below the safety stock: it sells no more.
    LowStock(LocationId),
    /// A location that was low has more available than the safety stock again.
    BackInStock(LocationId),
}

/// A change asked of a SKU's stock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StockCommand {
    /// An absolute level at a location (creating it), with the ERP's own time of it: one older
    /// than the last applied is ignored.
    SetLevel {
        /// Where.
        location: LocationId,
        /// On hand.
        on_hand: u32,
        /// The sender's time of this level.
        updated_at: Option<Timestamp>,
    },
    /// A change of on hand by `delta`, with a reason.
    Adjust {
        /// Where (an existing level).
        location: LocationId,
        /// How much (negative: taken away).
        delta: i64,
        /// Why.
        reason: Text,
    },
    /// The SKU's settings.
    Configure {
        /// Whether orders may reserve beyond what is available.
        allow_backorders: Option<bool>,
        /// Units kept back from sale at every location.
        safety_stock: Option<u32>,
    },
    /// An order reserves `quantity` (again, when it changed; 0 gives it all back), at
    /// `location` if it asks for one, else at the first location (by id) with enough.
    Reserve {
        /// The order.
        order: OrderId,
        /// How many it holds now.
        quantity: u32,
        /// The location it asks for.
        location: Option<LocationId>,
    },
    /// An order gives its reservation back (canceled).
    Release {
        /// The order.
        order: OrderId,
    },
    /// An order's reservation leaves the shelf (invoiced or shipped): `quantity` units (the
    /// order's, which a change cut short may have left different from the hold) leave on hand,
    /// and the whole hold leaves reserved.
    Deduct {
        /// The order.
        order: OrderId,
        /// How many leave the shelf.
        quantity: u32,
    },
    /// Items of an order come back, counted once per `step`: out of the reservation while the
    /// hold is open (they never left), else back on the shelf they were `sold` from (the
    /// service keeps that record; without one, the order never held the SKU: nothing moves).
    Restock {
        /// The order.
        order: OrderId,
        /// The refund or return invoice that returned them.
        step: String,
        /// How many.
        quantity: u32,
        /// Where the order's units left from, if they did.
        sold: Option<Sold>,
    },
}

/// Why a command was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InventoryError {
    /// Not enough stock at any one location: the most one location could give.
    #[error("{sku} is out of stock: {available} available")]
    OutOfStock {
        /// The SKU.
        sku: Sku,
        /// The most an order could reserve at one location now.
        available: i64,
    },
    /// The location has no level of this SKU.
    #[error("{sku} has no stock level at {location}")]
    UnknownLocation {
        /// The SKU.
        sku: Sku,
        /// The location.
        location: LocationId,
    },
    /// The change would leave less than nothing on hand.
    #[error("{sku} would have {on_hand} on hand at {location}")]
    NegativeStock {
        /// The SKU.
        sku: Sku,
        /// The location.
        location: LocationId,
        /// What would be left.
        on_hand: i64,
    },
}

/// What a command did: the item after it, its movements, and whether a level was ignored as
/// older than the one applied (then nothing changed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    /// The item after the command.
    pub item: StockItem,
    /// What moved, in order.
    pub movements: Vec<Movement>,
    /// Whether anything changed (a repeated step changes nothing).
    pub changed: bool,
    /// For a level older than the last applied: the time of that one.
    pub stale: Option<Timestamp>,
    /// A hold that left the shelf: the service keeps it for returns.
    pub sold: Option<(OrderId, Sold)>,
    /// What the change tells the integrations; empty when it moved nothing (a change of the
    /// settings alone publishes nothing: its ledger has no movement to carry the entry).
    pub events: Vec<StockEvent>,
}

/// One SKU's stock: its settings, its levels per location, and every order's hold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StockItem {
    sku: Sku,
    #[serde(default)]
    allow_backorders: bool,
    #[serde(default)]
    safety_stock: u32,
    #[serde(default)]
    levels: BTreeMap<LocationId, Level>,
    #[serde(default)]
    holds: BTreeMap<OrderId, Hold>,
    /// The last [`RECENT_STEPS`] holds closed (`{order}`) and returns applied
    /// (`{order}/{step}`), oldest first.
    #[serde(default)]
    recent: VecDeque<String>,
    /// How many movements the ledger holds.
    #[serde(default)]
    movements: u64,
    version: u64,
}

impl StockItem {
    /// A SKU with no stock anywhere yet (a first level makes it tracked).
    pub fn new(sku: Sku) -> Self {
        StockItem {
            sku,
            allow_backorders: false,
            safety_stock: 0,
            levels: BTreeMap::new(),
            holds: BTreeMap::new(),
            recent: VecDeque::new(),
            movements: 0,
            version: 0,
        }
    }

    /// The SKU.
    pub fn sku(&self) -> &Sku {
        &self.sku
    }

    /// Whether orders may reserve beyond what is available.
    pub fn allow_backorders(&self) -> bool {
        self.allow_backorders
    }

    /// Units kept back from sale at every location.
    pub fn safety_stock(&self) -> u32 {
        self.safety_stock
    }

    /// The levels, by location.
    pub fn levels(&self) -> &BTreeMap<LocationId, Level> {
        &self.levels
    }

    /// The open orders' holds.
    pub fn holds(&self) -> &BTreeMap<OrderId, Hold> {
        &self.holds
    }

    /// Whether `order`'s hold was closed (released or sold) recently enough to be remembered.
    pub fn closed(&self, order: &OrderId) -> bool {
        self.recent.iter().any(|id| id == order.as_str())
    }

    /// How many movements the ledger holds.
    pub fn movement_count(&self) -> u64 {
        self.movements
    }

    /// Changes so far (0: never written).
    pub fn version(&self) -> u64 {
        self.version
    }

    /// On hand at every location.
    pub fn on_hand(&self) -> i64 {
        self.levels.values().map(|l| l.on_hand).sum()
    }

    /// Reserved at every location.
    pub fn reserved(&self) -> i64 {
        self.levels.values().map(|l| l.reserved).sum()
    }

    /// Available at every location.
    pub fn available(&self) -> i64 {
        self.on_hand() - self.reserved()
    }

    /// What an order may still reserve at a location: available less the safety stock.
    pub fn salable(&self, location: &LocationId) -> i64 {
        self.levels
            .get(location)
            .map_or(0, |l| l.available() - i64::from(self.safety_stock))
    }

    /// Applies `command` at `at` by `actor`.
    pub fn apply(
        &self,
        command: &StockCommand,
        at: Timestamp,
        actor: Actor,
    ) -> Result<Applied, InventoryError> {
        let mut next = Change {
            item: self.clone(),
            movements: Vec::new(),
            sold: None,
            at,
            actor,
        };
        let mut stale = None;
        match command {
            StockCommand::SetLevel {
                location,
                on_hand,
                updated_at,
            } => stale = next.set_level(location, *on_hand, *updated_at),
            StockCommand::Adjust {
                location,
                delta,
                reason,
            } => next.adjust(location, *delta, reason)?,
            StockCommand::Configure {
                allow_backorders,
                safety_stock,
            } => {
                if let Some(allow) = allow_backorders {
                    next.item.allow_backorders = *allow;
                }
                if let Some(units) = safety_stock {
                    next.item.safety_stock = *units;
                }
            }
            StockCommand::Reserve {
                order,
                quantity,
                location,
            } => next.reserve(order, *quantity, location.as_ref())?,
            StockCommand::Release { order } => next.release(order),
            StockCommand::Deduct { order, quantity } => next.deduct(order, *quantity),
            StockCommand::Restock {
                order,
                step,
                quantity,
                sold,
            } => next.restock(order, step, *quantity, sold.as_ref()),
        }
        let changed = !next.movements.is_empty()
            || next.item.allow_backorders != self.allow_backorders
            || next.item.safety_stock != self.safety_stock
            || next.item.levels != self.levels
            || next.item.holds != self.holds
            || next.item.recent != self.recent;
        if changed {
            next.item.version += 1;
        }
        let events = if next.movements.is_empty() {
            Vec::new()
        } else {
            self.events_to(&next.item, &next.movements)
        };
        Ok(Applied {
            item: next.item,
            movements: next.movements,
            changed,
            stale,
            sold: next.sold,
            events,
        })
    }

    /// Whether a location's available quantity is at or below the safety stock (the listing's
    /// `lowStock`).
    pub fn low_at(&self, location: &LocationId) -> bool {
        self.levels
            .get(location)
            .is_some_and(|l| l.available() <= i64::from(self.safety_stock))
    }

    /// The events of going from this item to `after` with `movements`: on hand moved; each
    /// location that became low, or stopped being low (a new location counts as not low before).
    fn events_to(&self, after: &StockItem, movements: &[Movement]) -> Vec<StockEvent> {
        let mut events = Vec::new();
        if movements.iter().any(|m| m.on_hand != 0) {
            events.push(StockEvent::StockChanged);
        }
        for location in after.levels.keys() {
            match (self.low_at(location), after.low_at(location)) {
                (false, true) => events.push(StockEvent::LowStock(location.clone())),
                (true, false) => events.push(StockEvent::BackInStock(location.clone())),
                (true, true) | (false, false) => {}
            }
        }
        events
    }

    /// The item without its open holds and closed-step memory: what the integrations publish.
    pub fn summary(&self) -> StockItem {
        StockItem {
            sku: self.sku.clone(),
            allow_backorders: self.allow_backorders,
            safety_stock: self.safety_stock,
            levels: self.levels.clone(),
            holds: BTreeMap::new(),
            recent: VecDeque::new(),
            movements: self.movements,
            version: self.version,
        }
    }
}

/// A command being applied: the item as it becomes and what moved.
struct Change {
    item: StockItem,
    movements: Vec<Movement>,
    sold: Option<(OrderId, Sold)>,
    at: Timestamp,
    actor: Actor,
}

impl Change {
    /// Records a movement and applies it to its level.
    fn moved(
        &mut self,
        location: &LocationId,
        on_hand: i64,
        reserved: i64,
        reason: MovementReason,
        order: Option<&OrderId>,
    ) {
        if on_hand == 0 && reserved == 0 {
            return;
        }
        let level = self.item.levels.entry(location.clone()).or_default();
        level.on_hand += on_hand;
        level.reserved += reserved;
        self.item.movements += 1;
        self.movements.push(Movement {
            number: self.item.movements,
            at: self.at,
            location: location.clone(),
            on_hand,
            reserved,
            reason,
            order_id: order.cloned(),
            actor: self.actor,
            outbox: None,
        });
    }

    fn set_level(
        &mut self,
        location: &LocationId,
        on_hand: u32,
        updated_at: Option<Timestamp>,
    ) -> Option<Timestamp> {
        let level = self.item.levels.entry(location.clone()).or_default();
        if let (Some(applied), Some(sent)) = (level.erp_updated_at, updated_at)
            && sent < applied
        {
            return Some(applied);
        }
        if updated_at.is_some() {
            level.erp_updated_at = updated_at;
        }
        let delta = i64::from(on_hand) - level.on_hand;
        self.moved(location, delta, 0, MovementReason::Level, None);
        None
    }

    fn adjust(
        &mut self,
        location: &LocationId,
        delta: i64,
        reason: &Text,
    ) -> Result<(), InventoryError> {
        let Some(level) = self.item.levels.get(location) else {
            return Err(InventoryError::UnknownLocation {
                sku: self.item.sku.clone(),
                location: location.clone(),
            });
        };
        let after = level.on_hand.saturating_add(delta);
        if after < 0 && !self.item.allow_backorders {
            return Err(InventoryError::NegativeStock {
                sku: self.item.sku.clone(),
                location: location.clone(),
                on_hand: after,
            });
        }
        self.moved(
            location,
            delta,
            0,
            MovementReason::Adjustment(reason.clone()),
            None,
        );
        Ok(())
    }

    fn reserve(
        &mut self,
        order: &OrderId,
        quantity: u32,
        asked: Option<&LocationId>,
    ) -> Result<(), InventoryError> {
        // Closed: a late or repeated reservation never opens it again.
        if self.item.closed(order) {
            return Ok(());
        }
        match self.item.holds.get(order).cloned() {
            Some(hold) => {
                if quantity == hold.quantity {
                    return Ok(());
                }
                // Down to 0 the hold stays open: a change that gave a SKU back may take it again.
                let more = i64::from(quantity) - i64::from(hold.quantity);
                if more > 0
                    && self.item.salable(&hold.location) < more
                    && !self.item.allow_backorders
                {
                    return Err(self.out_of_stock_beyond(&hold.location, hold.quantity));
                }
                self.moved(
                    &hold.location,
                    0,
                    more,
                    MovementReason::Reservation,
                    Some(order),
                );
                if let Some(held) = self.item.holds.get_mut(order) {
                    held.quantity = quantity;
                }
                Ok(())
            }
            None if quantity == 0 => Ok(()),
            None => {
                let wanted = i64::from(quantity);
                let location = match asked {
                    Some(location) => {
                        if !self.item.levels.contains_key(location) {
                            return Err(InventoryError::UnknownLocation {
                                sku: self.item.sku.clone(),
                                location: location.clone(),
                            });
                        }
                        (self.item.salable(location) >= wanted || self.item.allow_backorders)
                            .then(|| location.clone())
                    }
                    None => self
                        .item
                        .levels
                        .keys()
                        .find(|l| self.item.salable(l) >= wanted)
                        .or_else(|| {
                            // Backorders: where the most is, the first of equals.
                            self.item
                                .allow_backorders
                                .then(|| self.most_salable())
                                .flatten()
                        })
                        .cloned(),
                };
                let Some(location) = location else {
                    return Err(self.out_of_stock());
                };
                self.moved(
                    &location,
                    0,
                    wanted,
                    MovementReason::Reservation,
                    Some(order),
                );
                self.item.holds.insert(
                    order.clone(),
                    Hold {
                        location,
                        quantity,
                        since: Some(self.at),
                    },
                );
                Ok(())
            }
        }
    }

    /// The location an order could reserve the most at.
    fn most_salable(&self) -> Option<&LocationId> {
        let mut best: Option<(&LocationId, i64)> = None;
        for location in self.item.levels.keys() {
            let salable = self.item.salable(location);
            if best.is_none_or(|(_, most)| salable > most) {
                best = Some((location, salable));
            }
        }
        best.map(|(location, _)| location)
    }

    fn out_of_stock(&self) -> InventoryError {
        let available = self
            .most_salable()
            .map_or(0, |l| self.item.salable(l).max(0));
        InventoryError::OutOfStock {
            sku: self.item.sku.clone(),
            available,
        }
    }

    /// Out of stock for an order that holds `held` at `location` and wants more.
    fn out_of_stock_beyond(&self, location: &LocationId, held: u32) -> InventoryError {
        InventoryError::OutOfStock {
            sku: self.item.sku.clone(),
            available: (self.item.salable(location).max(0)) + i64::from(held),
        }
    }

    /// Remembers a closed hold or an applied return, forgetting the oldest beyond
    /// [`RECENT_STEPS`].
    fn remember(&mut self, id: String) {
        self.item.recent.push_back(id);
        while self.item.recent.len() > RECENT_STEPS {
            self.item.recent.pop_front();
        }
    }

    /// Takes the order's open hold out, remembering that it closed.
    fn close(&mut self, order: &OrderId) -> Option<Hold> {
        let hold = self.item.holds.remove(order)?;
        self.remember(order.as_str().to_owned());
        Some(hold)
    }

    fn release(&mut self, order: &OrderId) {
        let Some(hold) = self.close(order) else {
            return;
        };
        self.moved(
            &hold.location,
            0,
            -i64::from(hold.quantity),
            MovementReason::Release,
            Some(order),
        );
    }

    fn deduct(&mut self, order: &OrderId, quantity: u32) {
        let Some(hold) = self.close(order) else {
            return;
        };
        self.moved(
            &hold.location,
            -i64::from(quantity),
            -i64::from(hold.quantity),
            MovementReason::Sale,
            Some(order),
        );
        self.sold = Some((
            order.clone(),
            Sold {
                location: hold.location,
                quantity,
            },
        ));
    }

    fn restock(&mut self, order: &OrderId, step: &str, quantity: u32, sold: Option<&Sold>) {
        let id = format!("{}/{step}", order.as_str());
        if quantity == 0 || self.item.recent.contains(&id) {
            return;
        }
        if let Some(hold) = self.item.holds.get(order).cloned() {
            // Not yet on its way: the items go back out of the reservation.
            let back = quantity.min(hold.quantity);
            self.moved(
                &hold.location,
                0,
                -i64::from(back),
                MovementReason::Release,
                Some(order),
            );
            if let Some(held) = self.item.holds.get_mut(order) {
                held.quantity -= back;
            }
        } else if let Some(sold) = sold {
            // Back on the shelf they left, never more than left it.
            self.moved(
                &sold.location,
                i64::from(quantity.min(sold.quantity)),
                0,
                MovementReason::Return,
                Some(order),
            );
        } else {
            // Released, or never held: nothing of it is anywhere.
            return;
        }
        self.remember(id);
    }
}
