#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# selftest.sh - check that the harness reports what goes wrong, using the
# deliberately misbehaving cases in selftest/ (three guest boots and three
# two-guest boots, ~3 min):
#   1. a failing case is FAIL, missing binaries are SKIP (header and
#      run time), a hanging case is killed at its timeout with its
#      processes, a case that leaves a cluster, mounts, a heartbeat region
#      and changed files behind is cleaned up after, module-wide values a
#      case changed (o2hb's dead_threshold and mode, the stack file,
#      hb_ctl_path, a module it loaded) are put back, a case that leaves the
#      user stack running with a pcmk volume mounted (ha layer) is cleaned up
#      so that a classic mount works next, and the suite's exit status is
#      non-zero;
#   2. a kernel panic is reported, and the panicking case and the ones after
#      it are FAIL (no result);
#   3. a guest that never ends is killed at the wall-clock limit and reported;
#   4. two-node runs (run-cluster.sh, selftest/cluster/, three more boots of two
#      guests): a case failing on one node fails on the other at once and
#      the next case is SKIP on both; a case hanging on one node is killed at
#      its timeout; guests that never end are both killed and reported.
# Prints "harness-selftest: N passed, N failed"; exit 0 when all held.
set -uo pipefail   # not -e: a failed run is counted, not fatal
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
OUT="$HERE/results/selftest"
EMPTY=$(mktemp -d "${TMPDIR:-/tmp}/kt-nobins.XXXXXX")   # none of our binaries
trap 'rm -rf "$EMPTY"' EXIT
pass=0 fail=0

# suite NAME ARGS...: run the selftest cases; output to $OUT/NAME.out
suite() {
  local name=$1; shift
  mkdir -p "$OUT"
  "$HERE/run-suite.sh" --bin-dir "$EMPTY" --cases-dir "$HERE/selftest" --quiet \
    --results "$OUT/$name" "$@" > "$OUT/$name.out" 2>&1
  echo $? > "$OUT/$name.rc"
}
# expect NAME WHAT REGEX: the output of run NAME must match REGEX
expect() {
  if grep -qE -- "$3" "$OUT/$1.out"; then
    pass=$((pass + 1)); echo "ok   $1: $2"
  else
    fail=$((fail + 1)); echo "FAIL $1: $2 (no /$3/ in $OUT/$1.out)"
  fi
}
expect_rc_nonzero() {
  if [ "$(cat "$OUT/$1.rc")" != 0 ]; then
    pass=$((pass + 1)); echo "ok   $1: exit status $(cat "$OUT/$1.rc") (non-zero)"
  else
    fail=$((fail + 1)); echo "FAIL $1: exit status 0, wanted non-zero"
  fi
}

# expect_log NAME CASE WHAT REGEX: the log of CASE in run NAME must match REGEX
expect_log() {
  local f="$OUT/$1/cases/$2.log"
  if tr -d '\r' < "$f" 2>/dev/null | grep -qE -- "$4"; then
    pass=$((pass + 1)); echo "ok   $1: $3"
  else
    fail=$((fail + 1)); echo "FAIL $1: $3 (no /$4/ in $f)"
  fi
}

suite cases a-fail b-skip-header c-skip-runtime d-timeout e-leave-dirty f-check-clean \
  i-change-module-wide j-check-module-wide k-leave-user-stack l-classic-after-user-stack
