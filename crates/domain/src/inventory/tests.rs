use std::collections::BTreeMap;

use proptest::prelude::*;

use super::*;
use crate::order::Actor;
use crate::values::{LocationId, OrderId, Sku, Text, Timestamp};

fn at(s: &str) -> Timestamp {
    Timestamp::parse(s).expect("a timestamp")
}

fn loc(s: &str) -> LocationId {
    LocationId::parse(s).expect("a location")
}

fn order(s: &str) -> OrderId {
    OrderId::parse(s).expect("an order id")
}

fn item() -> StockItem {
    StockItem::new(Sku::parse("CAFE-500G").expect("a sku"))
}

const NOW: &str = "2026-12-07T12:00:00Z";

/// Applies each command in turn, expecting each to succeed; like the service, it keeps what each
/// sold hold was and hands it to the order's restocks.
fn run(item: StockItem, commands: &[StockCommand]) -> (StockItem, Vec<Movement>) {
    let mut shelf = Shelf {
        item,
        sold: BTreeMap::new(),
    };
    let movements = shelf.run(commands);
    (shelf.item, movements)
}

/// An item and the sold holds its service keeps.
struct Shelf {
    item: StockItem,
    sold: BTreeMap<OrderId, Sold>,
}

impl Shelf {
    fn new(commands: &[StockCommand]) -> Self {
        let mut shelf = Shelf {
            item: item(),
            sold: BTreeMap::new(),
        };
        shelf.run(commands);
        shelf
    }

    /// The command as the service sends it: a restock carries the order's sold hold.
    fn prepared(&self, command: &StockCommand) -> StockCommand {
        match command {
            StockCommand::Restock {
                order,
                step,
                quantity,
                sold: None,
            } => StockCommand::Restock {
                order: order.clone(),
                step: step.clone(),
                quantity: *quantity,
                sold: self.sold.get(order).cloned(),
            },
            other @ (StockCommand::SetLevel { .. }
            | StockCommand::Adjust { .. }
            | StockCommand::Configure { .. }
            | StockCommand::Reserve { .. }
            | StockCommand::Release { .. }
            | StockCommand::Deduct { .. }
            | StockCommand::Restock { .. }) => other.clone(),
        }
    }

    fn apply(&mut self, command: &StockCommand) -> Result<Applied, InventoryError> {
        let applied = self
            .item
            .apply(&self.prepared(command), at(NOW), Actor::Admin)?;
        if let Some((order, sold)) = &applied.sold {
            self.sold.insert(order.clone(), sold.clone());
        }
        self.item = applied.item.clone();
        Ok(applied)
    }

    fn run(&mut self, commands: &[StockCommand]) -> Vec<Movement> {
        let mut movements = Vec::new();
        for command in commands {
            let applied = self
                .apply(command)
                .unwrap_or_else(|e| panic!("{command:?}: {e}"));
            movements.extend(applied.movements);
        }
        movements
    }
}

fn level(location: &str, on_hand: u32) -> StockCommand {
    StockCommand::SetLevel {
        location: loc(location),
        on_hand,
        updated_at: None,
    }
}

fn deduct(id: &str, quantity: u32) -> StockCommand {
    StockCommand::Deduct {
        order: order(id),
        quantity,
    }
}

fn restock(id: &str, step: &str, quantity: u32) -> StockCommand {
    StockCommand::Restock {
        order: order(id),
        step: step.into(),
        quantity,
        sold: None,
    }
}

fn reserve(id: &str, quantity: u32) -> StockCommand {
    StockCommand::Reserve {
        order: order(id),
        quantity,
        location: None,
    }
}

#[test]
fn an_orders_life_moves_reserved_then_on_hand_and_a_return_puts_it_back() {
    let mut shelf = Shelf::new(&[level("sp", 10), reserve("o-1", 3)]);
    let item = &shelf.item;
    assert_eq!(
        (item.on_hand(), item.reserved(), item.available()),
        (10, 3, 7)
    );
    shelf.run(&[deduct("o-1", 3)]);
    let item = &shelf.item;
    assert_eq!(
        (item.on_hand(), item.reserved(), item.available()),
        (7, 0, 7)
    );
    // The sold hold leaves the item: its size follows the open orders.
    assert!(item.holds().is_empty());
    let ledger = shelf.run(&[restock("o-1", "refund-1", 2)]);
    assert_eq!((shelf.item.on_hand(), shelf.item.reserved()), (9, 0));
    assert_eq!(
        ledger.first().map(|m| m.reason.clone()),
        Some(MovementReason::Return)
    );
    // A cancel releases; a closed hold never reserves again.
    shelf.run(&[
        reserve("o-2", 4),
        StockCommand::Release {
            order: order("o-2"),
        },
        reserve("o-2", 4),
    ]);
    assert_eq!((shelf.item.on_hand(), shelf.item.reserved()), (9, 0));
    assert!(shelf.item.closed(&order("o-2")));
}

