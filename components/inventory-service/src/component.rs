//! The component edge: the exported `orderflow:core/inventory` interface. Each export parses
//! its WIT input into domain values, opens the store, runs the store logic ([`Inventory`], over
//! [`SpinKv`]) and renders the result back.

use std::time::SystemTime;

use orderflow_domain::inventory::{Movement, MovementReason, StockCommand, StockEvent, StockItem};
use orderflow_domain::values::{FieldError, Invalid, LocationId, OrderId, Sku, Text, Timestamp};
use orderflow_kv::SpinKv;
use orderflow_kv::outbox::State;
use orderflow_wit_types::{parse, render};

use crate::bindings::exports::orderflow::core::inventory as wi;
use crate::{Changed, Error, Inventory, OrderStep, OutboxEntry, StockFilter};

/// The exported `inventory` interface.
#[derive(Debug)]
pub struct Component;

/// The longest adjustment reason, in characters (openapi.yaml's `ReasonText`).
const REASON_MAX: usize = 1000;

/// Runs `f` with a service over the `default` store, at the wasi clock's now.
fn with_service<T>(
    f: impl FnOnce(&Inventory<'_, SpinKv>) -> Result<T, Error>,
) -> Result<T, wi::Error> {
    let kv = SpinKv::open().map_err(|e| error(e.into()))?;
    let now = Timestamp::from_system_time(SystemTime::now());
    let service = Inventory::new(&kv, now, orderflow_kv::write::nonce());
    f(&service).map_err(error)
}

impl wi::Guest for Component {
    fn get(sku: String) -> Result<wi::Stock, wi::Error> {
        let sku = Sku::parse(&sku).map_err(|_| wi::Error::NotTracked)?;
        with_service(|s| s.item(&sku)?.ok_or(Error::NotTracked(sku.clone()))).map(|i| stock(&i))
    }

    fn list(filter: wi::StockFilter, page: wi::PageRequest) -> Result<wi::StockPage, wi::Error> {
        let location = filter
            .location
            .as_deref()
            .map(|l| field("location", LocationId::parse(l)))
            .transpose()?;
        let filter = StockFilter {
            location,
            low_stock: filter.low_stock,
        };
        with_service(|s| s.list(&filter, page.limit, page.cursor.as_deref())).map(|p| {
            wi::StockPage {
                items: p.items.iter().map(stock).collect(),
                next_cursor: p.next_cursor,
            }
        })
    }

    fn movements(sku: String, page: wi::PageRequest) -> Result<wi::MovementPage, wi::Error> {
        let sku = Sku::parse(&sku).map_err(|_| wi::Error::NotTracked)?;
        with_service(|s| s.movements(&sku, page.limit, page.cursor.as_deref())).map(|p| {
            wi::MovementPage {
                items: p.items.iter().map(movement).collect(),
                next_cursor: p.next_cursor,
            }
        })
    }

    fn set_level(level: wi::NewLevel, by: wi::Actor) -> Result<wi::Changed, wi::Error> {
        let mut errors = Vec::new();
        let sku = collect(&mut errors, "sku", Sku::parse(&level.sku));
        let location = collect(&mut errors, "location", LocationId::parse(&level.location));
        let on_hand = collect(
            &mut errors,
            "onHand",
            u32::try_from(level.on_hand).map_err(|_| Invalid::OutOfRange {
                min: 0,
                max: i64::from(u32::MAX),
            }),
        );
        let updated_at = match level.updated_at.as_deref() {
            Some(at) => collect(&mut errors, "updatedAt", Timestamp::parse(at)).map(Some),
            None => Some(None),
        };
        let (Some(sku), Some(location), Some(on_hand), Some(updated_at)) =
            (sku, location, on_hand, updated_at)
        else {
            return Err(invalid(&errors));
        };
        let command = StockCommand::SetLevel {
            location,
            on_hand,
            updated_at,
        };
        with_service(|s| s.apply(&sku, &command, parse::actor(by))).map(|c| changed(&c))
    }

    fn adjust(adjustment: wi::Adjustment, by: wi::Actor) -> Result<wi::Changed, wi::Error> {
        let mut errors = Vec::new();
        let sku = collect(&mut errors, "sku", Sku::parse(&adjustment.sku));
        let location = collect(
            &mut errors,
            "location",
            LocationId::parse(&adjustment.location),
        );
        let reason = collect(
            &mut errors,
            "reason",
            Text::multiline(&adjustment.reason, REASON_MAX),
        );
        let (Some(sku), Some(location), Some(reason)) = (sku, location, reason) else {
            return Err(invalid(&errors));
        };
        let command = StockCommand::Adjust {
            location,
            delta: adjustment.delta,
            reason,
        };
        with_service(|s| s.apply(&sku, &command, parse::actor(by))).map(|c| changed(&c))
    }

    fn configure(settings: wi::Settings, by: wi::Actor) -> Result<wi::Changed, wi::Error> {
        let sku = field("sku", Sku::parse(&settings.sku))?;
        let command = StockCommand::Configure {
            allow_backorders: settings.allow_backorders,
            safety_stock: settings.safety_stock,
        };
        with_service(|s| s.apply(&sku, &command, parse::actor(by))).map(|c| changed(&c))
    }

    fn tracks_any() -> Result<bool, wi::Error> {
        with_service(|s| Ok(s.tracked_count()? > 0))
    }

    fn reserve(
        order_id: String,
        lines: Vec<wi::Line>,
        location: Option<String>,
        previous: Option<Vec<wi::Line>>,
        by: wi::Actor,
    ) -> Result<(), wi::Error> {
        let order = field("orderId", OrderId::parse(&order_id))?;
        let lines = parse_lines(&lines)?;
        let previous = previous.as_deref().map(parse_lines).transpose()?;
        let location = location
            .as_deref()
            .map(|l| field("location", LocationId::parse(l)))
            .transpose()?;
        with_service(|s| {
            s.reserve(
                &order,
                &lines,
                location.as_ref(),
                previous.as_deref(),
                parse::actor(by),
            )
            .map(drop)
        })
    }

    fn order_step(
        order_id: String,
        step: wi::Step,
        lines: Vec<wi::Line>,
        by: wi::Actor,
    ) -> Result<(), wi::Error> {
        let order = field("orderId", OrderId::parse(&order_id))?;
        let lines = parse_lines(&lines)?;
        let step = match step {
            wi::Step::Release => OrderStep::Release,
            wi::Step::Deduct => OrderStep::Deduct,
            wi::Step::Restock(step) => OrderStep::Restock { step },
        };
        with_service(|s| s.order_step(&order, &step, &lines, parse::actor(by)))
    }

    fn check() -> Result<wi::CheckReport, wi::Error> {
        with_service(|s| s.check(false, |_| Ok(true))).map(|r| wi::CheckReport {
            skus: r.skus,
            inconsistencies: r.inconsistencies,
            repaired: r.repaired,
            old_holds: r
                .old_holds
                .into_iter()
                .map(|(sku, order, quantity)| wi::Held {
                    sku: sku.as_str().to_owned(),
                    order_id: order.as_str().to_owned(),
                    quantity,
                })
                .collect(),
        })
    }

    fn read_outbox(
        after: u64,
        limit: u32,
        recheck: Vec<u64>,
    ) -> Result<Vec<wi::OutboxPosition>, wi::Error> {
        with_service(|s| s.read_outbox(after, limit, &recheck)).map(|read| {
            read.into_iter()
                .map(|(position, state)| wi::OutboxPosition {
                    position,
                    state: match state {
                        State::Committed(entry) => wi::OutboxState::Committed(outbox_entry(&entry)),
                        State::Dead => wi::OutboxState::Dead,
                        State::Pending => wi::OutboxState::Pending,
                    },
                })
                .collect()
        })
    }
}

fn outbox_entry(entry: &OutboxEntry) -> wi::OutboxEntry {
    wi::OutboxEntry {
        stock: stock(&entry.stock),
        movements: entry.movements.iter().map(movement).collect(),
        events: entry
            .events
            .iter()
            .map(|event| {
                let (kind, location) = match event {
                    StockEvent::StockChanged => ("stock-changed", None),
                    StockEvent::LowStock(location) => ("low-stock", Some(location)),
                    StockEvent::BackInStock(location) => ("back-in-stock", Some(location)),
                };
                wi::StockEvent {
                    kind: kind.to_owned(),
                    location: location.map(|l| l.as_str().to_owned()),
                }
            })
            .collect(),
        at: render::ts(entry.at),
    }
}

/// Keeps `value`, or records why it was refused under `path`.
fn collect<T>(errors: &mut Vec<FieldError>, path: &str, value: Result<T, Invalid>) -> Option<T> {
    value.map_err(|e| errors.push(e.at(path))).ok()
}

/// The refusal of the fields in `errors`.
fn invalid(errors: &[FieldError]) -> wi::Error {
    wi::Error::Invalid(errors.iter().map(render::field_error).collect())
}

/// `value`, or `invalid` naming `path`.
fn field<T>(path: &str, value: Result<T, Invalid>) -> Result<T, wi::Error> {
    value.map_err(|e| wi::Error::Invalid(vec![render::field_error(&e.at(path))]))
}

fn parse_lines(lines: &[wi::Line]) -> Result<Vec<(Sku, u32)>, wi::Error> {
    let mut errors = Vec::new();
    let mut parsed = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        if let Some(sku) = collect(
            &mut errors,
            &format!("lines[{i}].sku"),
            Sku::parse(&line.sku),
        ) {
            parsed.push((sku, line.quantity));
        }
    }
    if errors.is_empty() {
        Ok(parsed)
    } else {
        Err(invalid(&errors))
    }
}

