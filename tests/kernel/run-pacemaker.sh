#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# run-pacemaker.sh - a real Pacemaker cluster: two QEMU guests (node1, node2) with
# corosync and pacemakerd from Debian's packages (image layers ha + pacemaker, 1 GiB
# each), sharing raw disk images and a guest-to-guest network over the host's loopback
# only; fencing is real in effect: the fence agent stonith:fence_kt asks this harness to
# kill the target guest's QEMU and succeeds only once it is gone; a case can also ask for
# a guest to be killed (a crash) or booted again.
#
# usage: run-pacemaker.sh [--build|--no-build] [--bin-dir DIR] [options] [CASE...]
#   CASE             a case of pacemaker/ (NAME or NAME.sh) or a path; run on node1 in
#                    the order given; default: every pacemaker/*.sh in name order
#   --no-build       our binaries as they are in the cargo target dir (default: the
#                    cases use the C tools; ours are staged at /opt/rs/sbin if found)
#   --build          cargo build --release --workspace --bins first
#   --bin-dir DIR    take our binaries from DIR
#   --cases-dir DIR  where the cases are (default: pacemaker/ beside this script)
#   --case-timeout S default per-case timeout in the guest (default 300)
#   --timeout S      wall-clock limit of each guest boot (default: computed from the
#                    cases' timeouts)
#   --quiet          do not stream node1's console; print only the results
#   --results DIR    where the logs go (default: results/pacemaker/)
# environment: CARGO_TARGET_DIR, RG_CACHE (see setup.sh)
#
# The network: QEMU -netdev socket over UDP on 127.0.0.1 (each guest sends to the
# other's port), stateless, so that a guest killed and booted again simply reconnects;
# inside, 10.77.0.1 and 10.77.0.2 on eth0.  The control channel: each guest's second
# serial port (/dev/ttyS1) on a FIFO pair (run-guest.sh --ctl-pipe); a line
# "KT-CTL <id> <verb> <node>" is a request (fence, crash, start, status), answered with
# "KT-CTL <id> ok|fail ...".  Every request is logged in RESULTS/host-events.txt.
#
# Exit status 0 only when every case passed (or was skipped) and node1 ran to its end.
# Results: RESULTS/console-node1.log, console-node2.log (console-node2-boot2.log ...
# for later boots), cases/NAME.log, host-events.txt, summary.txt; the last line is
#   pacemaker-tests: N passed, N failed, N skipped
set -euo pipefail


HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
# shellcheck source=host-lib.sh
. "$HERE/host-lib.sh"
T_START=$(date +%s.%N)
BUILD=0 BIN_DIR='' CASES_DIR="$HERE/pacemaker" CASE_TIMEOUT=300 TIMEOUT='' QUIET=0
RESULTS="$HERE/results/pacemaker"
ARGS=()
while [ $# -gt 0 ]; do
  runner_option "$@"
  if [ "$RUNNER_SHIFT" -gt 0 ]; then shift "$RUNNER_SHIFT"; continue; fi
  case "$1" in
    -h|--help) usage ;;
    -*) echo "run-pacemaker.sh: unknown option $1" >&2; usage ;;
    *) ARGS+=("$1"); shift ;;
  esac
done
log() { echo "[run-pacemaker] $*" >&2; }

collect_cases run-pacemaker.sh "$CASES_DIR" ${ARGS[@]+"${ARGS[@]}"}
NEED_LAYERS=$(layer_stack pacemaker)
# shellcheck disable=SC2086 # a word list
MEM=$(layer_mem 384M $NEED_LAYERS)
prepare "$HERE" "$REPO" run-pacemaker

