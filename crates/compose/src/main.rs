//! `orderflow-compose`: the build step that turns a handler component (importing
//! `orderflow:core/orders`) and the orders-service component (exporting it) into one
//! self-contained component, as spin.toml's build commands run it. It uses `wac-graph` only:
//! no wasmtime, so `spin build` stays quick.

mod args;
mod compose;
mod optimize;

use std::path::Path;
use std::process::ExitCode;
use std::time::SystemTime;

fn main() -> ExitCode {
    let args = match args::parse(std::env::args_os().skip(1)) {
        Ok(args::Command::Compose(args)) => args,
        Ok(args::Command::Help) => {
            eprintln!("{}", args::USAGE);
            return ExitCode::SUCCESS;
        }
        Err(error) => {
            eprintln!("orderflow-compose: {error}\n\n{}", args::USAGE);
            return ExitCode::from(2);
        }
    };
    // Build commands run on every `spin build` and every test binary: an output newer than both
    // inputs and than this program is left as it is (composing and wasm-opt take seconds).
    let this_program = std::env::current_exe().ok();
    let inputs = [
        Some(args.plug.as_path()),
        Some(args.socket.as_path()),
        this_program.as_deref(),
    ];
    if is_up_to_date(&args.output, inputs.into_iter().flatten()) {
        eprintln!("orderflow-compose: {} is up to date", args.output.display());
        return ExitCode::SUCCESS;
    }
    let mut composition = match compose::compose_files(&args.plug, &args.socket, &args.interfaces) {
        Ok(composition) => composition,
        Err(error) => {
            eprintln!("orderflow-compose: {error}");
            return ExitCode::FAILURE;
        }
    };
    let composed_size = composition.bytes.len();
    let optimized = if !args.optimize {
        "not optimised (--no-optimize)".to_owned()
    } else if let Some(wasm_opt) = optimize::find_wasm_opt() {
        match optimize::optimize(&composition.bytes, &wasm_opt) {
            Ok(bytes) => {
                composition.bytes = bytes;
                format!(
                    "wasm-opt -Oz: {composed_size} -> {} bytes",
                    composition.bytes.len()
                )
            }
            Err(error) => {
                eprintln!("orderflow-compose: {error}");
                return ExitCode::FAILURE;
            }
        }
    } else {
        "not optimised: wasm-opt not found (apt-get install binaryen)".to_owned()
    };
    if let Some(parent) = args.output.parent().filter(|p| !p.as_os_str().is_empty())
        && let Err(error) = std::fs::create_dir_all(parent)
    {
        eprintln!(
            "orderflow-compose: cannot create `{}`: {error}",
            parent.display()
        );
        return ExitCode::FAILURE;
    }
    if let Err(error) = std::fs::write(&args.output, &composition.bytes) {
        eprintln!(
            "orderflow-compose: cannot write `{}`: {error}",
            args.output.display()
        );
        return ExitCode::FAILURE;
    }
    eprintln!(
        "orderflow-compose: wrote {} ({} bytes; {optimized})\n  plugged: {}\n  imports: {}\n  exports: {}",
        args.output.display(),
        composition.bytes.len(),
        composition.plugged.join(", "),
        composition.imports.join(", "),
        composition.exports.join(", "),
    );
    ExitCode::SUCCESS
}

/// Whether `output` exists and was modified after every one of `inputs` (a missing input or an
/// unreadable time counts as newer: compose again).
fn is_up_to_date<'a>(output: &Path, inputs: impl IntoIterator<Item = &'a Path>) -> bool {
    let modified = |path: &Path| std::fs::metadata(path).and_then(|m| m.modified()).ok();
    let Some(built) = modified(output) else {
        return false;
    };
    inputs
        .into_iter()
        .all(|input| modified(input).is_some_and(|t: SystemTime| t < built))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn an_output_is_up_to_date_only_when_newer_than_every_input() {
        let dir = std::env::temp_dir().join(format!("compose-up-to-date-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let (input, output) = (dir.join("in.wasm"), dir.join("out.wasm"));
        let at = |path: &Path, seconds: u64| {
            std::fs::write(path, b"x").unwrap();
            let time = SystemTime::UNIX_EPOCH + Duration::from_secs(seconds);
            std::fs::File::options()
                .write(true)
                .open(path)
                .unwrap()
                .set_modified(time)
                .unwrap();
        };
        assert!(!is_up_to_date(&output, [input.as_path()]), "no output yet");
        at(&input, 1_000);
        at(&output, 2_000);
        assert!(is_up_to_date(&output, [input.as_path()]));
        at(&input, 3_000);
        assert!(
            !is_up_to_date(&output, [input.as_path()]),
            "the input changed since"
        );
        assert!(!is_up_to_date(
            &output,
            [dir.join("missing.wasm").as_path()]
        ));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
