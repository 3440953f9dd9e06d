#!/usr/bin/env bash
# Benchmarks the back office panel on the runner: the size of its component (its own .wasm and
# composed with the services), the time to render the orders list (first page of 25, the
# newest, with the status tabs' counts) with 10,000 orders in the store, filtered lists, an
# order's page and the other sections' first pages, and a sign-in
# (an Argon2id hash: 19 MiB, 2 passes, in wasm).
# Seeds the orders with wrk (as many placements as asked, a few more in flight), signs in over
# HTTP, then measures each page with wrk at 1 connection (latency: the goal is under 100 ms for
# the list) and the runner's CPU per request. Reports, never gates; ends with a markdown table
# between marker lines for benches/update-readme.sh.
# Usage: benches/backoffice.sh [orders, default 10000] [seconds per page, default 5]
# (BIN=path/to/orderflow skips the release build of the runner.)
set -euo pipefail
cd "$(dirname "$0")/.."
orders="${1:-10000}"
secs="${2:-5}"
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 1; }
source scripts/tools.sh
source benches/lib.sh
bench_prepare

bench_manifest "$PWD" "$work/spin.toml"
port=39541
base="http://127.0.0.1:$port"
bench_start "$work/spin.toml" "$port" "$work/state"

# Seed: each of wrk's two threads stops after its half of the placements.
cat > "$work/seed.lua" <<LUA
wrk.method = "POST"
wrk.body = '$ORDER_JSON'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer bench-checkout_token"
local done = 0
function response(status)
    done = done + 1
    if done >= $(( orders / 2 )) then wrk.thread:stop() end
end
LUA
seeded="$(wrk -t2 -c8 -d600s -s "$work/seed.lua" "$base/checkout/orders")"
echo "$seeded" | grep -q "Non-2xx" && { echo "some placements were refused: $seeded" >&2; exit 1; }
count="$(echo "$seeded" | awk '/requests in/ {print $1}')"
echo "orders in the store: $count"

curl -sf -o /dev/null -X POST "$base/operators" -H 'Authorization: Bearer bench-admin_token' \
    -H 'Content-Type: application/json' \
    -d '{"name": "Bench Operator", "email": "bench@loja.example", "password": "bench password 123", "role": "admin"}'
sign_in() {
    curl -s -o /dev/null -D "$work/headers" -w '%{time_total}' -X POST "$base/admin/sign-in" \
        -H 'Content-Type: application/x-www-form-urlencoded' \
        --data 'email=bench%40loja.example&password=bench+password+123'
}
signin_times=()
for _ in 1 2 3 4 5; do signin_times+=("$(sign_in)"); done
cookie="$(awk -F': ' 'tolower($1) == "set-cookie" {split($2, a, ";"); print a[1]}' "$work/headers")"
signin_ms="$(printf '%s\n' "${signin_times[@]}" | sort -n | awk '{a[NR] = $1 * 1000} END {printf "%.0f ms (median of %d)", a[int((NR + 1) / 2)], NR}')"
first_id="$(curl -sf "$base/orders?limit=1&sort=createdAt" -H 'Authorization: Bearer bench-admin_token' | grep -o '"id":"o-[0-9]*"' | head -1 | cut -d'"' -f4)"

cat > "$work/page.lua" <<LUA
wrk.headers["Cookie"] = "$cookie"
function response(status)
    if status ~= 200 then print("status " .. status) end
end
LUA
rows=()
measure() { # label path
    local label="$1" path="$2"
    curl -sf -o /dev/null -H "Cookie: $cookie" "$base$path" || { echo "$path does not answer 200" >&2; exit 1; }
    bench_wrk "$pid" "$base$path" "$secs" 1 -s "$work/page.lua"
    local bytes
    bytes="$(curl -sf -H "Cookie: $cookie" "$base$path" | wc -c)"
    printf '%-52s %6s req/s  p50 %-9s p99 %-9s CPU %6s us/req  %7s bytes\n' "$label" "$rps" "$p50" "$p99" "$cpu" "$bytes"
    rows+=("| $label | $p50 | $p99 | $rps | $cpu µs | $bytes |")
}
echo "1 connection, ${secs}s per page, runner and wrk on the same $(nproc) cores"
measure "orders list, first page (25 newest)" "/admin/orders"
measure "orders list, status tab and free text" "/admin/orders?status=payment-pending&q=Ana"
measure "orders list, total range, sorted by total" "/admin/orders?minTotal=100&maxTotal=200&sort=-total"
measure "an order's page" "/admin/orders/$first_id"
measure "Pendentes (orders with problems; none here)" "/admin/orders?problems=true"
measure "subscriptions dashboard" "/admin/subscriptions"
measure "stock list" "/admin/stock"
measure "webhook endpoints" "/admin/webhooks"

size() { stat -c %s "$1" | awk '{printf "%.0f KB", $1 / 1000}'; }
own="$(size target/wasm32-wasip2/wasm-release/backoffice.wasm)"
composed="$(size target/wasm32-wasip2/wasm-release/backoffice.composed.wasm)"
echo "backoffice.wasm: $own; composed with the orders, subscriptions and inventory services: $composed"
echo "sign-in (Argon2id): $signin_ms"

echo
echo "<!-- benches/backoffice.sh: begin -->"
echo "\`benches/backoffice.sh $orders $secs\` on $(date -u +%Y-%m-%d) ($(git rev-parse --short HEAD)$(git diff --quiet HEAD -- components crates || echo ", changed")), $count orders in the store,"
echo "wrk with 1 connection on the same $(nproc) cores as the runner, load average $(cut -d' ' -f1-3 /proc/loadavg) at the end."
echo "The component: backoffice.wasm $own, composed with the orders, subscriptions and inventory services $composed."
echo "A sign-in (Argon2id, 19 MiB, 2 passes, in wasm): $signin_ms."
echo
echo "| page | p50 | p99 | req/s | runner CPU per request | HTML |"
echo "|---|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
echo "<!-- benches/backoffice.sh: end -->"
