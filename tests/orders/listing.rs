//! The back office's list and exports over many orders.

use std::collections::{BTreeMap, BTreeSet};

use quick_xml::escape::resolve_xml_entity;
use quick_xml::events::Event;
use quick_xml::{Reader, XmlVersion};
use serde_json::{Value, json};

use crate::app::{App, int, json, text};
use crate::placement::list_all;
use crate::{parallel, sample};

/// Places `n` orders over `connections` parallel connections; returns their ids.
fn place_many(
    app: &App,
    n: usize,
    connections: usize,
    make: impl Fn(usize) -> Value + Sync,
) -> Vec<Value> {
    let checkout = app.checkout();
    parallel(connections, |worker| {
        (worker..n)
            .step_by(connections)
            .map(|i| checkout.place(&make(i)))
            .collect::<Vec<_>>()
    })
    .into_iter()
    .flatten()
    .collect()
}

#[test]
fn listing_a_thousand_orders_page_by_page_sees_each_exactly_once() {
    let app = App::start("thousand");
    let placed = place_many(&app, 1000, 8, |i| sample::order(&format!("bulk-{i}")));
    let placed: BTreeSet<String> = placed.iter().map(|o| text(o, "id")).collect();
    assert_eq!(placed.len(), 1000);

    for sort in ["-createdAt", "createdAt", "total"] {
        let listed = list_all(&app, &format!("sort={sort}"));
        let mut seen = BTreeMap::new();
        for order in &listed {
            *seen.entry(text(order, "id")).or_insert(0) += 1;
        }
        let twice: Vec<_> = seen.iter().filter(|(_, n)| **n > 1).collect();
        assert!(
            twice.is_empty(),
            "sort={sort}: listed more than once: {twice:?}"
        );
        assert_eq!(listed.len(), 1000, "sort={sort}");
        assert_eq!(seen.keys().cloned().collect::<BTreeSet<_>>(), placed);
    }

    // A page is never longer than asked.
    let page = json(&app.admin().get("/orders?limit=200"));
    assert_eq!(page["items"].as_array().map(Vec::len), Some(200));
    assert!(page["nextCursor"].is_string());
    let page = json(&app.admin().get("/orders"));
    assert_eq!(page["items"].as_array().map(Vec::len), Some(50));
}

/// Orders whose text fields need quoting in CSV and escaping in XML.
fn awkward(i: usize) -> Value {
    let mut order = sample::order(&format!("exp-{i}"));
    order["customer"]["name"] = json!(format!("=SUM(A1) Ana \"Nina\", <São> & {i}"));
    order["items"][0]["name"] = json!("Camiseta, \"azul\" P <b>&amp;</b>");
    order["items"][0]["quantity"] = json!(i + 1);
    order["totals"]["total"] = json!(4990 * (i64::try_from(i).unwrap_or(0) + 1) + 1500);
    order
}

