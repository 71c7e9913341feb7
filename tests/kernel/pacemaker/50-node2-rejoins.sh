# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=sh
# 50-node2-rejoins: the harness boots node2 again; it rejoins the cluster, Pacemaker
# starts the dlm and Filesystem clones there, and node2 reads what node1 wrote while it
# was away.
# timeout: 900
set -eu
MNT=/mnt/shared
step "node2 boots again"
host_request start node2 || fail "the host did not boot node2"
crm_wait 420 "node2 online" node_online node2
crm_wait 420 "dlm on node2" rsc_started_on dlm node2
crm_wait 420 "fs on node2" rsc_started_on fs node2
crm_wait 300 "mounted on node2" peer_mounted "$MNT"
crm_mon -1
step "node2 reads what node1 wrote meanwhile"
got=$(on_peer "cat $MNT/after-fence")
[ "$got" = "after node2 was fenced" ] || fail "node2 read '$got'"
dlm_tool ls | tee ls.txt
assert_contains ls.txt '^members +1 2 *$'
