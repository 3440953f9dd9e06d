#!/usr/bin/env bash
# The contract check: schemathesis (4.x, from PyPI, in a virtual environment under target/) runs
# every operation of openapi.yaml against the app on the local runner, with every token, all
# checks, a fixed seed and the stateful phase, and fails on any failure. Run it after
# scripts/test.sh, whose build it reuses (target/debug/orderflow and the components spin.toml
# names); on its own it builds what is missing first. .ci/run runs it.
#
# Arguments go to `schemathesis run` (e.g. --max-examples 20, --include-operation-id getOrder).
# SCHEMATHESIS_SEED and SCHEMATHESIS_EXAMPLES override the seed and the examples per operation.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

work=target/contract
venv=$work/venv
schemathesis_version='>=4.32,<5'
mkdir -p "$work"

# The virtual environment, made once and kept with the build.
if ! "$venv/bin/schemathesis" --version 2>/dev/null | grep -q 'version 4\.'; then
    echo "contract: installing schemathesis into $venv" >&2
    rm -rf "$venv"
    if ! python3 -m venv "$venv" >/dev/null 2>&1; then
        # Debian ships venv apart from python3.
        if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
            apt-get install -y -qq python3-venv >/dev/null 2>&1 ||
                { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq python3-venv >/dev/null 2>&1; }
        fi
        rm -rf "$venv"
        python3 -m venv "$venv"
    fi
    "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis$schemathesis_version"
fi

# A key written twice in the spec would be dropped by every YAML reader, schemathesis' too.
"$venv/bin/python" tests/contract/unique_keys.py openapi.yaml

# The runner and the components (no-ops when scripts/test.sh built them).
cargo build --workspace --locked --quiet --bin orderflow
for source in $(sed -n 's/^source = "\(.*\)"$/\1/p' spin.toml); do
    if [ ! -f "$source" ]; then
        ./scripts/build-components.sh
        break
    fi
done

# Fixed values for every variable of spin.toml, required or not, so the run never depends on
# the environment; the defaults of the optional ones are kept.
declare -A tokens=(
    [checkout_token]=contract-checkout-token
    [admin_token]=contract-admin-token
    [logistics_token]=contract-logistics-token
    [erp_token]=contract-erp-token
    [payment_webhook_secret]=contract-webhook-secret
    [payment_retry_attempts]=5
    [payment_retry_interval_minutes]=180
    [pass_shards]=2
    [webhook_hosts]='http://127.0.0.1:*'
    [session_key]=contract-session-key
    [store_time_zone]=America/Sao_Paulo
)
args=()
while read -r name; do
    if [ -z "${tokens[$name]+set}" ]; then
        echo "contract: spin.toml declares variable $name, which scripts/contract.sh does not set" >&2
        exit 1
    fi
    args+=(--variable "$name=${tokens[$name]}")
done < <(sed -n '/^\[variables\]/,/^\[/{s/^\([a-z_][a-z0-9_]*\) *=.*/\1/p}' spin.toml)

# A fresh state directory and a free port.
state=$work/state
rm -rf "$state"
mkdir -p "$state"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
log=$work/runner.log
target/debug/orderflow up --manifest spin.toml --no-build --state-dir "$state" --listen "127.0.0.1:$port" \
    "${args[@]}" >"$log" 2>&1 &
runner=$!
trap 'kill "$runner" 2>/dev/null || true; wait "$runner" 2>/dev/null || true' EXIT

# Serving once any route answers (a 404 for an unknown order is an answer); builds may take a while.
for _ in $(seq 1 1800); do
    if python3 -c 'import sys, urllib.request, urllib.error
try:
    urllib.request.urlopen(sys.argv[1], timeout=2)
except urllib.error.HTTPError:
    pass' "http://127.0.0.1:$port/orders/contract-probe" 2>/dev/null; then
        break
    fi
    if ! kill -0 "$runner" 2>/dev/null; then
        echo "contract: the runner exited; its log:" >&2
        cat "$log" >&2
        exit 1
    fi
    sleep 1
done

export CONTRACT_CHECKOUT_TOKEN=${tokens[checkout_token]}
export CONTRACT_ADMIN_TOKEN=${tokens[admin_token]}
export CONTRACT_LOGISTICS_TOKEN=${tokens[logistics_token]}
export CONTRACT_ERP_TOKEN=${tokens[erp_token]}
export CONTRACT_WEBHOOK_SECRET=${tokens[payment_webhook_secret]}
export SCHEMATHESIS_HOOKS=contract_hooks
export PYTHONPATH=$root/tests/contract
export PYTHONDONTWRITEBYTECODE=1

"$venv/bin/schemathesis" --config-file tests/contract/schemathesis.toml run openapi.yaml \
    --url "http://127.0.0.1:$port" \
    --seed "${SCHEMATHESIS_SEED:-20261206}" \
    --max-examples "${SCHEMATHESIS_EXAMPLES:-40}" \
    --report junit,ndjson --report-dir "$work/report" \
    "$@"
