# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=sh
# init-start-stop: on a freshly booted guest with nothing of the cluster stack loaded, our
# `o2cb.init start` loads the modules, mounts configfs and dlmfs, registers the boot
# cluster and writes the timeouts; its transcript equals the C /etc/init.d/o2cb's for the
# same settings; `status` prints the same; `stop` leaves no cluster, no dlmfs mount, the
# modules unloaded. Then a registration the kernel refuses makes our `start` exit 1 (the C
# script exits 0 after printing "Failed"). Both start o2hbmonitor from where Debian installs
# it (/usr/sbin, found on PATH and then the sbin directories) and `stop` ends it.
# needs: o2cb o2cb.init
# boot: bare
# timeout: 240
set -eu
RS_INIT=$(rsbin o2cb.init)
C_INIT=/etc/init.d/o2cb

loaded() { awk '{print $1}' /proc/modules | grep -E '^(configfs|ocfs2|ocfs2_[a-z0-9_]+)$' | sort | tr '\n' ' '; }
say "loaded at boot: [$(loaded)]"
[ -z "$(loaded)" ] || fail "this case needs a guest with nothing loaded (boot: bare)"
grep -q " configfs " /proc/mounts && fail "configfs is mounted at boot"

mkdir -p /etc/default
cat > /etc/default/o2cb <<'EOF'
# Settings for the o2cb init logic
O2CB_ENABLED=true
O2CB_STACK=o2cb
O2CB_BOOTCLUSTER=ocfs2
O2CB_HEARTBEAT_THRESHOLD=62
O2CB_IDLE_TIMEOUT_MS=60000
O2CB_KEEPALIVE_DELAY_MS=3000
O2CB_RECONNECT_DELAY_MS=2500
EOF
write_cluster_conf /etc/ocfs2/cluster.conf ocfs2 node1:0:127.0.0.1:7777 node2:1:127.0.0.2:7777

# monitors: the o2hbmonitor processes running, by the program each runs (a daemon: it
# leaves the case's session, so the driver would not end it)
monitors() {
  for _p in /proc/[0-9]*; do
    _exe=$(readlink "$_p/exe" 2>/dev/null) || continue
    case "$_exe" in */o2hbmonitor) echo "$_exe" ;; esac
  done
}
# monitor_gone: whether no o2hbmonitor runs, given the SIGTERM `stop` sent a moment to act
monitor_gone() {
  _i=0
  while [ -n "$(monitors)" ]; do
    _i=$((_i + 1)); [ "$_i" -le 10 ] || return 1
    sleep 1
  done
}
[ -x /usr/sbin/o2hbmonitor ] || fail "the guest has no /usr/sbin/o2hbmonitor (Debian's ocfs2-tools ships it)"
[ -e /sbin/o2hbmonitor ] && fail "/sbin/o2hbmonitor exists: the case must show the monitor found in /usr/sbin"
[ -z "$(monitors)" ] || fail "an o2hbmonitor runs before the case starts"

# cycle SIDE INIT: start, look, stop; transcripts and exit statuses in SIDE.*
cycle() {
  _rc=0; "$2" start > "$1.start" 2> "$1.start.err" || _rc=$?
  echo "exit $_rc" >> "$1.start"
  cat "$1.start" "$1.start.err"
  [ "$_rc" = 0 ] || fail "$1: start exited $_rc"
  say "modules after start: [$(loaded)]"
  monitors > "$1.monitor"
  say "o2hbmonitor after start: [$(cat "$1.monitor")]"
  dump_tree > "$1.tree"
  grep -E " (configfs|ocfs2_dlmfs|debugfs) " /proc/mounts | awk '{print $2, $3}' | sort > "$1.mounts"
  _rc=0; "$2" status > "$1.status" 2>&1 || _rc=$?
  echo "exit $_rc" >> "$1.status"
  cat "$1.status"
  "$2" online-status > "$1.online" 2>&1 || echo "exit $?" >> "$1.online"
  _rc=0; "$2" stop > "$1.stop" 2> "$1.stop.err" || _rc=$?
  echo "exit $_rc" >> "$1.stop"
  cat "$1.stop" "$1.stop.err"
  [ "$_rc" = 0 ] || fail "$1: stop exited $_rc"
  loaded > "$1.after-stop.modules"
  monitor_gone || say "$1: o2hbmonitor still runs after stop: $(monitors)"
  monitors > "$1.after-stop.monitor"
  grep -E " (configfs|ocfs2_dlmfs) " /proc/mounts | awk '{print $2, $3}' > "$1.after-stop.mounts" || true
  "$2" status > "$1.stopped-status" 2>&1 || echo "exit $?" >> "$1.stopped-status"
  # busybox's killall has no -e: the C script's `killall -e o2hbmonitor` fails here
  killall o2hbmonitor 2>/dev/null || true
  # both toolsets create /dlm when it is missing (and say so): start each from none
  rmdir /dlm 2>/dev/null || true
}

