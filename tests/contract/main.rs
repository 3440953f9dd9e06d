//! openapi.yaml against the code, so the contract cannot drift from what the app serves:
//! every HTTP route of spin.toml has its operations in the spec and every path of the spec is
//! routed; every error code the handlers can answer with is in the spec's `ErrorCode`, every
//! `validation-failed` field code in `FieldErrorCode`, and neither list names a code the code
//! never emits. (scripts/contract.sh runs the spec against the running app.)
//!
//! The spec is read as the plain YAML it is written in: its `paths:` keys are two-space
//! indented, and each code list is a block sequence, one `- code` a line.
#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "test harness: a failed step should fail the test, with its message"
)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn spec() -> String {
    std::fs::read_to_string(root().join("openapi.yaml")).expect("openapi.yaml is readable")
}

/// The keys of the spec's top-level `paths:` map.
fn spec_paths(spec: &str) -> Vec<String> {
    let mut paths = Vec::new();
    let mut inside = false;
    for line in spec.lines() {
        if line.starts_with("paths:") {
            inside = true;
            continue;
        }
        let top_level = line
            .chars()
            .next()
            .is_some_and(|c| !c.is_whitespace() && c != '#');
        if inside && top_level {
            break;
        }
        if inside
            && let Some(key) = line.strip_prefix("  /")
            && let Some(key) = key.trim_end().strip_suffix(':')
        {
            paths.push(format!("/{key}"));
        }
    }
    paths
}

/// The `enum:` block sequence of the schema `name` under `components.schemas`.
fn spec_enum(spec: &str, name: &str) -> BTreeSet<String> {
    let header = format!("    {name}:");
    let mut lines = spec.lines().skip_while(|line| line.trim_end() != header);
    assert!(lines.next().is_some(), "openapi.yaml has no schema {name}");
    let mut lines = lines.skip_while(|line| line.trim() != "enum:");
    assert!(lines.next().is_some(), "schema {name} has no block `enum:`");
    let mut values = BTreeSet::new();
    for line in lines {
        let item = line.trim();
        if item.starts_with('#') {
            continue;
        }
        match item.strip_prefix("- ") {
            Some(value) => {
                values.insert(value.trim_matches('"').to_owned());
            }
            None => break,
        }
    }
    assert!(!values.is_empty(), "schema {name} lists no values");
    values
}

/// The public routes of spin.toml's HTTP triggers (a private one, `{ private = true }`, is
/// reachable by service chaining only and is no part of the contract).
fn spin_routes() -> Vec<String> {
    let text = std::fs::read_to_string(root().join("spin.toml")).expect("spin.toml is readable");
    let manifest: toml::Table = text.parse().expect("spin.toml is TOML");
    manifest["trigger"]["http"]
        .as_array()
        .expect("spin.toml has HTTP triggers")
        .iter()
        .filter(|trigger| !trigger["route"].is_table())
        .map(|trigger| trigger["route"].as_str().expect("a route").to_owned())
        .collect()
}

/// Whether a Spin route (`/orders/:id/cancel`, `/orders/...`) serves a spec path
/// (`/orders/{id}/cancel`).
fn route_serves(route: &str, path: &str) -> bool {
    let route: Vec<&str> = route.trim_start_matches('/').split('/').collect();
    let path: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let wildcard = route.last() == Some(&"...");
    let fixed = if wildcard {
        &route[..route.len() - 1]
    } else {
        &route[..]
    };
    let length_fits = if wildcard {
        path.len() > fixed.len()
    } else {
        path.len() == fixed.len()
    };
    length_fits
        && fixed.iter().zip(&path).all(|(r, p)| {
            // A route's `:name` segment matches any segment, the spec's `{name}` included.
            r == p || r.starts_with(':')
        })
}

#[test]
fn every_route_of_spin_toml_is_in_the_spec_and_every_spec_path_is_routed() {
    let spec = spec();
    let paths = spec_paths(&spec);
    assert!(
        paths.len() > 20,
        "openapi.yaml's paths were not found: {paths:?}"
    );
    let routes = spin_routes();
    for route in &routes {
        assert!(
            paths.iter().any(|path| route_serves(route, path)),
            "spin.toml routes {route}, which openapi.yaml's paths do not describe"
        );
    }
    for path in &paths {
        assert!(
            routes.iter().any(|route| route_serves(route, path)),
            "openapi.yaml describes {path}, which no route of spin.toml serves"
        );
    }
}

