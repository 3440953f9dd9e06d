#!/usr/bin/env bash
# Benchmarks what stock costs a placement, on the runner, in one run and on one store:
# 1. place-order of two SKUs while the store tracks nothing (what every placement cost before
#    inventory, plus the one read that finds nothing is tracked);
# 2. the same two SKUs untracked in a store that tracks others;
# 3. place-order of two tracked SKUs, each placement a pair of its own among 200 tracked SKUs
#    (little contention): the goal is at most 1.3x the CPU of row 1;
# 4. the hot SKU: every placement reserving the same SKU, so concurrent placements conflict on
#    its document and retry their swaps.
# wrk at 16 connections; reports requests per second, p50/p99, the runner's CPU per request
# (user + system from /proc) and its ratio to row 1, and the key-value calls per placement (the
# runner's count, `--count-kv-calls`, summed by wrk's Lua): beyond a lone placement's count,
# what conflicts cost in retries. Reports, never gates; ends with a markdown table between marker
# lines for benches/update-readme.sh.
# Usage: benches/inventory.sh [seconds per run, default 10]
# (BIN=path/to/orderflow skips the release build of the runner.)
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-10}"
conns=16
skus=200
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 1; }
source scripts/tools.sh
source benches/lib.sh
bench_prepare

bench_manifest "$PWD" "$work/spin.toml"
port=39538
base="http://127.0.0.1:$port"
bench_start "$work/spin.toml" "$port" "$work/state" --count-kv-calls

# placement.lua <first sku> <second sku or empty>: a wrk script placing orders of one or two lines;
# a `%d` in a SKU is a number drawn per request from 1 to $skus. It counts the runner's key-value
# calls of every answer and prints their mean, and the statuses that were not 201.
placement() {
    cat <<LUA
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init()
    calls, answers, refused = 0, 0, 0
    math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16))
end
local function line(sku)
    if sku:find("%%d") then sku = string.format(sku, math.random($skus)) end
    return '{"sku":"' .. sku .. '","name":"Bench item","quantity":1,"unitPrice":4990}'
end
function request()
    local items = line("$1")
    if "$2" ~= "" then
        local second = line("$2")
        while second == items do second = line("$2") end
        items = items .. "," .. second
    end
    local body = [[$ORDER_JSON]]
    body = body:gsub('"items":%[.-%]', '"items":[' .. items .. ']')
    return wrk.format("POST", "/checkout/orders", {["Content-Type"] = "application/json",
        ["Authorization"] = "Bearer bench-checkout_token"}, body)
end
function response(status, headers, body)
    answers = answers + 1
    if status ~= 201 then refused = refused + 1 end
    local counted = headers["orderflow-kv-calls"] or headers["Orderflow-Kv-Calls"] or ""
    calls = calls + (tonumber(counted:match("calls=(%d+)")) or 0)
end
function done()
    local c, a, r = 0, 0, 0
    for _, t in ipairs(threads) do c = c + t:get("calls"); a = a + t:get("answers"); r = r + t:get("refused") end
    io.write(string.format("kv-calls-per-request %.1f\nrefused %d\n", c / math.max(a, 1), r))
end
LUA
}
# lone <first sku> <second sku>: the key-value calls of one placement with nobody else writing.
lone() {
    local items="{\"sku\":\"$1\",\"name\":\"Bench item\",\"quantity\":1,\"unitPrice\":4990}"
    [ -n "$2" ] && items="$items,{\"sku\":\"$2\",\"name\":\"Bench item\",\"quantity\":1,\"unitPrice\":4990}"
    curl -s -o /dev/null -D - -X POST "$base/checkout/orders" -H 'Authorization: Bearer bench-checkout_token' \
        -H 'Content-Type: application/json' \
        --data-binary "$(echo "$ORDER_JSON" | sed "s/\"items\":\[[^]]*\]/\"items\":[$items]/")" |
        tr -d '\r' | awk -F': ' 'tolower($1) == "orderflow-kv-calls" {print $2}' |
        sed -n 's/.*calls=\([0-9]*\).*/\1/p'
}
level() { # sku onHand
    curl -sf -o /dev/null -X PUT "$base/inventory/$1/locations/cd-sp" \
        -H 'Authorization: Bearer bench-erp_token' -H 'Content-Type: application/json' \
        -d "{\"onHand\": $2}"
}

rows=()
base_cpu=
measure() { # label lone-calls first-sku second-sku
    local label="$1" alone="$2" mean refused ratio
    placement "$3" "$4" > "$work/place.lua"
    bench_wrk "$pid" "$base/checkout/orders" "$secs" "$conns" -s "$work/place.lua"
    mean="$(echo "$wrk_out" | awk '/kv-calls-per-request/ {print $2}')"
    refused="$(echo "$wrk_out" | awk '/^refused/ {print $2}')"
    [ -z "$base_cpu" ] && base_cpu="$cpu"
    ratio="$(awk -v a="$cpu" -v b="$base_cpu" 'BEGIN {printf "%.2f", a / b}')"
    printf '%-58s %6s req/s  p50 %-8s p99 %-8s CPU %5s us/req (%sx)  kv calls %s (alone %s)  not 201: %s\n' \
        "$label" "$rps" "$p50" "$p99" "$cpu" "$ratio" "$mean" "$alone" "$refused"
    rows+=("| $label | $rps | $p50 | $p99 | $cpu µs | $ratio | $alone | $mean | $refused |")
}

echo "c=$conns, ${secs}s per run, runner and wrk on the same $(nproc) cores"
# Warm the runner (its first instances, the store's first pages) before the first measured row.
placement "WARM-%d" "" > "$work/warm.lua"
wrk -t2 -c"$conns" -d2s -s "$work/warm.lua" "$base/checkout/orders" >/dev/null
alone="$(lone FREE-A FREE-B)"
measure "two SKUs, the store tracks nothing" "$alone" "FREE-%d" "OTHER-%d"
level HOT-1 1000000000
for i in $(seq "$skus"); do level "SKU-$i" 1000000000; done
alone="$(lone FREE-A FREE-B)"
measure "two untracked SKUs, the store tracks $((skus + 1))" "$alone" "FREE-%d" "OTHER-%d"
alone="$(lone SKU-1 SKU-2)"
measure "two tracked SKUs (pairs drawn from $skus)" "$alone" "SKU-%d" "SKU-%d"
alone="$(lone HOT-1 "")"
measure "one hot SKU (every placement reserves it)" "$alone" "HOT-1" ""
hot="$(curl -sf "$base/inventory/HOT-1" -H 'Authorization: Bearer bench-admin_token')"
echo "HOT-1 after: $hot" | head -c 300; echo
echo "machine load average: $(cut -d' ' -f1-3 /proc/loadavg)"

echo
echo "<!-- benches/inventory.sh: begin -->"
echo "\`benches/inventory.sh $secs\` on $(date -u +%Y-%m-%d) ($(git rev-parse --short HEAD)$(git diff --quiet HEAD -- components crates || echo ", changed")), wrk with $conns connections on"
echo "the same $(nproc) cores as the runner, load average $(cut -d' ' -f1-3 /proc/loadavg) at the end:"
echo
echo "| place-order | req/s | p50 | p99 | runner CPU per request | × untracked | kv calls alone | kv calls per request | not 201 |"
echo "|---|---|---|---|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
echo "<!-- benches/inventory.sh: end -->"
