//! Reads a Spin manifest (`spin.toml`, `spin_manifest_version = 2`) into an [`App`].
//!
//! Only the keys this project uses are accepted (docs/architecture.md, "The local runner"); any
//! other key is an error naming the key and its line, so nothing in a manifest is silently ignored.
//! The schema follows spinframework/spin `crates/manifest/src/schema/v2.rs` (v3.6.3).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use crate::routes::RouteConfig;
use crate::variables::{self, Template};

/// Why a manifest could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The manifest path.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The TOML is malformed or has a key the runner does not support.
    #[error("{path}: {message}")]
    Syntax {
        /// The manifest path.
        path: PathBuf,
        /// toml's message, which names the line, the column and the key.
        message: String,
    },
    /// The TOML is well formed but says something the runner cannot honour.
    #[error("{path}:{line}: {message}")]
    Invalid {
        /// The manifest path.
        path: PathBuf,
        /// The 1-based line of the offending key.
        line: usize,
        /// What is wrong.
        message: String,
    },
}

/// A validated application: every reference resolved, every path absolute.
#[derive(Debug, Clone)]
pub struct App {
    /// The directory holding the manifest; relative paths start here.
    pub dir: PathBuf,
    /// `[application] name`.
    pub name: String,
    /// `[application.trigger.http] base`, "/" by default.
    pub http_base: String,
    /// Application variables (`[variables]`), by name.
    pub variables: BTreeMap<String, VariableDecl>,
    /// `[[trigger.http]]` entries in manifest order.
    pub http_triggers: Vec<HttpTrigger>,
    /// `[[trigger.cron]]` entries in manifest order.
    pub cron_triggers: Vec<CronTrigger>,
    /// `[component.<id>]` tables, by id.
    pub components: BTreeMap<String, Component>,
}

/// An application variable declaration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VariableDecl {
    /// The default value; `None` means the variable is required.
    pub default: Option<String>,
    /// Whether the value is a secret (never logged).
    pub secret: bool,
}

/// One `[[trigger.http]]`.
#[derive(Debug, Clone)]
pub struct HttpTrigger {
    /// The route pattern, or a private endpoint.
    pub route: RouteConfig,
    /// The component id it runs.
    pub component: String,
}

/// One `[[trigger.cron]]`, as spinframework/spin-trigger-cron reads it.
#[derive(Debug, Clone)]
pub struct CronTrigger {
    /// The component id it runs.
    pub component: String,
    /// Six fields, seconds first, UTC.
    pub cron_expression: String,
}

/// One `[component.<id>]`.
#[derive(Debug, Clone)]
pub struct Component {
    /// The component id (the table key).
    pub id: String,
    /// The `.wasm` file, absolute.
    pub source: PathBuf,
    /// `allowed_outbound_hosts`, unresolved (they may contain `{{ var }}`).
    pub allowed_outbound_hosts: Vec<Template>,
    /// `key_value_stores`: the store labels this component may open.
    pub key_value_stores: Vec<String>,
    /// `environment`: variables set in the guest's WASI environment.
    pub environment: BTreeMap<String, String>,
    /// `variables`: the component's own variables, as templates over application variables.
    pub variables: BTreeMap<String, Template>,
    /// `[component.<id>.build]`.
    pub build: Option<BuildConfig>,
}

