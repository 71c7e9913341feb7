#!/usr/bin/env bash
# `o2cb.init status` against the C `/etc/init.d/o2cb status`, per call, in the kernel guest
# (tests/kernel/, QEMU under emulation): the cluster is brought online by the C init script,
# both print the same status, then each is called --calls times per round, the two tools in
# alternating rounds. Results and how to read them: docs/benchmarks.md ("o2cb.init status").
#
# usage: scripts/bench-status.sh [--bin-dir DIR] [--baseline FILE] [--calls N] [--rounds N]
#   --bin-dir DIR   our o2cb_init (or o2cb.init) from DIR instead of building the release one
#   --baseline FILE another o2cb_init build (e.g. an older commit's) timed in the same rounds,
#                   so that the host's load hits both alike
#   --calls N       calls of each tool per round (default 100; a C call takes over a second)
#   --rounds N      rounds (default 2)
# The guest case is tests/kernel/bench/init-status.sh (outside cases/: a benchmark, not a
# test); its log is left in the results directory printed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."

bin_dir=""
baseline=""
calls=100
rounds=2
while [ $# -gt 0 ]; do
    case "$1" in
        --bin-dir) bin_dir="$2"; shift 2 ;;
        --baseline) baseline="$2"; shift 2 ;;
        --calls) calls="$2"; shift 2 ;;
        --rounds) rounds="$2"; shift 2 ;;
        *) echo "usage: $0 [--bin-dir DIR] [--baseline FILE] [--calls N] [--rounds N]" >&2; exit 2 ;;
    esac
done
case "$calls$rounds" in *[!0-9]*) echo "$0: --calls and --rounds take numbers" >&2; exit 2 ;; esac

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

ours="$tmp/bin"
mkdir -p "$ours"
if [ -z "$bin_dir" ]; then
    cargo build --release --quiet -p o2cb --bin o2cb_init
    cp "${CARGO_TARGET_DIR:-$PWD/target}/release/o2cb_init" "$ours/"
elif [ -e "$bin_dir/o2cb_init" ]; then
    cp "$bin_dir/o2cb_init" "$ours/"
else
    cp "$bin_dir/o2cb.init" "$ours/o2cb_init"
fi
with_baseline=0
if [ -n "$baseline" ]; then
    # The harness stages only our installed names: the baseline travels as `o2cb`.
    cp "$baseline" "$ours/o2cb"
    with_baseline=1
fi

# The guest takes no arguments for a case: the counts go into a copy of the case file.
case_file="$tmp/init-status.sh"
sed -e "s/^CALLS=.*/CALLS=$calls/" -e "s/^ROUNDS=.*/ROUNDS=$rounds/" \
    -e "s/^BASELINE=.*/BASELINE=$with_baseline/" \
    tests/kernel/bench/init-status.sh > "$case_file"
results="${BENCH_RESULTS:-$PWD/tests/kernel/results/bench-status}"
status=0
tests/kernel/run-suite.sh --quiet --bin-dir "$ours" --results "$results" "$case_file" \
    > "$tmp/suite.out" 2>&1 || status=$?
log="$results/cases/init-status.log"
if [ "$status" != 0 ] || ! grep -q '^BENCH ratio' "$log" 2>/dev/null; then
    cat "$tmp/suite.out" >&2
    echo "$0: the guest run failed (exit $status); logs in $results" >&2
    exit 1
fi
grep '^BENCH ' "$log" | sed 's/^BENCH //'
echo "(log: $log)"
