#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# run-cluster.sh - a real two-node OCFS2 cluster: two QEMU guests (node1,
# node2) booted together, joined by a guest-to-guest network over the host's
# loopback only, sharing raw disk images, running the cluster cases with our
# binaries installed in place of the C tools.
#
# usage: run-cluster.sh [--build|--no-build] [--bin-dir DIR] [options] [CASE...]
#   CASE             a case of cluster/ (NAME or NAME.sh) or a path; run in the
#                    order given; default: every cluster/*.sh in name order
#   --build          cargo build --release --workspace --bins first (default)
#   --no-build       use what is already in the cargo target dir
#   --bin-dir DIR    take our binaries from DIR instead (implies --no-build)
#   --cases-dir DIR  where the cases are (default: cluster/ beside this script;
#                    cluster-pcmk/ with --stack pcmk)
#   --stack STACK    o2cb (default): the guests boot bare, the cases bring up the
#                    classic stack; pcmk: the guests get the ha image layer (corosync,
#                    dlm_controld) and 512 MiB, and the cases run the user stack
#                    (cluster-lib.sh: cluster_user_stack_up)
#   --c-tools        keep the C tools at /sbin (default with --stack pcmk: our
#                    mount.ocfs2 does not handle pcmk volumes yet)
#   --ours           install ours over the C tools at /sbin (default with o2cb)
#   --case-timeout S default per-case timeout in the guests (default 180)
#   --timeout S      wall-clock limit of each guest (default: computed from the
#                    cases' timeouts)
#   --quiet          do not stream node1's console; print only the results
#   --results DIR    where the logs go (default: results/cluster/ beside this
#                    script)
# environment: CARGO_TARGET_DIR, RG_CACHE (see setup.sh)
#
# The network: QEMU -netdev socket, node1 listening on 127.0.0.1:PORT (a free
# port), node2 connecting; inside, 10.77.0.1 and 10.77.0.2 on eth0.  The
# disks: three shared 256 MB sparse images (/dev/vda, vdb, vdc in both guests),
# opened with cache=none, no image locking and share-rw, so each guest's writes
# reach the image the other reads.  Each guest is bounded by its own timeout
# and killed at it.
#
# Exit status 0 only when no case failed on either node and both guests ran to
# their end.  Results: RESULTS/console-node1.log, console-node2.log,
# cases/NAME.node1.log / NAME.node2.log, cluster-events.txt (what the kernels
# logged of nodes joining and leaving), summary.txt; the last line printed is
#   cluster-tests: N passed, N failed, N skipped
set -euo pipefail


HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
# shellcheck source=host-lib.sh
. "$HERE/host-lib.sh"
T_START=$(date +%s.%N)
BUILD=1 BIN_DIR='' CASES_DIR='' CASE_TIMEOUT=180 TIMEOUT='' QUIET=0 STACK=o2cb
INSTALL_OURS=''
RESULTS=''
ARGS=()
while [ $# -gt 0 ]; do
  runner_option "$@"
  if [ "$RUNNER_SHIFT" -gt 0 ]; then shift "$RUNNER_SHIFT"; continue; fi
  case "$1" in
    --stack) STACK="$2"; shift 2 ;;
    --c-tools) INSTALL_OURS=0; shift ;;
    --ours) INSTALL_OURS=1; shift ;;
    -h|--help) usage ;;
    -*) echo "run-cluster.sh: unknown option $1" >&2; usage ;;
    *) ARGS+=("$1"); shift ;;
  esac
done
log() { echo "[run-cluster] $*" >&2; }
case $STACK in
  o2cb) STACK_LAYERS=''
        : "${CASES_DIR:=$HERE/cluster}" "${RESULTS:=$HERE/results/cluster}" "${INSTALL_OURS:=1}" ;;
  pcmk) STACK_LAYERS=ha
        : "${CASES_DIR:=$HERE/cluster-pcmk}" "${RESULTS:=$HERE/results/cluster-pcmk}" "${INSTALL_OURS:=0}" ;;
  *) echo "run-cluster.sh: --stack is o2cb or pcmk, not '$STACK'" >&2; usage ;;
esac

