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

# redis-server for the tests that run the runner's Redis store (each starts its own server on a
# free loopback port). Installed from Debian with apt-get, through sudo when not root.
ensure_redis_server() {
    command -v redis-server >/dev/null && return 0
    local sudo=""
    if [ "$(id -u)" != 0 ]; then
        if command -v sudo >/dev/null; then
            sudo="sudo"
        else
            echo "redis-server not found and not root: install Debian's redis-server package" >&2
            return 1
        fi
    fi
    if ! command -v apt-get >/dev/null; then
        echo "redis-server not found and no apt-get: install redis-server (7.x)" >&2
        return 1
    fi
    echo "installing redis-server with apt-get" >&2
    $sudo apt-get install -y -qq redis-server >/dev/null 2>&1 ||
        { $sudo apt-get update -qq >/dev/null 2>&1 &&
            $sudo apt-get install -y -qq redis-server >/dev/null 2>&1; } ||
        { echo "could not install redis-server with apt-get" >&2; return 1; }
}