expect cases "failing case is FAIL"        '^CASE a-fail: FAIL \([0-9.]+s\) -- exit status 1$'
expect cases "header needs -> SKIP"         '^CASE b-skip-header: SKIP .*kt-no-such-binary'
expect cases "need_rs -> SKIP"              '^CASE c-skip-runtime: SKIP '
expect cases "hanging case killed"          '^CASE d-timeout: FAIL .* -- timed out after 5s$'
expect cases "dirty case cleaned, PASS"     '^CASE e-leave-dirty: PASS '
expect cases "state clean afterwards"       '^CASE f-check-clean: PASS '
expect cases "module-wide change PASS"      '^CASE i-change-module-wide: PASS '
expect_log cases i-change-module-wide "dead_threshold put back" 'module-wide: restoring o2hb\.dead_threshold: 61 -> 31$'
expect_log cases i-change-module-wide "heartbeat mode put back" 'module-wide: restoring o2hb\.mode: global -> local$'
expect_log cases i-change-module-wide "stack file put back"     'module-wide: restoring cluster_stack: pcmk -> o2cb$'
expect_log cases i-change-module-wide "module unloaded"         'module-wide: rmmod loop '
expect cases "module-wide values restored" '^CASE j-check-module-wide: PASS '
expect cases "user stack left behind, PASS" '^CASE k-leave-user-stack: PASS '
expect_log cases k-leave-user-stack "dlm_controld stopped"  'teardown: stop dlm_controld$'
expect_log cases k-leave-user-stack "corosync stopped"      'teardown: stop corosync$'
expect cases "classic case after it"        '^CASE l-classic-after-user-stack: PASS '
expect cases "closing line counts"          '^kernel-tests: 6 passed, 2 failed, 2 skipped$'
expect_rc_nonzero cases

suite panic g-panic f-check-clean
expect panic "panic reported"               '^KERNEL PANIC/BUG: .*Kernel panic'
expect panic "panicking case FAIL"          '^CASE g-panic: FAIL \(no result\) -- the guest died'
expect panic "later case FAIL"              '^CASE f-check-clean: FAIL \(no result\)'
expect_rc_nonzero panic

suite hang --timeout 25 h-hang
expect hang "guest timeout reported"        '^GUEST TIMEOUT: killed after 25s$'
expect hang "hung case FAIL"                '^CASE h-hang: FAIL \(no result\) -- the guest was killed'
expect_rc_nonzero hang

# cluster NAME ARGS...: the same for two-node runs
cluster() {
  local name=$1; shift
  mkdir -p "$OUT"
  "$HERE/run-cluster.sh" --bin-dir "$EMPTY" --cases-dir "$HERE/selftest/cluster" --quiet \
    --results "$OUT/$name" "$@" > "$OUT/$name.out" 2>&1
  echo $? > "$OUT/$name.rc"
}

cluster two-node a-fail-node2 b-after c-hang-node1
expect two-node "failing node FAIL"           '^node2 a-fail-node2: FAIL .* -- exit status 1$'
expect two-node "other node FAIL too"         '^node1 a-fail-node2: FAIL \(([0-9]|[1-3][0-9])\.[0-9]+s\) -- exit status 1$'
expect two-node "next case SKIP on node1"     '^node1 b-after: SKIP .*not run: a-fail-node2 failed'
expect two-node "next case SKIP on node2"     '^node2 b-after: SKIP .*not run: a-fail-node2 failed'
expect two-node "closing line counts"         '^cluster-tests: 0 passed, 1 failed, 2 skipped$'
expect_rc_nonzero two-node

cluster two-node-hang c-hang-node1
expect two-node-hang "hung case killed"       '^node1 c-hang-node1: FAIL .* -- timed out after 10s$'
expect two-node-hang "other node FAIL"        '^node2 c-hang-node1: FAIL '
expect_rc_nonzero two-node-hang

cluster guests-hang --timeout 30 d-guest-hang
expect guests-hang "node1 killed"             '^node1: guest exit 124; '
expect guests-hang "node2 killed"             '^node2: guest exit 124; '
expect guests-hang "reported as such"         '^node1 run-guest: .*TIMEOUT: guest killed after 30s'
expect guests-hang "case FAIL (no result)"    '^node2 d-guest-hang: FAIL \(no result\) -- the guest was killed'
expect_rc_nonzero guests-hang

echo "harness-selftest: $pass passed, $fail failed"
[ "$fail" = 0 ]
