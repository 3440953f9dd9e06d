//! Shared by the integration suites: builds the fixture components once, starts the real
//! `orderflow` binary on a manifest, and speaks just enough HTTP/1.1 to test it.
#![allow(
    dead_code,
    reason = "each suite uses a different subset of the helpers"
)]
#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test harness: any failure should fail the test loudly"
)]

// One module tree, mounted by each suite with `#[path = "../helpers/mod.rs"] mod helpers;`: Cargo's
// usual `tests/common/mod.rs` for suites that live in directories. Not a library crate, because
// only the root package's own integration tests see `env!("CARGO_BIN_EXE_orderflow")`, the
// runner binary they start.
pub(crate) mod app;
pub(crate) mod kv_calls;
pub(crate) mod receiver;
pub(crate) mod redis_server;
pub(crate) mod webdriver;
pub(crate) mod webhook;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// The workspace root.
pub(crate) fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Builds `tests/fixtures` once per test binary and returns the directory holding the .wasm files.
pub(crate) fn fixtures() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let target = root().join("target");
        let status = Command::new(env!("CARGO"))
            .args([
                "build",
                "--target",
                "wasm32-wasip2",
                "--profile",
                "wasm-release",
            ])
            .arg("--manifest-path")
            .arg(root().join("tests/fixtures/Cargo.toml"))
            .env("CARGO_TARGET_DIR", &target)
            .status()
            .expect("cargo runs");
        assert!(status.success(), "building the fixture components failed");
        target.join("wasm32-wasip2/wasm-release")
    })
}

/// The path of fixture `name` (its crate name without `fixture-`).
pub(crate) fn fixture(name: &str) -> String {
    fixtures()
        .join(format!("fixture_{}.wasm", name.replace('-', "_")))
        .display()
        .to_string()
}

