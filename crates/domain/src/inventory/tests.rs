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

/// Applies each command in turn, expecting each to succeed.
fn run(item: StockItem, commands: &[StockCommand]) -> (StockItem, Vec<Movement>) {
    let mut item = item;
    let mut movements = Vec::new();
    for command in commands {
        let applied = item
            .apply(command, at(NOW), Actor::Admin)
            .unwrap_or_else(|e| panic!("{command:?}: {e}"));
        movements.extend(applied.movements);
        item = applied.item;
    }
    (item, movements)
}

fn level(location: &str, on_hand: u32) -> StockCommand {
    StockCommand::SetLevel {
        location: loc(location),
        on_hand,
        updated_at: None,
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
    let (item, _) = run(item(), &[level("sp", 10), reserve("o-1", 3)]);
    assert_eq!(
        (item.on_hand(), item.reserved(), item.available()),
        (10, 3, 7)
    );
    let (item, _) = run(
        item,
        &[StockCommand::Deduct {
            order: order("o-1"),
        }],
    );
    assert_eq!(
        (item.on_hand(), item.reserved(), item.available()),
        (7, 0, 7)
    );
    let (item, ledger) = run(
        item,
        &[StockCommand::Restock {
            order: order("o-1"),
            step: "refund-1".into(),
            quantity: 2,
        }],
    );
    assert_eq!((item.on_hand(), item.reserved()), (9, 0));
    assert_eq!(
        ledger.first().map(|m| m.reason.clone()),
        Some(MovementReason::Return)
    );
    // A cancel releases; a closed hold never reserves again.
    let (item, _) = run(
        item,
        &[
            reserve("o-2", 4),
            StockCommand::Release {
                order: order("o-2"),
            },
            reserve("o-2", 4),
        ],
    );
    assert_eq!((item.on_hand(), item.reserved()), (9, 0));
    assert_eq!(
        item.holds().get(&order("o-2")).map(|h| h.state),
        Some(HoldState::Released)
    );
}

#[test]
fn every_step_repeated_moves_nothing() {
    let (item, _) = run(
        item(),
        &[
            level("sp", 10),
            reserve("o-1", 3),
            StockCommand::Deduct {
                order: order("o-1"),
            },
        ],
    );
    let restock = StockCommand::Restock {
        order: order("o-1"),
        step: "return-invoice-7".into(),
        quantity: 3,
    };
    let (item, _) = run(item, std::slice::from_ref(&restock));
    for command in [
        reserve("o-1", 3),
        StockCommand::Deduct {
            order: order("o-1"),
        },
        StockCommand::Release {
            order: order("o-1"),
        },
        restock,
    ] {
        let applied = item.apply(&command, at(NOW), Actor::Erp).expect("applies");
        assert!(!applied.changed, "{command:?}");
        assert!(applied.movements.is_empty());
        assert_eq!(applied.item, item);
    }
    // Never more back on the shelf than left it.
    let more = StockCommand::Restock {
        order: order("o-1"),
        step: "another".into(),
        quantity: 5,
    };
    let (item, _) = run(item, &[more]);
    assert_eq!(item.on_hand(), 10);
}

#[test]
fn a_return_before_the_items_left_shrinks_the_reservation_and_not_what_may_come_back_later() {
    let restock = |step: &str, quantity| StockCommand::Restock {
        order: order("o-1"),
        step: step.into(),
        quantity,
    };
    let (item, _) = run(
        item(),
        &[level("sp", 10), reserve("o-1", 5), restock("refund-1", 2)],
    );
    assert_eq!((item.on_hand(), item.reserved()), (10, 3));
    let (item, _) = run(
        item,
        &[
            StockCommand::Deduct {
                order: order("o-1"),
            },
            restock("refund-2", 3),
        ],
    );
    assert_eq!((item.on_hand(), item.reserved()), (10, 0));
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
    let (item, _) = run(item, &[reserve("o-1", 0)]);
    assert_eq!(item.reserved(), 0);
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
    Deduct(usize),
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
        (0..4usize).prop_map(Step::Deduct),
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
                    if n == 0 {
                        self.orders.insert(o, (l, held, "released", returns));
                    } else if n > held
                        && !self.backorders
                        && self.salable(l).unwrap_or(0) < i64::from(n - held)
                    {
                        return false;
                    } else {
                        self.orders.insert(o, (l, n, "open", returns));
                    }
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
            Step::Deduct(o) => {
                if let Some(entry) = self.orders.get_mut(&o)
                    && entry.2 == "open"
                {
                    entry.2 = "sold";
                    *self.on_hand.entry(entry.0).or_insert(0) -= i64::from(entry.1);
                }
            }
            Step::Restock(o, s, n) => {
                let Some(entry) = self.orders.get(&o).cloned() else {
                    return true;
                };
                let (l, held, state, mut returns) = entry;
                if n == 0 || returns.contains_key(&s) || state == "released" {
                    return true;
                }
                if state == "open" {
                    let back = n.min(held);
                    returns.insert(s, 0);
                    let state = if back == held { "released" } else { "open" };
                    let left = if back == held { held } else { held - back };
                    self.orders.insert(o, (l, left, state, returns));
                } else {
                    let returned: u32 = returns.values().sum();
                    let back = n.min(held - returned);
                    returns.insert(s, back);
                    *self.on_hand.entry(l).or_insert(0) += i64::from(back);
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
        Step::Deduct(o) => StockCommand::Deduct {
            order: order(ORDERS[o]),
        },
        Step::Restock(o, s, n) => StockCommand::Restock {
            order: order(ORDERS[o]),
            step: format!("step-{s}"),
            quantity: n,
        },
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
        let mut item = item();
        let mut model = Model::default();
        let mut ledger: Vec<Movement> = Vec::new();
        for step in &steps {
            let accepted = model.apply(step);
            let held = |item: &StockItem, o: usize| {
                item.holds()
                    .get(&order(ORDERS[o]))
                    .filter(|h| h.state == HoldState::Open)
                    .map_or(0, |h| h.quantity)
            };
            let applied = item.apply(&command(step), at(NOW), Actor::Admin);
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
            item = applied.item;
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
