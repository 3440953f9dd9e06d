//! Application variables and `{{ var }}` templates, resolved once at start-up.
//!
//! Providers, highest first: `--variable name=value`, `SPIN_VARIABLE_<NAME>` in the environment,
//! the manifest default. A required variable no provider sets stops the start. Name rules,
//! template syntax and the guest-visible errors follow spinframework/spin
//! `crates/expressions/src/{lib.rs,template.rs}` and `crates/factor-variables/src/host.rs`
//! (v3.6.3).

use std::collections::BTreeMap;

use crate::manifest::{App, VariableDecl};

/// A template or variable problem found while reading the manifest or resolving values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VariableError {
    /// `{{` without `}}`.
    #[error("invalid variable template: unmatched '{{{{' in template")]
    Unmatched,
    /// A template names a variable `[variables]` does not declare.
    #[error("invalid variable template: unknown variable {0:?}")]
    Unknown(String),
    /// A required variable has no value from any provider.
    #[error(
        "variable {name:?} is required but not set: pass `--variable {name}=VALUE` or set {env}"
    )]
    Required {
        /// The variable.
        name: String,
        /// Its environment variable.
        env: String,
    },
    /// A `--variable` argument is not `name=value` or names an undeclared variable.
    #[error("--variable {0:?}: expected NAME=VALUE with NAME declared in [variables]")]
    BadArgument(String),
}

/// What a guest gets from `fermyon:spin/variables.get` when it fails (the WIT `error` variant).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LookupError {
    /// `invalid-name`: not a valid variable name.
    InvalidName(String),
    /// `undefined`: the component has no such variable.
    Undefined(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Lit(String),
    Var(String),
}

/// A string with `{{ name }}` expressions (Spin's `Template`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    parts: Vec<Part>,
}

impl Template {
    /// Splits `text` into literals and `{{ var }}` expressions.
    pub fn parse(text: &str) -> Result<Self, VariableError> {
        let mut parts = Vec::new();
        let mut rest = text;
        while !rest.is_empty() {
            if let Some(expr) = rest.strip_prefix("{{") {
                let (name, after) = expr.split_once("}}").ok_or(VariableError::Unmatched)?;
                parts.push(Part::Var(name.trim().to_owned()));
                rest = after;
            } else {
                let end = rest.find("{{").unwrap_or(rest.len());
                parts.push(Part::Lit(rest[..end].to_owned()));
                rest = &rest[end..];
            }
        }
        Ok(Self { parts })
    }

    /// Fails if an expression names a variable not in `declared`.
    pub fn check_references(
        &self,
        declared: &BTreeMap<String, VariableDecl>,
    ) -> Result<(), VariableError> {
        self.parts.iter().try_for_each(|p| match p {
            Part::Var(name) if !declared.contains_key(name) => {
                Err(VariableError::Unknown(name.clone()))
            }
            Part::Var(_) | Part::Lit(_) => Ok(()),
        })
    }

    /// The template with every expression replaced by its value.
    pub fn render(&self, values: &BTreeMap<String, String>) -> Result<String, VariableError> {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Lit(lit) => out.push_str(lit),
                Part::Var(name) => out.push_str(
                    values
                        .get(name)
                        .ok_or_else(|| VariableError::Unknown(name.clone()))?,
                ),
            }
        }
        Ok(out)
    }
}

/// Checks a variable name with Spin's rules (`Key::validate`); the error reads like Spin's.
pub fn validate_name(name: &str) -> Result<(), String> {
    let reason = if name.is_empty() {
        Some("must not be empty".to_owned())
    } else if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_'))
    {
        Some(format!(
            "invalid character {c:?}. Variable names may contain only lower-case letters, numbers, and underscores."
        ))
    } else if !name.starts_with(|c: char| c.is_ascii_lowercase()) {
        Some("must start with a lowercase ASCII letter".to_owned())
    } else if !name.ends_with(|c: char| c.is_ascii_alphanumeric()) {
        Some("must end with a lowercase ASCII letter or digit".to_owned())
    } else if name.contains("__") {
        Some("must not contain multiple consecutive underscores".to_owned())
    } else {
        None
    };
    match reason {
        Some(reason) => Err(format!("{name:?}: {reason}")),
        None => Ok(()),
    }
}

/// The environment variable that provides `name`.
pub fn env_name(name: &str) -> String {
    format!("SPIN_VARIABLE_{}", name.to_ascii_uppercase())
}

