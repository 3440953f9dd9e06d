//! Plans: named schedule templates that subscriptions are created from.

use orderflow_domain::subscription::Recurrence;
use orderflow_domain::values::PlanId;

use crate::doc::{Plan, Pointer, decode, encode};
use crate::keys::{self, IndexName};
use crate::kv::Kv;
use crate::service::{Error, MAX_ATTEMPTS, NewPlan, Page, PageRequest, Subscriptions};

impl<K: Kv> Subscriptions<'_, K> {
    /// Creates a plan under its own id. Its schedule and purchase day are checked together as
    /// a subscription's would be. Three writes: the id's claim, a slot in the `plans` index,
    /// and the plan with its entry in one batch.
    pub fn create_plan(&self, new: NewPlan) -> Result<Plan, Error> {
        let plan = self.checked_plan(new)?;
        if self.kv.increment(&keys::plan_claim(&plan.id), 1)? != 1 {
            return Err(Error::AlreadyExists);
        }
        let slot = self.next_slot(&IndexName::plans())?;
        self.insert_plan(&plan, slot)?;
        Ok(plan)
    }

    /// Creates a plan whose id the service gives, `p-{n}` (`n` its slot in the `plans` index:
    /// unique and growing, not consecutive), in place of `new.id`.
    pub fn create_plan_numbered(&self, new: NewPlan) -> Result<Plan, Error> {
        let mut plan = self.checked_plan(new)?;
        for _ in 0..MAX_ATTEMPTS {
            let slot = self.next_slot(&IndexName::plans())?;
            plan.id =
                PlanId::parse(&format!("p-{slot}")).map_err(|e| Error::Store(e.to_string()))?;
            // Taken only by a caller that chose this id itself: the slot stays empty.
            if self.kv.increment(&keys::plan_claim(&plan.id), 1)? == 1 {
                self.insert_plan(&plan, slot)?;
                return Ok(plan);
            }
        }
        Err(Error::Contention)
    }

    /// The plan `new` describes, refused unless its schedule holds.
    fn checked_plan(&self, new: NewPlan) -> Result<Plan, Error> {
        Recurrence::new(
            new.schedule.clone(),
            new.purchase_day,
            new.timezone,
            self.now(),
        )
        .map_err(|e| Error::Rejected(e.into()))?;
        Ok(Plan {
            id: new.id,
            name: new.name,
            schedule: new.schedule,
            purchase_day: new.purchase_day,
            timezone: new.timezone,
            max_cycles: new.max_cycles,
            created_at: self.now(),
        })
    }

    /// Writes a plan (its id claimed) and its entry at `slot` of the `plans` index.
    fn insert_plan(&self, plan: &Plan, slot: u64) -> Result<(), Error> {
        let pointer = encode(&Pointer::to(plan.id.as_str())).map_err(Error::Store)?;
        let bytes = encode(plan).map_err(Error::Store)?;
        self.kv.set_many(&[
            (keys::index_entry(&IndexName::plans(), slot), pointer),
            (keys::plan(&plan.id), bytes),
        ])?;
        Ok(())
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