fn stock(item: &StockItem) -> wi::Stock {
    wi::Stock {
        sku: item.sku().as_str().to_owned(),
        on_hand: item.on_hand(),
        reserved: item.reserved(),
        available: item.available(),
        allow_backorders: item.allow_backorders(),
        safety_stock: item.safety_stock(),
        locations: item
            .levels()
            .iter()
            .map(|(location, level)| wi::Level {
                location: location.as_str().to_owned(),
                on_hand: level.on_hand,
                reserved: level.reserved,
                available: level.available(),
                erp_updated_at: level.erp_updated_at.map(render::ts),
            })
            .collect(),
        version: item.version(),
    }
}

fn movement(m: &Movement) -> wi::Movement {
    let (reason, note) = match &m.reason {
        MovementReason::Level => ("level", None),
        MovementReason::Adjustment(note) => ("adjustment", Some(render::text(note))),
        MovementReason::Reservation => ("reservation", None),
        MovementReason::Release => ("release", None),
        MovementReason::Sale => ("sale", None),
        MovementReason::Return => ("return", None),
    };
    wi::Movement {
        number: m.number,
        at: render::ts(m.at),
        location: m.location.as_str().to_owned(),
        on_hand: m.on_hand,
        reserved: m.reserved,
        reason: reason.to_owned(),
        note,
        order_id: m.order_id.as_ref().map(|o| o.as_str().to_owned()),
        actor: render::actor(m.actor),
    }
}

