# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=sh
# c-register-smoke: the C tools alone.  Register a two-node cluster from
# cluster.conf with `o2cb register-cluster`, check the configfs tree and the
# configfs writes against what ocfs2-tools 1.8.7 is known to do (docs/ocfs2-tools-reference.md §5,
# tests/kernel/README.md), `o2cb cluster-status`, unregister, and
# check configfs is empty.  Proves the harness and the helpers on real data.
# timeout: 60
set -eu
O2CB=$(cbin o2cb)

step "cluster.conf (node1 is this guest's hostname)"
write_cluster_conf /etc/ocfs2/cluster.conf ocfs2 \
  node1:0:127.0.0.1:7777 node2:1:127.0.0.2:7777
cat /etc/ocfs2/cluster.conf
assert_cluster_empty

step "C o2cb register-cluster"
strace_cfs reg.trace "$O2CB" -v register-cluster ocfs2 || fail "register-cluster failed"
# per node: mkdir, ipv4_port, ipv4_address, num, local (written for every
# node, 0 for the remote one); only heartbeat/mode of the cluster attributes
cat > reg.expected <<'EOF'
mkdir /sys/kernel/config/cluster/ocfs2 = 0
write /sys/kernel/config/cluster/ocfs2/heartbeat/mode "local" = 5
mkdir /sys/kernel/config/cluster/ocfs2/node/node1 = 0
write /sys/kernel/config/cluster/ocfs2/node/node1/ipv4_port "7777" = 4
write /sys/kernel/config/cluster/ocfs2/node/node1/ipv4_address "127.0.0.1" = 9
write /sys/kernel/config/cluster/ocfs2/node/node1/num "0" = 1
write /sys/kernel/config/cluster/ocfs2/node/node1/local "1" = 1
mkdir /sys/kernel/config/cluster/ocfs2/node/node2 = 0
write /sys/kernel/config/cluster/ocfs2/node/node2/ipv4_port "7777" = 4
write /sys/kernel/config/cluster/ocfs2/node/node2/ipv4_address "127.0.0.2" = 9
write /sys/kernel/config/cluster/ocfs2/node/node2/num "1" = 1
write /sys/kernel/config/cluster/ocfs2/node/node2/local "0" = 1
EOF
assert_same_file reg.expected reg.trace "configfs operations of register-cluster"
[ "$(cfs_count reg.trace mkdir)" = 3 ] || fail "expected 3 mkdir"
[ "$(cfs_count reg.trace write)" = 9 ] || fail "expected 9 attribute writes"

step "configfs tree after register-cluster"
dump_tree > tree.txt
cat tree.txt
cat > tree.expected <<'EOF'
cluster/ocfs2/
cluster/ocfs2/fence_method = reset
cluster/ocfs2/heartbeat/
cluster/ocfs2/heartbeat/dead_threshold = 31
cluster/ocfs2/heartbeat/mode = local
cluster/ocfs2/idle_timeout_ms = 30000
cluster/ocfs2/keepalive_delay_ms = 2000
cluster/ocfs2/node/
cluster/ocfs2/node/node1/
cluster/ocfs2/node/node1/ipv4_address = 127.0.0.1
cluster/ocfs2/node/node1/ipv4_port = 7777
cluster/ocfs2/node/node1/local = 1
cluster/ocfs2/node/node1/num = 0
cluster/ocfs2/node/node2/
cluster/ocfs2/node/node2/ipv4_address = 127.0.0.2
cluster/ocfs2/node/node2/ipv4_port = 7777
cluster/ocfs2/node/node2/local = 0
cluster/ocfs2/node/node2/num = 1
cluster/ocfs2/reconnect_delay_ms = 2000
EOF
assert_same_file tree.expected tree.txt "configfs tree after register-cluster"

step "C o2cb cluster-status"
"$O2CB" cluster-status ocfs2 > status.txt 2>&1 || fail "cluster-status: exit status $?"
cat status.txt
assert_contains status.txt "^Cluster 'ocfs2' is online$"

step "C o2cb unregister-cluster"
strace_cfs unreg.trace "$O2CB" -v unregister-cluster ocfs2 || fail "unregister-cluster failed"
cat > unreg.expected <<'EOF'
rmdir /sys/kernel/config/cluster/ocfs2/node/node1 = 0
rmdir /sys/kernel/config/cluster/ocfs2/node/node2 = 0
rmdir /sys/kernel/config/cluster/ocfs2 = 0
EOF
assert_same_file unreg.expected unreg.trace "configfs operations of unregister-cluster"
assert_cluster_empty
say "configfs is empty again"
