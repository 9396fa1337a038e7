#!/usr/bin/env bash
# Instructions per operation under callgrind (benches/instructions.rs): each operation
# runs 1 000 and 101 000 times, and the difference of the two totals / 100 000 is the
# cost of one. Counts are repeatable on a loaded machine, unlike wall-clock medians.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v valgrind >/dev/null || { echo "valgrind is needed (apt-get install valgrind)" >&2; exit 1; }
cargo bench --bench instructions --no-run 2>/dev/null
binary=$(ls -t target/release/deps/instructions-* | grep -v '\.d$' | head -n1)

total() {
    local out
    out=$(mktemp)
    valgrind --tool=callgrind --callgrind-out-file="$out" "$binary" "$1" "$2" 2>/dev/null >/dev/null
    awk '/^summary:/ { print $2 }' "$out"
    rm -f "$out"
}

operations=${*:-$("$binary" | sed 's/^operations: //')}
printf '| operation | instructions |\n|---|---:|\n'
for operation in $operations; do
    low=$(total "$operation" 1000)
    high=$(total "$operation" 101000)
    printf '| %s | %s |\n' "$operation" "$(( (high - low + 50000) / 100000 ))"
done
