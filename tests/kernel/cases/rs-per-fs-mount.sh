# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=sh
# rs-per-fs-mount: per-filesystem policy on the classic kernel. Two volumes from the C
# mkfs.ocfs2 (-N 4); cluster.conf (written with our o2cb) pins this node (node1) to slot 2
# of the first and lists only node2 as a member of the second. Our mount.ocfs2 puts node1
# in slot 2 of the first (the on-disk slot map, read by the C debugfs.ocfs2, says so; the
# mount data carries preferred_slot=2); the second is refused by mount.ocfs2 and by
# ocfs2_hb_ctl -S with a message naming the filesystem and its members, leaving no region,
# no reference and no mount behind; a conflicting -o preferred_slot is refused too.
# needs: o2cb mount.ocfs2 ocfs2_hb_ctl
# timeout: 180
set -eu
O2CB=$(rsbin o2cb)
MOUNT=$(rsbin mount.ocfs2)
HB=$(rsbin ocfs2_hb_ctl)
MNT=/mnt/pinned

step "cluster.conf with two filesystems (our o2cb)"
timed mkfs-a mkfs.ocfs2 -q -b 4K -C 4K -N 4 --cluster-stack=o2cb --cluster-name=web -L pinned /dev/vda
timed mkfs-b mkfs.ocfs2 -q -b 4K -C 4K -N 4 --cluster-stack=o2cb --cluster-name=web -L theirs /dev/vdb
rm -f /etc/ocfs2/cluster.conf
run "$O2CB" add-cluster web
run "$O2CB" add-node --ip 127.0.0.1 --number 0 web node1
run "$O2CB" add-node --ip 127.0.0.2 --number 1 web node2
run "$O2CB" add-filesystem web /dev/vda
run "$O2CB" add-filesystem-node --slot 2 /dev/vda node1
run "$O2CB" add-filesystem web /dev/vdb
run "$O2CB" add-filesystem-node /dev/vdb node2
run "$O2CB" check
cat /etc/ocfs2/cluster.conf
run "$O2CB" register-cluster web
echo "$HB" > "$HB_CTL_PATH_FILE"
uuid() { "$HB" -I -d "$1" | sed -n 's/^\([0-9A-F]\{32\}\):.*/\1/p'; }
A=$(uuid /dev/vda) B=$(uuid /dev/vdb)
[ ${#A} = 32 ] && [ ${#B} = 32 ] || fail "no UUIDs ($A, $B)"

step "a member pinned to slot 2"
mkdir -p "$MNT" /mnt/theirs
expect_rc 1 "$MOUNT" -o preferred_slot=1 /dev/vda "$MNT"
[ ! -d "$CLUSTER_DIR/web/heartbeat/$A" ] || fail "the refused mount left region $A"
timed mount strace_cfs mount.trace "$MOUNT" /dev/vda "$MNT" || fail "mount /dev/vda"
assert_contains mount.trace 'preferred_slot=2'
grep " $MNT " /proc/mounts
debugfs.ocfs2 -R slotmap /dev/vda | tee slotmap.txt
awk '$1 ~ /^[0-9]+$/ {print $1, $2}' slotmap.txt > slots
echo "2 0" > slots.expected
assert_same_file slots.expected slots "slot map of /dev/vda (slot node)"
dmesg | grep -q "on (node 0, slot 2)" || fail "the kernel did not log node 0 in slot 2"

step "a filesystem this node is not a member of"
for cmd in "$MOUNT /dev/vdb /mnt/theirs" "$HB -S -d /dev/vdb svc"; do
  rc=0; $cmd > out 2> err || rc=$?
  cat out err
  [ "$rc" = 1 ] || fail "exit status $rc, wanted 1: $cmd"
  assert_contains err "filesystem $B \('theirs'\): this host \(node node1\) is not a member; its members are node2$"
done
! grep -q " /mnt/theirs " /proc/mounts || fail "/mnt/theirs is mounted"
[ ! -d "$CLUSTER_DIR/web/heartbeat/$B" ] || fail "a refusal left region $B"
[ "$("$HB" -I -u "$B")" = "$B: 0 refs" ] || fail "a refusal left a reference: $("$HB" -I -u "$B")"

step "umount"
timed umount run umount "$MNT"
wait_until 10 test ! -d "$CLUSTER_DIR/web/heartbeat/$A" || fail "region $A left after umount"
run "$O2CB" unregister-cluster web
