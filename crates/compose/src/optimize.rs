//! Shrinks a component's core modules with binaryen's `wasm-opt -Oz`, when it is installed
//! (Debian: `apt-get install binaryen`). rustc's own size optimisation leaves about a fifth of
//! each module that binaryen removes; without `wasm-opt` the component is written as composed,
//! correct and only larger.
//!
//! A component binary is a header and a list of sections (`id`, LEB128 size, contents); a core
//! module section (id 1) holds a whole core module and a nested component section (id 4) a whole
//! component. Only those two are rewritten: every other byte is copied as it was, and the result
//! is validated before it is used.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Component binary section ids (component model binary format).
const CORE_MODULE_SECTION: u8 = 1;
const COMPONENT_SECTION: u8 = 4;
/// Modules smaller than this (adapter shims) are left alone: nothing to gain.
const SMALLEST_MODULE_WORTH_OPTIMISING: usize = 16 * 1024;
/// The WebAssembly features rustc's `wasm32-wasip2` target emits and wasmtime (Spin) enables by
/// default; binaryen must be told, as the stripped modules carry no `target_features` section.
const FEATURES: &[&str] = &[
    "--enable-bulk-memory",
    "--enable-sign-ext",
    "--enable-mutable-globals",
    "--enable-nontrapping-float-to-int",
    "--enable-multivalue",
    "--enable-reference-types",
];

/// What is done to each large core module.
type Shrink<'a> = dyn FnMut(&[u8]) -> Result<Vec<u8>, OptimizeError> + 'a;

/// Why a component could not be optimised.
#[derive(Debug, thiserror::Error)]
pub(crate) enum OptimizeError {
    /// The bytes do not follow the section layout.
    #[error("malformed component binary at byte {0}")]
    Malformed(usize),
    /// `wasm-opt` could not run or failed.
    #[error("wasm-opt failed: {0}")]
    WasmOpt(String),
    /// The optimised component does not validate (a binaryen bug): not used.
    #[error("the optimised component does not validate: {0}")]
    Invalid(String),
}

/// The `wasm-opt` to use: `$WASM_OPT`, or `wasm-opt` on the `PATH`; `None` if neither runs.
pub(crate) fn find_wasm_opt() -> Option<PathBuf> {
    let candidate = std::env::var_os("WASM_OPT").map_or_else(|| "wasm-opt".into(), PathBuf::from);
    let runs = Command::new(&candidate)
        .arg("--version")
        .output()
        .is_ok_and(|out| out.status.success());
    runs.then_some(candidate)
}

/// `component` with each core module of at least 16 KiB (at any nesting depth) passed through
/// `wasm-opt -Oz`, validated.
pub(crate) fn optimize(component: &[u8], wasm_opt: &Path) -> Result<Vec<u8>, OptimizeError> {
    let work = tempdir()?;
    let result = rewrite(component, 0, &mut |module| {
        run_wasm_opt(wasm_opt, module, &work)
    });
    let _ = std::fs::remove_dir_all(&work);
    let optimized = result?;
    wasmparser::Validator::new_with_features(wasmparser::WasmFeatures::all())
        .validate_all(&optimized)
        .map_err(|e| OptimizeError::Invalid(e.to_string()))?;
    Ok(optimized)
}

/// Copies the component at `bytes` (which starts at `base` in the outermost binary, for error
/// offsets), passing each large enough core module through `shrink`.
fn rewrite(bytes: &[u8], base: usize, shrink: &mut Shrink<'_>) -> Result<Vec<u8>, OptimizeError> {
    let header = bytes.get(..8).ok_or(OptimizeError::Malformed(base))?;
    let mut out = header.to_vec();
    let mut at = 8;
    while at < bytes.len() {
        let id = bytes[at];
        let (size, len) =
            read_leb_u32(&bytes[at + 1..]).ok_or(OptimizeError::Malformed(base + at))?;
        let start = at + 1 + len;
        let end = start
            .checked_add(size as usize)
            .filter(|&end| end <= bytes.len())
            .ok_or(OptimizeError::Malformed(base + at))?;
        let contents = &bytes[start..end];
        let replaced = match id {
            CORE_MODULE_SECTION if contents.len() >= SMALLEST_MODULE_WORTH_OPTIMISING => {
                Some(shrink(contents)?)
            }
            COMPONENT_SECTION => Some(rewrite(contents, base + start, shrink)?),
            _ => None,
        };
        match replaced {
            Some(new) => {
                out.push(id);
                write_leb_u32(&mut out, new.len());
                out.extend_from_slice(&new);
            }
            None => out.extend_from_slice(&bytes[at..end]),
        }
        at = end;
    }
    Ok(out)
}