/// Resolves every application variable from the providers.
///
/// `cli` holds `--variable` arguments; `env` looks up the process environment.
pub fn resolve_app(
    app: &App,
    cli: &[String],
    env: impl Fn(&str) -> Option<String>,
) -> Result<BTreeMap<String, String>, VariableError> {
    let mut from_cli = BTreeMap::new();
    for arg in cli {
        let (name, value) = arg
            .split_once('=')
            .filter(|(name, _)| app.variables.contains_key(*name))
            .ok_or_else(|| VariableError::BadArgument(arg.clone()))?;
        from_cli.insert(name.to_owned(), value.to_owned());
    }
    let mut values = BTreeMap::new();
    for (name, decl) in &app.variables {
        let value = from_cli
            .remove(name)
            .or_else(|| env(&env_name(name)))
            .or_else(|| decl.default.clone())
            .ok_or_else(|| VariableError::Required {
                name: name.clone(),
                env: env_name(name),
            })?;
        values.insert(name.clone(), value);
    }
    Ok(values)
}

/// One component's variables, rendered: what `fermyon:spin/variables.get` answers.
#[derive(Debug, Clone, Default)]
pub struct ComponentVariables {
    component: String,
    values: BTreeMap<String, String>,
}

impl ComponentVariables {
    /// Renders `templates` (a component's `variables` table) with the application's values.
    pub fn render(
        component: &str,
        templates: &BTreeMap<String, Template>,
        app_values: &BTreeMap<String, String>,
    ) -> Result<Self, VariableError> {
        let values = templates
            .iter()
            .map(|(k, t)| Ok((k.clone(), t.render(app_values)?)))
            .collect::<Result<_, VariableError>>()?;
        Ok(Self {
            component: component.to_owned(),
            values,
        })
    }

    /// `variables.get(name)` with Spin's errors (`Resolver::resolve` and `Key::new`).
    pub fn get(&self, name: &str) -> Result<String, LookupError> {
        validate_name(name).map_err(LookupError::InvalidName)?;
        if self.values.is_empty() {
            return Err(LookupError::Undefined(format!(
                "no variable for component {:?}",
                self.component
            )));
        }
        self.values.get(name).cloned().ok_or_else(|| {
            LookupError::Undefined(format!("no variable for {:?}.{name:?}", self.component))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn app() -> App {
        crate::manifest::parse(
            r#"
spin_manifest_version = 2
[application]
name = "a"
[variables]
token = { required = true }
greeting = { default = "hello" }
[component.c]
source = "c.wasm"
variables = { message = "{{ greeting }}, {{token}}!", plain = "x" }
"#,
            Path::new("spin.toml"),
            Path::new("/"),
        )
        .unwrap()
    }

    #[test]
    fn cli_beats_environment_beats_default() {
        let app = app();
        let env = |k: &str| (k == "SPIN_VARIABLE_GREETING").then(|| "env".to_owned());
        let values = resolve_app(&app, &["token=t".to_owned()], env).unwrap();
        assert_eq!(values["greeting"], "env");
        let values = resolve_app(
            &app,
            &["token=t".to_owned(), "greeting=cli".to_owned()],
            env,
        )
        .unwrap();
        assert_eq!(values["greeting"], "cli");
        let values = resolve_app(&app, &["token=t".to_owned()], |_| None).unwrap();
        assert_eq!(values["greeting"], "hello");
    }

    #[test]
    fn a_required_variable_without_a_value_stops_the_start() {
        let err = resolve_app(&app(), &[], |_| None).unwrap_err();
        assert_eq!(
            err,
            VariableError::Required {
                name: "token".to_owned(),
                env: "SPIN_VARIABLE_TOKEN".to_owned()
            }
        );
    }

    #[test]
    fn component_templates_render_and_lookups_fail_like_spin() {
        let app = app();
        let values = resolve_app(&app, &["token=t".to_owned()], |_| None).unwrap();
        let vars =
            ComponentVariables::render("c", &app.components["c"].variables, &values).unwrap();
        assert_eq!(vars.get("message").unwrap(), "hello, t!");
        assert_eq!(
            vars.get("missing"),
            Err(LookupError::Undefined(
                "no variable for \"c\".\"missing\"".to_owned()
            ))
        );
        assert!(matches!(vars.get("Bad"), Err(LookupError::InvalidName(m)) if m.contains("'B'")));
        let none = ComponentVariables::render("d", &BTreeMap::new(), &values).unwrap();
        assert_eq!(
            none.get("x"),
            Err(LookupError::Undefined(
                "no variable for component \"d\"".to_owned()
            ))
        );
    }

    #[test]
    fn templates_split_like_spins() {
        let t = Template::parse("a-{{ b }}-c{{d}}").unwrap();
        assert_eq!(
            t.parts,
            vec![
                Part::Lit("a-".to_owned()),
                Part::Var("b".to_owned()),
                Part::Lit("-c".to_owned()),
                Part::Var("d".to_owned())
            ]
        );
        assert_eq!(Template::parse("{{ x"), Err(VariableError::Unmatched));
    }
}
