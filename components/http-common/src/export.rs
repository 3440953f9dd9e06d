//! `GET /orders/export` and the panel's export: every order matching the filters, as CSV (a header row, then one row
//! per order) or XML (one `<order>` element per order), paged through `orders::list` up to
//! [`EXPORT_LIMIT`] orders. The response says how many were exported and whether the limit cut
//! the export short (`Orderflow-Export-Count`, `Orderflow-Export-Truncated`), so a caller
//! narrows the filters (`from`/`to`) instead of silently missing orders.

use std::borrow::Cow;

use crate::list_query::MAX_LIMIT;
use crate::orders::{Page, Query};
use crate::types::{Error, Order};
use crate::{ApiError, Reply, names};
use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};

/// An export's file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Comma-separated values with a header row.
    Csv,
    /// One `<order>` element per order.
    Xml,
}

/// The most orders one export carries.
pub const EXPORT_LIMIT: usize = 10_000;
/// The most `list` calls one export makes: pages may come back short (the service reads a
/// bounded number of index pages per call), but never forever.
const MAX_CALLS: usize = 4 * EXPORT_LIMIT / MAX_LIMIT as usize;

/// The CSV columns, in order.
pub const COLUMNS: &[&str] = &[
    "id",
    "number",
    "status",
    "createdAt",
    "updatedAt",
    "channel",
    "externalId",
    "customerId",
    "customerName",
    "customerEmail",
    "customerDocument",
    "paymentMethod",
    "paymentStatus",
    "shippingMethod",
    "shippingCarrier",
    "currency",
    "units",
    "skus",
    "itemsTotal",
    "discount",
    "increment",
    "shipping",
    "total",
    "paid",
    "refunded",
    "balance",
];

/// Pages through `fetch` (which is `orders::list` in the component) and renders the export.
pub fn export<F>(mut query: Query, format: Format, mut fetch: F) -> Result<Reply, ApiError>
where
    F: FnMut(&Query) -> Result<Page, Error>,
{
    query.limit = MAX_LIMIT;
    query.cursor = None;
    let mut sink = Sink::new(format)?;
    let mut count = 0_usize;
    // Set once the listing said there is nothing more; anything else ends the export early.
    let mut complete = false;
    'pages: for _ in 0..MAX_CALLS {
        let page = fetch(&query).map_err(|error| ApiError::from_service(&error))?;
        for order in &page.items {
            if count == EXPORT_LIMIT {
                break 'pages;
            }
            sink.order(order)?;
            count += 1;
        }
        match page.next_cursor {
            None => {
                complete = true;
                break;
            }
            // A cursor that does not move would list the same page forever.
            Some(cursor) if query.cursor.as_ref() == Some(&cursor) => break,
            Some(cursor) => query.cursor = Some(cursor),
        }
    }
    let truncated = !complete;
    let (content_type, extension) = match format {
        Format::Csv => ("text/csv; charset=utf-8", "csv"),
        Format::Xml => ("application/xml; charset=utf-8", "xml"),
    };
    Ok(Reply::bytes(200, content_type, sink.finish()?)
        .with_header(
            "content-disposition",
            &format!("attachment; filename=\"orders.{extension}\""),
        )
        .with_header("orderflow-export-limit", &EXPORT_LIMIT.to_string())
        .with_header("orderflow-export-count", &count.to_string())
        .with_header("orderflow-export-truncated", &truncated.to_string()))
}

fn failed(error: impl std::fmt::Display) -> ApiError {
    ApiError::new(500, "export-failed", "the export could not be written")
        .with_detail("reason", error.to_string())
}

enum Sink {
    Csv(Box<csv::Writer<Vec<u8>>>),
    Xml(Writer<Vec<u8>>),
}

