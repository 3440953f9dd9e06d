//! Plans (named schedule templates) and the counter that numbers plans.

use orderflow_domain::subscription::Recurrence;
use orderflow_domain::values::PlanId;

use crate::doc::{Plan, Pointer, decode, encode};
use crate::keys::{self, IndexName};
use crate::kv::Kv;
use crate::service::{Error, NewPlan, Page, PageRequest, Subscriptions};

impl<K: Kv> Subscriptions<'_, K> {
    /// A fresh plan id, `p-{n}`, from an atomic counter.
    pub fn next_plan_id(&self) -> Result<PlanId, Error> {
        let n = self.kv.increment(keys::PLAN_SEQ, 1)?;
        PlanId::parse(&format!("p-{n}")).map_err(|e| Error::Store(e.to_string()))
    }

    /// Creates a plan. Its schedule and purchase day are checked together as a subscription's
    /// would be.
    pub fn create_plan(&self, new: NewPlan) -> Result<Plan, Error> {
        Recurrence::new(
            new.schedule.clone(),
            new.purchase_day,
            new.timezone,
            self.now(),
        )
        .map_err(|e| Error::Rejected(e.into()))?;
        let plan = Plan {
            id: new.id,
            name: new.name,
            schedule: new.schedule,
            purchase_day: new.purchase_day,
            timezone: new.timezone,
            max_cycles: new.max_cycles,
            created_at: self.now(),
        };
        if self.kv.increment(&keys::plan_claim(&plan.id), 1)? != 1 {
            return Err(Error::AlreadyExists);
        }
        let index = IndexName::plans();
        let slot = self.next_slot(&index)?;
        let pointer = encode(&Pointer::to(plan.id.as_str())).map_err(Error::Store)?;
        let bytes = encode(&plan).map_err(Error::Store)?;
        self.kv.set_many(&[
            (keys::index_entry(&index, slot), pointer),
            (keys::plan(&plan.id), bytes),
        ])?;
        Ok(plan)
    }

    /// The plan with this id.
    pub fn plan(&self, id: &PlanId) -> Result<Plan, Error> {
        let key = keys::plan(id);
        let bytes = self.kv.get(&key)?.ok_or(Error::PlanNotFound)?;
        decode(&key, &bytes).map_err(Error::Store)
    }

    /// Plans, newest first.
    pub fn plans(&self, page: &PageRequest) -> Result<Page<Plan>, Error> {
        self.walk_index(&IndexName::plans(), page, |_, pointer| {
            let Ok(id) = PlanId::parse(&pointer.id) else {
                return Ok(None);
            };
            match self.plan(&id) {
                Ok(plan) => Ok(Some(plan)),
                Err(Error::PlanNotFound) => Ok(None),
                Err(other) => Err(other),
            }
        })
    }
}
