//! Plugs one component's exports into another's imports with `wac-graph` and checks that every
//! required interface was actually plugged: a handler that still imports the orders interface
//! would only fail later, on the host, at instantiation.

use std::path::Path;

use wac_graph::types::Package;
use wac_graph::{CompositionGraph, EncodeOptions, PackageId};

/// A composed component and what it still needs from the host.
#[derive(Debug)]
pub(crate) struct Composition {
    /// The encoded, validated component.
    pub(crate) bytes: Vec<u8>,
    /// The socket's imports the plug satisfied.
    pub(crate) plugged: Vec<String>,
    /// What the composed component imports (the host must provide these).
    pub(crate) imports: Vec<String>,
    /// What it exports.
    pub(crate) exports: Vec<String>,
}

/// Why two components could not be composed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ComposeError {
    /// A file could not be read.
    #[error("cannot read {role} `{path}`: {source}")]
    Read {
        role: &'static str,
        path: String,
        source: std::io::Error,
    },
    /// A file is not a WebAssembly component (a core module, or garbage).
    #[error("{role} `{path}` is not a valid WebAssembly component: {reason}")]
    NotAComponent {
        role: &'static str,
        path: String,
        reason: String,
    },
    /// The plug does not export a required interface.
    #[error(
        "the plug `{path}` does not export `{interface}`; it exports: {}",
        list(exports)
    )]
    MissingExport {
        path: String,
        interface: String,
        exports: Vec<String>,
    },
    /// The socket does not import a required interface.
    #[error(
        "the socket `{path}` does not import `{interface}`; it imports: {}",
        list(imports)
    )]
    MissingImport {
        path: String,
        interface: String,
        imports: Vec<String>,
    },
    /// Both name the interface, but with types that do not match.
    #[error(
        "the plug's export `{interface}` does not match the socket's import of it \
         (were both built from the same WIT?)"
    )]
    Incompatible { interface: String },
    /// wac-graph refused the graph or its encoding.
    #[error("composition failed: {0}")]
    Graph(String),
}

fn list(names: &[String]) -> String {
    if names.is_empty() {
        "nothing".to_owned()
    } else {
        names.join(", ")
    }
}

/// Reads both files and composes them; see [`compose`].
pub(crate) fn compose_files(
    plug: &Path,
    socket: &Path,
    interfaces: &[String],
) -> Result<Composition, ComposeError> {
    let read = |role, path: &Path| {
        std::fs::read(path).map_err(|source| ComposeError::Read {
            role,
            path: path.display().to_string(),
            source,
        })
    };
    let plug_bytes = read("plug", plug)?;
    let socket_bytes = read("socket", socket)?;
    compose(
        Input {
            path: &plug.display().to_string(),
            bytes: plug_bytes,
        },
        Input {
            path: &socket.display().to_string(),
            bytes: socket_bytes,
        },
        interfaces,
    )
}

/// One component given to [`compose`]; the path is only for messages.
#[derive(Debug)]
pub(crate) struct Input<'a> {
    pub(crate) path: &'a str,
    pub(crate) bytes: Vec<u8>,
}