/// A fresh directory under the target dir, unique to this process and `name`.
pub(crate) fn scratch(name: &str) -> PathBuf {
    let dir = root()
        .join("target/test-scratch")
        .join(format!("{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A running `orderflow up`; killed on drop.
pub(crate) struct Runner {
    child: Child,
    /// Where it serves.
    pub(crate) addr: SocketAddr,
    log: Arc<Mutex<Vec<String>>>,
}

/// How to start a runner.
pub(crate) struct Start {
    pub(crate) manifest: String,
    pub(crate) dir: PathBuf,
    pub(crate) args: Vec<String>,
    pub(crate) env: Vec<(String, String)>,
    /// Run under `ulimit -v` with this many KiB of address space.
    pub(crate) address_space_kib: Option<u64>,
}

impl Start {
    pub(crate) fn new(name: &str, manifest: &str) -> Self {
        Self {
            manifest: manifest.to_owned(),
            dir: scratch(name),
            args: Vec::new(),
            env: Vec::new(),
            address_space_kib: None,
        }
    }

    pub(crate) fn arg(mut self, arg: &str) -> Self {
        self.args.push(arg.to_owned());
        self
    }

    pub(crate) fn env(mut self, k: &str, v: &str) -> Self {
        self.env.push((k.to_owned(), v.to_owned()));
        self
    }

    fn command(&self) -> Command {
        std::fs::write(self.dir.join("spin.toml"), &self.manifest).unwrap();
        let mut cmd = match self.address_space_kib {
            None => Command::new(env!("CARGO_BIN_EXE_orderflow")),
            Some(kib) => {
                let mut sh = Command::new("sh");
                sh.arg("-c")
                    .arg(format!("ulimit -v {kib} && exec \"$0\" \"$@\""))
                    .arg(env!("CARGO_BIN_EXE_orderflow"));
                sh
            }
        };
        cmd.arg("up")
            .arg("--manifest")
            .arg(self.dir.join("spin.toml"))
            .args(["--no-build"])
            .args(&self.args)
            .envs(self.env.iter().cloned())
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        if !self.args.iter().any(|a| a == "--listen") {
            cmd.args(["--listen", "127.0.0.1:0"]);
        }
        cmd
    }

    /// Starts the runner and waits until it serves.
    pub(crate) fn spawn(self) -> Runner {
        serve(self.command())
    }

    /// Runs the runner expecting it to fail at start; returns its stderr.
    pub(crate) fn fail(self) -> String {
        let out = self.command().output().expect("runner runs");
        assert!(
            !out.status.success(),
            "the runner should have refused to start"
        );
        String::from_utf8_lossy(&out.stderr).into_owned()
    }
}

impl Runner {
    /// GET `path`.
    pub(crate) fn get(&self, path: &str) -> Reply {
        request(self.addr, "GET", path, b"")
    }

    /// POST `body` to `path`.
    pub(crate) fn post(&self, path: &str, body: &[u8]) -> Reply {
        request(self.addr, "POST", path, body)
    }

    /// Everything the runner has logged so far.
    pub(crate) fn log(&self) -> String {
        self.log.lock().unwrap().join("\n")
    }

    /// Waits up to `within` for a log line containing `needle`.
    pub(crate) fn wait_for_log(&self, needle: &str, within: Duration) -> bool {
        let end = Instant::now() + within;
        while Instant::now() < end {
            if self.log().contains(needle) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    }

    /// The process id.
    pub(crate) fn pid(&self) -> i32 {
        self.child.id() as i32
    }

    /// Sends `signal` and waits for the exit status.
    pub(crate) fn signal_and_wait(&mut self, signal: i32) -> std::process::ExitStatus {
        kill(self.pid(), signal);
        self.child.wait().unwrap()
    }
}

/// Starts an `orderflow up` command line and waits until it serves (the log's `Serving http://`
/// line gives the address); stderr is kept for [`Runner::log`].
pub(crate) fn serve(mut command: Command) -> Runner {
    let mut child = command
        .stderr(Stdio::piped())
        .spawn()
        .expect("runner starts");
    let stderr = child.stderr.take().unwrap();
    let log = Arc::new(Mutex::new(Vec::new()));
    let (tx, rx) = std::sync::mpsc::channel();
    let lines = log.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            if let Some(rest) = line.split("Serving http://").nth(1) {
                let addr = rest.split_whitespace().next().unwrap_or("").to_owned();
                let _ = tx.send(addr);
            }
            lines.lock().unwrap().push(line);
        }
    });
    // Long enough for a cold machine compiling every component (wasmtime caches them after).
    let addr = match rx.recv_timeout(Duration::from_secs(300)) {
        Ok(addr) => addr.parse().unwrap(),
        Err(_) => {
            let _ = child.kill();
            panic!("runner did not start:\n{}", log.lock().unwrap().join("\n"));
        }
    };
    Runner { child, addr, log }
}

/// Sends `signal` to `pid` with kill(1).
fn kill(pid: i32, signal: i32) {
    let status = Command::new("kill")
        .arg(format!("-{signal}"))
        .arg(pid.to_string())
        .status()
        .unwrap();
    assert!(status.success());
}

impl Drop for Runner {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An HTTP response.
#[derive(Debug)]
pub(crate) struct Reply {
    pub(crate) status: u16,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Vec<u8>,
}

impl Reply {
    /// The value of the first header called `name` (lowercase).
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The body as text.
    pub(crate) fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// One request on a fresh connection (`Connection: close`); panics on transport errors.
pub(crate) fn request(addr: SocketAddr, method: &str, path: &str, body: &[u8]) -> Reply {
    try_request(addr, method, path, body).unwrap_or_else(|e| panic!("{method} {path}: {e}"))
}

/// One request on a fresh connection; transport errors are returned.
pub(crate) fn try_request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    body: &[u8],
) -> std::io::Result<Reply> {
    try_request_with(addr, method, path, &[], body)
}

/// One request with extra `headers` on a fresh connection (`Connection: close`); transport
/// errors are returned.
pub(crate) fn try_request_with(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> std::io::Result<Reply> {
    let mut stream = TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(Duration::from_secs(60)))?;
    let extra: String = headers
        .iter()
        .map(|(name, value)| format!("{name}: {value}\r\n"))
        .collect();
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n{extra}Content-Length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes())?;
    stream.write_all(body)?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    parse_reply(&raw).ok_or_else(|| std::io::Error::other("malformed response"))
}

fn parse_reply(raw: &[u8]) -> Option<Reply> {
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = std::str::from_utf8(&raw[..split]).ok()?;
    let mut lines = head.split("\r\n");
    let status = lines.next()?.split_whitespace().nth(1)?.parse().ok()?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let rest = &raw[split + 4..];
    let chunked = headers
        .iter()
        .any(|(k, v)| k == "transfer-encoding" && v.contains("chunked"));
    let body = if chunked {
        dechunk(rest)?
    } else {
        rest.to_vec()
    };
    Some(Reply {
        status,
        headers,
        body,
    })
}

fn dechunk(mut data: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let line_end = data.windows(2).position(|w| w == b"\r\n")?;
        let size_text = std::str::from_utf8(&data[..line_end]).ok()?;
        let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
        data = &data[line_end + 2..];
        if size == 0 {
            return Some(out);
        }
        out.extend_from_slice(data.get(..size)?);
        data = data.get(size + 2..)?;
    }
}

/// Runs `f(0..n)` on `n` threads at once and returns the results in index order.
pub(crate) fn parallel<T: Send>(n: usize, f: impl Fn(usize) -> T + Sync) -> Vec<T> {
    let barrier = std::sync::Barrier::new(n);
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..n)
            .map(|i| {
                let (f, barrier) = (&f, &barrier);
                scope.spawn(move || {
                    barrier.wait();
                    f(i)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("a worker thread panicked"))
            .collect()
    })
}
