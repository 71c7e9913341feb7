# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=sh
# 10-start: both nodes build the same cluster.conf with our o2cb, and our
# `o2cb.init start` brings the cluster up on each (modules, configfs, dlmfs,
# the two nodes registered, each its own local node).  node1 formats the three
# shared volumes (C mkfs.ocfs2).  Both start the heartbeat of the shared volume
# with our `ocfs2_hb_ctl -S` (a reference that outlives mounts, as a cluster
# manager holds it), and each then sees the other alive: o2net connected.
# timeout: 180
set -eu
O2CB=/sbin/o2cb

step "cluster.conf (our o2cb on each node)"
run "$O2CB" add-cluster kt
run "$O2CB" add-node --ip 10.77.0.1 --port 7777 --number 0 kt node1
run "$O2CB" add-node --ip 10.77.0.2 --port 7777 --number 1 kt node2
cat /etc/ocfs2/cluster.conf
sum=$(md5sum < /etc/ocfs2/cluster.conf)
peer_sum=$(barrier conf "$sum")
[ "$sum" = "$peer_sum" ] || fail "cluster.conf differs between the nodes"

cat > /etc/default/o2cb <<'CONF'
O2CB_ENABLED=true
O2CB_STACK=o2cb
O2CB_BOOTCLUSTER=kt
O2CB_HEARTBEAT_THRESHOLD=31
O2CB_IDLE_TIMEOUT_MS=30000
O2CB_KEEPALIVE_DELAY_MS=2000
O2CB_RECONNECT_DELAY_MS=2000
CONF

step "o2cb.init start"
timed start run /sbin/o2cb.init start
run /sbin/o2cb.init status
[ "$(cat "$CLUSTER_DIR/kt/node/$NODE/local")" = 1 ] || fail "$NODE is not the local node"
[ "$(cat "$CLUSTER_DIR/kt/node/$PEER/local")" = 0 ] || fail "$PEER is marked local"
[ "$(cat "$CLUSTER_DIR/kt/node/$PEER/ipv4_address")" = "$PEER_IP" ] || fail "$PEER has the wrong address"
dump_tree | grep -v heartbeat/

step "format the shared volumes (node1, C mkfs.ocfs2)"
if [ "$NODE" = node1 ]; then
  for v in vda:shared:4 vdb:pinned:4 vdc:solo:2; do
    IFS=: read -r d l n <<V
$v
V
    timed "mkfs $l" run mkfs.ocfs2 -q -b 4K -C 4K -N "$n" --cluster-stack=o2cb \
      --cluster-name=kt -L "$l" "/dev/$d"
  done
fi
barrier formatted
run /sbin/mounted.ocfs2 -d

step "heartbeat on the shared volume (our ocfs2_hb_ctl -S)"
timed hb-start run /sbin/ocfs2_hb_ctl -S -d /dev/vda kt-cm
uuid=$(/sbin/ocfs2_hb_ctl -I -d /dev/vda | sed -n 's/.*\([0-9A-F]\{32\}\).*/\1/p' | head -n 1)
say "region: $uuid"
[ -d "$CLUSTER_DIR/kt/heartbeat/$uuid" ] || fail "no heartbeat region for /dev/vda"
barrier heartbeat
t0=$(now)
wait_until 90 o2net_connected "$PEER_NUM" || fail "$PEER not connected after 90 s (o2net)"
say "o2net connected to $PEER after $(elapsed "$t0")s: $(cat /sys/kernel/debug/o2net/connected_nodes)"
dmesg | grep -E 'o2net|o2hb' || true
barrier alive
