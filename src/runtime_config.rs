//! `--runtime-config-file`: the part of Spin's runtime configuration the runner honours, the
//! key-value store labelled `default`, written as Spin reads it
//! (spinframework/spin `crates/runtime-config`, `crates/key-value-spin` and
//! `crates/key-value-redis`, v3.6.3):
//!
//! ```toml
//! [key_value_store.default]
//! type = "spin"                     # SQLite as Spin runs it: a commit per call
//! path = ".spin/sqlite_key_value.db" # optional; relative to this file's directory
//! ```
//!
//! ```toml
//! [key_value_store.default]
//! type = "redis"                    # Redis as Spin runs it (src/kv/redis.rs)
//! url = "redis://127.0.0.1:6379"
//! ```
//!
//! Any other key, table, label or store type is an error that names it, so nothing in a file is
//! silently ignored.

use std::path::{Path, PathBuf};

/// A runtime config file that the runner cannot honour.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("runtime config {file}: {reason}")]
pub struct RuntimeConfigError {
    file: String,
    reason: String,
}

/// The key-value store a runtime config asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyValueStore {
    /// `type = "spin"`: Spin's SQLite store, at `path` (or the default file when `None`).
    Spin {
        /// The database file, resolved against the config file's directory.
        path: Option<PathBuf>,
    },
    /// `type = "redis"`: Spin's Redis store on the server at `url`.
    Redis {
        /// The server, `redis://host[:port][/db]`.
        url: String,
    },
}

/// What a runtime config file configures.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RuntimeConfig {
    /// The store labelled `default`, if configured.
    pub default_store: Option<KeyValueStore>,
}

/// Reads the runtime config at `file`.
pub fn load(file: &Path) -> Result<RuntimeConfig, RuntimeConfigError> {
    let fail = |reason: String| RuntimeConfigError {
        file: file.display().to_string(),
        reason,
    };
    let text = std::fs::read_to_string(file).map_err(|e| fail(format!("cannot read it: {e}")))?;
    let dir = file.parent().unwrap_or_else(|| Path::new("."));
    parse(&text, dir).map_err(fail)
}

fn parse(text: &str, dir: &Path) -> Result<RuntimeConfig, String> {
    let table: toml::Table = text.parse().map_err(|e| format!("not TOML: {e}"))?;
    let mut config = RuntimeConfig::default();
    for (key, value) in &table {
        if key != "key_value_store" {
            return Err(format!(
                "[{key}] is not supported by this runner (only [key_value_store.default])"
            ));
        }
        let stores = value
            .as_table()
            .ok_or("key_value_store must be a table of stores")?;
        for (label, store) in stores {
            if label != "default" {
                return Err(format!(
                    "key_value_store.{label}: this app uses only the store labelled default"
                ));
            }
            let store = store
                .as_table()
                .ok_or("key_value_store.default must be a table")?;
            config.default_store = Some(store_of(store, dir)?);
        }
    }
    Ok(config)
}

fn store_of(store: &toml::Table, dir: &Path) -> Result<KeyValueStore, String> {
    let kind = store
        .get("type")
        .and_then(toml::Value::as_str)
        .ok_or("key_value_store.default needs a type")?;
    match kind {
        "spin" => {
            for key in store.keys() {
                if key != "type" && key != "path" {
                    return Err(format!(
                        "key_value_store.default: {key} is not a setting of type spin"
                    ));
                }
            }
            let path = match store.get("path") {
                None => None,
                Some(path) => Some(
                    dir.join(
                        path.as_str()
                            .ok_or("key_value_store.default.path must be a string")?,
                    ),
                ),
            };
            Ok(KeyValueStore::Spin { path })
        }
        "redis" => {
            for key in store.keys() {
                if key != "type" && key != "url" {
                    return Err(format!(
                        "key_value_store.default: {key} is not a setting of type redis"
                    ));
                }
            }
            let url = store
                .get("url")
                .ok_or("key_value_store.default: type redis needs a url")?
                .as_str()
                .ok_or("key_value_store.default.url must be a string")?;
            if redis::parse_redis_url(url).is_none() {
                return Err(format!(
                    "key_value_store.default: url {url:?} is not a Redis URL (redis://host:port)"
                ));
            }
            Ok(KeyValueStore::Redis {
                url: url.to_owned(),
            })
        }
        other => Err(format!(
            "key_value_store.default: type {other:?} is not supported by this runner \
             (supported: \"spin\", \"redis\")"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_spin_store_is_read_as_spin_writes_it() {
        let dir = Path::new("/app");
        assert_eq!(
            parse("[key_value_store.default]\ntype = \"spin\"\n", dir),
            Ok(RuntimeConfig {
                default_store: Some(KeyValueStore::Spin { path: None })
            })
        );
        assert_eq!(
            parse(
                "[key_value_store.default]\ntype = \"spin\"\npath = \"data/kv.db\"\n",
                dir
            ),
            Ok(RuntimeConfig {
                default_store: Some(KeyValueStore::Spin {
                    path: Some(PathBuf::from("/app/data/kv.db"))
                })
            })
        );
        assert_eq!(parse("", dir), Ok(RuntimeConfig::default()));
    }

    #[test]
    fn the_redis_store_is_read_as_spin_writes_it() {
        assert_eq!(
            parse(
                "[key_value_store.default]\ntype = \"redis\"\nurl = \"redis://127.0.0.1:6379\"\n",
                Path::new(".")
            ),
            Ok(RuntimeConfig {
                default_store: Some(KeyValueStore::Redis {
                    url: "redis://127.0.0.1:6379".to_owned()
                })
            })
        );
    }

    #[test]
    fn what_the_runner_cannot_honour_is_named() {
        let dir = Path::new(".");
        for (text, needle) in [
            (
                "[sqlite_database.default]\ntype = \"spin\"",
                "[sqlite_database]",
            ),
            (
                "[key_value_store.cache]\ntype = \"spin\"",
                "key_value_store.cache",
            ),
            (
                "[key_value_store.default]\ntype = \"azure_cosmos\"",
                "azure_cosmos",
            ),
            (
                "[key_value_store.default]\ntype = \"spin\"\nurl = \"x\"",
                "url",
            ),
            ("[key_value_store.default]\npath = \"x\"", "needs a type"),
            ("[key_value_store.default]\ntype = \"redis\"", "needs a url"),
            (
                "[key_value_store.default]\ntype = \"redis\"\nurl = \"http://x\"",
                "not a Redis URL",
            ),
            (
                "[key_value_store.default]\ntype = \"redis\"\nurl = \"redis://x\"\npath = \"p\"",
                "path is not a setting of type redis",
            ),
        ] {
            let error = parse(text, dir).expect_err(text);
            assert!(error.contains(needle), "{text}: {error}");
        }
    }
}
