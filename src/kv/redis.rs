//! `type = "redis"`: the key-value store as Spin runs it on a Redis server, command for command,
//! so that what a guest sees on the runner (faults included) is what it sees on Spin.
//!
//! Follows spinframework/spin `crates/key-value-redis/src/store.rs` (v3.6.3) with the same
//! `redis` crate release (0.32.5), its synchronous API instead of the async one:
//!
//! | call | Redis command | what the guest gets |
//! |---|---|---|
//! | open | `PING` (its failure ignored) | the store, once a first connection was made |
//! | get, set, delete, exists | `GET`, `SET`, `DEL`, `EXISTS` | as on any store |
//! | get-keys, list-keys | `KEYS *` | every key of the server's database, whatever the label |
//! | set-many, delete-many | `MSET k v ...`, `DEL k ...` | as on any store |
//! | increment | `INCRBY key delta` | the new value; the key holds it as decimal text |
//! | get-many | `KEYS k1 k2 ...` | see below: never the values |
//! | compare-and-swap | a connection of its own: `WATCH`+`GET`, then `MULTI SET EXEC`, `UNWATCH key` | `cas-failed` after every swap |
//!
//! **Labels** are ignored: every store label is the same keyspace (Spin's `StoreManager::get`
//! ignores the name).
//!
//! **get-many** sends `KEYS` with the keys as patterns and reads the reply as key/value pairs:
//! with two keys or more Redis refuses the command (`other("wrong number of arguments for 'keys'
//! command...")`); with one key the reply is the list of key *names* that match it, read as
//! pairs: none matching gives an empty list, two give one pair of two names (wrong data), and an
//! odd number, such as the one existing key asked for, hits an `unreachable!()` in redis-rs's
//! pair conversion: Spin's host panics and the request ends in a 500. The runner runs the same
//! conversion and turns that panic into a trap of the instance, with the same result.
//!
//! **Compare-and-swap** opens a connection per handle (Spin's `new_compare_and_swap`).
//! `current` sends `WATCH key` then `GET key`; `swap` sends `MULTI`, `SET key value`, `EXEC`
//! and then `UNWATCH key`, which Redis refuses (`UNWATCH` takes no argument). The refusal is
//! reported as `cas-failed` whether `EXEC` wrote or was aborted because the key changed since
//! `WATCH` (redis-rs reads an aborted `EXEC`'s nil reply as success, so only the `UNWATCH` error
//! is ever seen). The watch is real: a change between `current` and `swap` by anyone else is
//! never overwritten, including the creation of a key that was absent at `current`.
//!
//! Connections: a small pool serves the plain calls (Spin multiplexes them on one connection;
//! the commands and their order per call are the same), each handle has its own, and a
//! connection that failed is dropped rather than reused.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use redis::{Commands, Connection, RedisError, RedisResult};

use super::{Backend, Cas, KvError, Pairs, SwapError, lock};

/// Connections kept open between calls.
const IDLE_CONNECTIONS: usize = 32;
/// How long connecting, and waiting for a reply, may take.
const TIMEOUT: Duration = Duration::from_secs(10);

/// Spin's Redis store.
pub struct Redis {
    client: redis::Client,
    url: String,
    idle: Mutex<Vec<Connection>>,
    /// Whether a connection was ever made: until then opening a store fails, as Spin's lazily
    /// created connection manager does.
    connected: AtomicBool,
}

impl std::fmt::Debug for Redis {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Redis").field("url", &self.url).finish()
    }
}

/// Spin's `log_error`: the guest sees the error's `Debug` text.
fn redis_err(e: &RedisError) -> KvError {
    tracing::warn!("key-value error: {e:?}");
    KvError::Redis(format!("{e:?}"))
}

/// Whether a connection that returned `e` should be dropped rather than reused.
fn broken(e: &RedisError) -> bool {
    e.is_io_error() || e.is_connection_dropped() || e.is_unrecoverable_error() || e.is_timeout()
}

impl Redis {
    /// A store on the server at `url` (`redis://host:port[/db]`). Nothing is sent yet.
    pub fn open(url: &str) -> Result<Self, KvError> {
        if redis::parse_redis_url(url).is_none() {
            return Err(KvError::Redis(format!("Invalid Redis URL: {url}")));
        }
        let client = redis::Client::open(url)
            .map_err(|e| KvError::Redis(format!("Invalid Redis URL {url}: {e:?}")))?;
        Ok(Self {
            client,
            url: url.to_owned(),
            idle: Mutex::new(Vec::new()),
            connected: AtomicBool::new(false),
        })
    }

    /// Where it connects.
    pub fn url(&self) -> &str {
        &self.url
    }

    fn connect(&self) -> Result<Connection, KvError> {
        let connect = || -> RedisResult<Connection> {
            let conn = self.client.get_connection_with_timeout(TIMEOUT)?;
            conn.set_read_timeout(Some(TIMEOUT))?;
            conn.set_write_timeout(Some(TIMEOUT))?;
            Ok(conn)
        };
        let conn = connect().map_err(|e| redis_err(&e))?;
        self.connected.store(true, Ordering::Relaxed);
        Ok(conn)
    }

