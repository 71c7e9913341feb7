# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=sh
# rs-register-compare: for several cluster.conf files, the C tools and ours each register
# the cluster, and everything observable must be the same: the configfs operations in
# order (strace), the configfs tree with every attribute value, stdout and exit status of
# register-cluster, cluster-status, o2cb_ctl -I in all its formats, and unregister-cluster.
# Then the same for the older init scripts' `o2cb_ctl -H ... online=yes|no`.
# Prints the number of configfs operations each toolset needed (the 64-node file is the
# issue's yardstick: ours must not need more than the C tool).
# needs: o2cb o2cb_ctl
# timeout: 240
set -eu
C_O2CB=$(cbin o2cb)
C_CTL=$(cbin o2cb_ctl)
RS_O2CB=$(rsbin o2cb)
RS_CTL=$(rsbin o2cb_ctl)
CONF=/etc/ocfs2/cluster.conf

# record SIDE O2CB O2CB_CTL: register, look, unregister; everything under SIDE.*
record() {
  _s=$1 _o2cb=$2 _ctl=$3
  _rc=0; traced "$_s.reg.ops" "$_o2cb" register-cluster web > "$_s.reg.out" 2> "$_s.reg.err" || _rc=$?
  echo "exit $_rc" >> "$_s.reg.out"
  dump_tree > "$_s.tree"
  : > "$_s.look"
  for _a in "cluster-status" "cluster-status web" "cluster-status other"; do
    _rc=0; "$_o2cb" $_a >> "$_s.look" 2>/dev/null || _rc=$?
    echo "[$_a] exit $_rc" >> "$_s.look"
  done
  for _a in "-I -t cluster" "-I -t node" "-I -o -t node" "-Iot cluster" "-I -n web" "-I -n node1" "-I -o -n node1 -n node2" "-I -n nosuch" "-I -z -t node"; do
    _rc=0; "$_ctl" $_a >> "$_s.look" 2>/dev/null || _rc=$?
    echo "[o2cb_ctl $_a] exit $_rc" >> "$_s.look"
  done
  _rc=0; traced "$_s.unreg.ops" "$_o2cb" unregister-cluster web > "$_s.unreg.out" 2> "$_s.unreg.err" || _rc=$?
  echo "exit $_rc" >> "$_s.unreg.out"
  teardown_all
  assert_cluster_empty
}

# compare NAME: C and ours on the cluster.conf now in place
compare() {
  step "$1: C tools"
  cat "$CONF"
  record c "$C_O2CB" "$C_CTL"
  step "$1: ours"
  record rs "$RS_O2CB" "$RS_CTL"
  for f in reg.ops reg.out tree look unreg.ops unreg.out; do
    assert_same_file "c.$f" "rs.$f" "$1: $f"
  done
  diff -u c.reg.err rs.reg.err || true
  say "$1: identical; configfs operations to register: C $(cfs_count c.reg.ops), ours $(cfs_count rs.reg.ops)"
}

write_cluster_conf "$CONF" web node1:0:127.0.0.1:7777
compare "one node"

write_cluster_conf "$CONF" web node1:0:127.0.0.1:7777 node2:1:127.0.0.2:7777 node3:2:10.0.0.3:7777
compare "three nodes"

set -- node1:0:127.0.0.1:7777
i=1
while [ $i -lt 64 ]; do set -- "$@" "n$i:$i:10.0.1.$i:7777"; i=$((i + 1)); done
write_cluster_conf "$CONF" web "$@"
compare "64 nodes"
c64=$(cfs_count c.reg.ops)
r64=$(cfs_count rs.reg.ops)
say "64-node registration: C $c64 configfs operations, ours $r64 (1 mkdir + 4 writes per node = 320)"
[ "$r64" -le "$c64" ] || fail "ours needs more configfs operations than the C tool"
[ "$r64" -le 352 ] || fail "ours needs more than 1.1 x (1 mkdir + 4 writes) per node"

cat > "$CONF" <<'EOF'
cluster:
	name = web
	heartbeat_mode = global
	node_count = 2

heartbeat:
	cluster = web
	region = 77D95EF51C0149D2823674FCC162CF8B

heartbeat:
	cluster = web
	region = DCDA2845177F4D59A0F2DCD8DE507CC3

node:
	cluster = web
	number = 0
	ip_port = 7777
	ip_address = 127.0.0.1
	name = node1

node:
	cluster = web
	number = 1
	ip_port = 7777
	ip_address = 127.0.0.2
	name = node2

EOF
compare "global heartbeat mode with regions"

# The local node last, numbers not in order, ports differ.
write_cluster_conf "$CONF" web alpha:7:10.0.0.7:7777 beta:3:10.0.0.3:7778 node1:9:127.0.0.1:7779
compare "local node listed last"

# No node is this host: both register it (the cluster cannot come online here).
write_cluster_conf "$CONF" web alpha:0:10.0.0.1:7777 beta:1:10.0.0.2:7777
compare "no local node"

step "the older init script's o2cb_ctl -H online=yes / online=no"
write_cluster_conf "$CONF" web node1:0:127.0.0.1:7777 node2:1:127.0.0.2:7777
for side in c rs; do
  if [ $side = c ]; then ctl=$C_CTL; o2cb=$C_O2CB; else ctl=$RS_CTL; o2cb=$RS_O2CB; fi
  _rc=0; traced "$side.on.ops" "$ctl" -H -n web -t cluster -a online=yes > "$side.on.out" 2>&1 || _rc=$?
  echo "exit $_rc" >> "$side.on.out"
  dump_tree > "$side.on.tree"
  "$o2cb" cluster-status web >> "$side.on.out" 2>&1 || echo "status exit $?" >> "$side.on.out"
  # Online again: everything is there, nothing is done.
  _rc=0; "$ctl" -H -n web -t cluster -a online=yes >> "$side.on.out" 2>&1 || _rc=$?
  echo "again exit $_rc" >> "$side.on.out"
  _rc=0; traced "$side.off.ops" "$ctl" -H -n web -t cluster -a online=no > "$side.off.out" 2>&1 || _rc=$?
  echo "exit $_rc" >> "$side.off.out"
  assert_cluster_empty
  teardown_all
done
for f in on.ops on.out on.tree off.ops off.out; do
  assert_same_file "c.$f" "rs.$f" "o2cb_ctl -H: $f"
done
say "o2cb_ctl -H online=yes/no: identical"