# ------------------------------------------------------------ the cases
collect_cases run-cluster.sh "$CASES_DIR" ${ARGS[@]+"${ARGS[@]}"}
# both guests get the stack's image layers and those the cases' headers name
# shellcheck disable=SC2046 # a word list
NEED_LAYERS=$(layer_stack $STACK_LAYERS $(for c in "${CASES[@]}"; do case_layers "${CASE_FILE[$c]}"; done)) || exit 2
# shellcheck disable=SC2086 # a word list
MEM=$(layer_mem 384M $NEED_LAYERS)
LAYER_ARGS=()
for l in $NEED_LAYERS; do LAYER_ARGS+=(--layer "$l"); done

# ------------------------------------------------------------ image, binaries
prepare "$HERE" "$REPO" run-cluster

WORK=$(mktemp -d "${TMPDIR:-/tmp}/kt-cluster.XXXXXX")
PIDS=()
cleanup() {
  local p
  for p in ${PIDS[@]+"${PIDS[@]}"}; do kill "$p" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT
OV="$WORK/overlay"
mkdir -p "$OV/kt/cases"
stage_ours "$BIN_DIR" "$OV/opt/rs/sbin"
log "ours from $BIN_DIR: staged: ${STAGED[*]:-none}; absent: ${ABSENT[*]:-none}"
install -m 0644 "$HERE/lib.sh" "$OV/kt/lib.sh"
install -m 0644 "$HERE/cluster-lib.sh" "$OV/kt/cluster-lib.sh"
install -m 0644 "$HERE/guest/cluster-driver.sh" "$OV/kt/cluster-driver.sh"
stage_cases "$OV/kt" "${CASES[@]}"
LIMIT=${TIMEOUT:-$((300 + CASES_TIME))}   # boot, waiting for the other guest, the cases
echo 'exec /bin/sh /kt/cluster-driver.sh' > "$WORK/guest-cmd.sh"

shared_disks "$WORK" 3

# a free TCP port on the host's loopback for the guests' network
port_free() { ! ss -Htln "sport = :$1" 2>/dev/null | grep -q .; }
PORT=''
for _ in $(seq 1 50); do
  p=$((20000 + RANDOM % 30000))
  if port_free "$p"; then PORT=$p; break; fi
done
[ -n "$PORT" ] || { echo "run-cluster.sh: no free port on 127.0.0.1" >&2; exit 1; }

mkdir -p "$RESULTS"
rm -rf "$RESULTS/cases" "$RESULTS"/console-*.log; mkdir -p "$RESULTS/cases"
# boot_node N NETSPEC: one guest in the background; its status in WORK/rcN
boot_node() {
  local n=$1 net=$2 q=()
  [ "$QUIET" = 0 ] && [ "$n" = 1 ] || q=(--quiet)
  ( rc=0
    "$HERE/run-guest.sh" --no-setup --quiet-kernel --mem "$MEM" --smp 1 ${LAYER_ARGS[@]+"${LAYER_ARGS[@]}"} \
      --hostname "node$n" --net "$net" --mac "52:54:00:77:00:0$n" "${DISK_ARGS[@]}" --timeout "$LIMIT" \
      --log "$RESULTS/console-node$n.log" --overlay "$OV" ${q[@]+"${q[@]}"} \
      --append "rg.modules=0 rg.configfs=0" --env "CASE_TIMEOUT=$CASE_TIMEOUT" \
      --env "STACK=$STACK" --env "INSTALL_OURS=$INSTALL_OURS" \
      - "$WORK/guest-cmd.sh" 2> "$WORK/run-guest$n.err" || rc=$?
    echo "$rc" > "$WORK/rc$n" ) &
  PIDS+=($!)
}

log "stack $STACK${NEED_LAYERS:+, layers $NEED_LAYERS}, $MEM per guest; cases: ${CASES[*]}; network 127.0.0.1:$PORT; each guest limited to ${LIMIT}s"
t=$(date +%s.%N)
boot_node 1 "socket,id=n0,listen=127.0.0.1:$PORT"
# node2's QEMU connects at start-up: node1's must be listening first
for _ in $(seq 1 100); do
  port_free "$PORT" || break
  [ ! -e "$WORK/rc1" ] || break
  sleep 0.1
done
if port_free "$PORT"; then
  log "node1's QEMU never listened on $PORT"; wait; cat "$WORK/run-guest1.err" >&2; exit 1
fi
boot_node 2 "socket,id=n0,connect=127.0.0.1:$PORT"
wait
PIDS=()
T_GUESTS=$(secs "$t")
RC1=$(cat "$WORK/rc1") RC2=$(cat "$WORK/rc2")

# ------------------------------------------------------------ results
pass=0 fail=0 skip=0
: > "$WORK/summary"
for n in 1 2; do
  tr -d '\r' < "$RESULTS/console-node$n.log" > "$WORK/console$n.txt"
  split_case_logs "$WORK/console$n.txt" "$RESULTS/cases" ".node$n"
done
for c in "${CASES[@]}"; do
  res=''
  for n in 1 2; do
    line=$(case_line "$WORK/console$n.txt" "$c" "$(cat "$WORK/rc$n")" "$LIMIT")
    echo "node$n ${line#CASE }" >> "$WORK/summary"
    case "$line" in
      "CASE $c: PASS"*) res=${res:-PASS} ;;
      "CASE $c: SKIP"*) [ "$res" = FAIL ] || res=SKIP ;;
      *) res=FAIL ;;
    esac
  done
  case $res in PASS) pass=$((pass + 1)) ;; SKIP) skip=$((skip + 1)) ;; *) fail=$((fail + 1)) ;; esac
