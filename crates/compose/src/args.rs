//! The command line: `--plug <service.wasm> --socket <handler.wasm> -o <out.wasm>
//! [--interface <name>]...`. Hand-rolled so the build step compiles in seconds.

use std::ffi::OsString;
use std::path::PathBuf;

/// The interface a handler imports from the orders service, when `--interface` is not given.
pub(crate) const DEFAULT_INTERFACE: &str = "orderflow:core/orders@0.1.0";

/// What to compose, and where to write it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Args {
    /// The component whose exports satisfy the socket's imports (the orders service).
    pub(crate) plug: PathBuf,
    /// The component that imports them (an HTTP handler).
    pub(crate) socket: PathBuf,
    /// Where the composed component goes.
    pub(crate) output: PathBuf,
    /// Interfaces that must be plugged; the composition fails naming any that is not.
    pub(crate) interfaces: Vec<String>,
    /// Pass the core modules through `wasm-opt -Oz` when it is installed (`--no-optimize`: never).
    pub(crate) optimize: bool,
}

/// What the command line asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Command {
    /// Compose.
    Compose(Args),
    /// Print the usage and exit successfully.
    Help,
}

/// The usage text, also shown after every argument error.
pub(crate) const USAGE: &str = "\
usage: orderflow-compose --plug <service.wasm> --socket <handler.wasm> -o <out.wasm> [--interface <name>]... [--no-optimize]

Plugs the exports of the plug component (the orders service) into the imports of the socket
component (an HTTP handler) and writes one self-contained component. An output newer than both
inputs (and than this program) is left as it is; delete it to compose again.

  --plug <file>        the component exporting the interface(s)
  --socket <file>      the component importing them
  -o, --output <file>  where to write the composed component
  --interface <name>   an interface that must be plugged (repeatable);
                       default: orderflow:core/orders@0.1.0
  --no-optimize        do not run binaryen's wasm-opt -Oz on the core modules
                       (by default it runs when `$WASM_OPT` or `wasm-opt` is found)
  -h, --help           this text";

/// A command line that cannot be understood.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum ArgsError {
    /// A flag nobody defined.
    #[error("unknown argument `{0}`")]
    Unknown(String),
    /// A flag given without its value.
    #[error("`{0}` needs a value")]
    MissingValue(&'static str),
    /// A required flag that is absent.
    #[error("`{0}` is required")]
    Required(&'static str),
    /// A flag given twice.
    #[error("`{0}` was given more than once")]
    Repeated(&'static str),
    /// An interface name that is not valid UTF-8 or is empty.
    #[error("`--interface` needs a non-empty UTF-8 name such as `{DEFAULT_INTERFACE}`")]
    BadInterface,
}

/// Parses the arguments after the program name.
pub(crate) fn parse<I>(args: I) -> Result<Command, ArgsError>
where
    I: IntoIterator<Item = OsString>,
{
    let mut plug = None;
    let mut socket = None;
    let mut output = None;
    let mut interfaces = Vec::new();
    let mut optimize = true;
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let Some(flag) = arg.to_str() else {
            return Err(ArgsError::Unknown(arg.to_string_lossy().into_owned()));
        };
        // `--flag=value` as well as `--flag value`.
        let (flag, inline) = match flag.split_once('=') {
            Some((flag, value)) if flag.starts_with("--") => (flag, Some(OsString::from(value))),
            Some(_) | None => (flag, None),
        };
        let (slot, name) = match flag {
            "-h" | "--help" => return Ok(Command::Help),
            "--no-optimize" if inline.is_none() => {
                optimize = false;
                continue;
            }
            "--plug" => (&mut plug, "--plug"),
            "--socket" => (&mut socket, "--socket"),
            "-o" | "--output" => (&mut output, "--output"),
            "--interface" => {
                let value = inline
                    .or_else(|| args.next())
                    .ok_or(ArgsError::MissingValue("--interface"))?;
                match value.into_string() {
                    Ok(name) if !name.is_empty() => interfaces.push(name),
                    Ok(_) | Err(_) => return Err(ArgsError::BadInterface),
                }
                continue;
            }
            other => return Err(ArgsError::Unknown(other.to_owned())),
        };
        let value = inline
            .or_else(|| args.next())
            .ok_or(ArgsError::MissingValue(name))?;
        if slot.replace(PathBuf::from(value)).is_some() {
            return Err(ArgsError::Repeated(name));
        }
    }
    if interfaces.is_empty() {
        interfaces.push(DEFAULT_INTERFACE.to_owned());
    }
    Ok(Command::Compose(Args {
        plug: plug.ok_or(ArgsError::Required("--plug"))?,
        socket: socket.ok_or(ArgsError::Required("--socket"))?,
        output: output.ok_or(ArgsError::Required("--output"))?,
        interfaces,
        optimize,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_strs(args: &[&str]) -> Result<Command, ArgsError> {
        parse(args.iter().map(OsString::from))
    }

    #[test]
    fn the_three_paths_are_read_and_the_orders_interface_is_the_default() {
        let command = parse_strs(&["--plug", "s.wasm", "--socket", "h.wasm", "-o", "out.wasm"]);
        assert_eq!(
            command,
            Ok(Command::Compose(Args {
                plug: "s.wasm".into(),
                socket: "h.wasm".into(),
                output: "out.wasm".into(),
                interfaces: vec![DEFAULT_INTERFACE.to_owned()],
                optimize: true,
            }))
        );
        let command = parse_strs(&["--no-optimize", "--plug=s", "--socket=h", "-o", "o"]);
        assert!(matches!(
            command,
            Ok(Command::Compose(Args {
                optimize: false,
                ..
            }))
        ));
    }

    #[test]
    fn flags_accept_inline_values_and_interfaces_repeat() {
        let command = parse_strs(&[
            "--socket=h.wasm",
            "--output=o.wasm",
            "--plug=p.wasm",
            "--interface",
            "a:b/c",
            "--interface=a:b/d@1.0.0",
        ]);
        let Ok(Command::Compose(args)) = command else {
            panic!("not parsed: {command:?}");
        };
        assert_eq!(args.plug, PathBuf::from("p.wasm"));
        assert_eq!(args.interfaces, ["a:b/c", "a:b/d@1.0.0"]);
    }

    #[test]
    fn each_missing_flag_is_named() {
        assert_eq!(
            parse_strs(&["--socket", "h", "-o", "o"]),
            Err(ArgsError::Required("--plug"))
        );
        assert_eq!(
            parse_strs(&["--plug", "p", "-o", "o"]),
            Err(ArgsError::Required("--socket"))
        );
        assert_eq!(
            parse_strs(&["--plug", "p", "--socket", "h"]),
            Err(ArgsError::Required("--output"))
        );
        assert_eq!(
            parse_strs(&["--plug"]),
            Err(ArgsError::MissingValue("--plug"))
        );
    }

    #[test]
    fn unknown_and_repeated_flags_are_refused() {
        assert_eq!(
            parse_strs(&["--plugs", "p"]),
            Err(ArgsError::Unknown("--plugs".to_owned()))
        );
        assert_eq!(
            parse_strs(&["--plug", "p", "--plug", "q"]),
            Err(ArgsError::Repeated("--plug"))
        );
        assert_eq!(
            parse_strs(&["--interface", ""]),
            Err(ArgsError::BadInterface)
        );
    }

    #[test]
    fn help_wins_over_everything_else() {
        assert_eq!(parse_strs(&["--plug", "p", "-h"]), Ok(Command::Help));
    }
}