    /// Runs `f` on a pooled connection.
    fn with<T>(&self, f: impl FnOnce(&mut Connection) -> RedisResult<T>) -> Result<T, KvError> {
        let pooled = lock(&self.idle).pop();
        let mut conn = match pooled {
            Some(conn) => conn,
            None => self.connect()?,
        };
        let result = f(&mut conn);
        if !result.as_ref().is_err_and(broken) {
            let mut idle = lock(&self.idle);
            if idle.len() < IDLE_CONNECTIONS {
                idle.push(conn);
            }
        }
        result.map_err(|e| redis_err(&e))
    }
}

impl Backend for Redis {
    fn open_store(&self, _store: &str) -> Result<(), KvError> {
        if !self.connected.load(Ordering::Relaxed) {
            // Spin creates its connection on the first open, and fails that open if it cannot.
            self.with(|_| Ok(()))?;
        }
        // Spin's `after_open` pings and ignores the outcome.
        let _ = self.with(|c| redis::cmd("PING").exec(c));
        Ok(())
    }

    fn get(&self, _store: &str, key: &str) -> Result<Option<Vec<u8>>, KvError> {
        self.with(|c| c.get::<_, Option<Vec<u8>>>(key))
    }

    fn set(&self, _store: &str, key: &str, value: &[u8]) -> Result<(), KvError> {
        self.with(|c| c.set::<_, _, ()>(key, value))
    }

    fn delete(&self, _store: &str, key: &str) -> Result<(), KvError> {
        self.with(|c| c.del::<_, ()>(key))
    }

    fn exists(&self, _store: &str, key: &str) -> Result<bool, KvError> {
        self.with(|c| c.exists::<_, bool>(key))
    }

    fn keys(&self, _store: &str) -> Result<Vec<String>, KvError> {
        self.with(|c| c.keys::<_, Vec<String>>("*"))
    }

    fn get_many(&self, _store: &str, keys: &[String]) -> Result<Pairs, KvError> {
        // Spin: `keys::<_, Vec<(String, Option<Vec<u8>>)>>(keys)`.
        let reply = self.with(|c| c.keys::<_, redis::Value>(keys))?;
        let converted = std::panic::catch_unwind(|| {
            redis::from_owned_redis_value::<Vec<(String, Option<Vec<u8>>)>>(reply)
        });
        match converted {
            Ok(pairs) => pairs.map_err(|e| redis_err(&e)),
            Err(panic) => {
                let what = panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                    .unwrap_or_default();
                Err(KvError::HostPanic(format!(
                    "get-many: redis-rs panicked reading the KEYS reply as pairs ({what}); \
                     Spin's host panics here too"
                )))
            }
        }
    }

    fn set_many(&self, _store: &str, pairs: &[(String, Vec<u8>)]) -> Result<(), KvError> {
        self.with(|c| c.mset::<_, _, ()>(pairs))
    }

    fn delete_many(&self, _store: &str, keys: &[String]) -> Result<(), KvError> {
        self.with(|c| c.del::<_, ()>(keys))
    }

    fn increment(&self, _store: &str, key: &str, delta: i64) -> Result<i64, KvError> {
        self.with(|c| c.incr::<_, _, i64>(key, delta))
    }

    fn swap(
        &self,
        _store: &str,
        _key: &str,
        _seen: Option<&[u8]>,
        _value: &[u8],
    ) -> Result<bool, KvError> {
        // Never called: compare-and-swap goes through `new_cas`.
        Err(KvError::Redis(
            "compare-and-swap on Redis goes through its own connection".to_owned(),
        ))
    }

    fn new_cas(&self, _store: &str, key: &str) -> Result<Option<Box<dyn Cas>>, KvError> {
        Ok(Some(Box::new(RedisCas {
            key: key.to_owned(),
            conn: self.connect()?,
        })))
    }
}

/// Spin's `CompareAndSwap`: one key on a connection of its own.
struct RedisCas {
    key: String,
    conn: Connection,
}

impl std::fmt::Debug for RedisCas {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisCas").field("key", &self.key).finish()
    }
}

impl Cas for RedisCas {
    fn current(&mut self) -> Result<Option<Vec<u8>>, KvError> {
        redis::cmd("WATCH")
            .arg(&self.key)
            .exec(&mut self.conn)
            .map_err(|e| redis_err(&e))?;
        self.conn
            .get::<_, Option<Vec<u8>>>(&self.key)
            .map_err(|e| redis_err(&e))
    }

    fn swap(&mut self, value: &[u8]) -> Result<(), SwapError> {
        let res: RedisResult<()> = redis::pipe()
            .atomic()
            .set(&self.key, value)
            .query(&mut self.conn);
        redis::cmd("UNWATCH")
            .arg(&self.key)
            .exec(&mut self.conn)
            .map_err(|err| SwapError::CasFailed(format!("{err:?}")))?;
        match res {
            Ok(()) => Ok(()),
            Err(err) => Err(SwapError::CasFailed(format!("{err:?}"))),
        }
    }
}
