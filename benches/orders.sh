#!/usr/bin/env bash
# Benchmarks the order components through the runner against a hello-world component served by the
# same runner in the same run: place-order (POST /checkout/orders), manual payment approval
# (POST /orders/{id}/payment, each request a different order) and GET /orders/{id}, with wrk at
# 16 keep-alive connections (the figure real Spin was measured at). Reports requests per second,
# p50/p99 latency, the ratio to hello-world, the runner's CPU time per request (user + system,
# from /proc: steadier than throughput on a shared machine, and it says what a request costs
# whoever else uses the cores) with its ratio to hello-world's, and each component's .wasm size.
# Then the floor under any component that stores something: the probe fixture making exactly one
# key-value call per request (a get, an increment, a 1.5 KB set of a new key, a compare-and-swap
# of a 1.5 KB document), each committed before its answer as every write is, and the two calls
# no placement can do without: a number from increment, then a new 1.5 KB document under it. What
# a call adds to hello-world's CPU is what each of a placement's calls costs at the least. Beside
# them, GET order without a token: the composed orders-api instantiated, answering 401 at once.
# Reports, never gates. Ends with the same figures as a markdown table between marker lines,
# which benches/update-readme.sh puts into benches/README.md.
# Usage: benches/orders.sh [seconds per run, default 10]
# (BIN=path/to/orderflow skips the release build of the runner and uses that binary.)
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-10}"
conns=16
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 1; }
source scripts/tools.sh
source benches/lib.sh
bench_prepare

# The real spin.toml, sources made absolute, the hello-world fixture on /hello, and the probe.
bench_manifest "$PWD" "$work/spin.toml"
cat >> "$work/spin.toml" <<TOML

[[trigger.http]]
route = "/probe/..."
component = "probe"

[component.probe]
source = "$PWD/target/wasm32-wasip2/wasm-release/fixture_probe.wasm"
key_value_stores = ["default"]
TOML

port=39518
bench_start "$work/spin.toml" "$port" "$work/state"
bench_lua
# The floor rows: one key-value call per request, a value of $value_size bytes where one is written.
value_size=1500
cat > "$work/set-new.lua" <<LUA
local threads = 0
function setup(thread) thread:set("first", threads); threads = threads + 1 end
function init() n = first end
function request()
    n = n + 2
    return wrk.format("POST", "/probe/kv/set?key=floor-" .. n, nil, string.rep("x", $value_size))
end
LUA
cat > "$work/swap.lua" <<LUA
wrk.method = "POST"
wrk.body = string.rep("x", $value_size)
LUA

hello_rps=
hello_cpu=
md_rows=()
hz="$(getconf CLK_TCK)"
cpu_ticks() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
run() { # name label seconds path [script]
    local name="$1" label="$2"
    shift 1 # the label stays $1: seconds, path and script keep their places
    local out rps p50 p99 errors ratio before requests cpu cost
    before="$(cpu_ticks)"
    out="$(wrk -t2 -c"$conns" -d"${2}s" --latency ${4:+-s "$4"} "http://127.0.0.1:$port$3")"
    requests="$(echo "$out" | awk '/requests in/ {print $1}')"
    cpu="$(awk -v t="$(( $(cpu_ticks) - before ))" -v hz="$hz" -v n="$requests" \
        'BEGIN {printf "%.0f", t / hz * 1e6 / n}')"
    rps="$(echo "$out" | awk '/Requests\/sec/ {printf "%.0f", $2}')"
    p50="$(echo "$out" | awk '$1 == "50%" {print $2}')"
    p99="$(echo "$out" | awk '$1 == "99%" {print $2}')"
    errors="$(echo "$out" | awk '/Non-2xx|Socket errors/ {printf "%s ", $0}')"
    [ -z "$hello_rps" ] && hello_rps="$rps" && hello_cpu="$cpu"
    ratio="$(awk -v a="$rps" -v b="$hello_rps" 'BEGIN {printf "%.2f", a / b}')"
    cost="$(awk -v a="$cpu" -v b="$hello_cpu" 'BEGIN {printf "%.1f", a / b}')"
    printf '%-14s %10s req/s  p50 %-8s p99 %-8s  %s x hello-world  CPU %5s us/req (%sx)  %s\n' \
        "$name" "$rps" "$p50" "$p99" "$ratio" "$cpu" "$cost" "$errors"
    md_rows+=("| $label${errors:+ (${errors% })} | $rps | $ratio | $p50 | $p99 | $cpu µs | $cost |")
}
echo "c=$conns, ${secs}s per run (approvals a quarter of it), runner and wrk on the same $(nproc) cores"
run hello-world "hello-world" "$secs" /hello
run place-order "place-order" "$secs" /checkout/orders "$work/place.lua"
placed="$(curl -s "http://127.0.0.1:$port/orders?limit=1" -H 'Authorization: Bearer bench-admin_token' |
    grep -o '"number":[0-9]*' | head -1 | cut -d: -f2)"
