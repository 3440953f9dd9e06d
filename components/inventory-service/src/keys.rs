//! Every key-value key the inventory service reads or writes, built here and nowhere else. The
//! layout is documented in the crate's root (`lib.rs`).

use orderflow_domain::values::{OrderId, Sku};
use orderflow_kv::escape;

/// A SKU's document.
pub(crate) fn item(sku: &Sku) -> String {
    format!("inv/s/{}", escape(sku.as_str()))
}

/// The creation claim of a SKU's document, per lease window (`orderflow_kv::claim`).
pub(crate) fn item_claim(sku: &Sku, window: i64) -> String {
    format!("inv/n/c/{}/{window}", escape(sku.as_str()))
}

/// The slot counter of the index of every tracked SKU.
pub(crate) const ALL_COUNTER: &str = "inv/n/ix/all";

/// One entry of the index of every tracked SKU.
pub(crate) fn all_entry(slot: u64) -> String {
    format!("inv/ix/all/{slot}")
}

/// The position counter of the outbox.
pub(crate) const OUTBOX_COUNTER: &str = "inv/n/o";

/// The outbox entry at `position`: a change of stock that published events.
pub(crate) fn outbox_entry(position: u64) -> String {
    format!("inv/o/{position}")
}

/// What an order's hold of a SKU became when it left the shelf (`Sold`: where from, how many),
/// for the order's returns.
pub(crate) fn sold(sku: &Sku, order: &OrderId) -> String {
    format!("inv/h/{}/{}", escape(sku.as_str()), order.as_str())
}

/// Chunk `chunk` of a SKU's ledger. Its movements were committed before it was archived, so
/// every writer that archives it writes the same bytes, won swap or lost.
pub(crate) fn ledger_chunk(sku: &Sku, chunk: u64) -> String {
    format!("inv/l/{}/{chunk}", escape(sku.as_str()))
}

/// Chunk `chunk` of a SKU's ledger as archived by the write that made version `version` (how
/// documents archived before `ledger_chunk`).
pub(crate) fn ledger_chunk_of_version(sku: &Sku, chunk: u64, version: u64) -> String {
    format!("inv/l/{}/{chunk}/{version}", escape(sku.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_live_under_n_and_documents_do_not() -> Result<(), Box<dyn std::error::Error>> {
        let sku = Sku::parse("CAFE/500G")?;
        assert!(item_claim(&sku, 3).starts_with("inv/n/"));
        assert!(ALL_COUNTER.starts_with("inv/n/"));
        assert!(OUTBOX_COUNTER.starts_with("inv/n/"));
        for key in [
            item(&sku),
            all_entry(1),
            outbox_entry(1),
            ledger_chunk(&sku, 0),
            ledger_chunk_of_version(&sku, 0, 7),
            sold(&sku, &OrderId::parse("o-1")?),
        ] {
            assert!(
                key.starts_with("inv/") && !key.starts_with("inv/n/"),
                "{key}"
            );
        }
        assert_eq!(item(&sku), "inv/s/CAFE%2F500G");
        Ok(())
    }
}
