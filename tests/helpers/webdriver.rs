//! A W3C WebDriver client just big enough for the panel's browser tests: Debian's `chromium`,
//! headless, driven through Debian's `chromedriver` (installed by scripts/tools.sh), over the
//! helpers' own HTTP/1.1. Each test keeps its screenshots under `target/screenshots/`.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

/// The key W3C WebDriver gives an element reference.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// A headless Chromium session.
pub(crate) struct Browser {
    driver: Child,
    addr: SocketAddr,
    session: String,
    profile: PathBuf,
    /// Screenshots are named `<test>-<step>.png`.
    test: String,
}

/// One request to chromedriver: its status and JSON body. chromedriver says `Connection: close`
/// but leaves the socket open, so the body is read by its `Content-Length`.
fn exchange(
    addr: SocketAddr,
    method: &str,
    path: &str,
    body: &[u8],
) -> std::io::Result<(u16, Value)> {
    let mut stream = TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(Duration::from_secs(60)))?;
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes())?;
    stream.write_all(body)?;
    let mut raw = Vec::new();
    let mut chunk = [0u8; 8192];
    let bad = || std::io::Error::other("a malformed answer from chromedriver");
    let (split, length) = loop {
        let n = stream.read(&mut chunk)?;
        if n == 0 {
            return Err(bad());
        }
        raw.extend_from_slice(&chunk[..n]);
        if let Some(split) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&raw[..split]).to_ascii_lowercase();
            let length: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse().ok())
                .ok_or_else(bad)?;
            break (split + 4, length);
        }
    };
    while raw.len() < split + length {
        let n = stream.read(&mut chunk)?;
        if n == 0 {
            return Err(bad());
        }
        raw.extend_from_slice(&chunk[..n]);
    }
    let status = String::from_utf8_lossy(&raw[..split])
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(bad)?;
    Ok((
        status,
        serde_json::from_slice(&raw[split..split + length]).unwrap_or(Value::Null),
    ))
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