impl Sink {
    fn new(format: Format) -> Result<Self, ApiError> {
        match format {
            Format::Csv => {
                let mut writer = csv::Writer::from_writer(Vec::new());
                writer.write_record(COLUMNS).map_err(failed)?;
                Ok(Self::Csv(Box::new(writer)))
            }
            Format::Xml => {
                let mut writer = Writer::new_with_indent(Vec::new(), b' ', 2);
                writer
                    .write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))
                    .map_err(failed)?;
                let limit = EXPORT_LIMIT.to_string();
                writer
                    .write_event(Event::Start(
                        BytesStart::new("orders").with_attributes([("limit", limit.as_str())]),
                    ))
                    .map_err(failed)?;
                Ok(Self::Xml(writer))
            }
        }
    }

    fn order(&mut self, order: &Order) -> Result<(), ApiError> {
        match self {
            Self::Csv(writer) => writer.write_record(csv_row(order)).map_err(failed),
            Self::Xml(writer) => xml_order(writer, order).map_err(failed),
        }
    }

    fn finish(self) -> Result<Vec<u8>, ApiError> {
        match self {
            Self::Csv(writer) => writer.into_inner().map_err(failed),
            Self::Xml(mut writer) => {
                writer
                    .write_event(Event::End(BytesEnd::new("orders")))
                    .map_err(failed)?;
                let mut bytes = writer.into_inner();
                bytes.push(b'\n');
                Ok(bytes)
            }
        }
    }
}

fn units(order: &Order) -> u64 {
    order.items.iter().map(|i| u64::from(i.quantity)).sum()
}

fn skus(order: &Order) -> String {
    order
        .items
        .iter()
        .map(|i| i.sku.as_str())
        .collect::<Vec<_>>()
        .join("|")
}

/// One CSV row, in [`COLUMNS`] order. Text a person typed is guarded against spreadsheet
/// formula injection (a leading `=`, `+`, `-`, `@`, tab or CR gets a `'`).
fn csv_row(order: &Order) -> Vec<String> {
    let text = |value: &str| guard(value).into_owned();
    let opt = |value: &Option<String>| value.as_deref().map(text).unwrap_or_default();
    vec![
        text(&order.id),
        order.number.to_string(),
        names::order_status(order.status).to_owned(),
        order.created_at.clone(),
        order.updated_at.clone(),
        text(&order.channel),
        opt(&order.external_id),
        opt(&order.customer.id),
        text(&order.customer.name),
        text(&order.customer.email),
        opt(&order.customer.document),
        names::payment_method(order.payment.method).to_owned(),
        names::payment_status(order.payment.status).to_owned(),
        text(&order.shipping.method),
        opt(&order.shipping.carrier),
        text(&order.currency),
        units(order).to_string(),
        text(&skus(order)),
        order.totals.items.to_string(),
        order.totals.discount.to_string(),
        order.totals.increment.to_string(),
        order.totals.shipping.to_string(),
        order.totals.total.to_string(),
        order.totals.paid.to_string(),
        order.totals.refunded.to_string(),
        order.totals.balance.to_string(),
    ]
}

fn guard(value: &str) -> Cow<'_, str> {
    if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        Cow::Owned(format!("'{value}"))
    } else {
        Cow::Borrowed(value)
    }
}

/// Characters XML 1.0 cannot carry even escaped (most C0 controls) become U+FFFD.
fn xml_safe(value: &str) -> Cow<'_, str> {
    let allowed = |c: char| matches!(c, '\t' | '\n' | '\r') || c >= ' ';
    if value.chars().all(allowed) {
        Cow::Borrowed(value)
    } else {
        Cow::Owned(
            value
                .chars()
                .map(|c| if allowed(c) { c } else { '\u{fffd}' })
                .collect(),
        )
    }
}