step "ours: o2cb.init start / status / stop"
cycle rs "$RS_INIT"
grep -q "cluster/ocfs2/node/node1/local = 1" rs.tree || fail "ours: cluster not registered"
grep -q "cluster/ocfs2/heartbeat/dead_threshold = 62" rs.tree || fail "ours: dead threshold not written"
grep -q "cluster/ocfs2/idle_timeout_ms = 60000" rs.tree || fail "ours: idle timeout not written"
grep -q "cluster/ocfs2/keepalive_delay_ms = 3000" rs.tree || fail "ours: keepalive delay not written"
grep -q "cluster/ocfs2/reconnect_delay_ms = 2500" rs.tree || fail "ours: reconnect delay not written"
grep -q "/dlm ocfs2_dlmfs" rs.mounts || fail "ours: dlmfs not mounted"
[ "$(cat rs.monitor)" = /usr/sbin/o2hbmonitor ] || fail "ours: no /usr/sbin/o2hbmonitor running after start: [$(cat rs.monitor)]"
[ ! -s rs.after-stop.monitor ] || fail "ours: o2hbmonitor still runs after stop"
say "modules left after our stop: [$(cat rs.after-stop.modules)]"
ls -la /sys/kernel/config/ || true
[ ! -s rs.after-stop.mounts ] || fail "ours: still mounted after stop: $(cat rs.after-stop.mounts)"
grep -qw ocfs2_dlmfs rs.after-stop.modules && fail "ours: ocfs2_dlmfs still loaded after stop"
[ ! -s rs.after-stop.modules ] || fail "ours: modules still loaded after stop: $(cat rs.after-stop.modules)"
[ -d "$CLUSTER_DIR" ] && [ -n "$(ls "$CLUSTER_DIR")" ] && fail "ours: a cluster is left after stop"

step "the C init script: start / status / stop"
cycle c "$C_INIT"

step "compare"
for f in start status online tree mounts monitor; do
  assert_same_file "c.$f" "rs.$f" "o2cb.init $f"
done
# stop: ours also unloads the node manager and configfs, which the script leaves loaded
diff -u c.stop rs.stop || true
diff -u c.after-stop.modules rs.after-stop.modules || true
diff -u c.stopped-status rs.stopped-status || true
# the script's `killall -e` is psmisc's; busybox has no -e, so here its monitor outlives stop
diff -u c.after-stop.monitor rs.after-stop.monitor || true
grep -q "^exit 3$" rs.stopped-status || fail "ours: status of a stopped cluster must exit 3 (LSB)"

step "a registration the kernel refuses: start must fail"
write_cluster_conf /etc/ocfs2/cluster.conf ocfs2 node1:0:127.0.0.1:65535 node2:1:127.0.0.2:7777
_rc=0; "$RS_INIT" start > bad.out 2>&1 || _rc=$?
cat bad.out
[ "$_rc" = 1 ] || fail "ours: start after a failed registration exited $_rc"
grep -q 'Registering O2CB cluster "ocfs2": Failed' bad.out || fail "ours: no Failed line"
grep -q "port 65535 is out of range" bad.out || fail "ours: the reason is not shown"
_rc=0; "$C_INIT" start > c-bad.out 2>&1 || _rc=$?
cat c-bad.out
say "the C script exits $_rc after the same failure"
"$RS_INIT" stop || fail "stop after the failed start"
