#!/bin/sh
# Benchmarks the runner with wrk: a hello-world component and a key-value component (one set and
# three gets on the default SQLite store) at 1 and 64 keep-alive connections, with the runner's
# resident memory. Reports, never gates. Ends with the same figures as a markdown table between
# marker lines, which benches/update-readme.sh puts into benches/README.md.
# Usage: benches/runner.sh [seconds per run, default 10]
# (BIN=path/to/orderflow skips the release build and benchmarks that binary instead.)
set -eu
cd "$(dirname "$0")/.."
secs="${1:-10}"
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 1; }

if [ -z "${BIN:-}" ]; then cargo build --release --quiet; BIN=target/release/orderflow; fi
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
# RUST_BACKTRACE=1 would make every wasi stream-closed error capture a backtrace.
env -u RUST_BACKTRACE -u RUST_LIB_BACKTRACE RUST_LOG=warn,orderflow::server=debug "$BIN" up --no-build --manifest "$work/spin.toml" \
    --listen "127.0.0.1:$port" --state-dir "$work/state" 2>"$work/log" &
pid=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/hello" >/dev/null 2>&1 && break; sleep 0.1; done

rss() { awk '/VmRSS/ {print $2 " kB"}' "/proc/$pid/status"; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
hz="$(getconf CLK_TCK)"
run() { # name path connections
    threads=1; [ "$3" -gt 1 ] && threads=2
    before="$(cpu_ticks)"
    out="$(wrk -t"$threads" -c"$3" -d"${secs}s" --latency "http://127.0.0.1:$port$2")"
    ticks=$(( $(cpu_ticks) - before ))
    total="$(echo "$out" | awk '/requests in/ {print $1}')"
    rps="$(echo "$out" | awk '/Requests\/sec/ {print $2}')"
    p50="$(echo "$out" | awk '$1 == "50%" {print $2}')"
    p99="$(echo "$out" | awk '$1 == "99%" {print $2}')"
    errors="$(echo "$out" | awk '/Non-2xx|Socket errors/ {printf "%s ", $0}')"
    cpu_us="$(awk -v t="$ticks" -v hz="$hz" -v n="$total" 'BEGIN {printf "%.0f", t * 1e6 / hz / n}')"
    printf '%-6s c=%-3s %10s req/s  p50 %-8s p99 %-8s runner CPU %5s us/req  RSS %s %s\n' \
        "$1" "$3" "$rps" "$p50" "$p99" "$cpu_us" "$(rss)" "$errors"
    md_rows="$md_rows| $1${errors:+ ($errors)} | $3 | $rps | $p50 | $p99 | $cpu_us µs | $(rss) |
"
}
md_rows=""
echo "runner idle RSS: $(rss)"
run hello /hello 1
run hello /hello 16
run hello /hello 64
run kv "/probe/kv/bench?key=bench" 1
run kv "/probe/kv/bench?key=bench" 64
# Instantiation time, from the runner's debug log of every request above (in microseconds).
grep -o 'instantiated in [0-9.]*[a-zµ]*' "$work/log" | awk '
    { v = $3; if (v ~ /ms$/) { sub(/ms$/, "", v); v *= 1000 } else if (v ~ /ns$/) { sub(/ns$/, "", v); v /= 1000 }
      else { sub(/[^0-9.]+$/, "", v) } ; print v }' | sort -n > "$work/inst"
n="$(wc -l < "$work/inst")"
printf 'instantiation: p50 %s us, p99 %s us over %s instances\n' \
    "$(sed -n "$((n / 2 + 1))p" "$work/inst")" "$(sed -n "$((n * 99 / 100 + 1))p" "$work/inst")" "$n"
echo "machine load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores (wrk runs on the same cores)"

echo
echo "<!-- benches/runner.sh: begin -->"
echo "\`benches/runner.sh $secs\` on $(date -u +%Y-%m-%d), wrk on the same $(nproc) cores as the runner, load"
echo "average $(cut -d' ' -f1-3 /proc/loadavg) at the end (hello: the hello-world fixture; kv: one set and three"
echo "gets on the default SQLite store):"
echo
echo "| component | connections | req/s | p50 | p99 | runner CPU per request | runner RSS after |"
echo "|---|---|---|---|---|---|---|"
printf '%s' "$md_rows"
echo
printf 'Instantiation: p50 %s µs, p99 %s µs over %s instances.\n' \
    "$(sed -n "$((n / 2 + 1))p" "$work/inst")" "$(sed -n "$((n * 99 / 100 + 1))p" "$work/inst")" "$n"
echo "<!-- benches/runner.sh: end -->"
