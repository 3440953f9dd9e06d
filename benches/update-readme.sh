#!/usr/bin/env bash
# Puts the tables a benchmark printed into benches/README.md: every block between
# `<!-- benches/<script>: begin -->` and `<!-- benches/<script>: end -->` in the output read from
# stdin replaces the block with the same marker in the README. Blocks the output does not have
# stay as they are.
# Usage: benches/orders.sh | tee /tmp/orders.out; benches/update-readme.sh < /tmp/orders.out
set -euo pipefail
cd "$(dirname "$0")/.."
output="$(mktemp)"
readme="$(mktemp)"
trap 'rm -f "$output" "$readme"' EXIT
cat > "$output"
grep -q '^<!-- benches/.*: begin -->$' "$output" || {
    echo "update-readme: no table block in the output read" >&2
    exit 1
}
awk '
    FNR == NR {
        if ($0 ~ /^<!-- benches\/.*: begin -->$/) { name = $0; blocks[name] = ""; inside = 1 }
        if (inside) blocks[name] = blocks[name] $0 "\n"
        if ($0 ~ /^<!-- benches\/.*: end -->$/) inside = 0
        next
    }
    /^<!-- benches\/.*: begin -->$/ && ($0 in blocks) { printf "%s", blocks[$0]; skipping = 1; next }
    skipping { if ($0 ~ /^<!-- benches\/.*: end -->$/) skipping = 0; next }
    { print }
' "$output" benches/README.md > "$readme"
cp "$readme" benches/README.md
echo "update-readme: benches/README.md updated from $(grep -c ': begin -->$' "$output") block(s)" >&2
