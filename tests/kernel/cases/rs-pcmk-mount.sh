# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=sh
# rs-pcmk-mount: our mount.ocfs2 and ocfs2_hb_ctl on the user stack, beside the C ones.  A
# one-node corosync cluster with dlm_controld (user_stack_up) and a pcmk volume made by the C
# mkfs.ocfs2.  The C mount.ocfs2 and ours, each under strace: the same writes to sysfs and
# configfs, the same mount(2) call, the same mount line; a file written under one mount is
# read under the other; mounted.ocfs2 -d and -f print what the C one prints while it is
# mounted; with hb_ctl_path pointing at our ocfs2_hb_ctl the kernel's umount
# callback (-K -u UUID) succeeds and no lockspace is left; -S and -K answer as the C tool's.
# Then every refusal, before mount(2), exit 1, naming what differs, nothing mounted, no
# lockspace and the stack file unchanged: a volume of another cluster (the C tool gets EBADR
# from the kernel), dlm_controld stopped cleanly (C: ENOTCONN), killed (C: EUNATCH), a cman
# volume, and a classic volume while the pcmk stack runs.
# layers: ha
# timeout: 300
set -eu
need_rs mount.ocfs2 ocfs2_hb_ctl mounted.ocfs2
C=ktpcmk
MNT=/mnt/pcmk

# sys_traced OUT CMD...: `traced` with every write under /sys kept (the stack file too)
sys_traced() {
  _stc=$CFS
  CFS=/sys
  _str=0
  traced "$@" || _str=$?
  CFS=$_stc
  return $_str
}

# ours_refuse WORDS DEV: our mount.ocfs2 exits 1 naming WORDS; nothing is mounted, no
# lockspace is left and the stack file is what it was
ours_refuse() {
  _before=$(cat "$STACK_FILE")
  _rc=0
  "$(rsbin mount.ocfs2)" "$2" "$MNT" > refuse.out 2>&1 || _rc=$?
  cat refuse.out
  [ "$_rc" = 1 ] || fail "our mount.ocfs2 $2 exited $_rc, wanted 1"
  assert_contains refuse.out "$1"
  ! grep -q " $MNT " /proc/mounts || fail "$MNT is mounted"
  [ -z "$(dlm_lockspaces)" ] || fail "a lockspace is left: $(dlm_lockspaces)"
  [ "$(cat "$STACK_FILE")" = "$_before" ] || fail "the stack file changed: $(cat "$STACK_FILE")"
}

# mount_line: the /proc/mounts line of $MNT without the device
mount_line() { grep " $MNT ocfs2 " /proc/mounts | cut -d' ' -f2-; }

step "the user stack: corosync + dlm_controld, one node; a pcmk volume"
timed user-stack-up user_stack_up "$C"
timed mkfs run "$(cbin mkfs.ocfs2)" -q -b 4K -C 4K -N 2 --cluster-stack=pcmk \
  --cluster-name="$C" -L kt-pcmk /dev/vda
UUID=$("$(cbin tunefs.ocfs2)" -Q '%U\n' /dev/vda)
say "UUID=$UUID"
mkdir -p "$MNT"

step "the C mount.ocfs2, traced"
sys_traced c.trace "$(cbin mount.ocfs2)" /dev/vda "$MNT" || fail "the C mount.ocfs2 failed"
sed 's/^/  C | /' c.trace
c_line=$(mount_line)
say "C: $c_line"
echo "written under the C mount" > "$MNT/from-c"
timed c-umount run umount "$MNT"
wait_until 10 test ! -d "$DLM_SYS/$UUID" || fail "lockspace $UUID left after the C umount"

step "our mount.ocfs2, traced"
echo "$(rsbin ocfs2_hb_ctl)" > "$HB_CTL_PATH_FILE"
dmesg -c > /dev/null
timed rs-mount sys_traced rs.trace "$(rsbin mount.ocfs2)" /dev/vda "$MNT" ||
  fail "our mount.ocfs2 failed"
