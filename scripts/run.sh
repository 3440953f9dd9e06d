#!/usr/bin/env bash
# Runs orderflow locally: `cargo run --release -- up` on spin.toml, serving 127.0.0.1:3000 with
# data under .spin/. Every required variable of spin.toml that is not set (as SPIN_VARIABLE_<NAME>
# or with --variable) gets a development value `dev-<name>`, printed so you can call the API.
# Extra arguments go to `orderflow up` (e.g. --listen 0.0.0.0:8080, --key-value-store memory).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/tools.sh
ensure_wasm_opt

args=()
# The required variables of spin.toml's [variables] table (`required = true`: no default), one
# name per line. Variables with a default keep it.
while read -r name; do
    env_name="SPIN_VARIABLE_$(echo "$name" | tr '[:lower:]' '[:upper:]')"
    if [ -z "${!env_name:-}" ] && [[ " $* " != *" --variable $name="* ]]; then
        echo "run: $name = dev-$name (set $env_name to choose another)" >&2
        args+=(--variable "$name=dev-$name")
    fi
done < <(sed -n '/^\[variables\]/,/^\[/{s/^\([a-z_][a-z0-9_]*\) *= *{.*required *= *true.*/\1/p}' spin.toml)

exec cargo run --release -- up "${args[@]}" "$@"
