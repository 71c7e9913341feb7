#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# run-suite.sh - run the kernel test cases in one QEMU guest (real Debian
# bookworm kernel, configfs, OCFS2 modules, the C ocfs2-tools at /sbin and
# our binaries at /opt/rs/sbin).
#
# usage: run-suite.sh [--build|--no-build] [--bin-dir DIR] [options] [CASE...]
#   CASE             a case: NAME or NAME.sh (in the cases dir) or a path to a
#                    file; run in the order given; default: every cases/*.sh,
#                    in name order
#   --build          cargo build --release --workspace --bins first (default)
#   --no-build       use what is already in the cargo target dir
#   --bin-dir DIR    take our binaries from DIR instead (implies --no-build);
#                    cargo names (mount_ocfs2) or installed names (mount.ocfs2)
#   --cases-dir DIR  where the cases are (default: cases/ beside this script)
#   --boot-only      run no case: measure one guest cycle
#   --layer NAME     boot every guest with this image layer too (repeatable; a case
#                    gets the layers its "# layers:" header names in any case)
#   --case-timeout S default per-case timeout in the guest (default 180)
#   --timeout S      wall-clock limit for the whole guest (default: computed
#                    from the cases' timeouts)
#   --quiet          do not stream the console; print only the results
#   --results DIR    where the logs go (default: results/ beside this script)
# environment: CARGO_TARGET_DIR, RG_KERNEL_PKG, RG_CACHE (see setup.sh)
#
# Exit status 0 only when no case failed and the guest ran to its end.
# Results: RESULTS/console.log (whole console), RESULTS/cases/NAME.log (each
# case's part of it), RESULTS/summary.txt.  The last line printed is
#   kernel-tests: N passed, N failed, N skipped
set -euo pipefail


HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
# shellcheck source=host-lib.sh
. "$HERE/host-lib.sh"
T_START=$(date +%s.%N)
BUILD=1 BIN_DIR='' CASES_DIR="$HERE/cases" BOOT_ONLY=0 CASE_TIMEOUT=180
TIMEOUT='' QUIET=0 RESULTS="$HERE/results"
ARGS=() EXTRA_LAYERS=()
while [ $# -gt 0 ]; do
  runner_option "$@"
  if [ "$RUNNER_SHIFT" -gt 0 ]; then shift "$RUNNER_SHIFT"; continue; fi
  case "$1" in
    --boot-only) BOOT_ONLY=1; shift ;;
    --layer) EXTRA_LAYERS+=("$2"); shift 2 ;;
    -h|--help) usage ;;
    -*) echo "run-suite.sh: unknown option $1" >&2; usage ;;
    *) ARGS+=("$1"); shift ;;
  esac
done

log() { echo "[run-suite] $*" >&2; }

# ------------------------------------------------------------ the cases
CASES=()
[ "$BOOT_ONLY" = 1 ] || collect_cases run-suite.sh "$CASES_DIR" ${ARGS[@]+"${ARGS[@]}"}

# Which guests: cases with a "# boot: bare" header need a guest in which nothing of the
# cluster stack is loaded yet (no modules, no configfs: e.g. o2cb.init start); each gets
# a boot of its own.  The others share one boot per set of image layers ("# layers:
# ha"): the cases without layers boot the base image as always, and only the guests of
# cases that need a layer get it, and the memory it needs.
declare -A GROUP_CASES=() CASE_LAYERS=()
GROUPS_ORDER=() BARE=() NEED_LAYERS=''
for c in ${CASES[@]+"${CASES[@]}"}; do
  # shellcheck disable=SC2046 # a word list
  ls=$(layer_stack ${EXTRA_LAYERS[@]+"${EXTRA_LAYERS[@]}"} $(case_layers "${CASE_FILE[$c]}")) || exit 2
  CASE_LAYERS[$c]=$ls
  NEED_LAYERS="$NEED_LAYERS $ls"
  if grep -qE '^#[[:space:]]*boot:[[:space:]]*bare' "${CASE_FILE[$c]}"; then
    BARE+=("$c")
  else
    # (keys with a prefix: bash has no empty key)
    [ -n "${GROUP_CASES[+$ls]+x}" ] || GROUPS_ORDER+=("$ls")
    GROUP_CASES[+$ls]="${GROUP_CASES[+$ls]:-} $c"
  fi