/// Plugs `plug`'s exports into `socket`'s imports and encodes the result, which exports what the
/// socket exports. Every name in `interfaces` must be exported by the plug, imported by the
/// socket, and plugged.
pub(crate) fn compose(
    plug: Input<'_>,
    socket: Input<'_>,
    interfaces: &[String],
) -> Result<Composition, ComposeError> {
    let mut graph = CompositionGraph::new();
    let plug_id = register(&mut graph, "orderflow:plug", "plug", plug.path, plug.bytes)?;
    let socket_id = register(
        &mut graph,
        "orderflow:socket",
        "socket",
        socket.path,
        socket.bytes,
    )?;

    let plug_exports = world_names(&graph, plug_id, Side::Exports);
    let socket_imports = world_names(&graph, socket_id, Side::Imports);
    for interface in interfaces {
        if !plug_exports.contains(interface) {
            return Err(ComposeError::MissingExport {
                path: plug.path.to_owned(),
                interface: interface.clone(),
                exports: plug_exports,
            });
        }
        if !socket_imports.contains(interface) {
            return Err(ComposeError::MissingImport {
                path: socket.path.to_owned(),
                interface: interface.clone(),
                imports: socket_imports,
            });
        }
    }

    wac_graph::plug(&mut graph, vec![plug_id], socket_id).map_err(|error| match error {
        wac_graph::PlugError::NoPlugHappened => ComposeError::Incompatible {
            interface: interfaces.join(", "),
        },
        wac_graph::PlugError::GraphError { source } => ComposeError::Graph(format!("{source:#}")),
    })?;
    let bytes = graph
        .encode(EncodeOptions::default())
        .map_err(|error| ComposeError::Graph(error.to_string()))?;

    // Read the result back: what it imports is what the host has to provide.
    let mut check = CompositionGraph::new();
    let composed = register(
        &mut check,
        "orderflow:composed",
        "result",
        "",
        bytes.clone(),
    )?;
    let imports = world_names(&check, composed, Side::Imports);
    let exports = world_names(&check, composed, Side::Exports);
    if let Some(interface) = interfaces.iter().find(|name| imports.contains(name)) {
        return Err(ComposeError::Incompatible {
            interface: interface.clone(),
        });
    }
    let plugged = socket_imports
        .into_iter()
        .filter(|name| plug_exports.contains(name) && !imports.contains(name))
        .collect();
    Ok(Composition {
        bytes,
        plugged,
        imports,
        exports,
    })
}

fn register(
    graph: &mut CompositionGraph,
    name: &str,
    role: &'static str,
    path: &str,
    bytes: Vec<u8>,
) -> Result<PackageId, ComposeError> {
    let not_a_component = |reason: String| ComposeError::NotAComponent {
        role,
        path: path.to_owned(),
        reason,
    };
    let package = Package::from_bytes(name, None, bytes, graph.types_mut())
        .map_err(|error| not_a_component(format!("{error:#}")))?;
    graph
        .register_package(package)
        .map_err(|error| not_a_component(error.to_string()))
}

#[derive(Debug, Clone, Copy)]
enum Side {
    Imports,
    Exports,
}

