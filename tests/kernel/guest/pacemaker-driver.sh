# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=sh
#
# pacemaker-driver.sh - guest side of run-pacemaker.sh (busybox ash).  Both guests run
# it, at every boot: it brings up the guest network, holds the control port
# (/dev/ttyS1) open for host_request, serves a shell for on_peer, starts corosync (both
# nodes, knet over eth0, two_node) and pacemakerd.  node2 then only stays a cluster
# member until the host kills it.  node1 waits until the cluster has formed (both nodes
# online, a DC elected), prints
#   PCMK-READY after N.NNs (uptime N.NNs)
# and runs the cases of /kt/cases.list in order, printing for each
#   === CASE-BEGIN NAME
#   ... what the case prints, then its kernel messages ...
#   CASE NAME: PASS|FAIL|SKIP (N.Ns)[ -- reason]
# and at the end
#   SUITE-SUMMARY pass=N fail=N skip=N time=N.Ns
# The cases are one story (the cluster forms, the DLM starts, the volume is mounted,
# node2 is fenced, it rejoins): once one failed, the rest are SKIP.  There is no
# teardown between cases.  Exit status (node1): 0 when no case failed.
set -u
KT=/kt
# shellcheck source=SCRIPTDIR/../lib.sh
. "$KT/lib.sh"
# shellcheck source=SCRIPTDIR/../pacemaker-lib.sh
. "$KT/pacemaker-lib.sh"
driver_setup 300 "$KT/pacemaker-lib.sh"
echo "PCMK-BEGIN node=$NODE ip=$MY_IP layers=${RG_LAYERS:-none}"

# ---------------------------------------------------------------- the guest
guest_net_up "$MY_IP"
# the control port: raw, no echo (an answer echoed back would reach the host as a
# request), and held open so that no answer is lost between two readers
stty -F "$KT_CTL_TTY" raw -echo || echo "driver: no control port $KT_CTL_TTY"
setsid sleep 100000000 < "$KT_CTL_TTY" > /dev/null 2>&1 &
# the shell the other node reaches with on_peer (a test network inside the guests)
setsid nc -ll -p "$KT_CMD_PORT" -e /bin/sh < /dev/null > /dev/null 2>&1 &

# ---------------------------------------------------------------- the cluster
export PCMK_logfile=$PCMK_LOG PCMK_logfacility=none
# The resource agents are /bin/sh (busybox ash) scripts: a bare `mount` there would be
# busybox's applet (lib.sh, UL_MOUNT).  They take the tools' paths from the environment
# (ocf-binaries), which pacemaker-execd passes on.
export MOUNT=/bin/mount UMOUNT=/bin/umount MODPROBE=/sbin/modprobe
corosync_start "$PCMK_CLUSTER" node1:1:10.77.0.1 node2:2:10.77.0.2
# quorate once both nodes were seen (two_node implies wait_for_all); a node booted again
# finds the other already there
if wait_until 600 corosync_quorate; then
  echo "PCMK-COROSYNC quorate after $(elapsed "$SUITE_T0")s"
else
  echo "PCMK-COROSYNC not quorate after 600 s"; tail -n 30 "$US_RUN/corosync.log"
fi
us_start pacemakerd pacemakerd

if [ "$NODE" = node2 ]; then
  echo "PCMK-MEMBER $NODE: corosync and pacemakerd started; staying a member until killed"
  # not a busy loop: the host ends this guest (a fence, or the end of the run)
  while :; do sleep 60; done
fi

# ---------------------------------------------------------------- node1: the cases
if wait_until 600 sh -c '. /kt/lib.sh; . /kt/pacemaker-lib.sh; nodes_online 2 && dc_present'; then
  read -r up _ < /proc/uptime
  echo "PCMK-READY after $(elapsed "$SUITE_T0")s (uptime ${up}s)"
  mem_report "cluster formed"
else
  echo "PCMK-NOT-READY: the cluster did not form within 600 s"
  crm_mon -1 2>&1 | sed 's/^/  crm_mon | /'
  tail -n 60 "$PCMK_LOG" | sed 's/^/  log | /'
fi
dmesg -c > /dev/null   # boot messages are not any case's

run_case() {
  name=$1 f=$KT/cases/$1.sh
  case_begin "$name"
  story_precheck "$f"
  if [ -z "$KT_RESULT" ]; then
    run_isolated "$name" "$f" "$(case_timeout_of "$f" "$DEFAULT_TIMEOUT")" "$WORKROOT"
    kernel_messages "$name" "$WORKROOT"
    # the cluster's view, for the failure's log (the guest's files are gone after)
    if [ "$KT_RESULT" = FAIL ]; then
      echo "--- the cluster after $name failed"
      timeout 60 crm_mon -1rf 2>&1 | sed 's/^/  crm_mon | /'
      grep -E 'error|warning|notice: .*(fenc|stonith|Result of)' "$PCMK_LOG" 2>/dev/null |
        tail -n 60 | sed 's/^/  log | /'
      tail -n 10 /var/log/pacemaker/fence_kt.log 2>/dev/null | sed 's/^/  fence_kt | /'
    fi
  fi
  report_case "$name" "$KT_RESULT" "$KT_REASON" "$t0" "$WORKROOT"
  case $KT_RESULT in PASS|SKIP) ;; *) BROKEN="not run: $name failed" ;; esac
}
# shellcheck disable=SC2013 # one case name a line, no blanks
for c in $(cat "$KT/cases.list"); do
  run_case "$c"
done

mem_report "after the cases"
suite_summary " ($NODE)" "$WORKROOT" "$SUITE_T0"