sed 's/^/ rs | /' rs.trace
rs_line=$(mount_line)
say "ours: $rs_line"
[ "$rs_line" = "$c_line" ] || fail "mount lines differ: C '$c_line', ours '$rs_line'"
diff c.trace rs.trace || fail "the sysfs/configfs writes or the mount(2) call differ"
[ "$(cat "$STACK_FILE")" = pcmk ] || fail "the stack file reads $(cat "$STACK_FILE")"
[ -d "$DLM_SYS/$UUID" ] || fail "no DLM lockspace $UUID (have: $(dlm_lockspaces))"
[ "$(cat "$MNT/from-c")" = "written under the C mount" ] || fail "the C file reads differently"
dd if=/dev/urandom of="$MNT/blob" bs=1M count=4 2>/dev/null
sum=$(md5sum < "$MNT/blob")
_no_o2hb_threads || fail "an o2hb thread runs on the user stack"
for mode in -d -f; do
  "$(cbin mounted.ocfs2)" "$mode" > "mounted$mode.c" 2>&1 || true
  "$(rsbin mounted.ocfs2)" "$mode" > "mounted$mode.rs" 2>&1 || true
  cat "mounted$mode.rs"
  diff "mounted$mode.c" "mounted$mode.rs" || fail "mounted.ocfs2 $mode differs from C on the mounted pcmk volume"
done

step "ocfs2_hb_ctl -S / -K while the pcmk stack runs: ours as the C tool"
for args in "-S -d /dev/vda ocfs2" "-K -u $UUID" "-S -u $UUID ocfs2"; do
  c_rc=0; rs_rc=0
  # shellcheck disable=SC2086 # args
  timed "C ocfs2_hb_ctl $args" sh -c '"$0" "$@" > /dev/null 2>&1' "$(cbin ocfs2_hb_ctl)" $args || c_rc=$?
  # shellcheck disable=SC2086 # args
  timed "our ocfs2_hb_ctl $args" "$(rsbin ocfs2_hb_ctl)" $args || rs_rc=$?
  say "ocfs2_hb_ctl $args: C $c_rc, ours $rs_rc"
  [ "$c_rc" = "$rs_rc" ] || fail "ocfs2_hb_ctl $args: C exits $c_rc, ours $rs_rc"
done

step "umount: the kernel runs our ocfs2_hb_ctl -K -u UUID"
timed rs-umount run umount "$MNT"
wait_until 10 test ! -d "$DLM_SYS/$UUID" || fail "lockspace $UUID left after umount"
dmesg > kmsg-umount.txt
! grep -qi "ocfs2_hb_ctl\|usermodehelper" kmsg-umount.txt || fail "the kernel's umount helper complained"
echo "$HB_CTL_DEFAULT" > "$HB_CTL_PATH_FILE"
timed c-mount-again run "$(cbin mount.ocfs2)" /dev/vda "$MNT"
[ "$(md5sum < "$MNT/blob")" = "$sum" ] || fail "our blob reads back differently under the C mount"
timed c-umount-again run umount "$MNT"
# untraced, for the times: ours, then C (each umount runs the C ocfs2_hb_ctl)
timed rs-mount-untraced run "$(rsbin mount.ocfs2)" /dev/vda "$MNT"
timed umount-after-rs run umount "$MNT"
timed c-mount-untraced run "$(cbin mount.ocfs2)" /dev/vda "$MNT"
timed umount-after-c run umount "$MNT"

step "refused: a volume of another cluster (C: EBADR from the kernel)"
timed mkfs-other run "$(cbin mkfs.ocfs2)" -q -F -b 4K -C 4K -N 2 --cluster-stack=pcmk \
  --cluster-name=other -L kt-other /dev/vdb
ours_refuse "Cluster name is invalid while trying to join the group: the volume belongs to cluster 'other', but this node's corosync runs cluster '$C'" /dev/vdb

step "refused: a cman volume"
timed mkfs-cman run "$(cbin mkfs.ocfs2)" -q -F -b 4K -C 4K -N 2 --cluster-stack=cman \
  --cluster-name="$C" -L kt-cman /dev/vdc
ours_refuse "the volume is formatted for the cman stack, which needs ocfs2_controld" /dev/vdc

step "refused: a classic volume while the pcmk stack is selected"
timed mkfs-o2cb run "$(cbin mkfs.ocfs2)" -q -F -b 4K -C 4K -N 2 --cluster-stack=o2cb \
  --cluster-name=web -L kt-o2cb /dev/vdd
echo pcmk > "$STACK_FILE"
ours_refuse "the pcmk stack is in use" /dev/vdd

step "refused: dlm_controld stopped cleanly (C: ENOTCONN)"
stop_daemon dlm_controld 30 || fail "dlm_controld did not stop on SIGTERM"
ours_refuse "dlm_controld is not running" /dev/vda

step "refused: dlm_controld killed, its configfs entries left (C: EUNATCH)"
dlm_start
us_wait 60 "dlm ready again" dlm_ready
kill -KILL "$(pidof dlm_controld)"
wait_until 10 sh -c '! pidof dlm_controld > /dev/null' || fail "dlm_controld survived SIGKILL"
ours_refuse "dlm_controld is not running" /dev/vda

step "user_stack_down"
timed user-stack-down user_stack_down