/// Every `.rs` file under `dir`, without its tests: files named `tests.rs` are skipped and a
/// file's text is cut at its first `#[cfg(test)]`.
fn sources(dir: &Path, out: &mut Vec<(PathBuf, String)>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .expect("a source directory")
        .map(|entry| entry.expect("a directory entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|ext| ext == "rs")
            && path.file_name().is_some_and(|name| name != "tests.rs")
        {
            let text = std::fs::read_to_string(&path).expect("a source file");
            let text = text.split("#[cfg(test)]").next().unwrap_or("").to_owned();
            out.push((path, text));
        }
    }
}

/// The arguments of the call whose `(` is at `open`, split at top-level commas (string
/// literals and nested brackets respected).
fn call_args(text: &str, open: usize) -> Vec<&str> {
    let bytes = text.as_bytes();
    let (mut depth, mut in_string, mut escaped) = (0_i32, false, false);
    let mut start = open + 1;
    let mut args = Vec::new();
    for (i, &b) in bytes.iter().enumerate().skip(open) {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                (false, _) => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' => {
                depth -= 1;
                if depth == 0 {
                    // A trailing comma leaves nothing after it.
                    let last = text[start..i].trim();
                    if !last.is_empty() {
                        args.push(last);
                    }
                    return args;
                }
            }
            b',' if depth == 1 => {
                args.push(text[start..i].trim());
                start = i + 1;
            }
            _ => {}
        }
    }
    args
}

/// A string literal holding a kebab-case code, without its quotes.
fn code_literal(arg: &str) -> Option<&str> {
    let code = arg.strip_prefix('"')?.strip_suffix('"')?;
    (!code.is_empty() && code.bytes().all(|b| b.is_ascii_lowercase() || b == b'-')).then_some(code)
}

/// The codes passed at argument `index` of every call to `callee` (a name followed by `(`)
/// whose other arguments pass `fits`.
fn codes_of_calls(
    text: &str,
    callee: &str,
    index: usize,
    fits: impl Fn(&[&str]) -> bool,
    out: &mut BTreeSet<String>,
) {
    for (at, _) in text.match_indices(callee) {
        let before = text[..at].chars().next_back();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        let args = call_args(text, at + callee.len() - 1);
        if fits(&args)
            && let Some(code) = args.get(index).and_then(|arg| code_literal(arg))
        {
            out.insert(code.to_owned());
        }
    }
}

/// The codes the handlers answer with, and the field codes of `validation-failed`.
fn emitted_codes() -> (BTreeSet<String>, BTreeSet<String>) {
    let mut files = Vec::new();
    sources(&root().join("components"), &mut files);
    assert!(files.len() > 30, "the components' sources were not found");
    let (mut errors, mut fields) = (BTreeSet::new(), BTreeSet::new());
    let status_first = |args: &[&str]| {
        args.len() == 3 && args[0].len() == 3 && args[0].bytes().all(|b| b.is_ascii_digit())
    };
    for (_, text) in &files {
        // `ApiError::new(409, "code", message)` and, inside ApiError, `Self::new(...)`.
        codes_of_calls(text, "ApiError::new(", 1, status_first, &mut errors);
        codes_of_calls(text, "Self::new(", 1, status_first, &mut errors);
        // The rule table's `conflict("code", message)` and `invalid("code", message)`.
        codes_of_calls(text, "conflict(", 0, |a| a.len() == 2, &mut errors);
        codes_of_calls(text, "invalid(", 0, |a| a.len() == 2, &mut errors);
        // A field entry: `fields.push(path, "code", message)` or `FieldError { code: ... }`.
        codes_of_calls(text, "push(", 1, |a| a.len() == 3, &mut fields);
        for (at, _) in text.match_indices("FieldError {") {
            let fields_of = call_args(text, at + "FieldError ".len());
            let code = fields_of
                .iter()
                .find_map(|field| field.strip_prefix("code:"));
            if let Some(code) = code.and_then(|code| code.trim().split('.').next())
                && let Some(code) = code_literal(code)
            {
                fields.insert(code.to_owned());
            }
        }
    }
    // The domain's reasons for refusing a value (`Invalid::code`), each a field code.
    let reasons = std::fs::read_to_string(root().join("crates/domain/src/values/error.rs"))
        .expect("the domain's error values");
    let body = reasons
        .split("pub fn code(&self)")
        .nth(1)
        .and_then(|rest| rest.split("\n    }\n").next())
        .expect("Invalid::code");
    for arm in body.split("=> ").skip(1) {
        if let Some(code) = arm.split(',').next().and_then(code_literal) {
            fields.insert(code.to_owned());
        }
    }
    (errors, fields)
}

