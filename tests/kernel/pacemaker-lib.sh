# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=sh
#
# pacemaker-lib.sh - helpers for the Pacemaker cases (pacemaker/*.sh, run-pacemaker.sh),
# sourced in the guests after lib.sh.  The cases run on node1, the cluster's admin node;
# node2 is a cluster member that the host harness may kill (as a fence does) and boot
# again.
#
#   NODE, MY_IP, PEER, PEER_IP     this guest and the other
#   PCMK_CLUSTER                   corosync's cluster name (ktpcmk)
#   host_request VERB NODE [SECS]  ask the host harness over /dev/ttyS1 (a second serial
#                                  port on FIFOs, run-guest.sh --ctl-pipe): "crash"
#                                  kills NODE's QEMU at once (a failure, nothing is
#                                  fenced), "fence" kills it and answers once it is gone,
#                                  "start" boots it again; prints the answer, false
#                                  unless "ok"
#   on_peer CMD                    run the shell command line CMD on the other guest
#                                  (busybox nc to its command port); prints its output,
#                                  returns its status
#   crm_xml                        `crm_mon -1 --output-as=xml`
#   node_online NODE, nodes_online N, dc_present
#   rsc_running_on RSC NODE        crm_resource --locate says RSC runs on NODE
#   rsc_started_on PRIMITIVE NODE  crm_mon shows it Started there (its start done)
#   peer_mounted DIR               an OCFS2 volume is mounted on DIR on the other guest
#   cib_create SECTION XML         cibadmin --create
#   crm_wait SECS WHAT CMD...      wait for CMD; on time-out show crm_mon and fail

: "${NODE:=$(hostname)}"
case "$NODE" in
  node1) PEER=node2 MY_IP=10.77.0.1 PEER_IP=10.77.0.2 ;;
  node2) PEER=node1 MY_IP=10.77.0.2 PEER_IP=10.77.0.1 ;;
  *) echo "pacemaker-lib: hostname '$NODE' is neither node1 nor node2" >&2; exit 1 ;;
esac
PCMK_CLUSTER=ktpcmk
KT_CTL_TTY=/dev/ttyS1
KT_CMD_PORT=7002
# where pacemakerd and its daemons log (PCMK_logfile)
PCMK_LOG=/var/log/pacemaker/pacemaker.log

# host_request VERB NODE [SECONDS]: one request to the host harness, one answer line
# "KT-CTL <id> ok|fail ..." read back within SECONDS (default 180).  Requests are
# serialised in the guest (a mkdir lock), so that each answer reaches its asker.
host_request() {
  _hv=$1 _hn=$2 _ht=${3:-180}
  _hid="$$-$(date +%s)-$(awk 'BEGIN{srand(); printf "%d", rand()*100000}')"
  _hl=/run/kt-ctl.lock _hw=0
  until mkdir "$_hl" 2>/dev/null; do
    _hw=$((_hw + 1)); [ "$_hw" -lt 600 ] || { echo "host_request: lock busy"; return 1; }
    sleep 0.5
  done
  _ha=$(timeout "$_ht" sh -c '
    printf "KT-CTL %s %s %s\n" "$1" "$2" "$3" > "$4"
    while IFS= read -r l; do
      case $l in "KT-CTL $1 "*) echo "${l#KT-CTL "$1" }"; exit 0 ;; esac
    done' kt-ctl "$_hid" "$_hv" "$_hn" "$KT_CTL_TTY" < "$KT_CTL_TTY")
  rmdir "$_hl"
  echo "${_ha:-no answer within ${_ht}s}"
  [ "${_ha%% *}" = ok ]
}

# on_peer CMD: run CMD on the other guest (its driver serves a shell on KT_CMD_PORT);
# the output is printed, the last line the remote status, which is returned
on_peer() {
  _po=$(printf '%s\necho "KT-RC=$?"\nexit\n' "$*" | timeout 120 nc "$PEER_IP" "$KT_CMD_PORT" 2>&1)
  printf '%s\n' "$_po" | grep -v '^KT-RC='
  _prc=$(printf '%s\n' "$_po" | sed -n 's/^KT-RC=//p' | tail -n 1)
  return "${_prc:-255}"
}

