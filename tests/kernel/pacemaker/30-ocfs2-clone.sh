# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=sh
# 30-ocfs2-clone: node1 formats the shared disk for the pcmk stack (C mkfs.ocfs2, the
# corosync cluster's name); a cloned ocf:heartbeat:Filesystem (fstype ocfs2, interleave)
# ordered after and colocated with the dlm clone mounts it on both nodes through the C
# mount.ocfs2; a file written on node1 is read on node2 and the other way round.
# timeout: 600
set -eu
MNT=/mnt/shared
step "format (node1)"
timed mkfs run "$(cbin mkfs.ocfs2)" -q -b 4K -C 4K -N 4 --cluster-stack=pcmk \
  --cluster-name="$PCMK_CLUSTER" -L kt-shared /dev/vda
UUID=$("$(cbin tunefs.ocfs2)" -Q '%U\n' /dev/vda)
say "UUID=$UUID"

step "the Filesystem clone"
cib_clone fs-clone "<primitive id=\"fs\" class=\"ocf\" provider=\"heartbeat\" type=\"Filesystem\">
<instance_attributes id=\"fs-ia\">
  <nvpair id=\"fs-device\" name=\"device\" value=\"/dev/vda\"/>
  <nvpair id=\"fs-directory\" name=\"directory\" value=\"$MNT\"/>
  <nvpair id=\"fs-fstype\" name=\"fstype\" value=\"ocfs2\"/>
</instance_attributes>
$(cib_ops fs 180s 30s)
</primitive>"
cib_create constraints '<rsc_order id="order-dlm-fs" first="dlm-clone" then="fs-clone"/>'
cib_create constraints '<rsc_colocation id="colo-fs-dlm" rsc="fs-clone" with-rsc="dlm-clone" score="INFINITY"/>'
crm_wait 420 "fs on node1" rsc_started_on fs node1
crm_wait 420 "fs on node2" rsc_started_on fs node2
crm_wait 300 "mounted on node2" peer_mounted "$MNT"
crm_mon -1

step "mounted on both"
line=$(grep " $MNT ocfs2 " /proc/mounts) || fail "$MNT is not mounted on node1"
say "node1: $line"
case $line in *cluster_stack=pcmk*) ;; *) fail "not on the pcmk stack: $line" ;; esac
# the agent ran util-linux's mount, which ran the helper first (no raw mount(2) without
# the helper's cluster_stack= option)
! dmesg | grep -q 'cluster stack passed to mount' || fail "a mount(2) without the helper came first"
on_peer "grep ' $MNT ocfs2 ' /proc/mounts" | tee peer-mount.txt
assert_contains peer-mount.txt "cluster_stack=pcmk"
dlm_tool ls | tee ls.txt
assert_contains ls.txt "^name +$UUID$"
assert_contains ls.txt '^members +1 2 *$'

step "write on one node, read on the other"
echo "from node1 $(cat /proc/sys/kernel/random/boot_id)" > "$MNT/from-node1"
sync
want=$(cat "$MNT/from-node1")
got=$(on_peer "cat $MNT/from-node1")
[ "$got" = "$want" ] || fail "node2 read '$got', node1 wrote '$want'"
on_peer "echo from node2 \$(cat /proc/sys/kernel/random/boot_id) > $MNT/from-node2 && sync" ||
  fail "node2 could not write"
got=$(cat "$MNT/from-node2")
case $got in "from node2 "*) say "node1 reads: $got" ;; *) fail "node1 read '$got'" ;; esac
