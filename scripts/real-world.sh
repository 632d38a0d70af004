#!/usr/bin/env bash
# Real-world check: run the test suites of published crates.io crates, first
# unmodified, then with their locks swapped for lockgraph's the way a user would
# do it (add the dependency, edit `use` lines only), and print a summary table.
#
# Crates: threadpool, scheduled-thread-pool, r2d2 (with its scheduled-thread-pool
# dependency swapped too), crossbeam-utils, rayon-core, indicatif. The results
# and every report, with a verdict, are in docs/real-world.md.
#
# Not part of CI: it fetches crates from crates.io and takes 8 to 13 minutes on
# a 2-core machine, mostly running the six suites three times (doc tests
# included, whose examples compile at test time). Each `cargo test` is capped at
# ${REALWORLD_TIMEOUT:-900} s.
#
# Usage: scripts/real-world.sh
#   REALWORLD_DIR=dir    scratch directory (default ${TMPDIR:-/tmp}/lockgraph-real-world,
#                        deleted and recreated on each run)
#   REALWORLD_TIMEOUT=s  cap for one `cargo test` (default 900)
#
# Three runs per crate:
#   original  the crate as published
#   swapped   locks swapped, default policy (Panic): any report fails its test
#   warn      locks swapped, LOCKGRAPH=warn and --nocapture: every report printed
#             (a self-deadlock report still panics under Warn, as documented)
# Failing tests are recorded, never fatal to the script. Logs, the applied diffs
# and the extracted reports stay in the scratch directory.

set -euo pipefail

LOCKGRAPH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WORK=${REALWORLD_DIR:-${TMPDIR:-/tmp}/lockgraph-real-world}
TIMEOUT=${REALWORLD_TIMEOUT:-900}

# name, exact version, extra `cargo test` arguments
CRATES=(
    "threadpool 1.8.1"
    "scheduled-thread-pool 0.2.8"
    "r2d2 0.8.10"
    "crossbeam-utils 0.8.23"
    "rayon-core 1.13.0"
    "indicatif 0.18.6 --features in_memory"
)

if [[ -e $WORK && ! -e $WORK/.lockgraph-real-world ]] && [[ -n $(ls -A "$WORK") ]]; then
    echo "$WORK exists and was not made by this script: not deleting it" >&2
    exit 1
fi
rm -rf "$WORK"
mkdir -p "$WORK/logs" "$WORK/reports" "$WORK/diffs"
touch "$WORK/.lockgraph-real-world"
export CARGO_TARGET_DIR="$WORK/target"   # one target dir: shared dependencies build once
export CARGO_TERM_COLOR=never
unset LOCKGRAPH LOCKGRAPH_DEADLOCK_CHECK LOCKGRAPH_LONG_WAIT

log() { printf '==> %s\n' "$*" >&2; }

# --- 1. fetch every crate through cargo, with a scratch crate depending on them
log "fetching crates into $WORK/fetch"
mkdir -p "$WORK/fetch/src"
echo 'fn main() {}' >"$WORK/fetch/src/main.rs"
{
    printf '[package]\nname = "fetch"\nversion = "0.0.0"\nedition = "2021"\npublish = false\n\n[dependencies]\n'
    for spec in "${CRATES[@]}"; do
        read -r name version _ <<<"$spec"
        printf '%s = "=%s"\n' "$name" "$version"
    done
} >"$WORK/fetch/Cargo.toml"
cargo fetch --manifest-path "$WORK/fetch/Cargo.toml" >&2
metadata=$(cargo metadata --format-version 1 --manifest-path "$WORK/fetch/Cargo.toml")

source_of() { # name version -> directory of the unpacked registry source
    local manifest
    manifest=$(grep -o "\"manifest_path\":\"[^\"]*/$1-$2/Cargo.toml\"" <<<"$metadata" | head -n 1 |
        sed -e 's/^"manifest_path":"//' -e 's/"$//')
    [[ -n $manifest ]] || { echo "no source found for $1 $2" >&2; exit 1; }
    dirname "$manifest"
}