crm_xml() { crm_mon -1 --output-as=xml 2>/dev/null; }
node_online() { crm_xml | grep -qE "<node name=\"$1\" [^>]*online=\"true\""; }
nodes_online() { [ "$(crm_xml | grep -cE '<node name="[^"]*" [^>]*online="true"')" = "$1" ]; }
dc_present() { crm_xml | grep -q '<current_dc present="true"'; }
node_offline() { crm_xml | grep -qE "<node name=\"$1\" [^>]*online=\"false\""; }
rsc_running_on() { crm_resource --locate -r "$1" 2>/dev/null | grep -q "running on: $2\$"; }
# rsc_started_on PRIMITIVE NODE: crm_mon shows an instance of PRIMITIVE (a clone's
# primitive, e.g. fs) in the role Started on NODE, its start finished (crm_resource
# --locate already names a node where the start is still running)
rsc_started_on() {
  crm_xml | awk -v r="$1" -v n="$2" '
    /<resource / { id = ""; role = ""
      if (match($0, / id="[^"]*"/)) id = substr($0, RSTART + 5, RLENGTH - 6)
      if (match($0, / role="[^"]*"/)) role = substr($0, RSTART + 7, RLENGTH - 8)
      if ($0 ~ / pending="/) role = "pending" }
    /<\/resource>/ { id = "" }
    /<node name="/ && id == r && role == "Started" && index($0, "name=\"" n "\"") { f = 1 }
    END { exit !f }'
}
# peer_mounted DIR: an OCFS2 volume is mounted on DIR on the other guest
peer_mounted() { on_peer "grep -q ' $1 ocfs2 ' /proc/mounts" > /dev/null; }
# dlm_recovered: no lockspace of the DLM is stopped for recovery or waiting (for
# fencing, say): dlm_tool ls shows neither the kern_stop flag nor a "new status"
dlm_recovered() { ! dlm_tool ls 2>/dev/null | grep -qE 'kern_stop|^new status'; }
rsc_stopped() { ! crm_resource --locate -r "$1" 2>/dev/null | grep -q 'running on:'; }

cib_create() {
  echo "+ cibadmin --create -o $1"
  printf '%s\n' "$2" | sed 's/^/  | /'
  cibadmin --create -o "$1" --xml-text "$2" || fail "cibadmin --create -o $1 failed"
}
# cib_ops ID TIMEOUT INTERVAL: the operations of a resource: start and stop with
# TIMEOUT, a monitor every INTERVAL with TIMEOUT (XML, for a primitive)
cib_ops() {
  printf '<operations>\n'
  printf '  <op id="%s-start" name="start" interval="0s" timeout="%s"/>\n' "$1" "$2"
  printf '  <op id="%s-stop" name="stop" interval="0s" timeout="%s"/>\n' "$1" "$2"
  printf '  <op id="%s-monitor" name="monitor" interval="%s" timeout="%s"/>\n' "$1" "$3" "$2"
  printf '</operations>\n'
}
# cib_clone ID PRIMITIVE: create the clone ID of the primitive (XML) with interleave, as
# vendors run the DLM and OCFS2 (each node's instance depends on its own node's only)
cib_clone() {
  cib_create resources "<clone id=\"$1\">
<meta_attributes id=\"$1-meta\">
  <nvpair id=\"$1-interleave\" name=\"interleave\" value=\"true\"/>
</meta_attributes>
$2
</clone>"
}
crm_property() {
  run crm_attribute --type crm_config --name "$1" --update "$2"
}

# crm_wait SECONDS WHAT CMD...: wait for CMD (lib.sh wait_or_fail); on time-out show
# the cluster's state, the DLM's and the end of Pacemaker's log, and fail
crm_wait() { _cwt=$1 _cww=$2; shift 2; wait_or_fail "$_cwt" "$_cww" crm_show "$@"; }
crm_show() {
  timeout 60 crm_mon -1 -rf 2>&1 | sed 's/^/  crm_mon | /'
  if running dlm_controld; then
    { dlm_tool status; dlm_tool ls; } 2>&1 | sed 's/^/  dlm_tool | /'
  fi
  tail -n 40 "$PCMK_LOG" 2>/dev/null | sed 's/^/  log | /'
}
