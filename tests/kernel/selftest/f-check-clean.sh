# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=sh
# harness self-test: after d-timeout and e-leave-dirty everything is back
# (expected PASS)
set -eu
assert_cluster_empty
if grep -q ocfs2 /proc/mounts; then fail "an ocfs2/dlmfs mount is left"; fi
[ "$(cat "$HB_CTL_PATH_FILE")" = /sbin/ocfs2_hb_ctl ] || fail "hb_ctl_path not restored"
[ ! -e /etc/ocfs2/cluster.conf ] || fail "cluster.conf not removed"
[ "$(hostname)" = node1 ] || fail "hostname not restored"
[ ! -e /tmp/kt-b-ran ] || fail "the skipped case ran"
# shellcheck disable=SC2009 # busybox pgrep -f would match itself
if ps | grep -q '[s]leep 30[01]'; then
  ps; fail "the timed-out case left processes behind"
fi
for d in /dev/vda /dev/vdb; do
  [ -z "$(head -c 16384 "$d" | tr -d '\000')" ] || fail "$d was not wiped"
done
say "clean"