# --- 2. the swap: `use` lines only
cat >"$WORK/swap.sed" <<'EOF'
# std::sync lock types (also Once, OnceLock, LazyLock) -> lockgraph::stdsync
/^[[:space:]]*(pub(\([a-z]+\))? )?use std::sync::.*(Mutex|RwLock|Condvar|Once|Lazy)/ s/std::sync::/lockgraph::stdsync::/
# `use std::sync;` (rayon-core) -> the README's one-line swap
s/^([[:space:]]*(pub(\([a-z]+\))? )?use )std::sync;/\1lockgraph::stdsync as sync;/
# parking_lot -> lockgraph
s/^([[:space:]]*(pub(\([a-z]+\))? )?use )parking_lot::/\1lockgraph::/
# once_cell::sync::{Lazy, OnceCell} -> lockgraph
s/^([[:space:]]*(pub(\([a-z]+\))? )?use )once_cell::sync::(Lazy|OnceCell)/\1lockgraph::\4/
EOF

swap() { # name dir
    local name=$1 dir=$2
    local sub
    for sub in src tests; do
        if [[ -d $dir/$sub ]]; then
            find "$dir/$sub" -name '*.rs' -exec sed -E -i -f "$WORK/swap.sed" {} +
        fi
    done
    (cd "$dir" && cargo add --quiet lockgraph --path "$LOCKGRAPH_DIR")
    case $name in
        threadpool) # edition 2015: an extern crate must be declared before `use`
            sed -i 's/^extern crate num_cpus;$/extern crate num_cpus;\nextern crate lockgraph;/' "$dir/src/lib.rs" ;;
        r2d2) # also swap the locks of the scheduled-thread-pool it runs on
            printf '\n[patch.crates-io]\nscheduled-thread-pool = { path = "%s" }\n' \
                "$WORK/scheduled-thread-pool/swapped" >>"$dir/Cargo.toml" ;;
    esac
    grep -rqs lockgraph "$dir/src" || { echo "swap changed nothing in $name" >&2; exit 1; }
}

# --- 3. running a suite; its failure is recorded, never fatal
# run name label dir [env assignments...] -- [cargo test args...]
# Writes logs/name.label.{build,test}.log and sets BUILD_S, TEST_S, RC.
run() {
    local name=$1 label=$2 dir=$3 start
    shift 3
    local envs=()
    while [[ $1 != -- ]]; do envs+=("$1"); shift; done
    shift
    start=$SECONDS
    RC=0
    (cd "$dir" && timeout "$TIMEOUT" cargo test --no-fail-fast --no-run "$@") \
        >"$WORK/logs/$name.$label.build.log" 2>&1 || RC=$?
    BUILD_S=$((SECONDS - start))
    start=$SECONDS
    if [[ $RC -eq 0 ]]; then
        (cd "$dir" && env "${envs[@]}" timeout "$TIMEOUT" cargo test --no-fail-fast "$@") \
            >"$WORK/logs/$name.$label.test.log" 2>&1 || RC=$?
    else
        echo "build failed (exit $RC): see $name.$label.build.log" >"$WORK/logs/$name.$label.test.log"
        grep -E '^error' -A 12 "$WORK/logs/$name.$label.build.log" >&2 || true
    fi
    TEST_S=$((SECONDS - start))
}

counts() { # log -> "passed/failed" over all test binaries, doc tests included
    awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } }
         END { printf "%d/%d", p, f }' "$1"
}

failed_binaries() { # log -> names of the test binaries with a failure
    awk '/^ *Running / { b = ($2 == "unittests") ? $3 : $2 } /^ *Doc-tests / { b = "doc-tests" }
         /^test result: FAILED/ { printf "%s%s", sep, b; sep = " " }' "$1"
}

extract_reports() { # log -> each distinct lockgraph message once
    awk 'function flush() { if (p && !(block in seen)) { seen[block] = 1; print block } p = 0; block = "" }
         /^lockgraph: / { flush(); p = 1; block = $0 "\n"; next }
         p && /^(stack backtrace:|note: |thread .* panicked at|$)/ { flush(); next }
         p && /^test .* \.\.\. / { next }   # a test line interleaved from stdout
         p { block = block $0 "\n" }
         END { flush() }' "$1"
}

messages() { grep -c '^lockgraph: ' "$1" || true; }