/// `[component.<id>.build]`.
#[derive(Debug, Clone)]
pub struct BuildConfig {
    /// The shell command that produces `source`.
    pub command: String,
    /// Where it runs (absolute); the manifest directory by default.
    pub workdir: PathBuf,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawManifest {
    spin_manifest_version: Spanned<toml::Value>,
    application: RawApplication,
    #[serde(default)]
    variables: BTreeMap<Spanned<String>, RawVariable>,
    #[serde(default)]
    trigger: RawTriggers,
    #[serde(default)]
    component: BTreeMap<Spanned<String>, RawComponent>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawApplication {
    name: String,
    #[serde(default)]
    #[expect(
        dead_code,
        reason = "accepted for compatibility with Spin manifests; unused"
    )]
    version: Option<String>,
    #[serde(default)]
    #[expect(
        dead_code,
        reason = "accepted for compatibility with Spin manifests; unused"
    )]
    description: Option<String>,
    #[serde(default)]
    #[expect(
        dead_code,
        reason = "accepted for compatibility with Spin manifests; unused"
    )]
    authors: Vec<String>,
    #[serde(default)]
    trigger: RawAppTriggers,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawAppTriggers {
    #[serde(default)]
    http: Option<RawHttpGlobal>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHttpGlobal {
    #[serde(default)]
    base: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawVariable {
    #[serde(default)]
    default: Option<String>,
    #[serde(default)]
    required: bool,
    #[serde(default)]
    secret: bool,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawTriggers {
    #[serde(default)]
    http: Vec<Spanned<RawHttpTrigger>>,
    #[serde(default)]
    cron: Vec<Spanned<RawCronTrigger>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHttpTrigger {
    route: RouteConfig,
    component: Spanned<String>,
    #[serde(default)]
    executor: Option<Spanned<toml::Table>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCronTrigger {
    component: Spanned<String>,
    cron_expression: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawComponent {
    source: Spanned<toml::Value>,
    #[serde(default)]
    #[expect(
        dead_code,
        reason = "accepted for compatibility with Spin manifests; unused"
    )]
    description: Option<String>,
    #[serde(default)]
    allowed_outbound_hosts: Vec<Spanned<String>>,
    #[serde(default)]
    key_value_stores: Vec<String>,
    #[serde(default)]
    environment: BTreeMap<String, String>,
    #[serde(default)]
    variables: BTreeMap<Spanned<String>, Spanned<String>>,
    #[serde(default)]
    build: Option<RawBuild>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBuild {
    command: String,
    #[serde(default)]
    workdir: Option<String>,
    #[serde(default)]
    #[expect(dead_code, reason = "staleness is judged from the whole workdir")]
    watch: Vec<String>,
}

/// Reads and validates the manifest at `path`.
pub fn load(path: &Path) -> Result<App, ManifestError> {
    let text = std::fs::read_to_string(path).map_err(|source| ManifestError::Read {
        path: path.to_owned(),
        source,
    })?;
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map_or_else(|| PathBuf::from("."), Path::to_owned);
    let dir = std::path::absolute(&dir).unwrap_or(dir);
    parse(&text, path, &dir)
}

/// Validates manifest `text`; `path` is only used in messages, `dir` anchors relative paths.
pub fn parse(text: &str, path: &Path, dir: &Path) -> Result<App, ManifestError> {
    let raw: RawManifest = toml::from_str(text).map_err(|e| {
        let mut message = e.to_string();
        if message.contains("unknown field") {
            message.push_str(
                "(orderflow's runner accepts only the manifest keys this project uses: \
                 see docs/architecture.md, \"The local runner\")",
            );
        }
        ManifestError::Syntax {
            path: path.to_owned(),
            message,
        }
    })?;
    let invalid = |span: std::ops::Range<usize>, message: String| ManifestError::Invalid {
        path: path.to_owned(),
        line: line_of(text, span.start),
        message,
    };

    let version = raw.spin_manifest_version.get_ref();
    if version.as_integer() != Some(2) && version.as_str() != Some("2") {
        return Err(invalid(
            raw.spin_manifest_version.span(),
            format!("spin_manifest_version = {version}: only manifest version 2 is supported"),
        ));
    }

    let mut app_vars = BTreeMap::new();
    for (name, var) in raw.variables {
        variables::validate_name(name.get_ref())
            .map_err(|reason| invalid(name.span(), format!("variable {reason}")))?;
        if var.required && var.default.is_some() {
            return Err(invalid(
                name.span(),
                format!(
                    "variable {:?} cannot be both required and have a default",
                    name.get_ref()
                ),
            ));
        }
        if !var.required && var.default.is_none() {
            return Err(invalid(
                name.span(),
                format!(
                    "variable {:?} needs `default = \"...\"` or `required = true`",
                    name.get_ref()
                ),
            ));
        }
        app_vars.insert(
            name.into_inner(),
            VariableDecl {
                default: var.default,
                secret: var.secret,
            },
        );
    }

    let mut components = BTreeMap::new();
    for (id, c) in raw.component {
        let source = match c.source.get_ref().as_str() {
            Some(s) => dir.join(s),
            None => {
                return Err(invalid(
                    c.source.span(),
                    format!(
                        "component {:?}: `source` must be a local .wasm path (URL and registry sources are not supported)",
                        id.get_ref()
                    ),
                ));
            }
        };
        let mut hosts = Vec::new();
        for host in c.allowed_outbound_hosts {
            let template = Template::parse(host.get_ref())
                .and_then(|t| t.check_references(&app_vars).map(|()| t))
                .map_err(|e| invalid(host.span(), format!("allowed_outbound_hosts: {e}")))?;
            hosts.push(template);
        }
        let mut vars = BTreeMap::new();
        for (name, value) in c.variables {
            variables::validate_name(name.get_ref())
                .map_err(|reason| invalid(name.span(), format!("component variable {reason}")))?;
            let template = Template::parse(value.get_ref())
                .and_then(|t| t.check_references(&app_vars).map(|()| t))
                .map_err(|e| {
                    invalid(
                        value.span(),
                        format!("component variable {:?}: {e}", name.get_ref()),
                    )
                })?;
            vars.insert(name.into_inner(), template);
        }
        let build = c.build.map(|b| BuildConfig {
            command: b.command,
            workdir: b.workdir.map_or_else(|| dir.to_owned(), |w| dir.join(w)),
        });
        let id = id.into_inner();
        components.insert(
            id.clone(),
            Component {
                id,
                source,
                allowed_outbound_hosts: hosts,
                key_value_stores: c.key_value_stores,
                environment: c.environment,
                variables: vars,
                build,
            },
        );
    }

    let known = |component: &Spanned<String>| {
        if components.contains_key(component.get_ref()) {
            Ok(component.get_ref().clone())
        } else {
            Err(invalid(
                component.span(),
                format!(
                    "trigger names component {:?}, which has no [component.{}] table",
                    component.get_ref(),
                    component.get_ref()
                ),
            ))
        }
    };
    let mut http_triggers = Vec::new();
    for t in raw.trigger.http {
        let span = t.span();
        let t = t.into_inner();
        if let Some(executor) = &t.executor {
            let kind = executor.get_ref().get("type").and_then(toml::Value::as_str);
            if kind != Some("wasi") {
                return Err(invalid(
                    span,
                    "executor: only the default wasi:http executor is supported".to_owned(),
                ));
            }
        }
        http_triggers.push(HttpTrigger {
            component: known(&t.component)?,
            route: t.route,
        });
    }
    let mut cron_triggers = Vec::new();
    for t in raw.trigger.cron {
        let t = t.into_inner();
        crate::cron::parse(t.cron_expression.get_ref())
            .map_err(|e| invalid(t.cron_expression.span(), e.to_string()))?;
        cron_triggers.push(CronTrigger {
            component: known(&t.component)?,
            cron_expression: t.cron_expression.into_inner(),
        });
    }

    Ok(App {
        dir: dir.to_owned(),
        name: raw.application.name,
        http_base: raw
            .application
            .trigger
            .http
            .and_then(|h| h.base)
            .unwrap_or_else(|| "/".to_owned()),
        variables: app_vars,
        http_triggers,
        cron_triggers,
        components,
    })
}

/// The 1-based line holding byte `offset` of `text`.
fn line_of(text: &str, offset: usize) -> usize {
    text.get(..offset).map_or(0, |t| t.matches('\n').count()) + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_str(text: &str) -> Result<App, ManifestError> {
        parse(text, Path::new("spin.toml"), Path::new("/app"))
    }

    const GOOD: &str = r#"
spin_manifest_version = 2

[application]
name = "shop"

[variables]
api_token = { required = true, secret = true }
greeting = { default = "hi" }

[[trigger.http]]
route = "/orders/..."
component = "orders"

[[trigger.http]]
route = { private = true }
component = "orders"

[[trigger.cron]]
component = "ticker"
cron_expression = "*/5 * * * * *"

[component.orders]
source = "target/orders.wasm"
key_value_stores = ["default"]
allowed_outbound_hosts = ["https://{{ greeting }}.example.com"]
variables = { token = "{{ api_token }}", hello = "{{greeting}}, world" }
[component.orders.build]
command = "cargo build"
workdir = "components/orders"

[component.ticker]
source = "ticker.wasm"
"#;

    #[test]
    fn a_manifest_using_every_supported_key_is_read() {
        let app = parse_str(GOOD).unwrap();
        assert_eq!(app.name, "shop");
        assert_eq!(app.http_triggers.len(), 2);
        assert_eq!(app.cron_triggers[0].cron_expression, "*/5 * * * * *");
        let orders = &app.components["orders"];
        assert_eq!(orders.source, Path::new("/app/target/orders.wasm"));
        assert_eq!(orders.key_value_stores, ["default"]);
        assert_eq!(
            orders.build.as_ref().unwrap().workdir,
            Path::new("/app/components/orders")
        );
        assert_eq!(app.variables["api_token"].default, None);
    }

    #[test]
    fn an_unsupported_key_is_named_with_its_line() {
        let text = GOOD.replace(
            "key_value_stores = [\"default\"]",
            "sqlite_databases = [\"default\"]",
        );
        let err = parse_str(&text).unwrap_err().to_string();
        assert!(err.contains("sqlite_databases"), "{err}");
        assert!(err.contains("line 25"), "{err}");
        assert!(err.contains("docs/architecture.md"), "{err}");
    }

    #[test]
    fn a_trigger_naming_a_missing_component_points_at_its_line() {
        let text = GOOD.replace("component = \"ticker\"", "component = \"tickr\"");
        let err = parse_str(&text).unwrap_err().to_string();
        assert_eq!(
            err,
            "spin.toml:20: trigger names component \"tickr\", which has no [component.tickr] table"
        );
    }

    #[test]
    fn a_template_naming_an_undeclared_variable_is_refused() {
        let text = GOOD.replace("{{ api_token }}", "{{ api_tokn }}");
        let err = parse_str(&text).unwrap_err().to_string();
        assert!(err.starts_with("spin.toml:27:"), "{err}");
        assert!(err.contains("api_tokn"), "{err}");
    }

    #[test]
    fn a_cron_expression_the_plugin_would_refuse_is_refused() {
        let text = GOOD.replace("*/5 * * * * *", "*/5 * * * *");
        let err = parse_str(&text).unwrap_err().to_string();
        assert!(err.starts_with("spin.toml:21:"), "{err}");
    }

    #[test]
    fn only_manifest_version_2_is_read() {
        let text = GOOD.replace("spin_manifest_version = 2", "spin_manifest_version = \"1\"");
        let err = parse_str(&text).unwrap_err().to_string();
        assert!(err.contains("only manifest version 2"), "{err}");
    }
}