done
if [ "$BOOT_ONLY" = 1 ]; then
  BOOT_LAYERS=$(layer_stack ${EXTRA_LAYERS[@]+"${EXTRA_LAYERS[@]}"}) || exit 2
  NEED_LAYERS=$BOOT_LAYERS
fi
NEED_LAYERS=$(echo "$NEED_LAYERS" | xargs -n1 2>/dev/null | awk '!seen[$0]++' | xargs)

# ------------------------------------------------------------ guest image
prepare "$HERE" "$REPO" run-suite

WORK=$(mktemp -d "${TMPDIR:-/tmp}/kt-suite.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
OV="$WORK/overlay"
mkdir -p "$OV/kt/cases"
stage_ours "$BIN_DIR" "$OV/opt/rs/sbin"
log "ours from $BIN_DIR: staged: ${STAGED[*]:-none}; absent: ${ABSENT[*]:-none}"

install -m 0644 "$HERE/lib.sh" "$OV/kt/lib.sh"
install -m 0644 "$HERE/guest/driver.sh" "$OV/kt/driver.sh"
cat > "$WORK/guest-cmd.sh" <<'EOF'
exec /bin/sh /kt/driver.sh
EOF

mkdir -p "$RESULTS"
rm -rf "$RESULTS/cases" "$RESULTS"/console*.log; mkdir -p "$RESULTS/cases"
CONSOLE="$RESULTS/console.log"
: > "$WORK/console.txt"
: > "$WORK/guest-failures"
: > "$CONSOLE"
GUESTS_OK=1 T_GUEST=0 N_BOOTS=0 LAST_GRC=0

# boot_guest LOG APPEND LAYERS CASE...: one guest with those image layers running the
# cases; its console is appended to the combined console; GUESTS_OK turns 0 when the
# guest did not run to its end.
boot_guest() {
  local logf=$1 append=$2 layers=$3 grc=0 t l mem
  shift 3
  stage_cases "$OV/kt" "$@"
  # the whole guest is bounded: boot, every case up to its own timeout, power off
  local limit=${TIMEOUT:-$((90 + CASES_TIME))}
  # shellcheck disable=SC2086 # a word list
  mem=$(layer_mem 256M $layers)
  local qopts=(--no-setup --quiet-kernel --mem "$mem" --smp 1 --disks 4 --disk-size 256M
               --timeout "$limit" --log "$logf" --overlay "$OV"
               --env "CASE_TIMEOUT=$CASE_TIMEOUT")
  for l in $layers; do qopts+=(--layer "$l"); done
  [ -z "$append" ] || qopts+=(--append "$append")
  [ "$QUIET" = 0 ] || qopts+=(--quiet)
  log "booting a guest for $# case(s)${append:+ ($append)}${layers:+ with layers $layers}, $mem, limit ${limit}s"
  t=$(date +%s.%N)
  "$HERE/run-guest.sh" "${qopts[@]}" - "$WORK/guest-cmd.sh" || grc=$?
  T_GUEST=$(awk -v a="$T_GUEST" -v b="$(secs "$t")" 'BEGIN{printf "%.1f", a+b}')
  N_BOOTS=$((N_BOOTS + 1))
  LAST_GRC=$grc
  tr -d '\r' < "$logf" > "$WORK/one-console.txt"
  cat "$WORK/one-console.txt" >> "$WORK/console.txt"
  cat "$logf" >> "$CONSOLE"
  # the guest must have run to its end, and agree with its cases' results
  local gsum fails
  gsum=$(grep -m1 '^SUITE-SUMMARY' "$WORK/one-console.txt" || true)
  fails=$(grep -cE '^CASE [^ ]+: FAIL' "$WORK/one-console.txt" || true)
  if [ "$BOOT_ONLY" = 1 ]; then
    [ "$grc" = 0 ] || { GUESTS_OK=0; echo "GUEST FAILED: exit status $grc ($logf)" >> "$WORK/guest-failures"; }
  elif [ -z "$gsum" ] || { [ "$grc" != 0 ] && [ "$grc" != 1 ]; } ||
       { [ "$fails" = 0 ] && [ "$grc" != 0 ]; } || { [ "$fails" != 0 ] && [ "$grc" = 0 ]; }; then
    GUESTS_OK=0
    echo "GUEST FAILED: exit status $grc${gsum:+, $gsum} ($logf)" >> "$WORK/guest-failures"
  fi
}

if [ "$BOOT_ONLY" = 1 ]; then
  boot_guest "$RESULTS/console-standard.log" "" "$BOOT_LAYERS"
else
  for ls in ${GROUPS_ORDER[@]+"${GROUPS_ORDER[@]}"}; do
    lname=${ls// /-}
    # shellcheck disable=SC2086 # case names
    boot_guest "$RESULTS/console-${lname:-standard}.log" "" "$ls" ${GROUP_CASES[+$ls]}
  done
  for c in ${BARE[@]+"${BARE[@]}"}; do
    boot_guest "$RESULTS/console-$c.log" "rg.modules=0 rg.configfs=0 rg.boot=bare" "${CASE_LAYERS[$c]}" "$c"
  done
fi
grc=$LAST_GRC

# ------------------------------------------------------------ results
# each case's part of the console, for reading one failure at a time
split_case_logs "$WORK/console.txt" "$RESULTS/cases"

pass=0 fail=0 skip=0
: > "$WORK/summary"
for c in ${CASES[@]+"${CASES[@]}"}; do
  line=$(case_line "$WORK/console.txt" "$c" "$grc" "$TIMEOUT")
  echo "$line" >> "$WORK/summary"
  count_result "$line" "$c"
done
panic=$(grep -m1 -E 'Kernel panic|kernel BUG at|BUG: soft lockup' "$WORK/console.txt" || true)
boot=$(sed -n 's/^RG-READY uptime=\([0-9.]*\)s.*/\1/p' "$WORK/console.txt" | head -1)
gsum=$(grep -m1 '^SUITE-SUMMARY' "$WORK/console.txt" || true)

guest_ok=$GUESTS_OK

# with --quiet nothing of the console was shown: show what explains a failure
if [ "$QUIET" = 1 ]; then
  show_failed_logs "$WORK/summary" "$RESULTS/cases" "CASE " "" 80
  if [ "$grc" -gt 1 ]; then
    echo; echo "---------- end of the console ($CONSOLE)"
    tail -n 40 "$WORK/console.txt"
  fi
fi

{
  echo
  echo "==================== kernel test results ($(date -u +%Y-%m-%dT%H:%M:%SZ))"
  cat "$WORK/summary"
  [ -z "$panic" ] || echo "KERNEL PANIC/BUG: $panic"
  [ "$grc" != 124 ] || echo "GUEST TIMEOUT: killed after ${TIMEOUT}s"
  [ "$grc" != 125 ] || [ -n "$panic" ] || echo "GUEST DIED: no exit marker (QEMU failure?)"
  cat "$WORK/guest-failures"
  echo "ours: staged ${STAGED[*]:-none}; absent ${ABSENT[*]:-none}"
  echo "times: setup ${T_SETUP}s, build ${T_BUILD}s, $N_BOOTS guest boot(s) ${T_GUEST}s (kernel to /init ${boot:-?}s guest clock), total $(secs "$T_START")s wall"
  echo "console log: $CONSOLE; per-case logs: $RESULTS/cases/"
} | tee "$RESULTS/summary.txt"
# a guest that did not finish counts as a failure even when every case it
# reached passed
if [ "$guest_ok" = 0 ] && [ "$fail" = 0 ]; then fail=1; fi
echo "kernel-tests: $pass passed, $fail failed, $skip skipped" | tee -a "$RESULTS/summary.txt"
[ "$fail" = 0 ]
