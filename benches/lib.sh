# Shared by the benchmark scripts (sourced, after scripts/tools.sh): the preparation, a runner
# serving a manifest, wrk runs measured with the runner's CPU time, and the request bodies.

# The sample placement every benchmark sends.
ORDER_JSON='{"channel":"storefront","currency":"BRL","customer":{"id":"c-17","name":"Ana Souza","email":"ana@example.com","document":"39053344705"},"shippingAddress":{"street":"Rua A","number":"10","neighborhood":"Centro","city":"São Paulo","state":"SP","postalCode":"01001000","country":"BRA"},"items":[{"sku":"CAM-P-AZ","name":"Camiseta azul P","quantity":2,"unitPrice":4990}],"shipping":{"method":"PAC","price":1500},"payment":{"method":"pix"}}'
ORDER_TOTAL=11480
BENCH_VARIABLES=(checkout_token admin_token erp_token logistics_token payment_webhook_secret session_key)

# bench_prepare: what every script needs before it measures: the wasm target and wasm-opt, the
# runner as $BIN (a release build unless BIN is set), the components and the fixtures; and a
# temporary directory $work and a list $pids of processes, both gone when the script exits.
bench_prepare() {
    ensure_wasm_target
    ensure_wasm_opt
    if [ -z "${BIN:-}" ]; then cargo build --release --quiet; BIN=target/release/orderflow; fi
    "$BIN" build >/dev/null
    CARGO_TARGET_DIR="$PWD/target" cargo build --quiet --target wasm32-wasip2 \
        --profile wasm-release --manifest-path tests/fixtures/Cargo.toml
    work="$(mktemp -d)"
    pids=()
    trap bench_cleanup EXIT
}

# Stops what the script started (and waits, so no port stays taken) and removes $work.
bench_cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
    wait "${pids[@]}" 2>/dev/null || true
    rm -rf "$work"
}

# bench_manifest <project dir> <out file>: the project's spin.toml with absolute sources, plus the
# hello-world fixture (built from this tree) on /hello.
bench_manifest() {
    sed "s|^source = \"target/|source = \"$1/target/|" "$1/spin.toml" > "$2"
    cat >> "$2" <<TOML

[[trigger.http]]
route = "/hello"
component = "hello"

[component.hello]
source = "$PWD/target/wasm32-wasip2/wasm-release/fixture_hello.wasm"
TOML
}

# bench_start <manifest> <port> <state dir> [orderflow up arguments...]: starts the runner
# ($BIN) with a bench value for every token, waits for /hello, and sets `pid`.
bench_start() {
    local manifest="$1" port="$2" state="$3" vars=()
    shift 3
    for name in "${BENCH_VARIABLES[@]}"; do vars+=(--variable "$name=bench-$name"); done
    env -u RUST_BACKTRACE -u RUST_LIB_BACKTRACE RUST_LOG=warn "$BIN" up --no-build \
        --manifest "$manifest" --listen "127.0.0.1:$port" --state-dir "$state" "${vars[@]}" "$@" \
        2>>"$state.log" &
    pid=$!
    pids+=("$pid")
    for _ in $(seq 200); do curl -sf "http://127.0.0.1:$port/hello" >/dev/null 2>&1 && return; sleep 0.1; done
    echo "the runner on port $port did not start: $(tail -5 "$state.log")" >&2
    return 1
}

# bench_redis <port> <dir>: starts a redis-server of the benchmark's own on loopback port <port>,
# without persistence (`--save '' --appendonly no`), its log in <dir>; waits until it answers
# PING, adds it to `pids` (stopped on exit) and sets `pid`. scripts/tools.sh's
# `ensure_redis_server` installs it.
bench_redis() {
    local port="$1" dir="$2" reply
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
        echo "port $port is taken: stop what listens there (a redis-server left running?)" >&2
        return 1
    fi
    mkdir -p "$dir"
    redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --dir "$dir" \
        --logfile redis.log --daemonize no >/dev/null 2>&1 &
    pid=$!
    pids+=("$pid")
    for _ in $(seq 100); do
        reply="$(redis-cli -p "$port" ping 2>/dev/null || true)"
        [ "$reply" = PONG ] && return
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    echo "the redis-server on port $port did not start: $(tail -5 "$dir/redis.log" 2>/dev/null)" >&2
    return 1
}

# bench_lua: wrk scripts in $work: place.lua (placements), approve.lua (approves o-1, o-2, ...
# once each, after the first $SKIP orders), get.lua (the admin token).
bench_lua() {
    cat > "$work/place.lua" <<LUA
wrk.method = "POST"
wrk.body = '$ORDER_JSON'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer bench-checkout_token"
LUA
    cat > "$work/approve.lua" <<LUA
local threads = 0
function setup(thread) thread:set("first", threads); threads = threads + 1 end
function init() n = first + tonumber(os.getenv("SKIP") or "0") end
function request()
    n = n + 2
    return wrk.format("POST", "/orders/o-" .. (n - 1) .. "/payment",
        {["Content-Type"] = "application/json", ["Authorization"] = "Bearer bench-admin_token"},
        '{"amount": $ORDER_TOTAL, "note": "bench"}')
end
LUA
    cat > "$work/get.lua" <<'LUA'
wrk.headers["Authorization"] = "Bearer bench-admin_token"
LUA
}

# bench_ms: wrk's latency (`850.00us`, `5.70ms`, `1.20s`) in milliseconds, `5.70ms`.
bench_ms() {
    awk '{v = $1 + 0; if ($1 ~ /us$/) v /= 1000; else if ($1 ~ /[0-9]s$/ && $1 !~ /ms$/) v *= 1000;
          printf "%.2fms\n", v}'
}

# bench_wrk <runner pid> <url> <seconds> <connections> [wrk args...]: one wrk run; sets `rps`,
# `p50`, `p99`, `cpu` (the runner's user + system CPU per request, in µs), `errors`, and
# `wrk_out`, wrk's whole output (with what a script's `done` printed).
bench_wrk() {
    local runner="$1" url="$2" seconds="$3" connections="$4" out requests before hz
    shift 4
    hz="$(getconf CLK_TCK)"
    before="$(awk '{print $14 + $15}' "/proc/$runner/stat")"
    out="$(wrk -t"$(( connections < 2 ? connections : 2 ))" -c"$connections" -d"${seconds}s" --latency "$@" "$url")"
    requests="$(echo "$out" | awk '/requests in/ {print $1}')"
    cpu="$(awk -v t="$(( $(awk '{print $14 + $15}' "/proc/$runner/stat") - before ))" -v hz="$hz" \
        -v n="$requests" 'BEGIN {printf "%.0f", t / hz * 1e6 / n}')"
    rps="$(echo "$out" | awk '/Requests\/sec/ {printf "%.0f", $2}')"
    p50="$(echo "$out" | awk '$1 == "50%" {print $2}' | bench_ms)"
    p99="$(echo "$out" | awk '$1 == "99%" {print $2}' | bench_ms)"
    errors="$(echo "$out" | awk '/Non-2xx|Socket errors/ {printf "%s ", $0}')"
    wrk_out="$out"
}
