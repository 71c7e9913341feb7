# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=sh
# hb-refcount-edges: ocfs2_hb_ctl where the C tool leaves things behind. -K of a region that
# does not run fails for both; ours removes the semaphore set it had to create for the
# question. -K while the volume is mounted: the kernel refuses to remove the region; ours
# keeps the reference (the count stays 1 and the umount still stops the region).
# -I creates no semaphore set with ours.
# needs: o2cb ocfs2_hb_ctl mount.ocfs2
# timeout: 200
set -eu
RS_O2CB=$(rsbin o2cb)
RS_HB=$(rsbin ocfs2_hb_ctl)
RS_MOUNT=$(rsbin mount.ocfs2)
C_HB=$(cbin ocfs2_hb_ctl)
MNT=/mnt/ocfs2
mkdir -p "$MNT"

write_cluster_conf /etc/ocfs2/cluster.conf ocfs2 node1:0:127.0.0.1:7777 node2:1:127.0.0.2:7777
run "$RS_O2CB" register-cluster ocfs2
timed mkfs mkfs.ocfs2 -q -b 4K -C 4K -N 2 --cluster-stack=o2cb --cluster-name=ocfs2 -L edges /dev/vda
UUID=$("$(cbin mounted.ocfs2)" -d /dev/vda | awk 'NR==2 {print $(NF-1)}')
region_dir=$CLUSTER_DIR/ocfs2/heartbeat/$UUID
# semaphore sets on the machine (SysV IPC)
sets() { tail -n +2 /proc/sysvipc/sem | grep -c . || true; }
refs() { "$RS_HB" -I -u "$UUID" | awk '{print $2}'; }

step "-I creates no set with ours (the C tool creates one)"
s0=$(sets)
"$RS_HB" -I -u "$UUID"
[ "$(sets)" = "$s0" ] || fail "our -I created a semaphore set"
"$C_HB" -I -u "$UUID"
say "sets: $s0 before, $(sets) after the C -I"

step "-K of a region that does not run"
s0=$(sets)
_rc=0; "$C_HB" -K -d /dev/vda edges > c.err 2>&1 || _rc=$?
say "C    ($_rc): $(cat c.err); sets $s0 -> $(sets)"
s1=$(sets)
_rc=0; "$RS_HB" -K -d /dev/vda edges > rs.err 2>&1 || _rc=$?
say "ours ($_rc): $(cat rs.err); sets $s1 -> $(sets)"
[ "$_rc" = 1 ] || fail "ours exited $_rc"
grep -q "Heartbeat region could not be found" rs.err || fail "ours does not say the region is not there"
[ "$(sets)" -le "$s1" ] || fail "ours left a semaphore set"

step "-K while mounted: the kernel keeps the region, ours keeps the reference"
echo "$RS_HB" > "$HB_CTL_PATH_FILE"
timed mount "$RS_MOUNT" /dev/vda "$MNT" || fail "mount"
[ "$(refs)" = 1 ] || fail "refs after mount: $(refs)"
_rc=0; "$RS_HB" -K -d /dev/vda edges > rs.busy 2>&1 || _rc=$?
say "ours ($_rc): $(cat rs.busy)"
[ "$_rc" = 1 ] || fail "our -K of a mounted volume exited $_rc"
grep -q "Heartbeat region in use" rs.busy || fail "ours does not say the region is in use"
[ -d "$region_dir" ] || fail "the region is gone under a mounted volume"
[ "$(refs)" = 1 ] || fail "our failed -K dropped the reference: $(refs) refs"
_rc=0; "$C_HB" -K -d /dev/vda edges > c.busy 2>&1 || _rc=$?
say "C    ($_rc): $(cat c.busy); refs now $(refs)"
[ -d "$region_dir" ] || fail "the region is gone under a mounted volume (C)"
timed umount umount "$MNT"
gone() { [ ! -d "$region_dir" ]; }
wait_until 10 gone || fail "region left after umount"
[ "$(refs)" = 0 ] || fail "refs after umount: $(refs)"
echo "$HB_CTL_DEFAULT" > "$HB_CTL_PATH_FILE"
run "$RS_O2CB" unregister-cluster ocfs2
assert_cluster_empty
