# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=sh
# harness self-test: after i-change-module-wide every module-wide value is what it was
# when the guest started: a new cluster reads the default dead_threshold and mode, the
# stack file is o2cb, hb_ctl_path the C helper, loop is unloaded (expected PASS)
set -eu
assert_cluster_empty
grep -qx 'o2hb.dead_threshold=31' "$KT_STATE0" || fail "unexpected record: $(cat "$KT_STATE0")"
mkdir "$CLUSTER_DIR/kt"
[ "$(cat "$CLUSTER_DIR/kt/heartbeat/dead_threshold")" = 31 ] ||
  fail "a new cluster reads dead_threshold $(cat "$CLUSTER_DIR/kt/heartbeat/dead_threshold")"
[ "$(cat "$CLUSTER_DIR/kt/heartbeat/mode")" = local ] ||
  fail "a new cluster reads heartbeat mode $(cat "$CLUSTER_DIR/kt/heartbeat/mode")"
rmdir "$CLUSTER_DIR/kt"
[ "$(cat "$STACK_FILE")" = o2cb ] || fail "the stack file reads $(cat "$STACK_FILE")"
[ "$(cat "$HB_CTL_PATH_FILE")" = /sbin/ocfs2_hb_ctl ] || fail "hb_ctl_path not restored"
! grep -q '^loop ' /proc/modules || fail "loop is still loaded"
[ -z "$(module_wide_diff "$KT_STATE0")" ] || fail "module_wide_diff: $(module_wide_diff "$KT_STATE0")"
say "module-wide values as at guest start"