fn changed(c: &Changed) -> wi::Changed {
    wi::Changed {
        stock: stock(&c.item),
        movements: c.movements.iter().map(movement).collect(),
        stale: c.stale.map(render::ts),
    }
}

/// A service error as the interface's.
fn error(e: Error) -> wi::Error {
    use orderflow_domain::inventory::InventoryError;
    match e {
        Error::NotTracked(_) => wi::Error::NotTracked,
        Error::Refused(InventoryError::UnknownLocation { location, .. }) => {
            wi::Error::UnknownLocation(location.as_str().to_owned())
        }
        Error::Refused(InventoryError::NegativeStock { on_hand, .. }) => {
            wi::Error::NegativeStock(on_hand)
        }
        Error::Refused(InventoryError::OutOfStock { sku, available }) => {
            wi::Error::OutOfStock(vec![wi::StockShortage {
                sku: sku.as_str().to_owned(),
                available,
            }])
        }
        Error::OutOfStock(short) => wi::Error::OutOfStock(
            short
                .into_iter()
                .map(|(sku, available)| wi::StockShortage {
                    sku: sku.as_str().to_owned(),
                    available,
                })
                .collect(),
        ),
        Error::BadCursor => wi::Error::BadCursor,
        Error::Contention => wi::Error::Contention,
        Error::Store(message) => wi::Error::StoreUnavailable(message),
    }
}
