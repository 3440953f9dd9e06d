#!/usr/bin/env bash
# The long torture run: the app on the runner under 32 clients sending random commands and a
# SIGKILL every 5-20 s, on SQLite and then in the CAS-fault mode that reproduces Spin's Redis
# store; each run's record judged by the history checker (tests/torture/check.rs). Prints each
# run's summary; the last line is the total `anomalies: N`.
# Usage: benches/torture.sh [seconds per run, default 600]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-600}"
source scripts/tools.sh
ensure_wasm_target
ensure_wasm_opt
total=0
for mode in sqlite fault; do
    echo "== $mode, ${seconds}s"
    out="$(ORDERFLOW_TORTURE_SECONDS="$seconds" ORDERFLOW_TORTURE_CAS="$mode" \
        cargo test --locked --quiet --test torture -- --ignored --nocapture torture 2>&1)" || true
    echo "$out" | grep -E '^(sent |  [a-z-]+: [0-9]+$|anomalies: |[a-z-]+: )' || { echo "$out" | tail -30; exit 1; }
    found="$(echo "$out" | sed -n 's/^anomalies: \([0-9]*\)$/\1/p' | tail -1)"
    total=$(( total + ${found:-1} ))
done
echo "anomalies: $total"
