#!/usr/bin/env bash
# Benchmarks one subscription runner pass at different store sizes: for each size N, a
# fresh runner store is seeded with N subscriptions, 1,000 of them due in the minute T and the rest
# from T + 1 h over the following 30 days; then the real runner serves the real spin.toml (without
# its cron trigger) on that store and ONE `POST /subscriptions/run` is timed: the pass that creates
# the 1,000 orders. Reports the pass's wall time, orders created per second and the runner's CPU for
# it, then the ratio of the last size's pass time to the first's. Goals: pass times
# within 1.5x of each other at 100k and 1M, and at least 2,000 orders per second. Reports, never
# gates. Ends with the summary as a markdown table between marker lines, which
# benches/update-readme.sh puts into benches/README.md.
#
# Seeding (set-up, timed but not the measured figure) runs natively: benches/seed-subscriptions
# creates every subscription through the subscriptions service's own `Subscriptions::create`
# over a rusqlite connection to the store file, many calls per transaction. Before the runner
# starts, it also runs the same pass natively with an orders service that only counts, inside a
# transaction it rolls back, and prints the subscriptions side's key-value calls per order.
#
# T is the whole minute two minutes before each size's seeding: a live pass runs at the host
# clock. Orders are card orders, so the pass's unpaid-order sweep cancels none of them (it still
# reads the pending ones).
#
# The runner's request time limit is raised to 10 minutes (default 30 s) so that a slow pass is
# measured rather than cut off; the script says when a pass took longer than the default.
#
# Usage: benches/subscriptions.sh [size...]   (default: 100000 1000000; e.g. `... 10000`)
# BIN=path/to/orderflow skips the release build of the runner and uses that binary. The seeding
# tool is built in $CARGO_TARGET_DIR (default target/). WORK=dir puts the state directories there
# (default: a fresh mktemp directory; a 1M store takes gigabytes, twice while a run works on its
# copy: benches/README.md); they are deleted at the end. RUNS=n passes per size (default 3), each on a fresh copy of
# the seeded store with a fresh runner; the summary uses their median. PERF=dir records `perf
# record -g` of the runner during each timed pass into dir/perf-<size>-<run>.data (the runner
# writes /tmp/perf-<pid>.map of guest functions). KV_CALLS=1 adds an untimed pass per size that
# counts the runner's key-value backend calls with gdb (see `kv_calls`). PASS_SHARDS=n sets the
# application variable `pass_shards` (default 2: the pass runs as two parallel shards).
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("$@")
[ ${#sizes[@]} -eq 0 ] && sizes=(100000 1000000)
due=1000
runs="${RUNS:-3}"
source scripts/tools.sh
ensure_wasm_target
ensure_wasm_opt

if [ -z "${BIN:-}" ]; then cargo build --release --quiet; BIN=target/release/orderflow; fi
# spin.toml's build commands write under target/, whatever CARGO_TARGET_DIR says.
env -u CARGO_TARGET_DIR "$BIN" build >/dev/null 2>&1
cargo build --release --quiet -p seed-subscriptions
seed="${CARGO_TARGET_DIR:-$PWD/target}/release/seed-subscriptions"

if [ -n "${WORK:-}" ]; then mkdir -p "$WORK"; work="$(mktemp -d "$WORK/subs-bench.XXXXXX")"
else work="$(mktemp -d)"; fi
pid=
stop_runner() {
    if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
    pid=
}
trap 'stop_runner; rm -rf "$work"' EXIT

# The real spin.toml with absolute component paths.
sed "s|^source = \"target/|source = \"$PWD/target/|" spin.toml > "$work/spin.toml"
vars=()
for name in checkout_token admin_token erp_token logistics_token payment_webhook_secret; do
    vars+=(--variable "$name=bench-$name")
done
[ -n "${PASS_SHARDS:-}" ] && vars+=(--variable "pass_shards=$PASS_SHARDS")
admin=(-H 'Authorization: Bearer bench-admin_token')
port=39519
hz="$(getconf CLK_TCK)"
load() { cut -d' ' -f1-3 /proc/loadavg; }

# The passes are live ones at the host clock (only a test clock's passes may run ahead of it), so
# each size is seeded with T two whole minutes before now: its 1,000 are due, the rest fall due
# from T + 1 h, by which time its runs are over. Without the cron trigger, whose pass would
# run before the timed one.
awk '/^\[\[trigger.cron\]\]/ {skip = 1} /^$/ {skip = 0} !skip' "$work/spin.toml" \
    > "$work/spin-no-cron.toml"
echo "$(nproc) cores, runner and seeding on the same machine"

# Copies the seeded store $1 to $2 and serves it; $pid is the runner once it answers.
start_runner() { # seeded-dir state-dir log
    rm -rf "$2"; cp -r "$1" "$2"
    # On disk before the runner starts: else its first checkpoint's fsync would write back the
    # whole copy inside the timed pass.
    sync "$2/sqlite_key_value.db"
    env -u RUST_BACKTRACE -u RUST_LIB_BACKTRACE RUST_LOG=warn ${PERF:+ORDERFLOW_PERF_MAP=1} \
        "$BIN" up --no-build --manifest "$work/spin-no-cron.toml" --listen "127.0.0.1:$port" \
        --state-dir "$2" --time-limit-ms 600000 "${vars[@]}" 2>"$3" &
    pid=$!
    # Ready once the subscriptions component answers (this also instantiates it once).
    for _ in $(seq 300); do
        curl -sf "${admin[@]}" "http://127.0.0.1:$port/plans?limit=1" >/dev/null 2>&1 && break
        sleep 0.1
    done
}

run_pass() { # prints the pass report
    [ "$(date +%s)" -lt $(( t_epoch + 3300 )) ] ||
        echo "  (over 55 minutes after T: the rest of the population is falling due)" >&2
    curl -s -X POST "${admin[@]}" -H 'Content-Type: application/json' \
        -d '{}' "http://127.0.0.1:$port/subscriptions/run"
}

# KV_CALLS=1: one more pass per size, not timed, with gdb counting the runner's calls into its
# key-value backend (breakpoints on the `Backend` methods of `orderflow::kv::Sqlite`, from the
# runner's symbol table): every call of both services and the pass, by kind, per created order;
# then the same for the same pass again (the unpaid sweep), still per order of the first pass.
kv_calls() { # size seeded-dir
    local n="$1" state="$work/run" cmds="$work/gdb-cmds" label answer gdb_pid i=0
    command -v gdb >/dev/null || { echo "  KV_CALLS: gdb is missing"; return; }
    nm "$BIN" | awk '$2 == "T" && /Sqlite.*Backend/ {print $3}' > "$work/syms"
    [ -s "$work/syms" ] || { echo "  KV_CALLS: $BIN has no symbols"; return; }
    {
        echo "set pagination off"; echo "set confirm off"
        echo "handle SIGUSR1 stop print nopass"; echo "handle SIGPIPE nostop noprint pass"
        while read -r sym; do echo "break *'$sym'"; done < "$work/syms"
        while read -r _; do i=$((i + 1)); echo "ignore $i 1000000000"; done < "$work/syms"
        echo 'echo ATTACHED\n'; echo "continue"; echo "info breakpoints"; echo "detach"
    } > "$cmds"
    start_runner "$2" "$state" "$work/log-$n-kv"
    for label in "pass" "again"; do
        gdb -q -batch -p "$pid" -x "$cmds" > "$work/gdb-$label.log" 2>&1 &
        gdb_pid=$!
        for _ in $(seq 300); do grep -q ATTACHED "$work/gdb-$label.log" && break; sleep 0.1; done
        answer="$(run_pass)"
        kill -USR1 "$pid"
        wait "$gdb_pid" || true
        awk -v div="$due" -v label="$label" -v answer="$answer" '
            /Backend>::/ { name = $0; sub(/.*Backend>::/, "", name); sub(/::h[0-9a-f]+>.*/, "", name) }
            /already hit/ { hits[name] = $4; total += $4 }
            END {
                line = ""
                for (k in hits) line = line sprintf(" %s %.2f", k, hits[k] / div)
                printf "  key-value calls, %s: %.2f per created order:%s  %s\n", label, total / div, line, answer
            }' "$work/gdb-$label.log"
    done
    stop_runner
    rm -rf "$state"
}

# One timed pass on a copy of the seeded store: prints a line, appends "seconds" to $times.
timed_pass() { # size run seeded-dir
    local n="$1" r="$2" state="$work/run" perf_pid= answer again again_ms start_ns end_ns
    local cpu_before cpu_ticks load_before secs cpu created errors verdict rate again_start
    start_runner "$3" "$state" "$work/log-$n-$r"
    if [ -n "${PERF:-}" ]; then
        mkdir -p "$PERF"
        perf record -q -g -F 999 -p "$pid" -o "$PERF/perf-$n-$r.data" 2>/dev/null &
        perf_pid=$!
        sleep 0.5
    fi
    load_before="$(load)"
    cpu_before="$(awk '{print $14 + $15}' "/proc/$pid/stat")"
    start_ns="$(date +%s%N)"
    answer="$(run_pass)"
    end_ns="$(date +%s%N)"
    cpu_ticks=$(( $(awk '{print $14 + $15}' "/proc/$pid/stat") - cpu_before ))
    if [ -n "$perf_pid" ]; then kill -INT "$perf_pid"; wait "$perf_pid" || true; fi
    # The same pass again: nothing is due any more, so its cost is the walk and the unpaid-order
    # sweep over the 1,000 orders just placed (pending card payments, none cancelable).
    again_start="$(date +%s%N)"
    again="$(run_pass)"
    again_ms="$(awk -v a="$again_start" -v b="$(date +%s%N)" 'BEGIN {printf "%.0f", (b - a) / 1e6}')"
    stop_runner
    secs="$(awk -v a="$start_ns" -v b="$end_ns" 'BEGIN {printf "%.3f", (b - a) / 1e9}')"
    cpu="$(awk -v t="$cpu_ticks" -v hz="$hz" 'BEGIN {printf "%.2f", t / hz}')"
    created="$(echo "$answer" | grep -o '"created":[0-9]*' | cut -d: -f2 || true)"
    errors="$(echo "$answer" | grep -o '"errors":\[[^]]*\]' || true)"
    verdict="ok"
    if [ "$created" != "$due" ] || [ "$errors" != '"errors":[]' ]; then
        verdict="UNEXPECTED ANSWER: $answer"
    fi
    rate="$(awk -v n="${created:-0}" -v s="$secs" 'BEGIN {printf "%.0f", n / s}')"
    printf '  run %s: pass %7.3f s, %5s orders/s, runner CPU %5s s, load before %s; again: %s ms  %s\n' \
        "$r" "$secs" "$rate" "$cpu" "$load_before" "$again_ms" "$verdict"
    awk -v s="$secs" 'BEGIN {exit !(s > 30)}' &&
        echo "  (longer than the runner's default 30 s request time limit)"
    grep -v '^\s*$' "$work/log-$n-$r" | tail -5 | sed 's/^/  runner log: /' || true
    times+=("$secs")
    rates+=("$rate")
    cpus+=("$cpu")
    rm -rf "$state"
}

median() { printf '%s\n' "$@" | sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }

results=()
md_rows=()
for n in "${sizes[@]}"; do
    seeded="$work/seeded-$n"
    t_epoch=$(( ($(date +%s) / 60 - 2) * 60 ))
    t="$(date -u -d "@$t_epoch" +%Y-%m-%dT%H:%M:%SZ)"
    pass_now="$(date -u -d "@$((t_epoch + 60))" +%Y-%m-%dT%H:%M:%SZ)"
    echo "== $n subscriptions, T = $t (1,000 due)"
    "$seed" seed --state-dir "$seeded" --count "$n" --due "$due" --due-at "$t"
    echo "  store: $(du -sh "$seeded" | cut -f1) on disk, $(df -h --output=avail "$work" | tail -1 | tr -d ' ') free; load $(load)"
    "$seed" count-pass --state-dir "$seeded" --now "$pass_now" | sed 's/^/  /'
    echo "  each run: a copy of this store, a fresh runner, ONE timed pass; then the same pass again"
    times=()
    rates=()
    cpus=()
    for r in $(seq "$runs"); do timed_pass "$n" "$r" "$seeded"; done
    [ -n "${KV_CALLS:-}" ] && kv_calls "$n" "$seeded"
    results+=("$n $(median "${times[@]}")")
    md_rows+=("$n|${#times[@]}|$(printf '%s\n' "${rates[@]}" | sort -n | paste -sd, | sed 's/,/, /g')|$(median "${times[@]}")|$(printf '%s\n' "${cpus[@]}" | sort -n | sed -n '1p;$p' | paste -sd- )")
    rm -rf "$seeded"
done

echo "== summary (machine load average now: $(load))"
first="${results[0]}"
for r in "${results[@]}"; do
    set -- $r
    printf '%8s subscriptions: median pass %7.3f s, %6.0f orders/s, %.2fx the first size'"'"'s\n' \
        "$1" "$2" "$(awk -v s="$2" -v n="$due" 'BEGIN {print n / s}')" \
        "$(awk -v a="$2" -v b="${first#* }" 'BEGIN {print a / b}')"
done
echo "goals: pass times within 1.5x of each other; at least 2000 orders/s"

echo
echo "<!-- benches/subscriptions.sh: begin -->"
echo "\`RUNS=$runs benches/subscriptions.sh ${sizes[*]}\` on $(date -u +%Y-%m-%d): one pass creating $due orders, $(nproc) cores,"
echo "load average $(load) at the end:"
echo
echo "| subscriptions | passes | orders per second, each pass | median | median pass time vs the first size | runner CPU per pass |"
echo "|---|---|---|---|---|---|"
for row in "${md_rows[@]}"; do
    IFS='|' read -r n passes rates secs cpu <<<"$row"
    printf '| %s | %s | %s | %.0f | %.2fx | %s s |\n' "$n" "$passes" "$rates" \
        "$(awk -v s="$secs" -v n="$due" 'BEGIN {print n / s}')" \
        "$(awk -v a="$secs" -v b="${first#* }" 'BEGIN {print a / b}')" "$cpu"
done
echo "<!-- benches/subscriptions.sh: end -->"