#[test]
fn a_sale_takes_the_orders_quantity_and_the_whole_hold() {
    // A change cut short left the hold at 5 while the order says 3.
    let mut shelf = Shelf::new(&[level("sp", 10), reserve("o-1", 5)]);
    let ledger = shelf.run(&[deduct("o-1", 3)]);
    assert_eq!((shelf.item.on_hand(), shelf.item.reserved()), (7, 0));
    assert_eq!(
        ledger
            .iter()
            .map(|m| (m.on_hand, m.reserved))
            .collect::<Vec<_>>(),
        vec![(-3, -5)]
    );
}

#[test]
fn every_step_repeated_moves_nothing() {
    let mut shelf = Shelf::new(&[level("sp", 10), reserve("o-1", 3), deduct("o-1", 3)]);
    shelf.run(&[restock("o-1", "return-invoice-7", 3)]);
    for command in [
        reserve("o-1", 3),
        deduct("o-1", 3),
        StockCommand::Release {
            order: order("o-1"),
        },
        restock("o-1", "return-invoice-7", 3),
    ] {
        let before = shelf.item.clone();
        let applied = shelf.apply(&command).expect("applies");
        assert!(!applied.changed, "{command:?}");
        assert!(applied.movements.is_empty());
        assert_eq!(applied.item, before);
    }
    // One return never puts back more than left (the order's rules bound them all together).
    shelf.run(&[restock("o-1", "another", 5)]);
    assert_eq!(shelf.item.on_hand(), 13);
}

#[test]
fn a_return_before_the_items_left_shrinks_the_reservation() {
    let mut shelf = Shelf::new(&[
        level("sp", 10),
        reserve("o-1", 5),
        restock("o-1", "refund-1", 2),
    ]);
    assert_eq!((shelf.item.on_hand(), shelf.item.reserved()), (10, 3));
    // The order ships what is left of it.
    shelf.run(&[deduct("o-1", 3)]);
    assert_eq!((shelf.item.on_hand(), shelf.item.reserved()), (7, 0));
}

#[test]
fn closed_holds_are_remembered_up_to_a_bound() {
    let mut commands = vec![level("sp", 10_000)];
    for n in 0..(RECENT_STEPS + 10) {
        let id = format!("o-{n}");
        commands.push(reserve(&id, 1));
        commands.push(StockCommand::Release { order: order(&id) });
    }
    let (item, _) = run(item(), &commands);
    assert!(item.holds().is_empty());
    assert!(item.closed(&order(&format!("o-{}", RECENT_STEPS + 9))));
    assert!(!item.closed(&order("o-0")));
}

