# Sourced by scripts/run.sh and scripts/test.sh: the tools the build needs beyond cargo.

# Components build for wasm32-wasip2; add the target once (rustup ships it, no other download).
ensure_wasm_target() {
    if ! rustup target list --installed | grep -qx wasm32-wasip2; then
        rustup target add wasm32-wasip2
    fi
}

# binaryen's wasm-opt shrinks each composed component (crates/compose runs it when present).
# Installed from Debian when possible; without it the components work, larger.
ensure_wasm_opt() {
    command -v wasm-opt >/dev/null && return 0
    if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
        echo "installing binaryen (wasm-opt) with apt-get" >&2
        apt-get install -y -qq binaryen >/dev/null 2>&1 ||
            { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq binaryen >/dev/null 2>&1; } ||
            echo "could not install binaryen: components are built without wasm-opt" >&2
    else
        echo "wasm-opt not found (install binaryen): components are built without it" >&2
    fi
}

# Installs Debian packages with apt-get (through sudo when not root) unless their command is
# there already. Usage: ensure_debian <command> <package>...
ensure_debian() {
    command -v "$1" >/dev/null && return 0
    local command="$1"
    shift
    local sudo=""
    if [ "$(id -u)" != 0 ]; then
        if command -v sudo >/dev/null; then
            sudo="sudo"
        else
            echo "$command not found and not root: install Debian's $*" >&2
            return 1
        fi
    fi
    if ! command -v apt-get >/dev/null; then
        echo "$command not found and no apt-get: install $*" >&2
        return 1
    fi
    echo "installing $* with apt-get" >&2
    $sudo apt-get install -y -qq "$@" >/dev/null 2>&1 ||
        { $sudo apt-get update -qq >/dev/null 2>&1 &&
            $sudo apt-get install -y -qq "$@" >/dev/null 2>&1; } ||
        { echo "could not install $* with apt-get" >&2; return 1; }
}

# redis-server for the tests that run the runner's Redis store (each starts its own server on a
# free loopback port).
ensure_redis_server() {
    ensure_debian redis-server redis-server
}

# Debian's Chromium and its WebDriver (chromedriver) for the panel's browser tests
# (tests/backoffice): no browser download.
ensure_chromium() {
    ensure_debian chromedriver chromium chromium-driver
}