fn run_wasm_opt(wasm_opt: &Path, module: &[u8], work: &Path) -> Result<Vec<u8>, OptimizeError> {
    let input = work.join("in.wasm");
    let output = work.join("out.wasm");
    std::fs::write(&input, module).map_err(|e| OptimizeError::WasmOpt(e.to_string()))?;
    let run = Command::new(wasm_opt)
        .arg("-Oz")
        .args(FEATURES)
        .arg(&input)
        .arg("-o")
        .arg(&output)
        .output()
        .map_err(|e| OptimizeError::WasmOpt(e.to_string()))?;
    if !run.status.success() {
        let stderr = String::from_utf8_lossy(&run.stderr);
        let last = stderr.lines().rev().take(3).collect::<Vec<_>>().join(" | ");
        return Err(OptimizeError::WasmOpt(format!("{}: {last}", run.status)));
    }
    std::fs::read(&output).map_err(|e| OptimizeError::WasmOpt(e.to_string()))
}

fn tempdir() -> Result<PathBuf, OptimizeError> {
    let dir = std::env::temp_dir().join(format!("orderflow-compose-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| OptimizeError::WasmOpt(e.to_string()))?;
    Ok(dir)
}

/// An unsigned LEB128 `u32` and the bytes it took.
fn read_leb_u32(bytes: &[u8]) -> Option<(u32, usize)> {
    let mut value: u32 = 0;
    for (i, &byte) in bytes.iter().enumerate().take(5) {
        value |= u32::from(byte & 0x7f).checked_shl(7 * i as u32)?;
        if byte & 0x80 == 0 {
            return Some((value, i + 1));
        }
    }
    None
}

fn write_leb_u32(out: &mut Vec<u8>, mut value: usize) {
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leb128_round_trips() {
        for value in [0usize, 1, 127, 128, 300, 16_384, 1 << 20, u32::MAX as usize] {
            let mut out = Vec::new();
            write_leb_u32(&mut out, value);
            assert_eq!(read_leb_u32(&out), Some((value as u32, out.len())));
        }
        assert_eq!(read_leb_u32(&[0x80, 0x80]), None);
    }

    #[test]
    fn every_byte_outside_large_modules_is_copied_and_nested_components_are_walked() {
        let big = format!(
            "(core module (memory 1) (data (i32.const 0) \"{}\"))",
            "x".repeat(SMALLEST_MODULE_WORTH_OPTIMISING)
        );
        let component = wat::parse_str(format!(
            "(component (core module (func)) (component {big}) {big})"
        ))
        .unwrap();
        let mut seen = Vec::new();
        let copied = rewrite(&component, 0, &mut |module| {
            seen.push(module.len());
            Ok(module.to_vec())
        })
        .unwrap();
        assert_eq!(copied, component, "an identity shrink changes nothing");
        assert_eq!(
            seen.len(),
            2,
            "both large modules, nested or not; not the small one"
        );
        let shrunk = rewrite(&component, 0, &mut |_| {
            Ok(wat::parse_str("(module)").unwrap())
        })
        .unwrap();
        assert!(shrunk.len() < component.len() / 2);
        wasmparser::Validator::new_with_features(wasmparser::WasmFeatures::all())
            .validate_all(&shrunk)
            .unwrap();
    }

    #[test]
    fn truncated_binaries_are_refused() {
        let component = wat::parse_str("(component (core module (func)))").unwrap();
        let cut = &component[..component.len() - 1];
        assert!(matches!(
            rewrite(cut, 0, &mut |m| Ok(m.to_vec())),
            Err(OptimizeError::Malformed(_))
        ));
    }
}
