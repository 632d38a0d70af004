#!/bin/sh
# Runs every fuzz target for SECONDS each, when a nightly toolchain is present.
#
#   fuzz/run.sh SECONDS
#
# Installs cargo-fuzz from crates.io if it is missing. Fuzzes a scratch copy of
# the committed seeds (fuzz/corpus/<target>), so a run never grows them; a
# crash is saved under fuzz/artifacts/<target>/ and fails the script.
set -eu

seconds=${1:?usage: fuzz/run.sh SECONDS}
cd "$(dirname "$0")/.."

if ! rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
    echo "fuzz: SKIPPED: no nightly toolchain (rustup toolchain install nightly), cargo-fuzz needs one"
    exit 0
fi
if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
    echo "fuzz: installing cargo-fuzz"
    cargo install cargo-fuzz
fi

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
for target in graph_ops lock_orders; do
    mkdir -p "$scratch/$target"
    cp fuzz/corpus/"$target"/* "$scratch/$target"/
    echo "fuzz: $target for ${seconds}s"
    # libFuzzer adds new inputs to the first corpus directory only.
    cargo +nightly fuzz run "$target" "$scratch/$target" "fuzz/corpus/$target" -- \
        -max_total_time="$seconds" -timeout=30 -print_final_stats=1 2>"$scratch/$target.log" \
        || { tail -n 60 "$scratch/$target.log"; echo "fuzz: $target FAILED"; exit 1; }
    grep -E '^(Done|stat::number_of_executed_units)' "$scratch/$target.log" || true
done
echo "fuzz: ok"