WORK=$(mktemp -d "${TMPDIR:-/tmp}/kt-pacemaker.XXXXXX")
MONITORS=()
cleanup() {
  local p n
  for n in 1 2; do
    # (a QEMU that already ended is no error: the status is the run's, not this trap's)
    [ -s "$WORK/qemu$n.pid" ] && kill -KILL "$(cat "$WORK/qemu$n.pid")" 2>/dev/null || true
  done
  for p in ${MONITORS[@]+"${MONITORS[@]}"}; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

OV="$WORK/overlay"
mkdir -p "$OV/kt/cases" "$OV/usr/sbin"
stage_ours "$BIN_DIR" "$OV/opt/rs/sbin"
install -m 0644 "$HERE/lib.sh" "$OV/kt/lib.sh"
install -m 0644 "$HERE/pacemaker-lib.sh" "$OV/kt/pacemaker-lib.sh"
install -m 0644 "$HERE/guest/pacemaker-driver.sh" "$OV/kt/pacemaker-driver.sh"
install -m 0755 "$HERE/guest/fence_kt" "$OV/usr/sbin/fence_kt"
stage_cases "$OV/kt" "${CASES[@]}"
LIMIT=${TIMEOUT:-$((420 + CASES_TIME))}   # boot, the cluster forming, the cases
echo 'exec /bin/sh /kt/pacemaker-driver.sh' > "$WORK/guest-cmd.sh"

shared_disks "$WORK" 3

# two free UDP ports on the host's loopback
port_free() { ! ss -Hauln "sport = :$1" 2>/dev/null | grep -q .; }
PORTS=()
for _ in $(seq 1 100); do
  p=$((20000 + RANDOM % 30000))
  if port_free "$p" && port_free $((p + 1)); then PORTS=("$p" $((p + 1))); break; fi
done
[ ${#PORTS[@]} = 2 ] || { echo "run-pacemaker.sh: no free UDP ports on 127.0.0.1" >&2; exit 1; }

mkdir -p "$RESULTS"
rm -rf "$RESULTS/cases" "$RESULTS"/console-*.log; mkdir -p "$RESULTS/cases"
EVENTS="$RESULTS/host-events.txt"
: > "$EVENTS"
event() { echo "$(secs "$T_START")s $*" | tee -a "$EVENTS" >&2; }

# start_node N: boot guest N (again) in the background; its QEMU's pid in WORK/qemuN.pid,
# the wrapper's status in WORK/rcN.B (B = boot number, in WORK/bootsN: the request
# servers run in subshells of their own)
start_node() {
  local n=$1 b q=() me other logf
  b=$(( $(cat "$WORK/boots$n" 2>/dev/null || echo 0) + 1 )); echo "$b" > "$WORK/boots$n"
  me=${PORTS[$((n - 1))]} other=${PORTS[$((2 - n))]}
  logf="$RESULTS/console-node$n.log"; [ "$b" = 1 ] || logf="$RESULTS/console-node$n-boot$b.log"
  [ "$QUIET" = 0 ] && [ "$n" = 1 ] || q=(--quiet)
  rm -f "$WORK/qemu$n.pid"
  ( rc=0
    "$HERE/run-guest.sh" --no-setup --quiet-kernel --mem "$MEM" --smp 1 \
      --layer ha --layer pacemaker --hostname "node$n" \
      --net "socket,id=n0,udp=127.0.0.1:$other,localaddr=127.0.0.1:$me" \
      --mac "52:54:00:77:00:0$n" "${DISK_ARGS[@]}" --timeout "$LIMIT" \
      --pidfile "$WORK/qemu$n.pid" --ctl-pipe "$WORK/ctl$n" \
      --log "$logf" --overlay "$OV" ${q[@]+"${q[@]}"} \
      --env "CASE_TIMEOUT=$CASE_TIMEOUT" \
      - "$WORK/guest-cmd.sh" 2> "$WORK/run-guest$n.$b.err" || rc=$?
    echo "$rc" > "$WORK/rc$n.$b" ) &
  event "node$n: boot $b started"
}
qemu_running() { [ -s "$WORK/qemu$1.pid" ] && kill -0 "$(cat "$WORK/qemu$1.pid")" 2>/dev/null; }
# kill_node N: SIGKILL guest N's QEMU, as pulling the plug; true once it is gone
kill_node() {
  local n=$1 pid i
  qemu_running "$n" || return 0
  pid=$(cat "$WORK/qemu$n.pid")
  kill -KILL "$pid" 2>/dev/null || true
  for i in $(seq 1 300); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  return 1
}

# serve N: answer the requests guest N writes on its control port, for the whole run
# (the FIFOs are opened read-write, so a guest killed and booted again keeps them)
serve() {
  local n=$1 line id verb target t ans
  exec 3<> "$WORK/ctl$n.out" 4<> "$WORK/ctl$n.in"
  while IFS= read -r line <&3; do
    line=${line%$'\r'}
    case $line in KT-CTL\ *) ;; *) continue ;; esac
    read -r _ id verb target _ <<< "$line"
    case $target in node1) t=1 ;; node2) t=2 ;; *) t='' ;; esac
    if [ -z "$t" ]; then
      ans="fail unknown node '$target'"
    else
      # one operation at a time, whichever guest asks
      ans=$( {
        flock 9
        case $verb in
          status) if qemu_running "$t"; then echo "ok running"; else echo "ok off"; fi ;;
          crash|fence)
            if ! qemu_running "$t"; then echo "ok off (was not running)"
            elif kill_node "$t"; then echo "ok off"
            else echo "fail node$t's QEMU survived SIGKILL"; fi ;;
          start)
            if qemu_running "$t"; then echo "fail running"
            else echo "start"; fi ;;
          *) echo "fail unknown request '$verb'" ;;
        esac; } 9> "$WORK/ops.lock")
      # the boot is started here, outside the lock's subshell, so that this shell
      # owns the guest's wrapper
      if [ "$ans" = start ]; then
        start_node "$t"
        ans="ok started boot $(cat "$WORK/boots$t")"
      fi
    fi
    event "node$n asks: $verb $target -> $ans"
    printf 'KT-CTL %s %s\n' "$id" "$ans" >&4
  done
}

