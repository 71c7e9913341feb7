# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=sh
# hb-mixed-refcount: the C ocfs2_hb_ctl and ours share one region through libo2cb's SysV
# semaphore (same key, same protocol): a region started by ours is joined and stopped by
# the C tool and the reverse; `-I` prints the same for both at every step; a mount by our
# mount.ocfs2 is stopped at umount by the C helper and a mount by the C mount.ocfs2 by
# ours. A UUID in lower case matches no device (exact match, as in the reference) and
# changes nothing.
# needs: o2cb ocfs2_hb_ctl mount.ocfs2
# timeout: 300
set -eu
RS_O2CB=$(rsbin o2cb)
RS_HB=$(rsbin ocfs2_hb_ctl)
RS_MOUNT=$(rsbin mount.ocfs2)
C_HB=$(cbin ocfs2_hb_ctl)
MNT=/mnt/ocfs2

write_cluster_conf /etc/ocfs2/cluster.conf ocfs2 node1:0:127.0.0.1:7777 node2:1:127.0.0.2:7777
run "$RS_O2CB" register-cluster ocfs2
timed mkfs mkfs.ocfs2 -q -b 4K -C 4K -N 2 --cluster-stack=o2cb --cluster-name=ocfs2 -L mixed /dev/vda
UUID=$("$(cbin mounted.ocfs2)" -d /dev/vda | awk 'NR==2 {print $(NF-1)}')
[ ${#UUID} = 32 ] || fail "no UUID"
lower=$(echo "$UUID" | tr 'A-F' 'a-f')
region_dir=$CLUSTER_DIR/ocfs2/heartbeat/$UUID
mkdir -p "$MNT"

# refs N: both tools' -I say N refs, by UUID and by device
refs() {
  for _t in "$C_HB" "$RS_HB"; do
    _got=$("$_t" -I -u "$UUID") || fail "$_t -I -u"
    [ "$_got" = "$UUID: $1 refs" ] || fail "$_t -I -u: '$_got', wanted $1 refs"
    _got=$("$_t" -I -d /dev/vda) || fail "$_t -I -d"
    [ "$_got" = "$UUID: $1 refs" ] || fail "$_t -I -d: '$_got', wanted $1 refs"
  done
  say "both: $UUID: $1 refs"
}
running() { [ -d "$region_dir" ] && [ "$(cat "$region_dir/dev")" = vda ]; }
gone() { [ ! -d "$region_dir" ]; }

step "ours starts (the device found by libblkid), C joins, ours leaves, C stops"
refs 0
timed rs-start "$RS_HB" -S -u "$UUID" mixed-test || fail "our -S -u (device found by libblkid)"
running || fail "our -S started no region"
refs 1
timed c-start "$C_HB" -S -d /dev/vda mixed-test || fail "C -S on a region ours started"
refs 2
run "$RS_HB" -K -d /dev/vda mixed-test
running || fail "the region stopped while the C reference remained"
refs 1
run "$C_HB" -K -u "$UUID"
gone || fail "C -K left the region ours started"
refs 0

step "C starts, ours joins by UUID, C leaves, ours stops (as the kernel calls it)"
timed c-start "$C_HB" -S -u "$UUID" mixed-test || fail "C -S -u"
refs 1
timed rs-start "$RS_HB" -S -u "$UUID" mixed-test || fail "our -S -u on a region C started"
refs 2
run "$C_HB" -K -d /dev/vda mixed-test
refs 1
# UUIDs match exactly: a lower-case one finds no device, and nothing changes.
_rc=0; "$RS_HB" -K -u "$lower" 2> lower.err || _rc=$?
cat lower.err
[ "$_rc" = 1 ] || fail "-K with a lower-case UUID exited $_rc"
grep -q "has $UUID" lower.err || fail "no hint at the upper-case UUID"
running || fail "a lower-case UUID stopped the region"
refs 1
run "$RS_HB" -K -u "$UUID"
gone || fail "our -K -u left the region C started"
refs 0

step "our mount.ocfs2, the C helper at umount"
echo "$C_HB" > "$HB_CTL_PATH_FILE"
timed rs-mount "$RS_MOUNT" /dev/vda "$MNT" || fail "our mount"
refs 1
timed umount umount "$MNT"
wait_until 10 gone || fail "the C helper left the region our mount started"
refs 0

step "the C mount.ocfs2, our helper at umount"
echo "$RS_HB" > "$HB_CTL_PATH_FILE"
timed c-mount /sbin/mount.ocfs2 /dev/vda "$MNT" || fail "C mount"
refs 1
timed umount umount "$MNT"
wait_until 10 gone || fail "our helper left the region the C mount started"
refs 0
echo "$HB_CTL_DEFAULT" > "$HB_CTL_PATH_FILE"
run "$RS_O2CB" unregister-cluster ocfs2
assert_cluster_empty