fn xml_order(writer: &mut Writer<Vec<u8>>, order: &Order) -> std::io::Result<()> {
    let number = order.number.to_string();
    let version = order.version.to_string();
    writer
        .create_element("order")
        .with_attributes([
            ("id", xml_safe(&order.id).as_ref()),
            ("number", number.as_str()),
            ("status", names::order_status(order.status)),
            ("version", version.as_str()),
        ])
        .write_inner_content(|w| {
            element(w, "createdAt", &order.created_at)?;
            element(w, "updatedAt", &order.updated_at)?;
            element(w, "channel", &order.channel)?;
            if let Some(external_id) = &order.external_id {
                element(w, "externalId", external_id)?;
            }
            let customer_id = order.customer.id.as_deref().map(xml_safe);
            w.create_element("customer")
                .with_attributes(customer_id.as_deref().map(|id| ("id", id)))
                .write_inner_content(|w| {
                    element(w, "name", &order.customer.name)?;
                    element(w, "email", &order.customer.email)?;
                    if let Some(document) = &order.customer.document {
                        element(w, "document", document)?;
                    }
                    Ok(())
                })?;
            w.create_element("payment")
                .with_attributes([
                    ("method", names::payment_method(order.payment.method)),
                    ("status", names::payment_status(order.payment.status)),
                ])
                .write_empty()?;
            let price = order.shipping.price.to_string();
            let carrier = order.shipping.carrier.as_deref().map(xml_safe);
            w.create_element("shipping")
                .with_attributes([
                    ("method", xml_safe(&order.shipping.method).as_ref()),
                    ("price", price.as_str()),
                ])
                .with_attributes(carrier.as_deref().map(|c| ("carrier", c)))
                .write_empty()?;
            let t = &order.totals;
            let amounts = [
                ("items", t.items),
                ("discount", t.discount),
                ("increment", t.increment),
                ("shipping", t.shipping),
                ("total", t.total),
                ("paid", t.paid),
                ("refunded", t.refunded),
                ("balance", t.balance),
            ]
            .map(|(name, amount)| (name, amount.to_string()));
            w.create_element("totals")
                .with_attributes([("currency", xml_safe(&order.currency).as_ref())])
                .with_attributes(amounts.iter().map(|(n, a)| (*n, a.as_str())))
                .write_empty()?;
            w.create_element("items").write_inner_content(|w| {
                for item in &order.items {
                    let quantity = item.quantity.to_string();
                    let unit_price = item.unit_price.to_string();
                    let discount = item.discount.to_string();
                    w.create_element("item")
                        .with_attributes([
                            ("sku", xml_safe(&item.sku).as_ref()),
                            ("quantity", quantity.as_str()),
                            ("unitPrice", unit_price.as_str()),
                            ("discount", discount.as_str()),
                        ])
                        .write_text_content(BytesText::new(&xml_safe(&item.name)))?;
                }
                Ok(())
            })?;
            Ok(())
        })?;
    Ok(())
}

