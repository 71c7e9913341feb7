# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=sh
# rs-global-heartbeat: global heartbeat on two volumes. Our start-heartbeat finds the
# devices through libblkid and starts both regions exactly as the C tool does (same
# configfs tree, same stdout); cluster-status agrees; a region whose device does not exist
# makes start-heartbeat fail without stopping the regions that were already running (the
# C tool stops them: reference oddity); stop-heartbeat stops them all.
# needs: o2cb
# timeout: 300
set -eu
C_O2CB=$(cbin o2cb)
RS_O2CB=$(rsbin o2cb)
CONF=/etc/ocfs2/cluster.conf

step "two global-heartbeat volumes"
timed mkfs-a mkfs.ocfs2 -q -b 4K -C 4K -N 4 --global-heartbeat --cluster-stack=o2cb --cluster-name=web -L hb-a /dev/vda
timed mkfs-b mkfs.ocfs2 -q -b 4K -C 4K -N 4 --global-heartbeat --cluster-stack=o2cb --cluster-name=web -L hb-b /dev/vdb
uuid() { "$(cbin mounted.ocfs2)" -d "$1" | awk 'NR==2 {print $(NF-1)}'; }
A=$(uuid /dev/vda)
B=$(uuid /dev/vdb)
say "regions: $A on vda, $B on vdb"
[ ${#A} = 32 ] && [ ${#B} = 32 ] || fail "could not read the volume UUIDs"

conf() {
  printf 'cluster:\n\tname = web\n\theartbeat_mode = global\n\tnode_count = 2\n\n' > "$CONF"
  for r in "$@"; do printf 'heartbeat:\n\tcluster = web\n\tregion = %s\n\n' "$r" >> "$CONF"; done
  printf 'node:\n\tcluster = web\n\tnumber = 0\n\tip_port = 7777\n\tip_address = 127.0.0.1\n\tname = node1\n\n' >> "$CONF"
  printf 'node:\n\tcluster = web\n\tnumber = 1\n\tip_port = 7777\n\tip_address = 127.0.0.2\n\tname = node2\n\n' >> "$CONF"
}
conf "$A" "$B"

# side NAME O2CB: register, start heartbeat, look, stop, unregister
side() {
  "$2" register-cluster web || fail "$1: register-cluster"
  _rc=0; "$2" start-heartbeat web > "$1.start.out" 2> "$1.start.err" || _rc=$?
  echo "exit $_rc" >> "$1.start.out"
  cat "$1.start.out" "$1.start.err"
  dump_tree > "$1.tree"
  "$2" cluster-status web > "$1.status" 2>&1 || echo "exit $?" >> "$1.status"
  _rc=0; "$2" stop-heartbeat web > "$1.stop.out" 2>&1 || _rc=$?
  echo "exit $_rc" >> "$1.stop.out"
  dump_tree > "$1.stopped.tree"
  "$2" unregister-cluster web || fail "$1: unregister-cluster"
  assert_cluster_empty
}
step "C tools"
side c "$C_O2CB"
step "ours"
side rs "$RS_O2CB"
for f in start.out tree status stop.out stopped.tree; do
  assert_same_file "c.$f" "rs.$f" "global heartbeat: $f"
done
grep -q "heartbeat/$A/dev = vda" rs.tree || fail "region $A does not run on vda"
grep -q "heartbeat/$B/dev = vdb" rs.tree || fail "region $B does not run on vdb"

step "a region without a device does not take down the running ones"
"$RS_O2CB" register-cluster web
conf "$A"
"$RS_O2CB" start-heartbeat web || fail "start-heartbeat with one region"
conf "$A" 0123456789ABCDEF0123456789ABCDEF "$B"
_rc=0; "$RS_O2CB" start-heartbeat web 2> bad.err || _rc=$?
cat bad.err
[ "$_rc" = 1 ] || fail "start-heartbeat with a missing region exited $_rc"
grep -q "Heartbeat region could not be found 0123456789ABCDEF0123456789ABCDEF" bad.err || fail "the missing region is not named"
dump_tree > after-bad.tree
grep -q "heartbeat/$A/dev = vda" after-bad.tree || fail "the region that was running before was stopped"
! grep -q "heartbeat/$B/" after-bad.tree || fail "region $B was started although the command failed"
step "the C tool, for the record, stops the region that was running"
_rc=0; "$C_O2CB" start-heartbeat web || _rc=$?
say "C start-heartbeat exit $_rc"
dump_tree | grep "heartbeat/$A/dev" || say "C stopped region $A"
conf "$A" "$B"
"$RS_O2CB" start-heartbeat web > /dev/null || fail "start-heartbeat again"
"$RS_O2CB" stop-heartbeat web || fail "stop-heartbeat"
[ -z "$(find "$CLUSTER_DIR/web/heartbeat" -mindepth 1 -maxdepth 1 -type d)" ] || fail "regions left after stop-heartbeat"
"$RS_O2CB" unregister-cluster web
assert_cluster_empty
