# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=sh
# 20-dlm-clone: a cloned ocf:pacemaker:controld (interleave) starts dlm_controld on both
# nodes; each DLM is quorate and sees the other.
# timeout: 600
set -eu
step "the dlm clone"
cib_clone dlm-clone "<primitive id=\"dlm\" class=\"ocf\" provider=\"pacemaker\" type=\"controld\">
$(cib_ops dlm 180s 60s)
</primitive>"
crm_wait 420 "dlm on node1" rsc_started_on dlm node1
crm_wait 420 "dlm on node2" rsc_started_on dlm node2
crm_mon -1
step "dlm_controld on both"
running dlm_controld || fail "no dlm_controld on node1"
dlm_tool status | tee status.txt
assert_contains status.txt 'quorate 1'
assert_contains status.txt '^node 2 M '
on_peer 'pidof dlm_controld && dlm_tool status' | tee peer.txt
assert_contains peer.txt 'quorate 1'
assert_contains peer.txt '^node 1 M '