fn missing<'a>(from: &'a BTreeSet<String>, of: &'a BTreeSet<String>) -> Vec<&'a String> {
    of.difference(from).collect()
}

#[test]
fn every_error_code_the_code_emits_is_in_the_spec_and_no_other() {
    let spec = spec();
    let (errors, _) = emitted_codes();
    assert!(errors.len() > 40, "too few error codes found: {errors:?}");
    let listed = spec_enum(&spec, "ErrorCode");
    assert_eq!(
        missing(&listed, &errors),
        Vec::<&String>::new(),
        "error codes the code emits that openapi.yaml's ErrorCode does not list"
    );
    assert_eq!(
        missing(&errors, &listed),
        Vec::<&String>::new(),
        "error codes openapi.yaml's ErrorCode lists that no code emits"
    );
}

#[test]
fn every_field_code_of_validation_failed_is_in_the_spec_and_no_other() {
    let spec = spec();
    let (_, fields) = emitted_codes();
    assert!(fields.len() > 8, "too few field codes found: {fields:?}");
    let listed = spec_enum(&spec, "FieldErrorCode");
    assert_eq!(
        missing(&listed, &fields),
        Vec::<&String>::new(),
        "field codes the code emits that openapi.yaml's FieldErrorCode does not list"
    );
    assert_eq!(
        missing(&fields, &listed),
        Vec::<&String>::new(),
        "field codes openapi.yaml's FieldErrorCode lists that no code emits"
    );
}

#[test]
fn the_readers_of_this_test_find_what_they_look_for() {
    // The scanners on a made-up source: a change to how the code spells an error must not
    // make the comparison above pass vacuously.
    let text = r#"
        let e = ApiError::new(
            409,
            "already-exists",
            format!("{}", "x"),
        );
        fields.push(obj.path("every"), "required", format!("{} is required", "x"));
        let entry = FieldError { field: "planId".to_owned(), code: "plan-not-found".to_owned() };
        let c = conflict("not-on-hold", "the order is not on hold");
        let not_a_code = invalid(&fields);
    "#;
    let (mut errors, mut fields) = (BTreeSet::new(), BTreeSet::new());
    codes_of_calls(text, "ApiError::new(", 1, |a| a.len() == 3, &mut errors);
    codes_of_calls(text, "conflict(", 0, |a| a.len() == 2, &mut errors);
    codes_of_calls(text, "invalid(", 0, |a| a.len() == 2, &mut errors);
    codes_of_calls(text, "push(", 1, |a| a.len() == 3, &mut fields);
    let entry = call_args(
        text,
        text.find("FieldError {").unwrap() + "FieldError ".len(),
    );
    assert_eq!(
        entry,
        [
            "field: \"planId\".to_owned()",
            "code: \"plan-not-found\".to_owned()"
        ]
    );
    assert_eq!(
        errors.into_iter().collect::<Vec<_>>(),
        ["already-exists", "not-on-hold"]
    );
    assert_eq!(fields.into_iter().collect::<Vec<_>>(), ["required"]);
    assert!(route_serves("/orders/...", "/orders/{id}"));
    assert!(route_serves("/orders/:id/cancel", "/orders/{id}/cancel"));
    assert!(!route_serves("/orders", "/orders/{id}"));
    assert!(!route_serves(
        "/orders/:id/shipments/...",
        "/orders/{id}/shipments"
    ));
}
