# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=sh
#
# cluster-driver.sh - guest side of run-cluster.sh (busybox ash).  Both guests
# run it at the same time; it brings up the guest-to-guest network, puts our
# binaries in place of the C tools (at /sbin, where the kernel and `mount -t
# ocfs2` look for them; mkfs.ocfs2 and the debug tools stay C), and runs the
# cases of /kt/cases.list in order, the two guests meeting at the start and
# the end of each.  For each case it prints
#   === CASE-BEGIN NAME
#   ... what the case prints, then its kernel messages ...
#   CASE NAME: PASS|FAIL|SKIP (N.Ns)[ -- reason]        this guest's result
#   PEER NAME: PASS|FAIL|SKIP                            the other guest's
# and at the end
#   SUITE-SUMMARY pass=N fail=N skip=N time=N.Ns
# The cases are one story (start, mount, ...), so once a case failed on
# either guest the rest are SKIP.  Exit status: 0 when no case failed here.
set -u
KT=/kt
# shellcheck source=SCRIPTDIR/../lib.sh
. "$KT/lib.sh"
# shellcheck source=SCRIPTDIR/../cluster-lib.sh
. "$KT/cluster-lib.sh"
driver_setup 180 "$KT/cluster-lib.sh"

echo "CLUSTER-BEGIN node=$NODE ip=$MY_IP peer=$PEER/$PEER_IP cases=$(wc -l < "$KT/cases.list")"

# ---------------------------------------------------------------- devices
# The guests boot bare (rg.modules=0: nothing of the cluster stack loaded, as
# on a machine before o2cb.init start), so the virtio drivers come here.
for _m in virtio_pci virtio_blk; do
  modprobe "$_m" 2>&1 || echo "driver: modprobe $_m failed"
done
guest_net_up "$MY_IP"
wait_until 10 test -e /sys/block/vdc || echo "driver: no /dev/vdc"
RG_DISKS=
for _b in /sys/block/vd*; do [ -e "$_b" ] && RG_DISKS="$RG_DISKS/dev/${_b##*/} "; done
export RG_DISKS
mkdir -p /sys/kernel/debug
grep -q ' /sys/kernel/debug ' /proc/mounts || mount -t debugfs debugfs /sys/kernel/debug

# ---------------------------------------------------------------- our tools
# Swapped in for the C ones, as an admin would install them: the kernel's
# umount helper (hb_ctl_path) is /sbin/ocfs2_hb_ctl, `mount -t ocfs2` runs
# /sbin/mount.ocfs2.  Not with RG_INSTALL_OURS=0 (run-cluster.sh --c-tools, the
# default on the pcmk stack): then the C tools stay there and ours are at $RS_SBIN.
if [ "${RG_INSTALL_OURS:-1}" = 1 ]; then
  for _b in "$RS_SBIN"/*; do
    [ -e "$_b" ] || { echo "ours: none in $RS_SBIN"; break; }
    cp "$_b" "/sbin/${_b##*/}" && echo "ours: /sbin/${_b##*/}"
  done
else
  echo "ours: not installed; the C tools at /sbin (stack ${RG_STACK:-o2cb})"
fi

# ---------------------------------------------------------------- meet
# node2 boots a little later; the first meeting waits long for it
_t=$(now)
if peer_kernel=$(exchange hello "$(uname -r)" $(($(date +%s) + 240)) 1); then
  echo "CLUSTER-MET $PEER (kernel $peer_kernel) after $(elapsed "$_t")s"
else
  echo "CLUSTER-NO-PEER: $PEER never answered on $PEER_IP:$KT_BARRIER_PORT"
  echo "SUITE-SUMMARY pass=0 fail=1 skip=0 time=$(elapsed "$SUITE_T0")s"
  exit 1
fi
echo "CLUSTER-DISKS $RG_DISKS"
dmesg -c > /dev/null   # boot messages are not any case's

run_case() {
  name=$1 f=$KT/cases/$1.sh
  case_begin "$name"
  story_precheck "$f"
  if [ -z "$KT_RESULT" ]; then
    tmo=$(case_timeout_of "$f" "$DEFAULT_TIMEOUT")
    if exchange "begin:$name" '' $(($(date +%s) + 120)) 1 > /dev/null; then
      run_isolated "$name" "$f" "$tmo" "$WORKROOT"
    else
      KT_RESULT=FAIL KT_REASON="$PEER did not come to the start of the case"
    fi
    kernel_messages "$name" "$WORKROOT"
  fi
  # the end meeting carries each guest's result; a guest that is still in the
  # case gets its case's own watchdog time to come
  peer=$(exchange "end:$name" "$KT_RESULT" $(($(date +%s) + ${tmo:-0} + 60)) 1) || peer="FAIL (did not come to the end of the case)"
  report_case "$name" "$KT_RESULT" "$KT_REASON" "$t0" "$WORKROOT"
  echo "PEER $name: $peer"
  case $KT_RESULT in PASS|SKIP) ;; *) BROKEN="not run: $name failed on $NODE" ;; esac
  case $peer in
    PASS|SKIP*) ;;
    *) [ -n "$BROKEN" ] || BROKEN="not run: $name failed on $PEER" ;;
  esac
}

# shellcheck disable=SC2013 # one case name a line, no blanks
for c in $(cat "$KT/cases.list"); do
  run_case "$c"
done

suite_summary " ($NODE)" "$WORKROOT" "$SUITE_T0"
