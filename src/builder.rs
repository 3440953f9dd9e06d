//! `orderflow build`: runs each component's `[component.<id>.build] command` when its `.wasm` is
//! missing or older than a file in its build directory, as `spin build` would (Spin always
//! rebuilds; skipping fresh components keeps `orderflow up` fast). Adds the `wasm32-wasip2`
//! target through rustup first when a command needs it and it is missing.

use std::path::Path;
use std::process::Command;
use std::time::SystemTime;

use crate::manifest::{App, Component};

/// Why a build failed.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// The command could not be started.
    #[error("component {component:?}: cannot run `{command}`: {source}")]
    Spawn {
        /// The component id.
        component: String,
        /// The command.
        command: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The command ran and failed.
    #[error("component {component:?}: `{command}` failed ({status})")]
    Failed {
        /// The component id.
        component: String,
        /// The command.
        command: String,
        /// Its exit status.
        status: std::process::ExitStatus,
    },
    /// The command succeeded but the `.wasm` is still missing.
    #[error("component {component:?}: `{command}` succeeded but {path} does not exist")]
    NoOutput {
        /// The component id.
        component: String,
        /// The command.
        command: String,
        /// The expected file.
        path: String,
    },
    /// rustup could not add the target.
    #[error("cannot add the wasm32-wasip2 target: {0} (run `rustup target add wasm32-wasip2`)")]
    Target(String),
}

/// Builds every stale component with a build command; returns the ids it built.
pub fn build(app: &App) -> Result<Vec<String>, BuildError> {
    let stale: Vec<&Component> = app
        .components
        .values()
        .filter(|c| c.build.is_some() && is_stale(c))
        .collect();
    if stale.iter().any(|c| {
        c.build
            .as_ref()
            .is_some_and(|b| b.command.contains("wasm32-wasip2"))
    }) {
        ensure_target()?;
    }
    let mut built = Vec::new();
    for c in stale {
        let Some(b) = &c.build else { continue };
        tracing::info!(component = %c.id, "building: {}", b.command);
        let status = Command::new("sh")
            .arg("-c")
            .arg(&b.command)
            .current_dir(&b.workdir)
            .status()
            .map_err(|source| BuildError::Spawn {
                component: c.id.clone(),
                command: b.command.clone(),
                source,
            })?;
        if !status.success() {
            return Err(BuildError::Failed {
                component: c.id.clone(),
                command: b.command.clone(),
                status,
            });
        }
        if !c.source.exists() {
            return Err(BuildError::NoOutput {
                component: c.id.clone(),
                command: b.command.clone(),
                path: c.source.display().to_string(),
            });
        }
        built.push(c.id.clone());
    }
    Ok(built)
}

/// Missing, or older than some source file under the build's working directory.
fn is_stale(c: &Component) -> bool {
    let Some(build) = &c.build else { return false };
    let Some(built) = modified(&c.source) else {
        return true;
    };
    newest_source(&build.workdir).is_some_and(|newest| newest > built)
}

fn modified(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

/// The newest modification time of the sources under `dir`, skipping build output and state.
fn newest_source(dir: &Path) -> Option<SystemTime> {
    let mut newest = None;
    let mut pending = vec![dir.to_owned()];
    while let Some(dir) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let name = entry.file_name();
            if matches!(
                name.to_str(),
                Some("target" | ".spin" | ".git" | "node_modules")
            ) {
                continue;
            }
            if path.is_dir() {
                pending.push(path);
            } else if let Some(t) = modified(&path) {
                newest = newest.max(Some(t));
            }
        }
    }
    newest
}

fn ensure_target() -> Result<(), BuildError> {
    let installed = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output()
        .map_err(|e| BuildError::Target(e.to_string()))?;
    if String::from_utf8_lossy(&installed.stdout)
        .lines()
        .any(|l| l.trim() == "wasm32-wasip2")
    {
        return Ok(());
    }
    tracing::info!("adding the wasm32-wasip2 target");
    let status = Command::new("rustup")
        .args(["target", "add", "wasm32-wasip2"])
        .status()
        .map_err(|e| BuildError::Target(e.to_string()))?;
    if status.success() {
        Ok(())
    } else {
        Err(BuildError::Target(status.to_string()))
    }
}
