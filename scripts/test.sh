#!/usr/bin/env bash
# Runs every test of the workspace. This is the README's test command and what CI runs.
set -euo pipefail
cd "$(dirname "$0")/.."

source scripts/tools.sh
ensure_wasm_target
ensure_wasm_opt
ensure_redis_server
ensure_chromium

cargo test --workspace --locked

# The end-to-end suites once more on Redis, as Spin's Redis store serves them (each test starts a
# redis-server of its own): the same answers, concurrency and crash repair included.
ORDERFLOW_E2E_STORE=redis cargo test --workspace --locked --test orders --test subscriptions
