# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=sh
# 20-mount-io: the shared volume is mounted on both nodes with our
# mount.ocfs2; a file written on one node is read back on the other, both
# ways (small text, 8 MiB of random data); our `mounted.ocfs2 -f` on each
# node lists both nodes.
# timeout: 180
set -eu
MNT=/mnt/shared
mkdir -p "$MNT"

step "mount (node1 first, then node2)"
on node1 timed mount run /sbin/mount.ocfs2 /dev/vda "$MNT"
barrier node1-mounted
on node2 timed mount run /sbin/mount.ocfs2 /dev/vda "$MNT"
barrier node2-mounted
grep " $MNT " /proc/mounts || fail "$MNT is not mounted"

step "write here, read there"
write_here_read_there "$MNT"

step "mounted.ocfs2 -f"
/sbin/mounted.ocfs2 -f | tee mounted.out
line=$(grep '^/dev/vda ' mounted.out) || fail "/dev/vda not listed"
case $line in
  *node1*) ;; *) fail "node1 not listed for /dev/vda: $line" ;;
esac
case $line in
  *node2*) ;; *) fail "node2 not listed for /dev/vda: $line" ;;
esac
o2net_connected "$PEER_NUM" || fail "o2net lost $PEER"
barrier listed
