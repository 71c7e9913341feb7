# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=sh
# harness self-test: a case that changes module-wide values and leaves them: o2hb's
# dead_threshold (61) and heartbeat mode (global), which outlive the cluster directory
# they are written through; hb_ctl_path; the stack file (pcmk); and a module it loaded
# (loop).  The teardown must put every one back as the guest started (expected PASS;
# j-check-module-wide checks the result)
# timeout: 60
set -eu
say "at guest start: $(tr '\n' ' ' < "$KT_STATE0")"
mkdir "$CLUSTER_DIR/kt"
printf 61 > "$CLUSTER_DIR/kt/heartbeat/dead_threshold"
printf global > "$CLUSTER_DIR/kt/heartbeat/mode"
rmdir "$CLUSTER_DIR/kt"
# the leak itself: a fresh cluster reads what the removed one wrote
mkdir "$CLUSTER_DIR/kt2"
[ "$(cat "$CLUSTER_DIR/kt2/heartbeat/dead_threshold")" = 61 ] ||
  fail "dead_threshold did not survive the cluster directory (the kernel changed?)"
[ "$(cat "$CLUSTER_DIR/kt2/heartbeat/mode")" = global ] ||
  fail "the heartbeat mode did not survive the cluster directory"
echo /bin/true > "$HB_CTL_PATH_FILE"
printf pcmk > "$STACK_FILE"
modprobe loop
say "left behind: $(module_wide_read | tr '\n' ' ')"
module_wide_diff "$KT_STATE0"
