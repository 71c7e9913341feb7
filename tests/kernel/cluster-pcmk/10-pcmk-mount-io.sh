# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=sh
# 10-pcmk-mount-io: a pcmk volume on two nodes (run-cluster.sh --stack pcmk: the C tools;
# with --ours, ours installed over them at /sbin, so that `mount -t ocfs2` runs our
# mount.ocfs2 and the kernel's umount helper is our ocfs2_hb_ctl).  corosync across both
# guests (knet over the guest network, two_node) and dlm_controld on each
# (cluster_user_stack_up); node1 formats the shared disk for the pcmk stack (the C
# mkfs.ocfs2); mount.ocfs2 mounts it on node1, then on node2; the DLM lockspace of the
# volume lists both nodes, and mounted.ocfs2 -f both node numbers (corosync's node ids); a
# text file and 8 MiB of random data written on each node read back on the other; both
# unmount (no lockspace left) and stop the stack (nothing left).
# timeout: 400
set -eu
C=ktpair
MNT=/mnt/pcmk
mkdir -p "$MNT"

step "the user stack on both nodes"
timed user-stack-up cluster_user_stack_up "$C"
mem_report "user stack up on $NODE"
corosync-quorumtool -l | tee members.txt
assert_contains members.txt "^ +1 +1 node1"
assert_contains members.txt "^ +2 +1 node2"
dlm_tool status

step "format the shared volume (node1, C mkfs.ocfs2)"
on node1 timed mkfs run "$(cbin mkfs.ocfs2)" -q -b 4K -C 4K -N 2 --cluster-stack=pcmk \
  --cluster-name="$C" -L kt-pair /dev/vda
barrier formatted
UUID=$("$(cbin tunefs.ocfs2)" -Q '%U\n' /dev/vda)
say "UUID=$UUID"

step "mount (node1 first, then node2)"
on node1 timed mount run "$UL_MOUNT" -t ocfs2 /dev/vda "$MNT"
barrier node1-mounted
on node2 timed mount run "$UL_MOUNT" -t ocfs2 /dev/vda "$MNT"
barrier node2-mounted
line=$(grep " $MNT ocfs2 " /proc/mounts) || fail "$MNT is not mounted"
case $line in *cluster_stack=pcmk*) ;; *) fail "not on the pcmk stack: $line" ;; esac
dlm_tool ls | tee ls.txt
assert_contains ls.txt "^name +$UUID$"
# the lockspace's members are both corosync node ids
assert_contains ls.txt "^members +1 2 *$"
mounted.ocfs2 -f | tee mounted.txt
assert_contains mounted.txt "^/dev/vda +pcmk +$C +1, 2$"

step "write here, read there"
write_here_read_there "$MNT"

step "unmount and stop (node2 first, then node1)"
on node2 timed umount run umount "$MNT"
barrier node2-unmounted
on node1 timed umount run umount "$MNT"
wait_until 20 test ! -d "$DLM_SYS/$UUID" || fail "lockspace $UUID still there after umount"
barrier unmounted
timed user-stack-down user_stack_down
barrier stopped
for d in corosync dlm_controld; do ! running "$d" || fail "$d still runs"; done
[ ! -d "$DLM_CFS/cluster" ] || fail "DLM configfs entries are left"
[ "$(cat "$STACK_FILE")" = o2cb ] || fail "the stack file reads $(cat "$STACK_FILE")"
