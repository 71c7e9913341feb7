# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=sh
# case-template: compare the C `o2cb register-cluster` / `unregister-cluster`
# with ours, side by side on the real kernel.  Copy this file to
# cases/NAME.sh and change the commands; see README.md.  It is not in
# cases/ itself, so it never runs by default; run it with
#   tests/kernel/run-suite.sh tests/kernel/case-template.sh
#
# The pattern: same input -> run C, record -> tear down -> run ours, record
# -> diff.  Compared: exit status, stdout, the configfs operations in order
# (strace, normalised: mkdir/rmdir/attribute writes, fd numbers removed),
# and the resulting configfs tree with every attribute value.
#
# Headers read by the driver (keep them as comment lines):
# needs: o2cb
# timeout: 90
set -eu
C_O2CB=$(cbin o2cb)        # /sbin/o2cb, the reference
RS_O2CB=$(rsbin o2cb)      # /opt/rs/sbin/o2cb, ours (the header makes the
                           # case SKIP while it does not exist)

# The same input for both.  Anything the tools read lives in the guest's
# /etc and is restored by the driver after the case.
write_cluster_conf /etc/ocfs2/cluster.conf ocfs2 \
  node1:0:127.0.0.1:7777 node2:1:127.0.0.2:7777

# side NAME BIN: run one toolset and record everything under NAME.*
side() {
  step "$1: register-cluster"
  _rc=0
  traced "$1.reg.ops" "$2" register-cluster ocfs2 > "$1.reg.out" 2> "$1.reg.err" || _rc=$?
  echo "exit $_rc" >> "$1.reg.out"
  cat "$1.reg.out" "$1.reg.err" "$1.reg.ops"
  dump_tree > "$1.tree"
  "$2" cluster-status ocfs2 > "$1.status.out" 2>&1 || echo "exit $?" >> "$1.status.out"
  step "$1: unregister-cluster"
  _rc=0
  traced "$1.unreg.ops" "$2" unregister-cluster ocfs2 > "$1.unreg.out" 2> "$1.unreg.err" || _rc=$?
  echo "exit $_rc" >> "$1.unreg.out"
  cat "$1.unreg.out" "$1.unreg.err" "$1.unreg.ops"
  assert_cluster_empty
}

side c "$C_O2CB"
# between the two runs: nothing may be left of the first one (here
# unregister-cluster already did it; teardown_all is the safety net when a
# case leaves a cluster, mounts or regions behind on purpose)
teardown_all
assert_cluster_empty
side rs "$RS_O2CB"

step "compare"
assert_same_file c.reg.ops   rs.reg.ops   "configfs operations of register-cluster"
assert_same_file c.reg.out   rs.reg.out   "stdout and exit status of register-cluster"
assert_same_file c.tree      rs.tree      "configfs tree after register-cluster"
assert_same_file c.status.out rs.status.out "cluster-status while registered"
assert_same_file c.unreg.ops rs.unreg.ops "configfs operations of unregister-cluster"
assert_same_file c.unreg.out rs.unreg.out "stdout and exit status of unregister-cluster"
# stderr may differ where ours is more precise (docs/compatibility.md): show, not assert
diff -u c.reg.err rs.reg.err || true
say "C and ours agree: $(cfs_count c.reg.ops) configfs operations to register, $(cfs_count c.unreg.ops) to unregister"