# A quarter of the time: approvals run faster than placements, and each order is approved once,
# so a full-length run would approve past the orders placed.
run approve "payment approval" "$(( (secs + 3) / 4 ))" /orders "$work/approve.lua"
run get-order "GET order" "$secs" /orders/o-1 "$work/get.lua"
echo "the floor: one key-value call per request; an order component refusing (its 401s show as Non-2xx)"
curl -sf -X POST --data-binary "$(head -c "$value_size" /dev/zero | tr '\0' x)" \
    "http://127.0.0.1:$port/probe/kv/set?key=floor-doc" >/dev/null
run "  kv get" "a get" "$secs" "/probe/kv/get?key=floor-doc"
run "  kv increment" "an increment" "$secs" "/probe/kv/increment?key=floor-n"
run "  kv set (new)" "a set of a new key ($value_size B)" "$secs" /probe "$work/set-new.lua"
run "  kv swap" "a compare-and-swap ($value_size B)" "$secs" "/probe/kv/cas-once?key=floor-doc" "$work/swap.lua"
run "  number + set" "an increment, then a new key under that number" "$secs" \
    "/probe/kv/numbered-set?key=floor-order" "$work/swap.lua"
run "  401 GET order" "GET order without a token (401 before any call)" "$secs" /orders/o-1
echo "orders placed: $placed (an approval past that number would answer 404, counted as Non-2xx)"
echo "runner RSS: $(awk '/VmRSS/ {print $2 " kB"}' "/proc/$pid/status")"
echo "machine load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "component sizes (wasm-release, composed):"
grep '^source = "target/' spin.toml | cut -d'"' -f2 | while read -r file; do
    printf '  %-60s %9s bytes\n' "$file" "$(stat -c %s "$file")"
done

echo
echo "<!-- benches/orders.sh: begin -->"
echo "\`benches/orders.sh $secs\` on $(date -u +%Y-%m-%d), wrk with $conns connections on the same $(nproc) cores as"
echo "the runner, load average $(cut -d' ' -f1-3 /proc/loadavg) at the end:"
echo
echo "| route | req/s | × hello-world | p50 | p99 | runner CPU per request | × hello-world |"
echo "|---|---|---|---|---|---|---|"
for i in "${!md_rows[@]}"; do
    [ "$i" -eq 4 ] && echo "| *the floor: one key-value call per request (probe fixture)* | | | | | | |"
    echo "${md_rows[$i]}"
done
echo
echo "Component sizes (wasm-release, composed): $(grep '^source = "target/wasm32-wasip2/wasm-release/' spin.toml |
    cut -d'"' -f2 | while read -r file; do printf '%s %s KB, ' "$(basename "$file" .composed.wasm)" \
        "$(( $(stat -c %s "$file") / 1000 ))"; done | sed 's/, $//')."
echo "<!-- benches/orders.sh: end -->"
