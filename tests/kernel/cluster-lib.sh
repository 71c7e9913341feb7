# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=sh
#
# cluster-lib.sh - helpers for the two-node cases (cluster/*.sh), sourced in
# each guest after lib.sh.  Both guests run the same case file at the same
# time; a case branches on $NODE and meets the other guest at barriers.
#
#   NODE, NODE_NUM, MY_IP     this guest: node1/0/10.77.0.1 or node2/1/10.77.0.2
#   PEER, PEER_NUM, PEER_IP   the other one
#   on NODE CMD...            run CMD on that node only (true on the other)
#   barrier NAME [PAYLOAD]    wait until the other guest reaches the barrier of
#                             the same name; prints the payload it sent; fails
#                             the case when the other guest is elsewhere or does
#                             not come within $KT_BARRIER_TIMEOUT (120) seconds
#
# A barrier is one TCP exchange over the guest-to-guest network (busybox nc):
# node1 listens on port 7001, node2 connects (retrying while node1 is not
# there yet); each sends "NAME\nPAYLOAD" and reads the other's.

: "${NODE:=$(hostname)}"
case "$NODE" in
  node1) NODE_NUM=0 PEER=node2 PEER_NUM=1 ;;
  node2) NODE_NUM=1 PEER=node1 PEER_NUM=0 ;;
  *) echo "cluster-lib: hostname '$NODE' is neither node1 nor node2" >&2; exit 1 ;;
esac
MY_IP=10.77.0.$((NODE_NUM + 1))
PEER_IP=10.77.0.$((PEER_NUM + 1))
KT_BARRIER_PORT=7001
: "${KT_BARRIER_TIMEOUT:=120}"

on() {
  _on=$1; shift
  [ "$_on" = "$NODE" ] || return 0
  "$@"
}

# exchange NAME PAYLOAD DEADLINE KEEP: one rendezvous.  Prints the peer's
# payload and returns 0 when the peer sent NAME.  When the peer is at another
# barrier: KEEP=1 waits on (the peer is behind and will come), KEEP=0 returns 2
# at once (the peer has gone another way).  Returns 1 at DEADLINE (epoch s).
exchange() {
  _xn=$1 _xp=$2 _xdl=$3 _xkeep=$4
  _xd=$(mktemp -d /tmp/kt-barrier.XXXXXX)
  printf '%s\n%s\n' "$_xn" "$_xp" > "$_xd/out"
  while :; do
    _xleft=$((_xdl - $(date +%s)))
    [ "$_xleft" -gt 0 ] || { rm -rf "$_xd"; return 1; }
    : > "$_xd/in"
    if [ "$NODE" = node1 ]; then
      timeout "$_xleft" nc -l -p "$KT_BARRIER_PORT" < "$_xd/out" > "$_xd/in" 2>/dev/null || true
    else
      nc "$PEER_IP" "$KT_BARRIER_PORT" < "$_xd/out" > "$_xd/in" 2>/dev/null || true
    fi
    _xgot=$(head -n 1 "$_xd/in")
    if [ -z "$_xgot" ]; then
      # nobody there yet (node2), or a connection that broke: try again
      sleep 0.3; continue
    fi
    if [ "$_xgot" = "$_xn" ]; then
      tail -n +2 "$_xd/in" | sed '$ { /^$/d; }'
      rm -rf "$_xd"; return 0
    fi
    echo "barrier $_xn: $PEER is at barrier '$_xgot'" >&2
    if [ "$_xkeep" = 0 ]; then rm -rf "$_xd"; return 2; fi
    sleep 0.3
  done
}

barrier() {
  _bt0=$(now)
  _brc=0
  exchange "$1" "${2:-}" $(($(date +%s) + KT_BARRIER_TIMEOUT)) 0 || _brc=$?
  case $_brc in
    0) echo "BARRIER $1 (waited $(elapsed "$_bt0")s)" >&2 ;;
    1) fail "barrier $1: $PEER did not come within ${KT_BARRIER_TIMEOUT}s" ;;
    *) fail "barrier $1: $PEER went another way (its case failed?)" ;;
  esac
}

# o2net's view of the peer: connected (debugfs), as the kernel keeps it
o2net_connected() {
  grep -qw "$1" /sys/kernel/debug/o2net/connected_nodes 2>/dev/null
}

# write_here_read_there DIR: each node writes a text file and 8 MiB of random data in
# DIR (a volume both have mounted), the two exchange what they wrote at a barrier, and
# each reads back what the other wrote; any difference fails the case
write_here_read_there() {
  echo "hello from $NODE $(cat /proc/sys/kernel/random/boot_id)" > "$1/from-$NODE"
  dd if=/dev/urandom of="$1/blob-$NODE" bs=1M count=8 2>/dev/null
  sync
  _mine="$(cat "$1/from-$NODE")|$(md5sum < "$1/blob-$NODE")"
  _theirs=$(barrier written "$_mine")
  _got="$(cat "$1/from-$PEER")|$(md5sum < "$1/blob-$PEER")"
  [ "$_got" = "$_theirs" ] || fail "read '$_got' of what $PEER wrote as '$_theirs'"
  say "read what $PEER wrote: ${_got%%|*}"
  barrier read
}

# cluster_user_stack_up CLUSTER: the user stack on both nodes (run-cluster.sh --stack
# pcmk; lib.sh's user_stack_up with both nodes): corosync with knet over eth0, node1
# nodeid 1 and node2 nodeid 2 (the OCFS2 node numbers on this stack), two_node; each
# waits until corosync is quorate (wait_for_all: both have been seen), the two meet,
# start dlm_controld, wait for the DLM to be ready, and meet again.
cluster_user_stack_up() {
  barrier "user-stack-conf:$1"
  corosync_start "$1" node1:1:10.77.0.1 node2:2:10.77.0.2
  us_wait "${KT_US_TIMEOUT:-180}" "corosync quorate with $PEER" corosync_quorate
  barrier user-stack-quorate
  dlm_start
  us_wait "${KT_US_TIMEOUT:-180}" "dlm ready" dlm_ready
  barrier user-stack-ready
}
