//! [`Stock`] over the imported `orderflow:core/inventory` interface: what the service uses in a
//! component. Only a component can call it (on a native build the imports are stubs); native
//! tests use the inventory crate over the same store instead.

use orderflow_domain::order::Actor;
use orderflow_domain::values::{LocationId, OrderId, Sku};
use orderflow_wit_types::render;

use crate::bindings::orderflow::core::inventory as wi;
use crate::service::{Failure, Line, Stock, StockReport, StockStep};

/// The inventory service, through its WIT import.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct WitStock;

impl Stock for WitStock {
    fn tracks_any(&self) -> Result<bool, Failure> {
        wi::tracks_any().map_err(failure)
    }

    fn reserve(
        &self,
        order: &OrderId,
        lines: &[Line],
        location: Option<&LocationId>,
        previous: Option<&[Line]>,
        actor: Actor,
    ) -> Result<(), Failure> {
        let previous = previous.map(wit_lines);
        wi::reserve(
            order.as_str(),
            &wit_lines(lines),
            location.map(LocationId::as_str),
            previous.as_deref(),
            render::actor(actor),
        )
        .map_err(failure)
    }

    fn step(
        &self,
        order: &OrderId,
        step: &StockStep,
        lines: &[Line],
        actor: Actor,
    ) -> Result<(), Failure> {
        let step = match step {
            StockStep::Release => wi::Step::Release,
            StockStep::Deduct => wi::Step::Deduct,
            StockStep::Restock(name) => wi::Step::Restock(name.clone()),
        };
        wi::order_step(
            order.as_str(),
            &step,
            &wit_lines(lines),
            render::actor(actor),
        )
        .map_err(failure)
    }

    fn check(&self) -> Result<StockReport, Failure> {
        let report = wi::check().map_err(failure)?;
        let mut old_holds = Vec::with_capacity(report.old_holds.len());
        for held in report.old_holds {
            let (Ok(sku), Ok(order)) = (Sku::parse(&held.sku), OrderId::parse(&held.order_id))
            else {
                return Err(Failure::Store(format!(
                    "the inventory named a hold of {} for {}",
                    held.sku, held.order_id
                )));
            };
            old_holds.push((sku, order, held.quantity));
        }
        Ok(StockReport {
            skus: report.skus,
            inconsistencies: report.inconsistencies,
            old_holds,
        })
    }
}

fn wit_lines(lines: &[Line]) -> Vec<wi::Line> {
    lines
        .iter()
        .map(|(sku, quantity)| wi::Line {
            sku: sku.as_str().to_owned(),
            quantity: *quantity,
        })
        .collect()
}

/// An error of the inventory service as the orders service's.
fn failure(e: wi::Error) -> Failure {
    match e {
        wi::Error::OutOfStock(short) => {
            Failure::OutOfStock(short.into_iter().map(|s| (s.sku, s.available)).collect())
        }
        wi::Error::Contention => Failure::Contention,
        wi::Error::StoreUnavailable(message) => Failure::Store(message),
        wi::Error::Invalid(fields) => Failure::Store(format!(
            "the inventory refused {}",
            fields
                .iter()
                .map(|f| format!("{}: {}", f.field, f.message))
                .collect::<Vec<_>>()
                .join("; ")
        )),
        wi::Error::NotTracked
        | wi::Error::UnknownLocation(_)
        | wi::Error::NegativeStock(_)
        | wi::Error::BadCursor => Failure::Store(format!("the inventory answered {e:?}")),
    }
}