#[test]
fn csv_and_xml_exports_parse_with_one_record_per_order() {
    let app = App::start("exports");
    let placed = place_many(&app, 30, 4, awkward);
    let by_id: BTreeMap<String, &Value> = placed.iter().map(|o| (text(o, "id"), o)).collect();
    let admin = app.admin();

    // CSV: a header row, then one row per order, readable by a CSV parser.
    let reply = admin.get("/orders/export?format=csv");
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert!(
        reply
            .header("content-type")
            .is_some_and(|t| t.starts_with("text/csv"))
    );
    assert_eq!(reply.header("orderflow-export-count"), Some("30"));
    assert_eq!(reply.header("orderflow-export-truncated"), Some("false"));
    let mut reader = csv::Reader::from_reader(reply.body.as_slice());
    let headers = reader.headers().expect("a header row").clone();
    let column = |name: &str| {
        headers
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("no {name} column in {headers:?}"))
    };
    let (id, number, external, customer, total, status) = (
        column("id"),
        column("number"),
        column("externalId"),
        column("customerName"),
        column("total"),
        column("status"),
    );
    let mut seen = BTreeSet::new();
    for record in reader.records() {
        let record = record.expect("a well-formed CSV record");
        assert_eq!(record.len(), headers.len());
        let order = by_id[&record[id]];
        assert!(seen.insert(record[id].to_owned()), "{} twice", &record[id]);
        assert_eq!(record[number], int(order, "number").to_string());
        assert_eq!(record[external], text(order, "externalId"));
        assert_eq!(record[total], order["totals"]["total"].to_string());
        assert_eq!(&record[status], "payment-pending");
        // Spreadsheet formulas are defused, the rest is verbatim.
        let name = text(&order["customer"], "name");
        assert_eq!(record[customer], format!("'{name}"));
    }
    assert_eq!(seen.len(), 30);

    // XML: one <order> per order, well-formed, text round-trips.
    let reply = admin.get("/orders/export?format=xml");
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert!(
        reply
            .header("content-type")
            .is_some_and(|t| t.contains("xml"))
    );
    let names = xml_customer_names(&reply.body);
    assert_eq!(names.len(), 30);
    for (id, name) in &names {
        let order = by_id
            .get(id)
            .unwrap_or_else(|| panic!("an exported order {id} that was not placed"));
        assert_eq!(name, &text(&order["customer"], "name"));
    }

    // Filters apply to exports too.
    let reply = admin.get("/orders/export?format=csv&status=canceled");
    assert_eq!(reply.status, 200);
    assert_eq!(
        csv::Reader::from_reader(reply.body.as_slice())
            .records()
            .count(),
        0
    );
}

/// The `<order id>` → `<customer><name>` text of an XML export, parsed with quick-xml.
fn xml_customer_names(xml: &[u8]) -> BTreeMap<String, String> {
    let mut reader = Reader::from_reader(xml);
    let mut names = BTreeMap::new();
    let mut path: Vec<String> = Vec::new();
    let mut current: Option<String> = None;
    let mut name = String::new();
    let mut buf = Vec::new();
    let in_name = |path: &[String]| path.ends_with(&["customer".to_owned(), "name".to_owned()]);
    loop {
        let event = reader
            .read_event_into(&mut buf)
            .unwrap_or_else(|e| panic!("the XML export is well-formed: {e}"));
        match event {
            Event::Start(start) => {
                let tag = start.name().as_ref().to_owned();
                if tag == "order" {
                    let id = start
                        .try_get_attribute("id")
                        .expect("attributes parse")
                        .expect("an id attribute")
                        .normalized_value(XmlVersion::Implicit1_0)
                        .expect("the id unescapes")
                        .into_owned();
                    assert!(current.replace(id).is_none(), "nested <order>");
                }
                path.push(tag);
            }
            Event::Text(t) if in_name(&path) => {
                name.push_str(&t.xml_content(XmlVersion::Implicit1_0))
            }
            Event::GeneralRef(r) if in_name(&path) => {
                match r.resolve_char_ref().expect("a valid character reference") {
                    Some(c) => name.push(c),
                    None => {
                        let entity = r.xml_content(XmlVersion::Implicit1_0);
                        name.push_str(
                            resolve_xml_entity(&entity)
                                .unwrap_or_else(|| panic!("unknown entity &{entity};")),
                        );
                    }
                }
            }
            Event::End(end) => {
                if in_name(&path) {
                    let id = current.clone().expect("<name> inside an <order>");
                    names.insert(id, std::mem::take(&mut name));
                }
                path.pop();
                if end.name().as_ref() == "order" {
                    current = None;
                }
            }
            Event::Eof => break,
            Event::Empty(_)
            | Event::Text(_)
            | Event::CData(_)
            | Event::Comment(_)
            | Event::Decl(_)
            | Event::PI(_)
            | Event::DocType(_)
            | Event::GeneralRef(_) => {}
        }
        buf.clear();
    }
    assert!(path.is_empty(), "unclosed elements: {path:?}");
    names
}
