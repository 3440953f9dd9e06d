//! The sequencer's view of the three outboxes, over the WIT calls `read-outbox` of the orders,
//! subscriptions and inventory services: each committed version becomes feed events whose
//! `data` holds what happened and the order (subscription, SKU's stock) as the API shows it
//! after it.

use http_common::types::Order;
use http_common::{orders, render};
use integrations_service::feed::{Entry, EntryState, Event, Outboxes, Page, Source};
use orderflow_domain::values::Timestamp;
use serde_json::value::RawValue;
use serde_json::{Value, json};
use subscriptions_client::subs;

use inventory_client::inv;

/// Brings the subscriptions' listings, due entries and counters up to their outbox.
pub fn catch_up_subscriptions() -> Result<(), subs::Error> {
    subs::catch_up_indexes()
}

/// The three services, through their WIT interfaces.
#[derive(Debug, Clone, Copy)]
pub struct Services;

impl Outboxes for Services {
    fn read(
        &self,
        source: Source,
        after: u64,
        limit: u32,
        recheck: &[u64],
    ) -> Result<Page, String> {
        let entries = match source {
            Source::Orders => orders::read_outbox(after, limit, recheck)
                .map_err(|e| format!("orders.read-outbox: {e:?}"))?
                .into_iter()
                .map(|p| {
                    Ok(Entry {
                        position: p.position,
                        state: match p.state {
                            orders::OutboxState::Committed(entry) => {
                                EntryState::Committed(vec![order_event(p.position, &entry)?])
                            }
                            orders::OutboxState::Dead => EntryState::Dead,
                            orders::OutboxState::Pending => EntryState::Pending,
                        },
                    })
                })
                .collect::<Result<Vec<_>, String>>()?,
            Source::Subscriptions => subs::read_outbox(after, limit, recheck)
                .map_err(|e| format!("subscriptions.read-outbox: {e:?}"))?
                .into_iter()
                .map(|p| {
                    Ok(Entry {
                        position: p.position,
                        state: match p.state {
                            subs::OutboxState::Committed(entry) => {
                                EntryState::Committed(subscription_events(p.position, &entry)?)
                            }
                            subs::OutboxState::Dead => EntryState::Dead,
                            subs::OutboxState::Pending => EntryState::Pending,
                        },
                    })
                })
                .collect::<Result<Vec<_>, String>>()?,
            Source::Inventory => inv::read_outbox(after, limit, recheck)
                .map_err(|e| format!("inventory.read-outbox: {e:?}"))?
                .into_iter()
                .map(|p| {
                    Ok(Entry {
                        position: p.position,
                        state: match p.state {
                            inv::OutboxState::Committed(entry) => {
                                EntryState::Committed(stock_events(p.position, &entry)?)
                            }
                            inv::OutboxState::Dead => EntryState::Dead,
                            inv::OutboxState::Pending => EntryState::Pending,
                        },
                    })
                })
                .collect::<Result<Vec<_>, String>>()?,
        };
        Ok(Page { entries })
    }
}

fn instant(text: &str) -> Result<Timestamp, String> {
    Timestamp::parse(text).map_err(|e| format!("an outbox time {text:?}: {e:?}"))
}

fn raw(value: &Value) -> Result<Box<RawValue>, String> {
    serde_json::value::to_raw_value(value).map_err(|e| format!("encoding an event: {e}"))
}

/// An order version's event: its history entry names it (`order-placed` is `order.placed`).
fn order_event(position: u64, entry: &orders::OutboxEntry) -> Result<Event, String> {
    let order: &Order = &entry.order;
    let shown = render::order(order);
    let last = shown["history"]
        .as_array()
        .and_then(|h| h.last())
        .cloned()
        .unwrap_or(Value::Null);
    let name = last["event"].as_str().unwrap_or("changed");
    let name = name.strip_prefix("order-").unwrap_or(name);
    let details: Value = serde_json::from_str(&entry.events).unwrap_or(Value::Null);
    Ok(Event {
        id: format!("evt_o{position}"),
        position: 0,
        kind: format!("order.{name}"),
        order_id: Some(order.id.clone()),
        subscription_id: None,
        sku: None,
        channel: Some(order.channel.clone()),
        from: last["from"].as_str().map(str::to_owned),
        to: last["to"].as_str().map(str::to_owned),
        at: instant(&entry.at)?,
        data: raw(&json!({
            "event": {"history": last, "details": details},
            "order": shown,
        }))?,
    })
}

/// A subscription version's events, one per thing that happened.
fn subscription_events(position: u64, entry: &subs::OutboxEntry) -> Result<Vec<Event>, String> {
    let shown = subscriptions_client::render::subscription(&entry.subscription);
    let published: Vec<Value> = serde_json::from_str(&entry.events).unwrap_or_default();
    let from = entry
        .from
        .map(|s| subscriptions_client::render::status(s).to_owned());
    let to = subscriptions_client::render::status(entry.subscription.status).to_owned();
    let at = instant(&entry.at)?;
    published
        .iter()
        .enumerate()
        .map(|(i, event)| {
            Ok(Event {
                id: format!("evt_s{position}_{i}"),
                position: 0,
                kind: event["type"]
                    .as_str()
                    .unwrap_or("subscription.changed")
                    .to_owned(),
                order_id: None,
                subscription_id: Some(entry.subscription.id.clone()),
                sku: None,
                channel: None,
                from: from.clone(),
                to: Some(to.clone()),
                at,
                data: raw(&json!({
                    "event": {"details": event["details"]},
                    "subscription": shown,
                }))?,
            })
        })
        .collect()
}

/// A change of stock's events (`inventory.stock-changed`, `inventory.low-stock`,
/// `inventory.back-in-stock`), each with the movements and the SKU's stock as
/// `GET /inventory/{sku}` shows it after the change.
fn stock_events(position: u64, entry: &inv::OutboxEntry) -> Result<Vec<Event>, String> {
    let shown = inventory_client::render::stock(&entry.stock);
    let movements: Vec<Value> = entry
        .movements
        .iter()
        .map(inventory_client::render::movement)
        .collect();
    let at = instant(&entry.at)?;
    entry
        .events
        .iter()
        .enumerate()
        .map(|(i, event)| {
            Ok(Event {
                id: format!("evt_i{position}_{i}"),
                position: 0,
                kind: format!("inventory.{}", event.kind),
                order_id: None,
                subscription_id: None,
                sku: Some(entry.stock.sku.clone()),
                channel: None,
                from: None,
                to: None,
                at,
                data: raw(&json!({
                    "event": {"location": event.location, "movements": movements},
                    "stock": shown,
                }))?,
            })
        })
        .collect()
}
