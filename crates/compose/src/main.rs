//! `orderflow-compose`: the build step that turns a handler component (importing
//! `orderflow:core/orders`) and the orders-service component (exporting it) into one
//! self-contained component, as spin.toml's build commands run it. It uses `wac-graph` only:
//! no wasmtime, so `spin build` stays quick.

mod args;
mod compose;
mod optimize;

use std::process::ExitCode;

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
