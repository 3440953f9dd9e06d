#!/usr/bin/env bash
# Counts the key-value calls each command makes, as the runner counts them
# (`orderflow up --count-kv-calls`: the calls a component made before its answer, and how many of
# them were writes). The counts do not depend on the store or the machine (a command retried
# against a concurrent writer makes more; these run one at a time), so one run says what every
# store will see: on Spin's SQLite store each write call is a commit, on Redis each call is a
# round trip. Ends with a markdown table between marker lines for benches/update-readme.sh.
# Usage: benches/kv-calls.sh (BIN=path/to/orderflow skips the release build of the runner.)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/tools.sh
source benches/lib.sh
bench_prepare

bench_manifest "$PWD" "$work/spin.toml"
port=39548
base="http://127.0.0.1:$port"
bench_start "$work/spin.toml" "$port" "$work/state" --count-kv-calls

rows=()
# call <label> <token> <method> <path> [body] [extra header]: one request; its counts become a row.
call() {
    local label="$1" token="$2" method="$3" path="$4" body="${5:-}" extra="${6:-}" headers status counts
    headers="$(curl -s -o "$work/body" -D - -X "$method" "$base$path" \
        -H "Authorization: Bearer bench-$token" -H 'Content-Type: application/json' \
        ${extra:+-H "$extra"} ${body:+--data-binary "$body"})"
    status="$(echo "$headers" | awk 'NR == 1 {print $2}')"
    counts="$(echo "$headers" | tr -d '\r' | awk -F': ' 'tolower($1) == "orderflow-kv-calls" {print $2}')"
    local calls writes
    calls="$(echo "$counts" | sed -n 's/.*calls=\([0-9]*\).*/\1/p')"
    writes="$(echo "$counts" | sed -n 's/.*writes=\([0-9]*\).*/\1/p')"
    printf '%-58s %s  calls %3s  writes %3s\n' "$label" "$status" "$calls" "$writes"
    [ "${status:-0}" -lt 400 ] || { echo "  $(head -c 300 "$work/body")"; exit 1; }
    rows+=("| $label | $status | $calls | $writes |")
}
key() { # a 44-digit NF-e key with its check digit
    local body="3526111122233300018155001$(printf '%09d' "$1")112345678"
    local sum=0 weight=2 i digit check
    for (( i = ${#body} - 1; i >= 0; i-- )); do
        digit="${body:$i:1}"
        sum=$(( sum + digit * weight ))
        weight=$(( weight == 9 ? 2 : weight + 1 ))
    done
    check=$(( 11 - sum % 11 ))
    [ "$check" -ge 10 ] && check=0
    echo "$body$check"
}
now="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
with_external() { echo "$ORDER_JSON" | sed "s/\"channel\":\"storefront\"/\"channel\":\"marketplace\",\"externalId\":\"$1\"/"; }

call "place-order" checkout_token POST /checkout/orders "$ORDER_JSON"
call "place-order with externalId" checkout_token POST /checkout/orders "$(with_external mk-1)"
call "place-order, the same externalId again (replay)" checkout_token POST /checkout/orders "$(with_external mk-1)"
call "place-order with Idempotency-Key" checkout_token POST /checkout/orders "$ORDER_JSON" "Idempotency-Key: bench-1"
call "place-order, the same Idempotency-Key again (replay)" checkout_token POST /checkout/orders "$ORDER_JSON" "Idempotency-Key: bench-1"
call "manual payment approval" admin_token POST /orders/o-1/payment "{\"amount\": $ORDER_TOTAL}"
call "start handling" admin_token POST /orders/o-1/handling '{}'
call "output invoice (ERP)" erp_token POST /orders/o-1/invoices \
    "{\"type\": \"output\", \"number\": \"1001\", \"series\": \"1\", \"key\": \"$(key 1001)\", \"value\": $ORDER_TOTAL, \"issuedAt\": \"$now\"}"
call "shipment" logistics_token POST /orders/o-1/shipments \
    '{"invoiceNumber": "1001", "carrier": "Correios", "number": "BR1BR"}'
call "tracking event" logistics_token POST /orders/o-1/shipments/BR1BR/events \
    "{\"status\": \"delivered\", \"description\": \"Entregue\", \"occurredAt\": \"$now\"}"
call "comment" admin_token POST /orders/o-2/comments '{"text": "called the customer"}'
call "hold" admin_token POST /orders/o-2/hold '{"reason": "fraud check"}'
call "unhold" admin_token POST /orders/o-2/unhold '{}'
call "cancel" admin_token POST /orders/o-2/cancel '{"reason": "out of stock"}'
SUB_JSON="$(echo "$ORDER_JSON" | sed 's/"channel":"storefront","currency":"BRL",/"schedule":{"every":1,"unit":"month"},"timezone":"America\/Sao_Paulo","startAt":"'"$now"'",/; s/"payment":{"method":"pix"}/"payment":{"method":"credit-card"}/')"
call "create subscription" admin_token POST /subscriptions "$(echo "$SUB_JSON" | sed 's/^{/{"id":"s-bench-1",/')"
call "create subscription with Idempotency-Key" admin_token POST /subscriptions "$(echo "$SUB_JSON" | sed 's/^{/{"id":"s-bench-2",/')" "Idempotency-Key: bench-sub-2"
call "create subscription without an id (numbered)" admin_token POST /subscriptions "$SUB_JSON"
call "create subscription without an id, with Idempotency-Key" admin_token POST /subscriptions "$SUB_JSON" "Idempotency-Key: bench-sub-3"
call "the same Idempotency-Key again (replay)" admin_token POST /subscriptions "$SUB_JSON" "Idempotency-Key: bench-sub-3"
call "create plan" admin_token POST /plans '{"id": "p-bench", "name": "Cafe do mes", "schedule": {"every": 1, "unit": "month"}, "timezone": "America/Sao_Paulo"}'
call "pause subscription" admin_token POST /subscriptions/s-bench-1/pause '{}'
call "resume subscription with Idempotency-Key" admin_token POST /subscriptions/s-bench-1/resume '{}' "Idempotency-Key: bench-resume"
call "the same Idempotency-Key again (replay)" admin_token POST /subscriptions/s-bench-1/resume '{}' "Idempotency-Key: bench-resume"
call "pause subscription again" admin_token POST /subscriptions/s-bench-1/pause '{}'
call "resume subscription" admin_token POST /subscriptions/s-bench-1/resume '{}'
call "skip a cycle" admin_token POST /subscriptions/s-bench-1/skip '{}'
call "cancel subscription" admin_token POST /subscriptions/s-bench-2/cancel '{}'
call "GET order" admin_token GET /orders/o-1
call "GET /orders (a page of 50)" admin_token GET /orders
call "GET /orders?status=canceled" admin_token GET '/orders?status=canceled'
echo "(the kick after each write's answer is not counted: it runs after the answer)"

echo
echo "<!-- benches/kv-calls.sh: begin -->"
echo "\`benches/kv-calls.sh\` on $(date -u +%Y-%m-%d) ($(git rev-parse --short HEAD)): the key-value calls each"
echo "command makes before its answer, one command at a time on a fresh store:"
echo
echo "| command | status | calls | of them writes |"
echo "|---|---|---|---|"
printf '%s\n' "${rows[@]}"
echo "<!-- benches/kv-calls.sh: end -->"