row() { printf '| %-22s | %-8s | %-15s | %-15s | %-15s | %-6s | %-12s |\n' "$@"; }
trow() { printf '| %-22s | %-10s | %-10s | %-9s | %-9s | %-9s | %-10s |\n' "$@"; }

# --- 4. everything
RESULTS=()
TIMINGS=()
FAILING=()
for spec in "${CRATES[@]}"; do
    read -r name version args <<<"$spec"
    read -r -a args <<<"${args:-}"
    src=$(source_of "$name" "$version")
    log "$name $version (source $src)"
    mkdir -p "$WORK/$name"
    cp -R "$src" "$WORK/$name/original"
    cp -R "$src" "$WORK/$name/swapped"
    chmod -R u+w "$WORK/$name"
    swap "$name" "$WORK/$name/swapped"
    diff -ru -x Cargo.lock "$WORK/$name/original" "$WORK/$name/swapped" >"$WORK/diffs/$name.diff" || true

    log "$name: original suite"
    run "$name" original "$WORK/$name/original" -- "${args[@]}"
    o_rc=$RC o_build=$BUILD_S o_test=$TEST_S
    log "$name: swapped suite (default policy, Panic)"
    run "$name" swapped "$WORK/$name/swapped" -- "${args[@]}"
    s_rc=$RC s_build=$BUILD_S s_test=$TEST_S
    log "$name: swapped suite (LOCKGRAPH=warn, --nocapture)"
    run "$name" warn "$WORK/$name/swapped" LOCKGRAPH=warn -- "${args[@]}" -- --nocapture
    w_rc=$RC w_test=$TEST_S

    L="$WORK/logs/$name"
    extract_reports "$L.swapped.test.log" >"$WORK/reports/$name.panic.txt"
    extract_reports "$L.warn.test.log" >"$WORK/reports/$name.warn.txt"
    RESULTS+=("$(row "$name" "$version" "$(counts "$L.original.test.log")" "$(counts "$L.swapped.test.log")" \
        "$(counts "$L.warn.test.log")" "$(messages "$L.swapped.test.log")" \
        "$(messages "$L.warn.test.log") ($(messages "$WORK/reports/$name.warn.txt"))")")
    TIMINGS+=("$(trow "$name" "${o_build}s" "${s_build}s" "${o_test}s" "${s_test}s" "${w_test}s" \
        "$o_rc/$s_rc/$w_rc")")
    FAILING+=("$name: original [$(failed_binaries "$L.original.test.log")], swapped [$(failed_binaries "$L.swapped.test.log")], warn [$(failed_binaries "$L.warn.test.log")]")
done

{
    echo
    echo "lockgraph: $LOCKGRAPH_DIR at commit $(git -C "$LOCKGRAPH_DIR" rev-parse --short HEAD 2>/dev/null || echo unknown) (uncommitted changes, if any, included)"
    echo "Tests passed/failed over all test binaries, doc tests included."
    echo "panic: lockgraph messages in the swapped run (default policy: each fails its test)."
    echo "warn: lockgraph messages printed with LOCKGRAPH=warn (distinct texts in parentheses)."
    echo
    row crate version original swapped "swapped, warn" panic warn
    row ---------------------- -------- --------------- --------------- --------------- ------ ------------
    printf '%s\n' "${RESULTS[@]}"
    echo
    echo "Test binaries with a failing test:"
    printf '  %s\n' "${FAILING[@]}"
    echo
    echo "Wall-clock seconds: build = cargo test --no-run, test = running the suite; exit codes original/swapped/warn."
    echo
    trow crate "build orig" "build swap" "test orig" "test swap" "test warn" "exit o/s/w"
    trow ---------------------- ---------- ---------- --------- --------- --------- ----------
    printf '%s\n' "${TIMINGS[@]}"
    echo
    echo "Logs: $WORK/logs   swaps applied: $WORK/diffs   lockgraph messages: $WORK/reports"
} | tee "$WORK/summary.txt"

for f in "$WORK"/reports/*.warn.txt; do
    if [[ -s $f ]]; then
        printf '\n--- lockgraph messages with LOCKGRAPH=warn: %s ---\n' "$(basename "$f" .warn.txt)"
        cat "$f"
    fi
done