#[test]
fn a_hold_is_stored_compact_and_the_first_object_form_still_reads() {
    let hold = Hold {
        location: loc("cd-sp"),
        quantity: 2,
        since: Some(at("2026-12-07T12:00:00.513Z")),
    };
    let stored = serde_json::to_string(&hold).expect("encodes");
    assert_eq!(stored, r#"["cd-sp",2,1796644800513]"#);
    assert_eq!(
        serde_json::from_str::<Hold>(&stored).expect("decodes"),
        hold
    );
    let first = r#"{"location":"cd-sp","quantity":2,"since":"2026-12-07T12:00:00.513Z"}"#;
    assert_eq!(serde_json::from_str::<Hold>(first).expect("decodes"), hold);
    let no_time = r#"{"location":"cd-sp","quantity":2}"#;
    assert_eq!(
        serde_json::from_str::<Hold>(no_time).expect("decodes"),
        Hold {
            since: None,
            ..hold
        }
    );
}

#[test]
fn not_enough_at_any_one_location_is_out_of_stock_naming_what_is_available() {
    let (item, _) = run(item(), &[level("a", 5), level("b", 4)]);
    let refused = item.apply(&reserve("o-1", 6), at(NOW), Actor::Checkout);
    assert_eq!(
        refused.err(),
        Some(InventoryError::OutOfStock {
            sku: Sku::parse("CAFE-500G").expect("a sku"),
            available: 5
        })
    );
    // The first location with enough, by id.
    let (item, _) = run(item, &[reserve("o-2", 5), reserve("o-3", 4)]);
    assert_eq!(
        item.holds().get(&order("o-2")).map(|h| h.location.clone()),
        Some(loc("a"))
    );
    assert_eq!(
        item.holds().get(&order("o-3")).map(|h| h.location.clone()),
        Some(loc("b"))
    );
    assert_eq!(item.available(), 0);
    // Safety stock is kept back; backorders reserve beyond.
    let (item, _) = run(
        item,
        &[
            level("a", 8),
            StockCommand::Configure {
                allow_backorders: None,
                safety_stock: Some(2),
            },
        ],
    );
    assert!(
        item.apply(&reserve("o-4", 2), at(NOW), Actor::Checkout)
            .is_err()
    );
    let (item, _) = run(item, &[reserve("o-4", 1)]);
    let (item, _) = run(
        item,
        &[
            StockCommand::Configure {
                allow_backorders: Some(true),
                safety_stock: None,
            },
            reserve("o-5", 20),
        ],
    );
    assert_eq!(item.available(), 8 + 4 - 5 - 4 - 1 - 20);
}

#[test]
fn a_change_publishes_on_hand_moves_and_each_location_crossing_its_safety_stock() {
    let mut shelf = Shelf::new(&[
        level("rj", 10),
        StockCommand::Configure {
            allow_backorders: None,
            safety_stock: Some(2),
        },
    ]);
    let events = |shelf: &mut Shelf, command: StockCommand| {
        shelf
            .apply(&command)
            .unwrap_or_else(|e| panic!("{command:?}: {e}"))
            .events
    };
    // A new location is not low before it exists; at 1 (safety stock 2) it is low.
    assert_eq!(
        events(&mut shelf, level("sp", 1)),
        [StockEvent::StockChanged, StockEvent::LowStock(loc("sp"))]
    );
    // A reservation moves reserved only: published when it crosses, not otherwise.
    assert_eq!(events(&mut shelf, reserve("o-1", 3)), []);
    assert_eq!(
        events(&mut shelf, reserve("o-2", 5)),
        [StockEvent::LowStock(loc("rj"))]
    );
    assert_eq!(
        events(
            &mut shelf,
            StockCommand::Release {
                order: order("o-2")
            }
        ),
        [StockEvent::BackInStock(loc("rj"))]
    );
    // A sale moves on hand; sp is still low after a level of 2.
    assert_eq!(
        events(&mut shelf, deduct("o-1", 3)),
        [StockEvent::StockChanged]
    );
    assert_eq!(
        events(&mut shelf, level("sp", 2)),
        [StockEvent::StockChanged]
    );
    assert_eq!(
        events(&mut shelf, level("sp", 9)),
        [StockEvent::StockChanged, StockEvent::BackInStock(loc("sp"))]
    );
    // Nothing moved, nothing published: a repeated step, and a change of the settings alone.
    assert_eq!(events(&mut shelf, deduct("o-1", 3)), []);
    assert_eq!(
        events(
            &mut shelf,
            StockCommand::Configure {
                allow_backorders: None,
                safety_stock: Some(9),
            }
        ),
        []
    );
    let summary = shelf.item.summary();
    assert!(summary.holds().is_empty());
    assert_eq!(summary.levels(), shelf.item.levels());
}

#[test]
fn an_older_erp_level_after_a_newer_one_is_ignored_and_says_so() {
    let newer = StockCommand::SetLevel {
        location: loc("sp"),
        on_hand: 10,
        updated_at: Some(at("2026-12-07T10:00:00Z")),
    };
    let older = StockCommand::SetLevel {
        location: loc("sp"),
        on_hand: 3,
        updated_at: Some(at("2026-12-07T09:00:00Z")),
    };
    let (item, _) = run(item(), &[newer]);
    let applied = item.apply(&older, at(NOW), Actor::Erp).expect("applies");
    assert_eq!(applied.stale, Some(at("2026-12-07T10:00:00Z")));
    assert!(!applied.changed);
    assert_eq!(applied.item.on_hand(), 10);
}

#[test]
fn a_change_re_reserves_and_an_adjustment_below_zero_is_refused() {
    let (item, _) = run(
        item(),
        &[level("sp", 5), reserve("o-1", 2), reserve("o-1", 4)],
    );
    assert_eq!(item.reserved(), 4);
    assert!(
        item.apply(&reserve("o-1", 6), at(NOW), Actor::Admin)
            .is_err()
    );
    // Down to 0 the hold stays open: the order may take the SKU again.
    let (item, _) = run(item, &[reserve("o-1", 0)]);
    assert_eq!(item.reserved(), 0);
    let (item, _) = run(item, &[reserve("o-1", 1)]);
    assert_eq!(item.reserved(), 1);
    let (item, _) = run(item, &[reserve("o-1", 0)]);
    let adjust = StockCommand::Adjust {
        location: loc("sp"),
        delta: -6,
        reason: Text::parse("breakage", 200).expect("a reason"),
    };
    assert!(matches!(
        item.apply(&adjust, at(NOW), Actor::Admin),
        Err(InventoryError::NegativeStock { on_hand: -1, .. })
    ));
}

// ----- the reference model -----------------------------------------------------------------

/// What a property test asks of one SKU: the index of a location (of two) or an order (of four).
#[derive(Debug, Clone)]
enum Step {
    Level(usize, u32),
    Adjust(usize, i64),
    Reserve(usize, u32, Option<usize>),
    Release(usize),
    Deduct(usize, u32),
    Restock(usize, u8, u32),
    Backorders(bool),
    Safety(u32),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        (0..2usize, 0..20u32).prop_map(|(l, n)| Step::Level(l, n)),
        (0..2usize, -5..6i64).prop_map(|(l, d)| Step::Adjust(l, d)),
        (0..4usize, 0..8u32, proptest::option::of(0..2usize))
            .prop_map(|(o, n, l)| Step::Reserve(o, n, l)),
        (0..4usize).prop_map(Step::Release),
        (0..4usize, 0..8u32).prop_map(|(o, n)| Step::Deduct(o, n)),
        (0..4usize, 0..3u8, 0..6u32).prop_map(|(o, s, n)| Step::Restock(o, s, n)),
        any::<bool>().prop_map(Step::Backorders),
        (0..3u32).prop_map(Step::Safety),
    ]
}

