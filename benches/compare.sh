#!/usr/bin/env bash
# Compares this tree's order components with those of BASE (a git revision, "today's code"),
# served by the same runner binary in one run, rows alternating between the two builds:
# place-order, payment approval (each request a different order) and GET order, with wrk at 16
# connections. Reports requests per second, p50 and the runner's CPU per request of each build,
# and this tree's ratio to BASE; the medians over the rounds.
#
# KV chooses the store both runners use: `default` (the runner's group-committed SQLite), `spin`
# (`type = "spin"` in a runtime config file: a commit per call, as Spin's SQLite store does, so
# the figures predict `spin up`), `redis` (`type = "redis"`: Spin 3.6.3's Redis store, each build
# on a redis-server of its own, started here on its own loopback port without persistence and
# stopped on exit; scripts/tools.sh's `ensure_redis_server` installs it). The runner's CPU per
# request leaves out the redis-server's.
#
# BASE is checked out once into target/compare/<short rev> (a git worktree; remove it with `git
# worktree remove`) and built there with its own spin.toml's build commands, which takes as long
# as a first build. Reports, never gates; ends with a markdown table between marker lines for
# benches/update-readme.sh.
# Usage: BASE=<rev> [KV=default|spin|redis] benches/compare.sh [seconds per row, default 8] [rounds, default 2]
# (BIN=path/to/orderflow skips the release build of the runner.)
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-8}"
rounds="${2:-2}"
kv="${KV:-default}"
conns=16
: "${BASE:?set BASE to the git revision to compare with, e.g. BASE=HEAD~10}"
case "$kv" in
    default | spin | redis) ;;
    *) echo "KV=$kv: expected default, spin or redis" >&2; exit 1 ;;
esac
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 1; }
source scripts/tools.sh
source benches/lib.sh
[ "$kv" = redis ] && ensure_redis_server
bench_prepare

base_rev="$(git rev-parse --short "$BASE")"
base_dir="$PWD/target/compare/$base_rev"
if [ ! -d "$base_dir" ]; then
    mkdir -p target/compare
    git worktree add --detach "$base_dir" "$base_rev" >/dev/null
fi
echo "building $base_rev's components in $base_dir" >&2
(
    cd "$base_dir"
    unset CARGO_TARGET_DIR
    sed -n 's/^command = "\(.*\)"$/\1/p' spin.toml | while read -r command; do
        sh -c "$command" >/dev/null 2>&1 || { echo "$base_rev: \`$command\` failed" >&2; exit 1; }
    done
)

bench_lua

declare -A port=([head]=39538 [base]=39539) redis_port=([head]=39548 [base]=39549) runner=()
for build in head base; do
    dir="$PWD"
    [ "$build" = base ] && dir="$base_dir"
    bench_manifest "$dir" "$work/$build.toml"
    args=()
    case "$kv" in
        spin)
            printf '[key_value_store.default]\ntype = "spin"\npath = "%s.db"\n' "$build" > "$work/$build-kv.toml"
            args=(--runtime-config-file "$work/$build-kv.toml")
            ;;
        redis)
            bench_redis "${redis_port[$build]}" "$work/$build-redis"
            printf '[key_value_store.default]\ntype = "redis"\nurl = "redis://127.0.0.1:%s"\n' \
                "${redis_port[$build]}" > "$work/$build-kv.toml"
            args=(--runtime-config-file "$work/$build-kv.toml")
            ;;
    esac
    bench_start "$work/$build.toml" "${port[$build]}" "$work/$build-state" "${args[@]}"
    runner[$build]="$pid"
done

declare -A results=() ratios=() last_cpu=() last_rps=() approved=([head]=0 [base]=0)
row() { # build label seconds path [wrk args...]
    local build="$1" label="$2" seconds="$3" path="$4"
    shift 4
    bench_wrk "${runner[$build]}" "http://127.0.0.1:${port[$build]}$path" "$seconds" "$conns" "$@"
    printf '%-5s %-17s %8s req/s  p50 %-8s CPU %6s us/req %s\n' "$build" "$label" "$rps" "$p50" \
        "$cpu" "$errors"
    results["$build/$label"]+="$rps $p50 $cpu;"
    if [ "$build" = head ]; then
        last_cpu[$label]="$cpu"
        last_rps[$label]="$rps"
    else
        # This round's ratios: the machine's speed drifts between rounds, not within a pair.
        ratios[$label]+="$(awk -v h="${last_rps[$label]}" -v b="$rps" 'BEGIN {printf "%.3f", h / b}') $(awk -v h="${last_cpu[$label]}" -v b="$cpu" 'BEGIN {printf "%.3f", h / b}');"
    fi
}
echo "KV=$kv, c=$conns, ${secs}s per row (approvals a quarter), $rounds rounds, $(nproc) cores"
for round in $(seq "$rounds"); do
    for build in head base; do
        row "$build" place-order "$secs" /checkout/orders -s "$work/place.lua"
    done
    for build in head base; do
        SKIP="${approved[$build]}" row "$build" approval "$(( (secs + 3) / 4 ))" /orders \
            -s "$work/approve.lua"
        approved[$build]=$(( approved[$build] + $(echo "$rps * ((secs + 3) / 4) * 1.2 + 10" | bc | cut -d. -f1) ))
    done
    for build in head base; do
        row "$build" "GET order" "$secs" /orders/o-1 -s "$work/get.lua"
    done
done

median() { tr ';' '\n' | awk -v f="$1" 'NF {print $f}' | sed 's/ms$//' | sort -g |
    awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }
echo
echo "<!-- benches/compare.sh KV=$kv: begin -->"
echo "\`BASE=$base_rev KV=$kv benches/compare.sh $secs $rounds\` on $(date -u +%Y-%m-%d), this tree"
echo "($(git rev-parse --short HEAD)$(git diff --quiet || echo ', with changes')) against $base_rev, wrk with $conns connections on the"
echo "same $(nproc) cores as the runner; $rounds rounds, rows alternating; medians of each build's"
echo "figures, and of the ratios taken within each round (the machine drifts between rounds):"
echo
echo "| route | req/s | p50 | runner CPU per request | req/s × base | CPU × base | CPU × base, each round |"
echo "|---|---|---|---|---|---|---|"
for label in place-order approval "GET order"; do
    read -r h_rps h_p50 h_cpu < <(for f in 1 2 3; do median "$f" <<< "${results[head/$label]}"; done | xargs)
    read -r b_rps b_p50 b_cpu < <(for f in 1 2 3; do median "$f" <<< "${results[base/$label]}"; done | xargs)
    read -r r_rps r_cpu < <(for f in 1 2; do median "$f" <<< "${ratios[$label]}"; done | xargs)
    each="$(tr ';' '\n' <<< "${ratios[$label]}" | awk 'NF {printf "%s%.2f", sep, $2; sep = ", "}')"
    echo "| $label, base ($base_rev) | $b_rps | ${b_p50} ms | $b_cpu µs | | | |"
    echo "| $label, this tree | $h_rps | ${h_p50} ms | $h_cpu µs | $(printf '%.2f' "$r_rps") | $(printf '%.2f' "$r_cpu") | $each |"
done
echo "<!-- benches/compare.sh KV=$kv: end -->"
