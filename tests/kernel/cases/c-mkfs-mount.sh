# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=sh
# c-mkfs-mount: the C tools alone.  mkfs.ocfs2 on /dev/vda, register the
# cluster, mount dlmfs and then the volume with the C mount.ocfs2 (which
# starts the heartbeat region), write and read a file, umount, and check
# that the region is gone: at umount the kernel itself runs
# /sbin/ocfs2_hb_ctl -K -u UUID (hb_ctl_path), so that is checked too.
# timeout: 150
set -eu
DISK=/dev/vda
MNT=/mnt/kt
C=ocfs2

step "register the cluster (C o2cb)"
write_cluster_conf /etc/ocfs2/cluster.conf "$C" \
  node1:0:127.0.0.1:7777 node2:1:127.0.0.2:7777
run "$(cbin o2cb)" register-cluster "$C"
mount_dlmfs

step "mkfs.ocfs2 -N 4 $DISK"
timed mkfs run "$(cbin mkfs.ocfs2)" -q -b 4K -C 4K -N 4 --cluster-stack=o2cb \
  --cluster-name="$C" -L kt-test "$DISK"
UUID=$("$(cbin tunefs.ocfs2)" -Q '%U\n' "$DISK")
say "UUID=$UUID"
[ ${#UUID} = 32 ] || fail "unexpected UUID '$UUID'"
REGION=$CLUSTER_DIR/$C/heartbeat/$UUID

step "log how the kernel calls the heartbeat helper"
cat > hbwrap <<EOF
#!/bin/sh
echo "\$*" >> $KT_WORK/hb.log
exec $(cbin ocfs2_hb_ctl) "\$@"
EOF
chmod +x hbwrap
echo "$KT_WORK/hbwrap" > "$HB_CTL_PATH_FILE"   # the driver's teardown puts it back

step "C mount.ocfs2 $DISK $MNT"
mkdir -p "$MNT"
timed mount strace_cfs mount.trace "$(cbin mount.ocfs2)" "$DISK" "$MNT" || fail "mount.ocfs2 failed"
# mount.ocfs2 creates and starts the region itself, then calls mount(2);
# the numbers follow from -b 4K -N 4 on 256 MB
cat > mount.expected <<EOF
mkdir $REGION = 0
write $REGION/block_bytes "512" = 3
write $REGION/start_block "2184" = 4
write $REGION/blocks "255" = 3
write $REGION/dev "<fd>" = <len>
mount("$DISK", "$MNT", "ocfs2", 0, "heartbeat=local") = 0
EOF
assert_same_file mount.expected mount.trace "configfs and mount operations of mount.ocfs2"
grep -q " $MNT ocfs2 " /proc/mounts || fail "$MNT is not mounted"
[ -d "$REGION" ] || fail "no heartbeat region $REGION while mounted"
[ "$(cat "$REGION/dev")" = vda ] || fail "region dev is '$(cat "$REGION/dev")', not vda"
dump_tree > tree-mounted.txt
cat tree-mounted.txt
assert_contains tree-mounted.txt "^cluster/$C/heartbeat/$UUID/pid = <pid>$"

step "I/O"
echo "hello from $KT_CASE" > "$MNT/hello.txt"
dd if=/dev/zero of="$MNT/blob" bs=1M count=8 2>/dev/null
sync
echo 3 > /proc/sys/vm/drop_caches
[ "$(cat "$MNT/hello.txt")" = "hello from $KT_CASE" ] || fail "read back differs"
[ "$(wc -c < "$MNT/blob")" = 8388608 ] || fail "blob has the wrong size"
ls -la "$MNT"

step "umount $MNT"
timed umount strace_cfs umount.trace umount "$MNT" || fail "umount failed"
if grep -q " $MNT " /proc/mounts; then fail "$MNT still mounted"; fi
# the helper runs synchronously in the kernel's umount path; allow a moment
wait_until 10 test ! -d "$REGION" || fail "heartbeat region $UUID still there after umount"
say "region gone; the kernel called the helper with:"
sed 's/^/  /' hb.log
assert_contains hb.log "^-K -u $UUID$"

step "unregister"
run umount /dlm
run "$(cbin o2cb)" unregister-cluster "$C"
assert_cluster_empty