for n in 1 2; do mkfifo "$WORK/ctl$n.in" "$WORK/ctl$n.out"; done
log "cases: ${CASES[*]}; ${MEM} per guest; UDP 127.0.0.1:${PORTS[0]}/${PORTS[1]}; each boot limited to ${LIMIT}s"
t=$(date +%s.%N)
start_node 1
start_node 2
serve 1 & MONITORS+=($!)
serve 2 & MONITORS+=($!)
# node1 runs the cases; the run ends with it
while [ ! -e "$WORK/rc1.1" ]; do sleep 1; done
T_GUESTS=$(secs "$t")
RC1=$(cat "$WORK/rc1.1")
event "node1 ended (status $RC1); stopping node2"
kill_node 2 || true
for p in "${MONITORS[@]}"; do kill "$p" 2>/dev/null || true; done
wait 2>/dev/null || true
MONITORS=()

# ------------------------------------------------------------ results
tr -d '\r' < "$RESULTS/console-node1.log" > "$WORK/console1.txt"
split_case_logs "$WORK/console1.txt" "$RESULTS/cases"
pass=0 fail=0 skip=0
: > "$WORK/summary"
for c in "${CASES[@]}"; do
  line=$(case_line "$WORK/console1.txt" "$c" "$RC1" "$LIMIT")
  echo "$line" >> "$WORK/summary"
  count_result "$line" "$c"
done
if [ "$QUIET" = 1 ] || [ "$fail" != 0 ]; then
  show_failed_logs "$WORK/summary" "$RESULTS/cases" "CASE " "" 80
fi
ready=$(grep -m1 -E '^PCMK-(READY|NOT-READY)' "$WORK/console1.txt" || true)
gsum=$(grep -m1 '^SUITE-SUMMARY' "$WORK/console1.txt" || true)
{
  echo
  echo "==================== Pacemaker results ($(date -u +%Y-%m-%dT%H:%M:%SZ))"
  cat "$WORK/summary"
  echo "node1: guest exit $RC1; ${ready:-the cluster never formed}; ${gsum:-no summary}"
  grep -m1 -E 'Kernel panic|kernel BUG at|BUG: soft lockup' "$WORK/console1.txt" | sed 's/^/node1 KERNEL: /' || true
  for f in "$RESULTS"/console-node2*.log; do
    [ -e "$f" ] || continue
    tr -d '\r' < "$f" | grep -m1 -E 'Kernel panic|kernel BUG at|BUG: soft lockup' | sed "s|^|$(basename "$f" .log) KERNEL: |" || true
  done
  echo "host events: $EVENTS"
  sed 's/^/  /' "$EVENTS"
  echo "times: setup ${T_SETUP}s, build ${T_BUILD}s, guests ${T_GUESTS}s, total $(secs "$T_START")s wall"
  echo "logs: $RESULTS/console-node{1,2}*.log, $RESULTS/cases/"
} | tee "$RESULTS/summary.txt"
# node1 must have run to its end
{ [ "$RC1" = 0 ] || [ "$RC1" = 1 ]; } && [ -n "$gsum" ] || { [ "$fail" != 0 ] || fail=1; }
echo "pacemaker-tests: $pass passed, $fail failed, $skip skipped" | tee -a "$RESULTS/summary.txt"
[ "$fail" = 0 ]
