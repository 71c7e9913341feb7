# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=sh
# init-status (a benchmark, not a test: run by scripts/bench-status.sh, never from cases/):
# with the boot cluster brought online by the C init script, time CALLS calls of the
# C `/etc/init.d/o2cb status` and of our `o2cb.init status`, in rounds that alternate the
# two (so a slower stretch of the host hits both), after checking that both print the same.
# Prints one `BENCH` line per round and per tool and a `BENCH ratio` line; no thresholds.
# CALLS, ROUNDS and BASELINE are set by scripts/bench-status.sh (--calls, --rounds, --baseline).
# With BASELINE=1, another build of o2cb.init (an older one, to compare) is timed in the same
# rounds: the harness stages only our installed names, so it travels as /opt/rs/sbin/o2cb.
# needs: o2cb.init
# timeout: 1800
set -eu
CALLS=${BENCH_CALLS:-100}
ROUNDS=${BENCH_ROUNDS:-2}
BASELINE=${BENCH_BASELINE:-0}
RS_INIT=$(rsbin o2cb.init)
C_INIT=/etc/init.d/o2cb

# The guest's /etc/default/o2cb (tests/kernel/setup.sh) names the boot cluster `ocfs2`.
grep -q '^O2CB_BOOTCLUSTER=ocfs2$' /etc/default/o2cb || fail "the guest's settings changed"
write_cluster_conf /etc/ocfs2/cluster.conf ocfs2 node1:0:127.0.0.1:7777 node2:1:127.0.0.2:7777

step "bring the cluster online with the C init script"
"$C_INIT" online ocfs2 || fail "the C init script could not bring the cluster online"

step "both print the same"
_rc=0; "$C_INIT" status > c.status 2>&1 || _rc=$?
echo "exit $_rc" >> c.status
_rc=0; "$RS_INIT" status > rs.status 2>&1 || _rc=$?
echo "exit $_rc" >> rs.status
cat rs.status
assert_same_file c.status rs.status "o2cb.init status"
grep -q "^exit 0$" rs.status || fail "the cluster is not online"
BASE_INIT=$(rsbin o2cb)
if [ "$BASELINE" = 1 ]; then
  _rc=0; "$BASE_INIT" status > base.status 2>&1 || _rc=$?
  echo "exit $_rc" >> base.status
  assert_same_file c.status base.status "o2cb.init status (baseline build)"
fi

# calls CMD...: CALLS runs of CMD, output discarded; prints the seconds they took
calls() {
  _t0=$(now) _i=0
  while [ "$_i" -lt "$CALLS" ]; do
    "$@" > /dev/null 2>&1 || true
    _i=$((_i + 1))
  done
  elapsed "$_t0"
}

step "time $ROUNDS rounds of $CALLS calls each"
# report LABEL SECONDS: what CALLS calls took, in all and per call
report() {
  awk -v what="$1" -v n="$CALLS" -v t="$2" 'BEGIN {
    printf "BENCH %s: %.2f s for %d calls, %.2f ms per call\n", what, t, n, 1000 * t / n
  }'
}
add() { awk -v a="$1" -v b="$2" 'BEGIN{print a + b}'; }
c_total=0 rs_total=0 base_total=0 r=1
while [ "$r" -le "$ROUNDS" ]; do
  c=$(calls "$C_INIT" status)
  rs=$(calls "$RS_INIT" status)
  report "round $r: C" "$c"
  report "round $r: ours" "$rs"
  c_total=$(add "$c_total" "$c")
  rs_total=$(add "$rs_total" "$rs")
  if [ "$BASELINE" = 1 ]; then
    base=$(calls "$BASE_INIT" status)
    report "round $r: ours (baseline build)" "$base"
    base_total=$(add "$base_total" "$base")
  fi
  r=$((r + 1))
done
awk -v n="$((CALLS * ROUNDS))" -v c="$c_total" -v rs="$rs_total" -v base="$base_total" 'BEGIN {
  printf "BENCH per call: C %.2f ms, ours %.2f ms\n", 1000 * c / n, 1000 * rs / n
  printf "BENCH ratio (ours / C): %.4f\n", rs / c
  if (base > 0) {
    printf "BENCH per call: ours (baseline build) %.2f ms\n", 1000 * base / n
    printf "BENCH ratio (baseline build / C): %.4f\n", base / c
  }
}'

step "the floor: starting a process"
# What no status can go below: our binary printing its usage (start-up and the dynamic
# loader only, no file read) and /bin/true.
report "floor: ours printing its usage" "$(calls "$RS_INIT")"
if [ "$BASELINE" = 1 ]; then
  report "floor: the baseline build printing its usage" "$(calls "$BASE_INIT")"
fi
report "floor: /bin/true" "$(calls /bin/true)"

"$C_INIT" offline ocfs2 > /dev/null 2>&1 || true
# `online` started o2hbmonitor in a session of its own (the driver kills only the case's);
# busybox's killall has no -e, so the script's `killall -e o2hbmonitor` missed it
killall o2hbmonitor 2>/dev/null || true
