//! A redis-server of the test's own: on a free loopback port, in a fresh directory, without
//! persistence, killed when dropped. `scripts/tools.sh`'s `ensure_redis_server` installs it.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running redis-server; killed on drop.
pub(crate) struct RedisServer {
    child: Child,
    /// Where it listens.
    pub(crate) addr: SocketAddr,
    dir: PathBuf,
}

impl RedisServer {
    /// Starts a redis-server on a free loopback port, its files under `dir`. Panics, saying how
    /// to install it, when there is no `redis-server`.
    pub(crate) fn start(dir: &Path) -> Self {
        let mut last = String::new();
        // The port is free when found, but another process may take it before the server
        // binds it: try a few.
        for _ in 0..5 {
            let port = TcpListener::bind("127.0.0.1:0")
                .and_then(|l| l.local_addr())
                .expect("a free loopback port")
                .port();
            let addr = SocketAddr::from(([127, 0, 0, 1], port));
            let spawned = Command::new("redis-server")
                .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
                .args(["--save", "", "--appendonly", "no"])
                .arg("--dir")
                .arg(dir)
                .args(["--logfile", "redis.log", "--daemonize", "no"])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn();
            let mut child = match spawned {
                Ok(child) => child,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => panic!(
                    "redis-server is not installed: run `source scripts/tools.sh && \
                     ensure_redis_server` (Debian's redis-server package), then the tests again"
                ),
                Err(e) => panic!("cannot start redis-server: {e}"),
            };
            let end = Instant::now() + Duration::from_secs(10);
            while Instant::now() < end {
                if let Ok(Some(status)) = child.try_wait() {
                    last = format!(
                        "redis-server exited with {status}: {}",
                        std::fs::read_to_string(dir.join("redis.log")).unwrap_or_default()
                    );
                    break;
                }
                if ping(addr) {
                    return Self {
                        child,
                        addr,
                        dir: dir.to_owned(),
                    };
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        panic!("redis-server did not start: {last}");
    }

    /// Its URL, as a runtime config names it.
    pub(crate) fn url(&self) -> String {
        format!("redis://{}", self.addr)
    }

    /// A runtime config file (in the server's directory) whose default store is this server.
    pub(crate) fn runtime_config(&self) -> PathBuf {
        let file = self.dir.join("runtime-config.toml");
        std::fs::write(
            &file,
            format!(
                "[key_value_store.default]\ntype = \"redis\"\nurl = \"{}\"\n",
                self.url()
            ),
        )
        .expect("the runtime config is written");
        file
    }

    /// Its process id.
    pub(crate) fn pid(&self) -> i32 {
        i32::try_from(self.child.id()).expect("a process id fits an i32")
    }

    /// A connection of the test's own, to look at or change what the server holds.
    pub(crate) fn connection(&self) -> redis::Connection {
        redis::Client::open(self.url())
            .and_then(|c| c.get_connection())
            .expect("a connection to the test's redis-server")
    }
}

/// Whether a Redis server answers `PING` at `addr`.
fn ping(addr: SocketAddr) -> bool {
    use std::io::{Read, Write};
    let Ok(mut stream) = TcpStream::connect_timeout(&addr, Duration::from_millis(200)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_millis(500)));
    let mut reply = [0u8; 7];
    stream.write_all(b"PING\r\n").is_ok()
        && stream.read_exact(&mut reply).is_ok()
        && &reply == b"+PONG\r\n"
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
