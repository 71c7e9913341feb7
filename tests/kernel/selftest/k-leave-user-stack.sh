# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=sh
# harness self-test: a case that leaves the user stack behind: corosync and dlm_controld
# running, a pcmk volume mounted (its DLM lockspace open), the stack file at pcmk, the
# dlm and ocfs2_stack_user modules loaded.  The teardown must stop and remove all of it
# (expected PASS; l-classic-after-user-stack checks the result)
# layers: ha
# timeout: 180
set -eu
user_stack_up ktleft
run "$(cbin mkfs.ocfs2)" -q -N 2 --cluster-stack=pcmk --cluster-name=ktleft /dev/vda
mkdir -p /mnt/left
run "$UL_MOUNT" -t ocfs2 /dev/vda /mnt/left
echo left-behind > /mnt/left/file
say "left behind: $(pidof corosync dlm_controld | wc -w) daemons, lockspaces $(dlm_lockspaces), stack $(cat "$STACK_FILE")"
