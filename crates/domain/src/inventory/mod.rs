//! Stock: one SKU's levels per location, what each order holds of it, and the movements that
//! explain every change (the ledger), as Magento's inventory (sources, salable quantity = on hand
//! less reservations) and Medusa's inventory module (items, levels per location, reservations)
//! keep them.
//!
//! A [`StockItem`] is one SKU. Each location has a level: `on_hand` (what is on the shelf),
//! `reserved` (what open orders hold) and `available = on_hand - reserved`. An order holds the
//! SKU at one location ([`Hold`]) through its life: reserved at placement, re-reserved when the
//! order changes, released when it is canceled, deducted from on hand when it is invoiced or
//! shipped, and put back on hand by a return. Every step is applied once per order: a step
//! repeated (a retried webhook, a replayed command) changes nothing, and a closed hold is never
//! opened again. A closed hold leaves the item (which remembers the last [`RECENT_STEPS`] closed
//! orders and applied returns), so an item's size follows its open orders, not its history; what
//! a sold hold was ([`Sold`]) is kept by the caller for returns. Every change is a [`Movement`], so a level's `on_hand` and `reserved` are the
//! sums of its movements.
//!
//! [`StockItem::apply`] decides; it does no I/O. A store that never gave a SKU a level does not
//! track it: it has no `StockItem`, and orders for it place as if there were no inventory.

mod model;
#[cfg(test)]
mod tests;

pub use model::{
    Applied, Hold, InventoryError, Level, Movement, MovementReason, RECENT_STEPS, Sold,
    StockCommand, StockEvent, StockItem,
};
