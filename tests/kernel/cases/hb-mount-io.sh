# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=sh
# hb-mount-io: a volume made by the C mkfs.ocfs2, mounted by our mount.ocfs2 on a cluster
# our o2cb registered, with our ocfs2_hb_ctl as the kernel's hb_ctl_path. The kernel sees
# exactly what the C mount.ocfs2 makes it see (same configfs operations, same mount(2));
# a file is written and read back; the reference count is 1 for both tools' -I; the
# heartbeat thread runs with real-time I/O priority; mounted.ocfs2 -d and -f print the same
# as the C tool's; at umount the kernel runs our ocfs2_hb_ctl -K and the region and its
# reference are gone.
# needs: o2cb mount.ocfs2 ocfs2_hb_ctl mounted.ocfs2
# timeout: 240
set -eu
RS_O2CB=$(rsbin o2cb)
RS_MOUNT=$(rsbin mount.ocfs2)
RS_HB=$(rsbin ocfs2_hb_ctl)
RS_MOUNTED=$(rsbin mounted.ocfs2)
C_HB=$(cbin ocfs2_hb_ctl)
C_MOUNTED=$(cbin mounted.ocfs2)
MNT=/mnt/ocfs2

write_cluster_conf /etc/ocfs2/cluster.conf ocfs2 node1:0:127.0.0.1:7777 node2:1:127.0.0.2:7777
run "$RS_O2CB" register-cluster ocfs2
timed mkfs mkfs.ocfs2 -q -b 4K -C 4K -N 4 --cluster-stack=o2cb --cluster-name=ocfs2 -L rsvol /dev/vda
UUID=$("$C_MOUNTED" -d /dev/vda | awk 'NR==2 {print $(NF-1)}')
[ ${#UUID} = 32 ] || fail "no UUID for /dev/vda"
say "volume $UUID"
mkdir -p "$MNT"
regions() { find "$CLUSTER_DIR/ocfs2/heartbeat" -mindepth 1 -maxdepth 1 -type d; }
no_regions() { [ -z "$(regions)" ]; }
# The normalised trace shows the region's UUID; the pid attribute is not traced.

step "C mount.ocfs2 (with the C hb_ctl), for the record"
timed c-mount traced c.ops /sbin/mount.ocfs2 /dev/vda "$MNT" || fail "C mount.ocfs2"
timed c-umount umount "$MNT"
wait_until 10 no_regions || fail "C: region left after umount"

step "our mount.ocfs2, our ocfs2_hb_ctl as the kernel's helper"
echo "$RS_HB" > "$HB_CTL_PATH_FILE"
[ "$(cat "$HB_CTL_PATH_FILE")" = "$RS_HB" ] || fail "cannot set hb_ctl_path"
timed rs-mount traced rs.ops "$RS_MOUNT" -v /dev/vda "$MNT" || fail "our mount.ocfs2"
# Our helper reads no file the C one does not, but the -P helper run writes nothing to
# configfs either: the operations are the same.
grep -v '^mount(' c.ops > c.cfs; grep -v '^mount(' rs.ops > rs.cfs
assert_same_file c.cfs rs.cfs "configfs operations of the mount"
assert_same_file c.ops rs.ops "configfs operations and mount(2)"
grep -q '"heartbeat=local"' rs.ops || fail "mount(2) without heartbeat=local"
dump_tree | grep "heartbeat/$UUID/" || fail "no region $UUID"
dump_tree | grep -q "heartbeat/$UUID/dev = vda" || fail "region $UUID does not run on vda"

step "reference counts: C and ours agree"
"$C_HB" -I -u "$UUID" > c.refs; "$RS_HB" -I -u "$UUID" > rs.refs
cat c.refs
echo "$UUID: 1 refs" > want.refs
assert_same_file want.refs c.refs "C -I -u"
assert_same_file want.refs rs.refs "our -I -u"
"$C_HB" -I -d /dev/vda > c.refs.d; "$RS_HB" -I -d /dev/vda > rs.refs.d
assert_same_file c.refs.d rs.refs.d "-I -d"

step "the heartbeat thread has real-time I/O priority (our ocfs2_hb_ctl -P)"
pid=$(cat "$CLUSTER_DIR/ocfs2/heartbeat/$UUID/pid")
prio=$(ionice -p "$pid" 2>&1 || true)
say "ionice -p $pid: $prio"
case $prio in *realtime*) ;; *) fail "heartbeat thread $pid is not in the real-time class: $prio" ;; esac

step "I/O"
echo "written through our mount.ocfs2" > "$MNT/hello.txt"
sync
[ "$(cat "$MNT/hello.txt")" = "written through our mount.ocfs2" ] || fail "read back"
dd if=/dev/urandom of="$MNT/blob" bs=64k count=16 2>/dev/null
sync
md5sum "$MNT/blob" > blob.md5

step "mounted.ocfs2 while mounted: ours = C"
for args in "-d" "-f" "-d /dev/vda" "-f /dev/vda"; do
  # shellcheck disable=SC2086
  "$C_MOUNTED" $args > c.m 2>&1 || echo "exit $?" >> c.m
  # shellcheck disable=SC2086
  "$RS_MOUNTED" $args > rs.m 2>&1 || echo "exit $?" >> rs.m
  cat rs.m
  assert_same_file c.m rs.m "mounted.ocfs2 $args"
done
"$RS_MOUNTED" -f /dev/vda | grep -q "node1" || fail "mounted -f does not name node1"

step "umount: the kernel runs our ocfs2_hb_ctl -K"
timed umount umount "$MNT"
wait_until 10 no_regions || { dump_tree; fail "region left after umount"; }
"$RS_HB" -I -u "$UUID" > rs.refs0; "$C_HB" -I -u "$UUID" > c.refs0
echo "$UUID: 0 refs" > want.refs0
assert_same_file want.refs0 rs.refs0 "our -I after umount"
assert_same_file want.refs0 c.refs0 "C -I after umount"

step "the data is there at the next mount"
"$RS_MOUNT" /dev/vda "$MNT" || fail "second mount"
( cd / && md5sum -c "$KT_WORK/blob.md5" ) || fail "data changed"
umount "$MNT"
wait_until 10 no_regions || fail "region left after the second umount"
echo "$HB_CTL_DEFAULT" > "$HB_CTL_PATH_FILE"
run "$RS_O2CB" unregister-cluster ocfs2
assert_cluster_empty