const LOCATIONS: [&str; 2] = ["a", "b"];
const ORDERS: [&str; 4] = ["o-1", "o-2", "o-3", "o-4"];

/// An order in the model: its location, how many it holds, "open", "released" or "sold", and
/// the returns counted by step.
type ModelOrder = (usize, u32, &'static str, BTreeMap<u8, u32>);

/// The rules written the plain way: on hand per location, and per order where it holds, how
/// many, whether it is open, closed or sold, and the returns counted.
#[derive(Debug, Default)]
struct Model {
    on_hand: BTreeMap<usize, i64>,
    orders: BTreeMap<usize, ModelOrder>,
    backorders: bool,
    safety: u32,
}

impl Model {
    fn reserved(&self, location: usize) -> i64 {
        self.orders
            .values()
            .filter(|(l, _, state, _)| *l == location && *state == "open")
            .map(|(_, n, _, _)| i64::from(*n))
            .sum()
    }

    fn salable(&self, location: usize) -> Option<i64> {
        let on_hand = self.on_hand.get(&location)?;
        Some(on_hand - self.reserved(location) - i64::from(self.safety))
    }

    /// Whether the step is accepted.
    fn apply(&mut self, step: &Step) -> bool {
        match *step {
            Step::Level(l, n) => {
                self.on_hand.insert(l, i64::from(n));
            }
            Step::Adjust(l, d) => {
                let Some(on_hand) = self.on_hand.get_mut(&l) else {
                    return false;
                };
                if *on_hand + d < 0 && !self.backorders {
                    return false;
                }
                *on_hand += d;
            }
            Step::Reserve(o, n, asked) => match self.orders.get(&o).cloned() {
                Some((_, _, state, _)) if state != "open" => {}
                Some((l, held, _, returns)) => {
                    if n > held
                        && !self.backorders
                        && self.salable(l).unwrap_or(0) < i64::from(n - held)
                    {
                        return false;
                    }
                    self.orders.insert(o, (l, n, "open", returns));
                }
                None if n == 0 => {}
                None => {
                    let fits =
                        |m: &Model, l: usize| m.salable(l).is_some_and(|s| s >= i64::from(n));
                    let location = match asked {
                        Some(l) if !self.on_hand.contains_key(&l) => return false,
                        Some(l) => (fits(self, l) || self.backorders).then_some(l),
                        None => (0..2).find(|l| fits(self, *l)).or_else(|| {
                            self.backorders.then(|| {
                                let mut best: Option<(usize, i64)> = None;
                                for l in 0..2 {
                                    if let Some(s) = self.salable(l)
                                        && best.is_none_or(|(_, b)| s > b)
                                    {
                                        best = Some((l, s));
                                    }
                                }
                                best.map(|(l, _)| l)
                            })?
                        }),
                    };
                    let Some(l) = location else {
                        return false;
                    };
                    self.orders.insert(o, (l, n, "open", BTreeMap::new()));
                }
            },
            Step::Release(o) => {
                if let Some(entry) = self.orders.get_mut(&o)
                    && entry.2 == "open"
                {
                    entry.2 = "released";
                }
            }
            Step::Deduct(o, n) => {
                if let Some(entry) = self.orders.get_mut(&o)
                    && entry.2 == "open"
                {
                    entry.2 = "sold";
                    entry.1 = n;
                    *self.on_hand.entry(entry.0).or_insert(0) -= i64::from(n);
                }
            }
            Step::Restock(o, s, n) => {
                let Some((l, held, state, mut returns)) = self.orders.get(&o).cloned() else {
                    return true;
                };
                if n == 0 || returns.contains_key(&s) || state == "released" {
                    return true;
                }
                returns.insert(s, n);
                if state == "open" {
                    self.orders
                        .insert(o, (l, held - n.min(held), state, returns));
                } else {
                    *self.on_hand.entry(l).or_insert(0) += i64::from(n.min(held));
                    self.orders.insert(o, (l, held, state, returns));
                }
            }
            Step::Backorders(b) => self.backorders = b,
            Step::Safety(s) => self.safety = s,
        }
        true
    }
}

fn command(step: &Step) -> StockCommand {
    match *step {
        Step::Level(l, n) => level(LOCATIONS[l], n),
        Step::Adjust(l, d) => StockCommand::Adjust {
            location: loc(LOCATIONS[l]),
            delta: d,
            reason: Text::parse("count", 200).expect("a reason"),
        },
        Step::Reserve(o, n, l) => StockCommand::Reserve {
            order: order(ORDERS[o]),
            quantity: n,
            location: l.map(|l| loc(LOCATIONS[l])),
        },
        Step::Release(o) => StockCommand::Release {
            order: order(ORDERS[o]),
        },
        Step::Deduct(o, n) => deduct(ORDERS[o], n),
        Step::Restock(o, s, n) => restock(ORDERS[o], &format!("step-{s}"), n),
        Step::Backorders(b) => StockCommand::Configure {
            allow_backorders: Some(b),
            safety_stock: None,
        },
        Step::Safety(s) => StockCommand::Configure {
            allow_backorders: None,
            safety_stock: Some(s),
        },
    }
}

proptest! {
    #[test]
    fn on_hand_and_reserved_follow_the_reference_model(steps in proptest::collection::vec(step(), 1..60)) {
        let mut shelf = Shelf::new(&[]);
        let mut model = Model::default();
        let mut ledger: Vec<Movement> = Vec::new();
        for step in &steps {
            let accepted = model.apply(step);
            let held = |item: &StockItem, o: usize| {
                item.holds().get(&order(ORDERS[o])).map_or(0, |h| h.quantity)
            };
            let item = shelf.item.clone();
            let applied = shelf.apply(&command(step));
            prop_assert_eq!(applied.is_ok(), accepted, "{:?}", step);
            let Ok(applied) = applied else { continue };
            // A reservation that grows never takes its location below the safety stock, without
            // backorders.
            if let (Step::Reserve(o, _, _), false) = (step, model.backorders)
                && held(&applied.item, *o) > held(&item, *o)
                && let Some(hold) = applied.item.holds().get(&order(ORDERS[*o]))
            {
                prop_assert!(applied.item.salable(&hold.location) >= 0, "{:?}", step);
            }
            ledger.extend(applied.movements);
            let item = &shelf.item;
            for (i, name) in LOCATIONS.iter().enumerate() {
                let level = item.levels().get(&loc(name)).cloned().unwrap_or_default();
                prop_assert_eq!(level.on_hand, model.on_hand.get(&i).copied().unwrap_or(0));
                prop_assert_eq!(level.reserved, model.reserved(i));
                let moved = |f: fn(&Movement) -> i64| -> i64 {
                    ledger.iter().filter(|m| m.location == loc(name)).map(f).sum()
                };
                prop_assert_eq!(level.on_hand, moved(|m| m.on_hand));
                prop_assert_eq!(level.reserved, moved(|m| m.reserved));
            }
            prop_assert_eq!(item.movement_count(), ledger.len() as u64);
        }
    }
}
