#!/usr/bin/env bash
# Benchmarks how orders get out, on the runner, with a webhook receiver on loopback
# (benches/webhook-receiver.py, answering 204 at once):
# 1. latency from a placement's answer to its event reaching the endpoint, with no pass called
#    (the write's own kick), over sequential placements spaced a second apart: p50, p90, max;
# 2. events delivered per second: a backlog of placements made with the receiver's endpoint
#    disabled, then enabled from the backlog's start (a replay) and drained by passes called
#    back to back from two clients;
# 3. feed read throughput: GET /feed?limit=100 with wrk (events per second = requests x 100);
# 4. place-order with and without a webhook endpoint (the kicked passes delivering), runner CPU
#    per request, beside hello-world.
# Reports, never gates; ends with a markdown table between marker lines for
# benches/update-readme.sh.
# Usage: benches/integrations.sh [seconds per wrk run, default 10] [backlog, default 2000]
# (BIN=path/to/orderflow skips the release build of the runner.)
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-10}"
backlog="${2:-2000}"
conns=16
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 1; }
source scripts/tools.sh
source benches/lib.sh
bench_prepare


bench_manifest "$PWD" "$work/spin.toml"
port=39528
receiver_port=39529
base="http://127.0.0.1:$port"
admin=(-H 'Authorization: Bearer bench-admin_token' -H 'Content-Type: application/json')
bench_start "$work/spin.toml" "$port" "$work/state" --variable 'webhook_hosts=http://127.0.0.1:*'
python3 benches/webhook-receiver.py "$receiver_port" "$work/received" &
pids+=("$!")
touch "$work/received"

order="$ORDER_JSON"
place() { curl -sf -X POST "$base/checkout/orders" -H 'Authorization: Bearer bench-checkout_token' \
    -H 'Content-Type: application/json' -d "$order"; }
endpoint="$(curl -sf -X POST "$base/webhooks/endpoints" "${admin[@]}" \
    -d "{\"url\": \"http://127.0.0.1:$receiver_port/erp\", \"types\": [\"order.placed\"]}" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')"
received() { wc -l < "$work/received"; }

# 1. Answer to delivery, no pass called.
latencies=()
for i in $(seq 20); do
    id="$(place | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')"
    answered="$(date +%s.%N)"
    for _ in $(seq 500); do grep -q " $id\$" "$work/received" && break; sleep 0.005; done
    arrived="$(awk -v id="$id" '$3 == id {print $1; exit}' "$work/received")"
    latencies+=("$(awk -v a="$arrived" -v b="$answered" 'BEGIN {printf "%.0f", (a - b) * 1000}')")
    sleep 1
done
read -r lat_p50 lat_p90 lat_max < <(printf '%s\n' "${latencies[@]}" | sort -n |
    awk '{v[NR] = $1} END {print v[int(NR * 0.5 + 0.5)], v[int(NR * 0.9 + 0.5)], v[NR]}')
echo "answer to delivery (ms, ${#latencies[@]} placements): p50 $lat_p50, p90 $lat_p90, max $lat_max"

# 2. A backlog, then drained.
curl -sf -X PATCH "$base/webhooks/endpoints/$endpoint" "${admin[@]}" -d '{"enabled": false}' >/dev/null
since="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
sleep 1
bench_lua
cp "$work/place.lua" "$work/backlog.lua"
cat >> "$work/backlog.lua" <<LUA
local n = 0
function response() n = n + 1; if n >= $backlog / 4 then wrk.thread:stop() end end
LUA
wrk -t4 -c4 -d120s -s "$work/backlog.lua" "$base/checkout/orders" >/dev/null
curl -sf -X POST "$base/integrations/run" "${admin[@]}" -d '{}' >/dev/null
before="$(received)"
curl -sf -X PATCH "$base/webhooks/endpoints/$endpoint" "${admin[@]}" -d '{"enabled": true}' >/dev/null
curl -sf -X POST "$base/webhooks/endpoints/$endpoint/replay" "${admin[@]}" -d "{\"since\": \"$since\"}" >/dev/null
start="$(date +%s.%N)"
drain() { while [ "$(received)" -lt $((before + backlog)) ]; do
    curl -s -X POST "$base/integrations/run" "${admin[@]}" -d '{}' >/dev/null; done; }
drain & d1=$!
drain & d2=$!
wait "$d1" "$d2"
drained="$(( $(received) - before ))"
rate="$(awk -v n="$drained" -v s="$start" -v e="$(date +%s.%N)" 'BEGIN {printf "%.0f", n / (e - s)}')"
echo "delivered: $drained events in a drain at $rate events/s"

# 3. Feed reads; 4. place-order with and without an endpoint.
rows=()
measure() { # label path [wrk args...]
    local label="$1" path="$2"
    shift 2
    bench_wrk "$pid" "$base$path" "$secs" "$conns" "$@"
    printf '%-56s %8s req/s  p50 %-8s CPU %5s us/req %s\n' "$label" "$rps" "$p50" "$cpu" "$errors"
    rows+=("| $label | $rps | $p50 | $cpu µs |")
}
measure "hello-world" /hello
measure "GET /feed?limit=100 (100 events a request)" "/feed?after=0&limit=100" \
    -H "Authorization: Bearer bench-erp_token"
measure "place-order, endpoint enabled (kicked passes deliver)" /checkout/orders -s "$work/place.lua"
curl -sf -X PATCH "$base/webhooks/endpoints/$endpoint" "${admin[@]}" -d '{"enabled": false}' >/dev/null
measure "place-order, no endpoint enabled" /checkout/orders -s "$work/place.lua"
echo "machine load average: $(cut -d' ' -f1-3 /proc/loadavg)"

echo
echo "<!-- benches/integrations.sh: begin -->"
echo "\`benches/integrations.sh $secs $backlog\` on $(date -u +%Y-%m-%d), $(nproc) cores shared by the runner,"
echo "wrk and the receiver; load average $(cut -d' ' -f1-3 /proc/loadavg) at the end:"
echo
echo "- a placement's answer to its event at the endpoint, no pass called (${#latencies[@]} placements):"
echo "  p50 $lat_p50 ms, p90 $lat_p90 ms, max $lat_max ms;"
echo "- a backlog of $drained events delivered at $rate events/s (passes called back to back by two"
echo "  clients)."
echo
echo "| wrk, $conns connections, ${secs} s | req/s | p50 | runner CPU per request |"
echo "|---|---|---|---|"
printf '%s\n' "${rows[@]}"
echo "<!-- benches/integrations.sh: end -->"
