# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=sh
# 30-per-fs: per-filesystem clusters in cluster.conf (classic kernel layout,
# enforced by our mount.ocfs2).  "pinned" pins node1 to slot 3 and node2 to
# slot 0, and each ends up in its slot on disk; "solo" lists node1 alone, so
# node2's mount is refused with a message naming the filesystem and its
# members, leaving nothing behind, while node1 mounts it.
# timeout: 180
set -eu
O2CB=/sbin/o2cb

step "the filesystems in cluster.conf (our o2cb on each node)"
run "$O2CB" add-filesystem kt /dev/vdb
run "$O2CB" add-filesystem-node --slot 3 /dev/vdb node1
run "$O2CB" add-filesystem-node --slot 0 /dev/vdb node2
run "$O2CB" add-filesystem kt /dev/vdc
run "$O2CB" add-filesystem-node /dev/vdc node1
run "$O2CB" check
run "$O2CB" list-filesystems
sum=$(md5sum < /etc/ocfs2/cluster.conf)
[ "$sum" = "$(barrier conf "$sum")" ] || fail "cluster.conf differs between the nodes"

step "pinned slots"
mkdir -p /mnt/pinned /mnt/solo
on node1 timed mount run /sbin/mount.ocfs2 /dev/vdb /mnt/pinned
barrier node1-pinned
on node2 timed mount run /sbin/mount.ocfs2 /dev/vdb /mnt/pinned
barrier node2-pinned
grep " /mnt/pinned " /proc/mounts
# the slot map as the C debug tool reads it from disk: "slot node" pairs
debugfs.ocfs2 -R slotmap /dev/vdb | tee slotmap.txt
awk '$1 ~ /^[0-9]+$/ {print $1, $2}' slotmap.txt > slots
printf '0 1\n3 0\n' > slots.expected
assert_same_file slots.expected slots "slot map of /dev/vdb (slot node)"

step "a filesystem node2 is not a member of"
if [ "$NODE" = node2 ]; then
  rc=0; /sbin/mount.ocfs2 /dev/vdc /mnt/solo 2> refused.err || rc=$?
  cat refused.err
  [ "$rc" != 0 ] || fail "node2 mounted solo"
  say "refused with exit status $rc"
  uuid=$(/sbin/ocfs2_hb_ctl -I -d /dev/vdc | sed -n 's/.*\([0-9A-F]\{32\}\).*/\1/p' | head -n 1)
  assert_contains refused.err "filesystem $uuid \('solo'\): this host \(node node2\) is not a member; its members are node1"
  ! grep -q " /mnt/solo " /proc/mounts || fail "/mnt/solo is mounted"
  [ ! -d "$CLUSTER_DIR/kt/heartbeat/$uuid" ] || fail "the refused mount left a heartbeat region"
fi
barrier refused
on node1 timed mount run /sbin/mount.ocfs2 /dev/vdc /mnt/solo
on node1 sh -c 'echo mine > /mnt/solo/owner && sync && [ "$(cat /mnt/solo/owner)" = mine ]'
barrier solo
