//! Reading an order, by id or by a channel's own id.

use orderflow_domain::order::Order;
use orderflow_domain::values::{Channel, ExternalId, OrderId};

use super::{Failure, Service};
use crate::doc::{Pointer, Stored, decode};
use crate::keys;
use crate::kv::Kv;

impl<K: Kv> Service<'_, K> {
    /// The order with this id.
    pub(crate) fn load(&self, id: &OrderId) -> Result<Order, Failure> {
        let stored = self.read(&keys::order(id))?.ok_or(Failure::NotFound)?;
        Ok(stored.order)
    }

    /// The order a channel's own id points at.
    pub(crate) fn find_by_external_id(
        &self,
        channel: &Channel,
        external_id: &ExternalId,
    ) -> Result<Option<Order>, Failure> {
        let key = keys::external(channel, external_id);
        let Some(bytes) = self.kv.get(&key)? else {
            return Ok(None);
        };
        let pointer: Pointer = decode(&key, &bytes).map_err(Failure::Store)?;
        match self.load(&pointer.id) {
            Ok(order) => Ok(Some(order)),
            Err(Failure::NotFound) => Ok(None),
            Err(other) => Err(other),
        }
    }

    pub(super) fn read(&self, key: &str) -> Result<Option<Stored>, Failure> {
        match self.kv.get(key)? {
            None => Ok(None),
            Some(bytes) => decode(key, &bytes).map(Some).map_err(Failure::Store),
        }
    }
}
