# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=sh
# c-pcmk-mount: the user stack with the C tools alone.  A one-node corosync cluster with
# dlm_controld (user_stack_up); mkfs.ocfs2 --cluster-stack=pcmk; util-linux's `mount -t
# ocfs2` runs the C mount.ocfs2 helper (no control daemon), which mounts it on the pcmk stack:
# the mount line says so, the DLM has a lockspace named by the volume's UUID, no o2cb
# cluster or heartbeat exists; a file is written and read back; umount leaves no
# lockspace.  Then the ways the mount fails: mkfs refuses a cluster name other than the
# running one (unless -F), a volume of another cluster fails with EBADR (53) and the
# kernel names both names, dlm_controld stopped cleanly gives ENOTCONN (107), killed
# EUNATCH (49); nothing is mounted after any of them.  user_stack_down leaves no daemon,
# no DLM configfs entry and the stack file back at o2cb.
# layers: ha
# timeout: 300
set -eu
C=ktpcmk
MNT=/mnt/pcmk

# mount_fails ERRNO DEV: the C mount.ocfs2 exits 1 with "... on this error ERRNO." and
# leaves nothing mounted and no lockspace
mount_fails() {
  _rc=0
  timed "failing mount (error $1)" "$(cbin mount.ocfs2)" "$2" "$MNT" > fail.out 2>&1 || _rc=$?
  cat fail.out
  [ "$_rc" = 1 ] || fail "mount.ocfs2 $2 exited $_rc, wanted 1"
  assert_contains fail.out "^mount.ocfs2: Internal logic failure while mounting $2 on $MNT\. Check 'dmesg' for more information on this error $1\.$"
  ! grep -q " $MNT " /proc/mounts || fail "$MNT is mounted"
  [ -z "$(dlm_lockspaces)" ] || fail "a lockspace is left: $(dlm_lockspaces)"
}

step "the user stack: corosync + dlm_controld, one node"
[ "$(cat "$STACK_FILE")" = o2cb ] || fail "the stack file reads $(cat "$STACK_FILE") at start"
timed user-stack-up user_stack_up "$C"
mem_report "user stack up"
corosync-quorumtool -s
dlm_tool status
[ "$(cat "$DLM_CFS/cluster/cluster_name")" = "$C" ] ||
  fail "dlm_controld gave the kernel the cluster name '$(cat "$DLM_CFS/cluster/cluster_name")'"

step "mkfs.ocfs2 --cluster-stack=pcmk --cluster-name=$C /dev/vda"
timed mkfs run "$(cbin mkfs.ocfs2)" -q -b 4K -C 4K -N 2 --cluster-stack=pcmk \
  --cluster-name="$C" -L kt-pcmk /dev/vda
UUID=$("$(cbin tunefs.ocfs2)" -Q '%U\n' /dev/vda)
say "UUID=$UUID"
"$(cbin debugfs.ocfs2)" -R stats /dev/vda > stats.txt
grep -iE 'cluster|incompat' stats.txt
assert_contains stats.txt 'Cluster stack: pcmk'
assert_contains stats.txt "Cluster name: $C"

step "mount -t ocfs2 (util-linux mount, the C mount.ocfs2 helper)"
mkdir -p "$MNT"
dmesg -c > /dev/null
timed mount run "$UL_MOUNT" -t ocfs2 /dev/vda "$MNT"
# the helper ran first: no raw mount(2) without its cluster_stack= option was tried
dmesg > kmsg-mount.txt
! grep -q 'cluster stack passed to mount' kmsg-mount.txt || fail "a mount(2) without the helper came first"
line=$(grep " $MNT ocfs2 " /proc/mounts) || fail "$MNT is not mounted"
say "$line"
case $line in *cluster_stack=pcmk*) ;; *) fail "not mounted on the pcmk stack: $line" ;; esac
[ "$(cat "$STACK_FILE")" = pcmk ] || fail "the stack file reads $(cat "$STACK_FILE")"
[ -d "$DLM_SYS/$UUID" ] || fail "no DLM lockspace $UUID (have: $(dlm_lockspaces))"
dlm_tool ls | tee ls.txt
assert_contains ls.txt "^name +$UUID$"
assert_cluster_empty
_no_o2hb_threads || fail "an o2hb thread runs on the user stack"

step "I/O"
echo "hello from $KT_CASE" > "$MNT/hello.txt"
dd if=/dev/urandom of="$MNT/blob" bs=1M count=4 2>/dev/null
sum=$(md5sum < "$MNT/blob")
sync
echo 3 > /proc/sys/vm/drop_caches
[ "$(cat "$MNT/hello.txt")" = "hello from $KT_CASE" ] || fail "read back differs"
[ "$(md5sum < "$MNT/blob")" = "$sum" ] || fail "the blob reads back differently"

step "umount"
timed umount run umount "$MNT"
! grep -q " $MNT " /proc/mounts || fail "$MNT still mounted"
wait_until 10 test ! -d "$DLM_SYS/$UUID" || fail "lockspace $UUID still there after umount"

step "a volume of another cluster"
rc=0
"$(cbin mkfs.ocfs2)" -q -b 4K -C 4K -N 2 --cluster-stack=pcmk --cluster-name=other \
  -L kt-other /dev/vdb > mkfs-other.out 2>&1 < /dev/null || rc=$?
cat mkfs-other.out
[ "$rc" != 0 ] || fail "mkfs.ocfs2 formatted for cluster 'other' while '$C' runs"
assert_contains mkfs-other.out "does not match the active cluster \(pcmk,$C,0\)"
timed mkfs-forced run "$(cbin mkfs.ocfs2)" -q -F -b 4K -C 4K -N 2 --cluster-stack=pcmk \
  --cluster-name=other -L kt-other /dev/vdb
dmesg -c > /dev/null
mount_fails 53 /dev/vdb
dmesg | tee kmsg.txt
assert_contains kmsg.txt "dlm cluster name '$C' does not match the application cluster name 'other'"

step "dlm_controld stopped cleanly"
stop_daemon dlm_controld 30 || fail "dlm_controld did not stop on SIGTERM"
mount_fails 107 /dev/vda

step "dlm_controld killed"
dlm_start
us_wait 60 "dlm ready again" dlm_ready
kill -KILL "$(pidof dlm_controld)"
wait_until 10 sh -c '! pidof dlm_controld > /dev/null' || fail "dlm_controld survived SIGKILL"
[ -d "$DLM_CFS/cluster" ] || fail "expected the killed dlm_controld's configfs entries to stay"
mount_fails 49 /dev/vda

step "user_stack_down"
timed user-stack-down user_stack_down
for d in corosync dlm_controld; do ! running "$d" || fail "$d still runs"; done
[ ! -d "$DLM_CFS/cluster" ] || fail "DLM configfs entries are left"
[ "$(cat "$STACK_FILE")" = o2cb ] || fail "the stack file reads $(cat "$STACK_FILE") after user_stack_down"
