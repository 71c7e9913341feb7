# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=sh
# init-pcmk: o2cb.init with O2CB_STACK=pcmk, ours beside the C /etc/init.d/o2cb.  With
# corosync and dlm_controld up (user_stack_up), the C script's start fails: it looks for an
# ocfs2_controld.pcmk that Debian does not ship.  Ours loads the user-stack plugin and ocfs2,
# selects the pcmk stack, checks the DLM recovery callbacks and both daemons, and exits 0;
# status exits 0 and reports the stack, corosync's cluster name, its members and the DLM
# lockspace of a mounted volume (--json too); with a volume mounted, stop refuses to unload
# and leaves the mount alone; after umount, stop unloads what start loaded.  Without
# dlm_controld, ours start exits 1 naming it, and status exits 3.
# layers: ha
# timeout: 300
set -eu
need_rs o2cb.init mount.ocfs2
RS_INIT=$(rsbin o2cb.init)
C_INIT=/etc/init.d/o2cb
C=ktinit
MNT=/mnt/pcmk

mkdir -p /etc/default
cat > /etc/default/o2cb <<EOF
O2CB_ENABLED=true
O2CB_STACK=pcmk
O2CB_BOOTCLUSTER=$C
EOF

# init SIDE ACTION [WANT]: run SIDE's script with ACTION; its output in SIDE.ACTION, its
# exit status checked against WANT when given
init() {
  case $1 in c) _i=$C_INIT ;; *) _i=$RS_INIT ;; esac
  _rc=0
  "$_i" "$2" > "$1.$2" 2>&1 || _rc=$?
  sed "s/^/  $1 $2 | /" "$1.$2"
  say "$1 $2: exit $_rc"
  [ -z "${3:-}" ] || [ "$_rc" = "$3" ] || fail "$1 $2 exited $_rc, wanted $3"
}

step "the user stack up; a pcmk volume"
timed user-stack-up user_stack_up "$C"
timed mkfs run "$(cbin mkfs.ocfs2)" -q -b 4K -C 4K -N 2 --cluster-stack=pcmk \
  --cluster-name="$C" -L kt-init /dev/vda
UUID=$("$(cbin tunefs.ocfs2)" -Q '%U\n' /dev/vda)

step "the C script's start fails (no ocfs2_controld.pcmk)"
init c start
assert_contains c.start "control daemon"

step "our start"
init rs start 0
assert_contains rs.start "Checking for corosync: OK"
assert_contains rs.start "Checking for dlm_controld: OK"
[ "$(cat "$STACK_FILE")" = pcmk ] || fail "the stack file reads $(cat "$STACK_FILE")"

step "status, with a volume mounted"
mkdir -p "$MNT"
timed mount run "$(rsbin mount.ocfs2)" /dev/vda "$MNT"
init rs status 0
assert_contains rs.status 'Stack plugin "user": Loaded'
assert_contains rs.status "Cluster name: $C"
assert_contains rs.status "Members: 1$"
assert_contains rs.status "DLM lockspaces: $UUID$"
_rc=0; "$RS_INIT" status --json > status.json 2>&1 || _rc=$?
cat status.json
[ "$_rc" = 0 ] || fail "status --json exited $_rc"
assert_contains status.json "\"cluster_name\": \"$C\""
assert_contains status.json "\"$UUID\""

step "stop while mounted: refused, the mount stays"
init rs stop 1
assert_contains rs.stop "OCFS2 volumes are mounted \($MNT: umount them first\)"
grep -q " $MNT ocfs2 " /proc/mounts || fail "stop unmounted the volume"
[ "$(cat "$STACK_FILE")" = pcmk ] || fail "a refused stop changed the stack file"
timed umount run umount "$MNT"

step "stop after umount"
init rs stop 0
init rs status 3

step "without dlm_controld"
stop_daemon dlm_controld 30 || fail "dlm_controld did not stop"
init rs start 1
assert_contains rs.start "dlm_controld is not running"
init rs status 3
init rs stop

step "user_stack_down"
timed user-stack-down user_stack_down