fn world_names(graph: &CompositionGraph, package: PackageId, side: Side) -> Vec<String> {
    let world = &graph.types()[graph[package].ty()];
    let names = match side {
        Side::Imports => &world.imports,
        Side::Exports => &world.exports,
    };
    names.keys().cloned().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const ORDERS: &str = "orderflow:core/orders@0.1.0";

    /// A service-shaped plug: exports `orderflow:core/orders@0.1.0` with `count: func() -> u32`,
    /// importing nothing.
    fn plug(interface: &str, result: &str) -> Vec<u8> {
        let core = if result == "u64" { "i64" } else { "i32" };
        component(&format!(
            r#"(component
                (core module $m (func (export "count") (result {core}) {core}.const 7))
                (core instance $i (instantiate $m))
                (func $count (result {result}) (canon lift (core func $i "count")))
                (instance $orders (export "count" (func $count)))
                (export "{interface}" (instance $orders)))"#
        ))
    }

    /// A handler-shaped socket: imports the orders interface and a host interface, exports
    /// `run` calling `count`.
    fn socket(interface: &str) -> Vec<u8> {
        component(&format!(
            r#"(component
                (import "{interface}" (instance $orders (export "count" (func (result u32)))))
                (import "wasi:random/random@0.2.0"
                    (instance $random (export "get-random-u64" (func (result u64)))))
                (core func $count (canon lower (func $orders "count")))
                (core module $m
                    (import "orders" "count" (func $count (result i32)))
                    (func (export "run") (result i32) call $count))
                (core instance $imports (export "count" (func $count)))
                (core instance $i (instantiate $m (with "orders" (instance $imports))))
                (func $run (result u32) (canon lift (core func $i "run")))
                (instance $handler (export "run" (func $run)))
                (export "wasi:http/incoming-handler@0.2.0" (instance $handler)))"#
        ))
    }

    fn component(text: &str) -> Vec<u8> {
        match wat::parse_str(text) {
            Ok(bytes) => bytes,
            Err(error) => panic!("fixture does not parse: {error}"),
        }
    }

    fn input(path: &str, bytes: Vec<u8>) -> Input<'_> {
        Input { path, bytes }
    }

    fn orders() -> Vec<String> {
        vec![ORDERS.to_owned()]
    }

    #[test]
    fn the_composed_component_keeps_only_the_host_imports_and_the_socket_exports() {
        let composed = compose(
            input("service.wasm", plug(ORDERS, "u32")),
            input("handler.wasm", socket(ORDERS)),
            &orders(),
        );
        let composed = match composed {
            Ok(composed) => composed,
            Err(error) => panic!("composition failed: {error}"),
        };
        assert_eq!(composed.plugged, [ORDERS]);
        assert_eq!(composed.imports, ["wasi:random/random@0.2.0"]);
        assert_eq!(composed.exports, ["wasi:http/incoming-handler@0.2.0"]);
        assert!(wasm_is_component(&composed.bytes));
    }

    fn wasm_is_component(bytes: &[u8]) -> bool {
        wac_graph::types::Package::from_bytes(
            "t:t",
            None,
            bytes.to_vec(),
            CompositionGraph::new().types_mut(),
        )
        .is_ok()
    }

    #[test]
    fn a_plug_without_the_interface_is_named_with_what_it_exports() {
        let error = compose(
            input("service.wasm", plug("orderflow:core/other@0.1.0", "u32")),
            input("handler.wasm", socket(ORDERS)),
            &orders(),
        );
        let message = error.map(|_| ()).err().map(|e| e.to_string());
        assert_eq!(
            message.as_deref(),
            Some(
                "the plug `service.wasm` does not export `orderflow:core/orders@0.1.0`; \
                 it exports: orderflow:core/other@0.1.0"
            )
        );
    }

    #[test]
    fn a_socket_without_the_import_is_named_with_what_it_imports() {
        let error = compose(
            input("service.wasm", plug(ORDERS, "u32")),
            input("handler.wasm", socket("orderflow:core/other@0.1.0")),
            &orders(),
        );
        assert!(matches!(
            error,
            Err(ComposeError::MissingImport { ref interface, ref imports, .. })
                if interface == ORDERS && imports.len() == 2
        ));
    }

    #[test]
    fn mismatched_types_are_refused_instead_of_leaving_the_import_open() {
        let error = compose(
            input("service.wasm", plug(ORDERS, "u64")),
            input("handler.wasm", socket(ORDERS)),
            &orders(),
        );
        assert!(matches!(
            error,
            Err(ComposeError::Incompatible { ref interface }) if interface == ORDERS
        ));
    }

    #[test]
    fn a_core_module_is_not_a_component() {
        let error = compose(
            input("service.wasm", component("(module)")),
            input("handler.wasm", socket(ORDERS)),
            &orders(),
        );
        assert!(matches!(
            error,
            Err(ComposeError::NotAComponent { role: "plug", .. })
        ));
    }

    #[test]
    fn unreadable_files_are_named() {
        let error = compose_files(
            Path::new("/nonexistent/service.wasm"),
            Path::new("/nonexistent/handler.wasm"),
            &orders(),
        );
        let message = error.map(|_| ()).err().map(|e| e.to_string());
        assert!(
            message
                .as_deref()
                .is_some_and(|m| m.starts_with("cannot read plug `/nonexistent/service.wasm`")),
            "{message:?}"
        );
    }
}
