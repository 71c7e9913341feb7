# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=sh
# harness self-test: after k-leave-user-stack, in the same guest, nothing of the user
# stack is left (no daemon, no lockspace, no DLM configfs entry, the stack file o2cb, dlm
# unloaded) and a classic o2cb volume mounts with the C tools (expected PASS)
# layers: ha
# timeout: 180
set -eu
for d in corosync dlm_controld; do ! running "$d" || fail "$d still runs"; done
[ -z "$(dlm_lockspaces)" ] || fail "lockspaces left: $(dlm_lockspaces)"
[ ! -d "$DLM_CFS/cluster" ] || fail "DLM configfs entries left"
[ "$(cat "$STACK_FILE")" = o2cb ] || fail "the stack file reads $(cat "$STACK_FILE")"
! grep -q '^dlm ' /proc/modules || fail "dlm is still loaded"
write_cluster_conf /etc/ocfs2/cluster.conf ocfs2 node1:0:127.0.0.1:7777
run "$(cbin o2cb)" register-cluster ocfs2
run "$(cbin mkfs.ocfs2)" -q -N 2 --cluster-stack=o2cb --cluster-name=ocfs2 /dev/vda
mkdir -p /mnt/classic
run "$(cbin mount.ocfs2)" /dev/vda /mnt/classic
grep ' /mnt/classic ocfs2 ' /proc/mounts | grep -q 'heartbeat=local' || fail "not a classic mount"
run umount /mnt/classic
say "a classic mount after the user stack"
