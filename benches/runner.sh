#!/bin/sh
# Benchmarks the runner with wrk: a hello-world component and a key-value component (one set and
# three gets on the default SQLite store) at 1 and 64 keep-alive connections, with the runner's
# resident memory. Reports, never gates. Usage: benches/runner.sh [seconds per run, default 10]
set -eu
cd "$(dirname "$0")/.."
secs="${1:-10}"
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 1; }

cargo build --release --quiet
CARGO_TARGET_DIR="$PWD/target" cargo build --quiet --target wasm32-wasip2 --profile wasm-release \
    --manifest-path tests/fixtures/Cargo.toml
wasm="$PWD/target/wasm32-wasip2/wasm-release"

work="$(mktemp -d)"
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT
cat > "$work/spin.toml" <<TOML
spin_manifest_version = 2
[application]
name = "bench"
[[trigger.http]]
route = "/hello"
component = "hello"
[[trigger.http]]
route = "/probe/..."
component = "probe"
[component.hello]
source = "$wasm/fixture_hello.wasm"
[component.probe]
source = "$wasm/fixture_probe.wasm"
key_value_stores = ["default"]
TOML

port=39517
RUST_LOG=warn target/release/orderflow up --no-build --manifest "$work/spin.toml" \
    --listen "127.0.0.1:$port" --state-dir "$work/state" &
pid=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/hello" >/dev/null 2>&1 && break; sleep 0.1; done

rss() { awk '/VmRSS/ {print $2 " kB"}' "/proc/$pid/status"; }
run() { # name path connections
    threads=1; [ "$3" -gt 1 ] && threads=2
    out="$(wrk -t"$threads" -c"$3" -d"${secs}s" --latency "http://127.0.0.1:$port$2")"
    rps="$(echo "$out" | awk '/Requests\/sec/ {print $2}')"
    p50="$(echo "$out" | awk '$1 == "50%" {print $2}')"
    p99="$(echo "$out" | awk '$1 == "99%" {print $2}')"
    errors="$(echo "$out" | awk '/Non-2xx|Socket errors/ {printf "%s ", $0}')"
    printf '%-6s c=%-3s %10s req/s  p50 %-8s p99 %-8s RSS %s %s\n' "$1" "$3" "$rps" "$p50" "$p99" "$(rss)" "$errors"
}
echo "runner idle RSS: $(rss)"
run hello /hello 1
run hello /hello 64
run kv "/probe/kv/bench?key=bench" 1
run kv "/probe/kv/bench?key=bench" 64