impl Browser {
    /// Starts chromedriver and a headless Chromium at `width` × `height` (below 500 pixels wide,
    /// a phone's screen, emulated: a desktop window is never that narrow).
    pub(crate) fn start(test: &str, width: u32, height: u32) -> Self {
        let port = free_port();
        let driver = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver runs (scripts/tools.sh installs Debian's chromium-driver)");
        let addr: SocketAddr = format!("127.0.0.1:{port}").parse().expect("an address");
        let deadline = Instant::now() + Duration::from_secs(20);
        while exchange(addr, "GET", "/status", b"").is_err() {
            assert!(Instant::now() < deadline, "chromedriver did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        let profile = super::scratch(&format!("chromium-{test}"));
        let mut browser = Browser {
            driver,
            addr,
            session: String::new(),
            profile,
            test: test.to_owned(),
        };
        // The flags that keep Chromium off this machine's closed network, and root-safe.
        let args = [
            "--headless=new".to_owned(),
            "--no-sandbox".to_owned(),
            "--disable-gpu".to_owned(),
            "--disable-quic".to_owned(),
            "--no-first-run".to_owned(),
            "--disable-background-networking".to_owned(),
            "--disable-component-update".to_owned(),
            "--disable-sync".to_owned(),
            "--disable-dev-shm-usage".to_owned(),
            format!("--user-data-dir={}", browser.profile.display()),
            format!("--window-size={width},{height}"),
            // The store's operators read Portuguese: the browser asks for it, as theirs do.
            "--lang=pt-BR".to_owned(),
        ];
        let mut options = json!({
            "binary": "/usr/bin/chromium",
            "args": args,
            "prefs": {"intl.accept_languages": "pt-BR,pt"},
        });
        if width < 500 {
            options["mobileEmulation"] = json!({
                "deviceMetrics": {"width": width, "height": height, "pixelRatio": 2.0, "touch": true},
            });
        }
        let session = browser.call(
            "POST",
            "/session",
            &json!({"capabilities": {"alwaysMatch": {
                "browserName": "chrome",
                "goog:chromeOptions": options,
            }}}),
        );
        browser.session = session["sessionId"]
            .as_str()
            .expect("a session id")
            .to_owned();
        browser
    }

    fn call(&self, method: &str, path: &str, body: &Value) -> Value {
        let body = if method == "GET" {
            Vec::new()
        } else {
            body.to_string().into_bytes()
        };
        let (status, value) = exchange(self.addr, method, path, &body)
            .unwrap_or_else(|e| panic!("webdriver {method} {path}: {e}"));
        assert!(status < 300, "webdriver {method} {path}: {status} {value}");
        value["value"].clone()
    }

    fn session_path(&self, rest: &str) -> String {
        format!("/session/{}{rest}", self.session)
    }

    /// Opens `url` and waits for it to load.
    pub(crate) fn goto(&self, url: &str) {
        self.call("POST", &self.session_path("/url"), &json!({ "url": url }));
    }

    /// The address of the page shown.
    pub(crate) fn url(&self) -> String {
        self.call("GET", &self.session_path("/url"), &Value::Null)
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// The first element matching `css`, waiting up to 5 s for it.
    fn element(&self, css: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let (status, value) = exchange(
                self.addr,
                "POST",
                &self.session_path("/element"),
                json!({"using": "css selector", "value": css})
                    .to_string()
                    .as_bytes(),
            )
            .expect("webdriver answers");
            if status == 200 {
                return value["value"][ELEMENT]
                    .as_str()
                    .expect("an element")
                    .to_owned();
            }
            assert!(
                Instant::now() < deadline,
                "no element matches {css:?} on {}",
                self.url()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Whether an element matches `css` now.
    pub(crate) fn has(&self, css: &str) -> bool {
        let found = self.call(
            "POST",
            &self.session_path("/elements"),
            &json!({"using": "css selector", "value": css}),
        );
        found.as_array().is_some_and(|a| !a.is_empty())
    }

    /// Types `text` into the field matching `css` (after clearing it).
    pub(crate) fn fill(&self, css: &str, text: &str) {
        let element = self.element(css);
        self.call(
            "POST",
            &self.session_path(&format!("/element/{element}/clear")),
            &json!({}),
        );
        self.call(
            "POST",
            &self.session_path(&format!("/element/{element}/value")),
            &json!({ "text": text }),
        );
    }

    /// Clicks the element matching `css`.
    pub(crate) fn click(&self, css: &str) {
        let element = self.element(css);
        self.call(
            "POST",
            &self.session_path(&format!("/element/{element}/click")),
            &json!({}),
        );
    }

    /// Presses keys (W3C key codes, e.g. "\u{E004}" for Tab) on the focused element.
    pub(crate) fn keys(&self, keys: &str) {
        let actions: Vec<Value> = keys
            .chars()
            .flat_map(|c| {
                let c = c.to_string();
                [
                    json!({"type": "keyDown", "value": c}),
                    json!({"type": "keyUp", "value": c}),
                ]
            })
            .collect();
        self.call(
            "POST",
            &self.session_path("/actions"),
            &json!({"actions": [{"type": "key", "id": "keyboard", "actions": actions}]}),
        );
    }

    /// The visible text of the element matching `css`.
    pub(crate) fn text(&self, css: &str) -> String {
        let element = self.element(css);
        self.call(
            "GET",
            &self.session_path(&format!("/element/{element}/text")),
            &Value::Null,
        )
        .as_str()
        .unwrap_or_default()
        .to_owned()
    }

    /// The result of a script run in the page.
    pub(crate) fn script(&self, script: &str) -> Value {
        self.call(
            "POST",
            &self.session_path("/execute/sync"),
            &json!({"script": script, "args": []}),
        )
    }

    /// Saves a screenshot as `target/screenshots/<test>-<step>.png` and answers its path.
    pub(crate) fn screenshot(&self, step: &str) -> PathBuf {
        let png = self.call("GET", &self.session_path("/screenshot"), &Value::Null);
        let bytes = STANDARD
            .decode(png.as_str().expect("base64"))
            .expect("a PNG");
        let dir = super::root().join("target/screenshots");
        std::fs::create_dir_all(&dir).expect("the screenshots directory");
        let path = dir.join(format!("{}-{step}.png", self.test));
        std::fs::write(&path, bytes).expect("the screenshot is written");
        path
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if !self.session.is_empty() {
            let _ = exchange(
                self.addr,
                "DELETE",
                &format!("/session/{}", self.session),
                b"",
            );
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}
