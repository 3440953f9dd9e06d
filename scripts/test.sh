#!/usr/bin/env bash
# Runs every test of the workspace. This is the README's test command and what CI runs.
set -euo pipefail
cd "$(dirname "$0")/.."

source scripts/tools.sh
ensure_wasm_target
ensure_wasm_opt
ensure_redis_server

cargo test --workspace --locked
