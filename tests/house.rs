//! The project's own documents hold together: every section a file cites in
//! `docs/architecture.md` or `benches/README.md` exists there, and the README stays a short
//! entry for a new user.

use std::path::{Path, PathBuf};

/// The documents whose sections are cited elsewhere, by path from the workspace root.
const CITED: &[&str] = &["docs/architecture.md", "benches/README.md"];

/// What a new user reads first stays short: the rest lives in docs/ and benches/.
const README_MAX_LINES: usize = 200;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every text file of the project outside build output, version control and local state.
fn project_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        if matches!(name.to_str(), Some("target" | ".git" | ".spin")) {
            continue;
        }
        if path.is_dir() {
            project_files(&path, out);
        } else if matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("rs" | "toml" | "md" | "sh" | "wit" | "yaml")
        ) {
            out.push(path);
        }
    }
}

/// The section titles of a markdown document (its `#` headings).
fn headings(document: &str) -> Vec<String> {
    document
        .lines()
        .filter(|line| line.starts_with('#'))
        .map(|line| line.trim_start_matches('#').trim().to_owned())
        .collect()
}

/// The section names `text` cites in `document`: `document, "Section"`, the path optionally in
/// backticks, the name possibly wrapped across comment lines.
fn citations(text: &str, document: &str) -> Vec<String> {
    let mut found = Vec::new();
    for (at, _) in text.match_indices(document) {
        let rest = &text[at + document.len()..];
        let rest = rest.strip_prefix('`').unwrap_or(rest);
        if let Some(quoted) = rest.strip_prefix(", \"")
            && let Some(end) = quoted.find('"')
        {
            let words: Vec<&str> = quoted[..end]
                .split_whitespace()
                .filter(|word| !matches!(*word, "//" | "///" | "//!" | "#"))
                .collect();
            found.push(words.join(" "));
        }
    }
    found
}

#[test]
fn every_cited_section_exists() {
    let mut files = Vec::new();
    project_files(&root(), &mut files);
    let mut missing = Vec::new();
    let mut cited = 0;
    for document in CITED {
        let text = std::fs::read_to_string(root().join(document))
            .unwrap_or_else(|e| panic!("{document} is missing: {e}"));
        let sections = headings(&text);
        for file in &files {
            let Ok(text) = std::fs::read_to_string(file) else {
                continue;
            };
            for section in citations(&text, document) {
                cited += 1;
                if !sections.contains(&section) {
                    missing.push(format!(
                        "{} cites {document}, \"{section}\"",
                        file.display()
                    ));
                }
            }
        }
    }
    assert!(cited > 0, "no citation found: the scan is broken");
    assert!(
        missing.is_empty(),
        "no such section:\n{}",
        missing.join("\n")
    );
}

#[test]
fn the_readme_is_short() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap_or_default();
    let lines = readme.lines().count();
    assert!(
        (1..README_MAX_LINES).contains(&lines),
        "README.md has {lines} lines; keep it under {README_MAX_LINES} (details go to docs/ or \
         benches/)"
    );
}

#[test]
fn citations_are_read_with_and_without_backticks() {
    let text = "see docs/a.md, \"One\" and `docs/a.md`, \"Two\n//! words\"; docs/a.md alone";
    assert_eq!(citations(text, "docs/a.md"), ["One", "Two words"]);
    assert_eq!(headings("# A\ntext\n### B c\n"), ["A", "B c"]);
}
