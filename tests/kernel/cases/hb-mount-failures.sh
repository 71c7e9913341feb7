# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=sh
# hb-mount-failures: mounts that cannot work fail with our mount.ocfs2 exactly when they
# fail with the C one (same exit status), but say why: the cluster is offline, the volume
# belongs to another cluster, it was formatted for the other heartbeat mode, this host's
# name matches none of the nodes (naming both), a pcmk volume without corosync. Nothing is left
# behind: no heartbeat region, no reference. A missing mount point is a failure for ours
# (the C tool exits 0 there).
# needs: o2cb mount.ocfs2 ocfs2_hb_ctl
# timeout: 200
set -eu
RS_O2CB=$(rsbin o2cb)
RS_MOUNT=$(rsbin mount.ocfs2)
RS_HB=$(rsbin ocfs2_hb_ctl)
CONF=/etc/ocfs2/cluster.conf
MNT=/mnt/ocfs2
mkdir -p "$MNT"

timed mkfs-local mkfs.ocfs2 -q -b 4K -C 4K -N 2 --cluster-stack=o2cb --cluster-name=ocfs2 -L local /dev/vda
timed mkfs-global mkfs.ocfs2 -q -b 4K -C 4K -N 2 --global-heartbeat --cluster-stack=o2cb --cluster-name=ocfs2 -L global /dev/vdb
timed mkfs-pcmk mkfs.ocfs2 -q -b 4K -C 4K -N 2 --cluster-stack=pcmk --cluster-name=ocfs2 -L pcmk /dev/vdc
uuid() { "$(cbin mounted.ocfs2)" -d "$1" | awk 'NR==2 {print $(NF-1)}'; }
UUID_A=$(uuid /dev/vda)

# both NAME DEVICE PATTERN: the C and our mount.ocfs2 fail the same way; ours says PATTERN.
# Ours first: the C tool may change the machine (see "another cluster stack").
both() {
  _rc_rs=0; "$RS_MOUNT" "$2" "$MNT" > "$1.rs" 2>&1 || _rc_rs=$?
  _rc_c=0; /sbin/mount.ocfs2 "$2" "$MNT" > "$1.c" 2>&1 || _rc_c=$?
  say "C    ($_rc_c): $(cat "$1.c")"
  say "ours ($_rc_rs): $(cat "$1.rs")"
  [ "$_rc_c" = "$_rc_rs" ] || fail "$1: C exited $_rc_c, ours $_rc_rs"
  [ "$_rc_rs" != 0 ] || fail "$1: the mount succeeded"
  grep -qE -- "$3" "$1.rs" || fail "$1: ours does not say /$3/"
  ! grep -q " $MNT ocfs2 " /proc/mounts || fail "$1: something is mounted"
  [ -z "$(find "$CLUSTER_DIR" -path '*/heartbeat/*' -mindepth 3 -maxdepth 3 -type d 2>/dev/null)" ] \
    || { dump_tree; fail "$1: a heartbeat region was left behind"; }
  [ "$("$RS_HB" -I -u "$UUID_A")" = "$UUID_A: 0 refs" ] || fail "$1: a reference was left behind"
}

step "the cluster is offline"
both offline /dev/vda "cluster is offline: no cluster is registered"

step "the volume belongs to another cluster"
write_cluster_conf "$CONF" other node1:0:127.0.0.1:7777 node2:1:127.0.0.2:7777
run "$RS_O2CB" register-cluster other
both other-cluster /dev/vda "belongs to cluster ocfs2, but the running cluster is other"
run "$RS_O2CB" unregister-cluster other

step "the other heartbeat mode"
write_cluster_conf "$CONF" ocfs2 node1:0:127.0.0.1:7777 node2:1:127.0.0.2:7777
run "$RS_O2CB" register-cluster ocfs2
both global-on-local /dev/vdb "formatted for global heartbeat, but cluster ocfs2 runs local heartbeat"

step "another cluster stack"
STACK=/sys/fs/ocfs2/cluster_stack
# Ours checks the user stack first and changes nothing; the C tool switches the kernel's
# stack to the volume's, then fails (and leaves it so).
"$RS_MOUNT" /dev/vdc "$MNT" > /dev/null 2>&1 || true
[ "$(cat "$STACK")" = o2cb ] || fail "our refused pcmk mount left cluster_stack at $(cat "$STACK")"
both pcmk /dev/vdc "Unable to access cluster service while trying to join the group: corosync is not running"
say "cluster_stack after the C mount: $(cat "$STACK")"
echo o2cb > "$STACK" || fail "cannot put the o2cb stack back"

step "a missing mount point: the C tool exits 0, ours 1"
_rc=0; /sbin/mount.ocfs2 /dev/vda /mnt/none > nodir.c 2>&1 || _rc=$?
say "C    ($_rc): $(cat nodir.c)"
_rc=0; "$RS_MOUNT" /dev/vda /mnt/none > nodir.rs 2>&1 || _rc=$?
say "ours ($_rc): $(cat nodir.rs)"
[ "$_rc" = 1 ] || fail "ours exited $_rc for a missing mount point"
grep -q "mount directory /mnt/none does not exist" nodir.rs || fail "no word on the mount point"
run "$RS_O2CB" unregister-cluster ocfs2

step "this host's name matches no node"
hostname stranger
run "$RS_O2CB" register-cluster ocfs2
both stranger /dev/vda "this host's name \(stranger\) matches none of the nodes of cluster ocfs2 \(node1, node2\)"
run "$RS_O2CB" unregister-cluster ocfs2
assert_cluster_empty
