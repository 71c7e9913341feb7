# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=sh
# rs-register-mount-io: a cluster registered by our o2cb carries a real OCFS2 mount made
# by the C tools: mkfs.ocfs2, mount.ocfs2, write and read a file, umount (the kernel stops
# the heartbeat region through ocfs2_hb_ctl), and our o2cb unregisters the cluster. Then a
# re-registration after a node changed replaces just that node, and registering an
# unchanged configuration writes only the heartbeat mode.
# needs: o2cb
# timeout: 180
set -eu
RS_O2CB=$(rsbin o2cb)
CONF=/etc/ocfs2/cluster.conf

write_cluster_conf "$CONF" ocfs2 node1:0:127.0.0.1:7777 node2:1:127.0.0.2:7777
step "ours: register-cluster"
"$RS_O2CB" -v register-cluster ocfs2 || fail "register-cluster"
"$RS_O2CB" cluster-status ocfs2 || fail "cluster-status says offline"

step "C tools: mkfs, mount, I/O, umount"
timed mkfs mkfs.ocfs2 -q -b 4K -C 4K -N 4 --cluster-stack=o2cb --cluster-name=ocfs2 -L rsvol /dev/vda
mount_dlmfs
mkdir -p /mnt/ocfs2
timed mount /sbin/mount.ocfs2 /dev/vda /mnt/ocfs2 || fail "mount.ocfs2 on a cluster registered by ours"
echo "written on a cluster registered by o2cb-rs" > /mnt/ocfs2/hello.txt
sync
[ "$(cat /mnt/ocfs2/hello.txt)" = "written on a cluster registered by o2cb-rs" ] || fail "read back"
regions() { find "$CLUSTER_DIR/ocfs2/heartbeat" -mindepth 1 -maxdepth 1 -type d; }
[ -n "$(regions)" ] || fail "no heartbeat region while mounted"
"$RS_O2CB" unregister-cluster ocfs2 2> busy.err && fail "unregister must be refused while a region is active"
cat busy.err
grep -q "is still active" busy.err || fail "unregister refusal does not name the region"
timed umount umount /mnt/ocfs2
# The kernel stops the region through the ocfs2_hb_ctl helper, which may finish just after
# umount returns.
no_regions() { [ -z "$(regions)" ]; }
wait_until 10 no_regions || fail "heartbeat region left after umount"

step "re-register after node2 moved"
write_cluster_conf "$CONF" ocfs2 node1:0:127.0.0.1:7777 node2:1:127.0.0.22:7777 node3:2:127.0.0.3:7777
traced rereg.ops "$RS_O2CB" register-cluster ocfs2 || fail "re-register"
cat > rereg.expected <<'EOF'
write /sys/kernel/config/cluster/ocfs2/heartbeat/mode "local" = 5
rmdir /sys/kernel/config/cluster/ocfs2/node/node2 = 0
mkdir /sys/kernel/config/cluster/ocfs2/node/node2 = 0
write /sys/kernel/config/cluster/ocfs2/node/node2/ipv4_port "7777" = 4
write /sys/kernel/config/cluster/ocfs2/node/node2/ipv4_address "127.0.0.22" = 10
write /sys/kernel/config/cluster/ocfs2/node/node2/num "1" = 1
write /sys/kernel/config/cluster/ocfs2/node/node2/local "0" = 1
mkdir /sys/kernel/config/cluster/ocfs2/node/node3 = 0
write /sys/kernel/config/cluster/ocfs2/node/node3/ipv4_port "7777" = 4
write /sys/kernel/config/cluster/ocfs2/node/node3/ipv4_address "127.0.0.3" = 9
write /sys/kernel/config/cluster/ocfs2/node/node3/num "2" = 1
write /sys/kernel/config/cluster/ocfs2/node/node3/local "0" = 1
EOF
assert_same_file rereg.expected rereg.ops "re-registration writes only what changed"
traced same.ops "$RS_O2CB" register-cluster ocfs2 || fail "register unchanged"
[ "$(cfs_count same.ops)" = 1 ] || fail "an unchanged registration wrote more than the heartbeat mode: $(cat same.ops)"

step "ours: unregister-cluster"
"$RS_O2CB" -v unregister-cluster ocfs2 || fail "unregister-cluster"
assert_cluster_empty
