#!/usr/bin/env bash
# Builds and composes every component exactly as `spin build` does: runs each component's
# `[component.<id>.build] command` from spin.toml, in order, from the project root. Then prints
# each artifact's size (goal: under 1 MB for the order components, wasm-release) and, when
# `wasm-tools` is installed, checks that each composed component imports only what a Spin 3.x host
# provides and exports only `wasi:http/incoming-handler` (or, for a cron component,
# `handle-cron-event`).
#
# Usage: scripts/build-components.sh
set -euo pipefail
cd "$(dirname "$0")/.."

if ! rustup target list --installed | grep -qx wasm32-wasip2; then
    rustup target add wasm32-wasip2
fi

# spin.toml keeps each build command and source on one line, without inner double quotes.
mapfile -t commands < <(sed -n 's/^command = "\(.*\)"$/\1/p' spin.toml)
# A component may reuse another's artifact (integrations-kick is integrations-api's code): each
# source is built once.
mapfile -t sources < <(sed -n 's/^source = "\(.*\)"$/\1/p' spin.toml | awk '!seen[$0]++')
if [ "${#commands[@]}" -eq 0 ] || [ "${#commands[@]}" -ne "${#sources[@]}" ]; then
    echo "build-components: expected one build command per component source in spin.toml" >&2
    exit 1
fi

for i in "${!commands[@]}"; do
    case "${commands[$i]}" in
        *"-o ${sources[$i]}"*) ;;
        *)
            echo "build-components: the build command of component $((i + 1)) does not write its source ${sources[$i]}" >&2
            exit 1
            ;;
    esac
done

for command in "${commands[@]}"; do
    echo "+ $command" >&2
    sh -c "$command"
done

# Every .wasm a build command names (plug, sockets, composed artifacts), once each.
mapfile -t artifacts < <(printf '%s\n' "${commands[@]}" | grep -o '[^ ]*\.wasm' | awk '!seen[$0]++')
echo
echo "artifact sizes (the profile is in each path):"
over=0
for artifact in "${artifacts[@]}"; do
    size=$(stat -c %s "$artifact")
    note=""
    if [ "$size" -ge 1000000 ]; then
        note="  <- over the 1 MB goal"
        over=1
    fi
    printf '  %9d B  %6.0f KB  %s%s\n' "$size" "$((size))e-3" "$artifact" "$note"
done

if command -v wasm-tools >/dev/null 2>&1; then
    echo
    # What Spin 3.x gives a spin-sdk 5.x component with key-value and variables. The orders
    # service's `orderflow:core/types` may remain: an instance of types only, which wasmtime
    # (so Spin and the runner) accepts without anything in its linker.
    allowed='^(wasi:(io|cli|clocks|random|http/types|keyvalue/store|keyvalue/atomics)[/@]|fermyon:spin/(key-value|variables)@2\.0\.0$|fermyon:spin-cron/cron-types@2\.0\.0$|orderflow:core/types@)'
    for source in "${sources[@]}"; do
        wit=$(wasm-tools component wit "$source")
        imports=$(printf '%s\n' "$wit" | sed -n 's/^  import \([^;]*\);$/\1/p')
        exports=$(printf '%s\n' "$wit" | sed -n 's/^  export \([^;]*\);$/\1/p')
        unexpected=$(printf '%s\n' "$imports" | grep -Ev "$allowed" || true)
        if [ -n "$unexpected" ]; then
            echo "build-components: $source imports what a Spin host does not provide:" >&2
            printf '  %s\n' $unexpected >&2
            exit 1
        fi
        case "$exports" in
            "wasi:http/incoming-handler@0.2.0" | "handle-cron-event: func(metadata: metadata) -> result<_, error>") ;;
            *)
                echo "build-components: $source exports '$exports', not wasi:http/incoming-handler@0.2.0 or the cron trigger's handle-cron-event" >&2
                exit 1
                ;;
        esac
        echo "$source: $(printf '%s\n' "$imports" | wc -l) imports, all provided by Spin; exports ${exports%%: func*}"
    done
else
    echo "(wasm-tools not installed: imports and exports not checked)"
fi

if [ "$over" -ne 0 ]; then
    echo "build-components: some artifacts are over the 1 MB goal (see above)" >&2
fi