fn element(writer: &mut Writer<Vec<u8>>, name: &str, text: &str) -> std::io::Result<()> {
    writer
        .create_element(name)
        .write_text_content(BytesText::new(&xml_safe(text)))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::fixtures::sample_order;

    use super::*;

    /// The listing's defaults, as a query string without parameters gives them.
    fn query() -> Query {
        crate::list_query::parse("").expect("no parameters parse")
    }

    fn numbered(number: u64) -> Order {
        let mut order = sample_order();
        order.number = number;
        order.id = format!("o-{number}");
        order
    }

    /// A listing of `total` orders served `per_page` at a time, recording each cursor asked.
    fn listing(total: u64, per_page: u64) -> impl FnMut(&Query) -> Result<Page, Error> {
        move |query: &Query| {
            let start: u64 = query
                .cursor
                .as_deref()
                .and_then(|c| c.parse().ok())
                .unwrap_or(0);
            let end = (start + per_page).min(total);
            Ok(Page {
                items: (start..end).map(numbered).collect(),
                next_cursor: (end < total).then(|| end.to_string()),
            })
        }
    }

    fn body(reply: &Reply) -> String {
        String::from_utf8_lossy(reply.body()).into_owned()
    }

    #[test]
    fn a_csv_export_has_a_header_row_and_one_row_per_order_across_pages() {
        let reply = export(query(), Format::Csv, listing(450, 200));
        let Ok(reply) = reply else {
            panic!("export failed")
        };
        assert_eq!(reply.header("orderflow-export-count"), Some("450"));
        assert_eq!(reply.header("orderflow-export-truncated"), Some("false"));
        let mut reader = csv::Reader::from_reader(reply.body());
        let headers = reader
            .headers()
            .map(|h| h.iter().map(str::to_owned).collect::<Vec<_>>());
        assert_eq!(
            headers.ok().as_deref(),
            Some(&COLUMNS.iter().map(|c| c.to_string()).collect::<Vec<_>>()[..])
        );
        let rows: Vec<csv::StringRecord> = reader.records().filter_map(Result::ok).collect();
        assert_eq!(rows.len(), 450);
        assert_eq!(rows[0].get(0), Some("o-0"));
        assert_eq!(rows[449].get(1), Some("449"));
        assert_eq!(rows[0].get(22), Some("11480"));
        assert_eq!(rows[0].get(8), Some("Ana Souza"));
    }

    #[test]
    fn short_pages_are_followed_until_the_cursor_ends() {
        let reply = export(query(), Format::Csv, listing(30, 7)).ok();
        assert_eq!(
            reply
                .as_ref()
                .and_then(|r| r.header("orderflow-export-count")),
            Some("30")
        );
    }

    #[test]
    fn the_export_stops_at_its_limit_and_says_so() {
        let reply = export(query(), Format::Csv, listing(10_450, 200)).ok();
        assert_eq!(
            reply
                .as_ref()
                .and_then(|r| r.header("orderflow-export-count")),
            Some("10000")
        );
        assert_eq!(
            reply
                .as_ref()
                .and_then(|r| r.header("orderflow-export-truncated")),
            Some("true")
        );
    }

    #[test]
    fn a_cursor_that_does_not_move_ends_the_export() {
        let stuck = |_: &Query| {
            Ok(Page {
                items: vec![numbered(1)],
                next_cursor: Some("same".into()),
            })
        };
        let reply = export(query(), Format::Csv, stuck).ok();
        assert_eq!(
            reply
                .as_ref()
                .and_then(|r| r.header("orderflow-export-count")),
            Some("2")
        );
    }

    #[test]
    fn a_service_error_is_mapped_not_swallowed() {
        let failing = |_: &Query| Err(Error::StoreUnavailable("down".into()));
        let error = export(query(), Format::Xml, failing).err();
        assert_eq!(error.map(|e| e.status()), Some(503));
    }

    #[test]
    fn an_xml_export_has_one_element_per_order_and_escapes_text() {
        let listing = |_: &Query| {
            let mut odd = numbered(2);
            odd.customer.name = "A & B <\"x\"> \u{1}".into();
            Ok(Page {
                items: vec![numbered(1), odd],
                next_cursor: None,
            })
        };
        let reply = export(query(), Format::Xml, listing).ok();
        let text = reply.as_ref().map(body).unwrap_or_default();
        assert!(
            text.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"),
            "{text}"
        );
        assert_eq!(text.matches("<order ").count(), 2, "{text}");
        assert!(
            text.contains("<name>A &amp; B &lt;&quot;x&quot;&gt; \u{fffd}</name>"),
            "{text}"
        );
        assert!(text.contains("total=\"11480\""), "{text}");
        let mut reader = quick_xml::Reader::from_str(&text);
        let mut elements = 0;
        loop {
            match reader.read_event() {
                Ok(Event::Eof) => break,
                Ok(Event::Start(_) | Event::Empty(_)) => elements += 1,
                Ok(_) => {}
                Err(error) => panic!("not well-formed: {error}\n{text}"),
            }
        }
        assert!(elements > 10);
    }

    #[test]
    fn csv_cells_that_a_spreadsheet_would_run_are_guarded() {
        let listing = |_: &Query| {
            let mut order = numbered(1);
            order.customer.name = "=HYPERLINK(\"x\")".into();
            Ok(Page {
                items: vec![order],
                next_cursor: None,
            })
        };
        let reply = export(query(), Format::Csv, listing).ok();
        let text = reply.as_ref().map(body).unwrap_or_default();
        assert!(text.contains("'=HYPERLINK"), "{text}");
    }
}
