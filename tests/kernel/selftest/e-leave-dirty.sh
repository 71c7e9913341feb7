# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=sh
# harness self-test: a case that leaves behind a registered cluster with a
# local node, a mounted OCFS2 volume with its running heartbeat region, an
# extra idle region, dlmfs mounted, hb_ctl_path pointing at /bin/true (so
# umount alone would not stop heartbeat), a cluster.conf, another hostname
# and data on a second disk.  The driver must clean all of it up (expected
# PASS; f-check-clean checks the result)
# timeout: 120
set -eu
write_cluster_conf /etc/ocfs2/cluster.conf ocfs2 node1:0:127.0.0.1:7777
run "$(cbin o2cb)" register-cluster ocfs2
mount_dlmfs
run "$(cbin mkfs.ocfs2)" -q -N 2 --cluster-stack=o2cb --cluster-name=ocfs2 /dev/vda
mkdir -p /mnt/dirty
run "$(cbin mount.ocfs2)" /dev/vda /mnt/dirty
mkdir "$CLUSTER_DIR/ocfs2/heartbeat/0123456789ABCDEF0123456789ABCDEF"
echo /bin/true > "$HB_CTL_PATH_FILE"
hostname elsewhere
echo kt-dirty-marker | dd of=/dev/vdb conv=fsync 2>/dev/null
dump_tree
say "leaving all of this behind"
