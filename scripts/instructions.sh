#!/usr/bin/env bash
# Instructions per operation for each scenario of benches/instructions.rs, counted by
# callgrind: (Ir at 2N iterations - Ir at N iterations) / N. Needs valgrind.
# Usage: scripts/instructions.sh [SCENARIO ...]   (default: all)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${ITERATIONS:-20000}
bin=$(cargo bench --bench instructions --no-run --message-format=json 2>/dev/null |
  sed -n 's/.*"executable":"\([^"]*instructions[^"]*\)".*/\1/p' | tail -1)
[[ -x "$bin" ]] || { echo "error: could not build benches/instructions.rs" >&2; exit 2; }
scenarios=("$@")
if [[ ${#scenarios[@]} -eq 0 ]]; then
  mapfile -t scenarios < <("$bin" | awk 'NR > 1 { print $1 }')
fi
total() {
  local out
  out=$(mktemp)
  valgrind --tool=callgrind --callgrind-out-file="$out" "$bin" "$1" "$2" >/dev/null 2>&1
  awk '/^summary:/ { print $2 }' "$out"
  rm -f "$out"
}
printf '%-16s %s\n' scenario instructions/op
for s in "${scenarios[@]}"; do
  one=$(total "$s" "$n")
  two=$(total "$s" $((2 * n)))
  awk -v s="$s" -v a="$one" -v b="$two" -v n="$n" 'BEGIN { printf "%-16s %.1f\n", s, (b - a) / n }'
done