done

# what the kernels said of nodes joining and leaving, in each guest's order
{
  for n in 1 2; do
    echo "node$n:"
    grep -E 'kmsg: .*(o2net|o2hb|o2dlm|ocfs2: (Mounting|Unmounting)|o2cb: |dlm: )' "$WORK/console$n.txt" |
      sed 's/^ *kmsg: /  /' || echo "  (nothing)"
  done
} > "$RESULTS/cluster-events.txt"

if [ "$QUIET" = 1 ] || [ "$fail" != 0 ]; then
  for n in 1 2; do show_failed_logs "$WORK/summary" "$RESULTS/cases" "node$n " ".node$n" 60; done
fi

ok=1
{
  echo
  echo "==================== two-node results ($(date -u +%Y-%m-%dT%H:%M:%SZ))"
  cat "$WORK/summary"
  for n in 1 2; do
    rc=$(cat "$WORK/rc$n")
    gsum=$(grep -m1 '^SUITE-SUMMARY' "$WORK/console$n.txt" || true)
    met=$(grep -m1 -E '^CLUSTER-(MET|NO-PEER)' "$WORK/console$n.txt" || true)
    echo "node$n: guest exit $rc; ${met:-never reached the other node}; ${gsum:-no summary}"
    grep -m1 -E 'Kernel panic|kernel BUG at|BUG: soft lockup' "$WORK/console$n.txt" | sed "s/^/node$n KERNEL: /" || true
    sed "s/^/node$n run-guest: /" "$WORK/run-guest$n.err" | grep -E 'TIMEOUT|PANIC|no GUEST-EXIT' || true
  done
  echo "kernel events: $RESULTS/cluster-events.txt"
  sed 's/^/  /' "$RESULTS/cluster-events.txt"
  echo "ours: staged ${STAGED[*]:-none}; absent ${ABSENT[*]:-none}; $( [ "$INSTALL_OURS" = 1 ] && echo "installed at /sbin" || echo "at /opt/rs/sbin, the C tools at /sbin")"
  echo "times: setup ${T_SETUP}s, build ${T_BUILD}s, two guests ${T_GUESTS}s, total $(secs "$T_START")s wall"
  echo "logs: $RESULTS/console-node{1,2}.log, $RESULTS/cases/"
} | tee "$RESULTS/summary.txt"
# a guest that did not run to its end fails the run even if every case it
# reached passed
for n in 1 2; do
  rc=$(cat "$WORK/rc$n")
  { [ "$rc" = 0 ] || [ "$rc" = 1 ]; } || ok=0
  grep -q '^SUITE-SUMMARY' "$WORK/console$n.txt" || ok=0
done
if [ "$ok" = 0 ] && [ "$fail" = 0 ]; then fail=1; fi
echo "cluster-tests: $pass passed, $fail failed, $skip skipped" | tee -a "$RESULTS/summary.txt"
[ "$fail" = 0 ]
