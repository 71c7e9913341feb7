# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=sh
# 10-cluster-forms: corosync and Pacemaker on both guests form one cluster: crm_mon shows
# node1 and node2 online and a DC; corosync counts both votes.  The cluster is set up as
# vendors run OCFS2 (README.md, "Pacemaker"): fencing on, through stonith:fence_kt (the
# host kills the guest), no-quorum-policy=freeze, generous timeouts for TCG; the fence
# device starts and its agent answers list and monitor.
# timeout: 600
set -eu
step "membership"
crm_wait 300 "both nodes online" nodes_online 2
crm_wait 300 "a DC" dc_present
crm_mon -1
corosync-quorumtool -s | tee quorum.txt
assert_contains quorum.txt '^Quorate: +Yes'
assert_contains quorum.txt '^Total votes: +2'
crm_node -l | tee nodes.txt
assert_contains nodes.txt '^1 node1 member'
assert_contains nodes.txt '^2 node2 member'

step "cluster properties"
crm_property stonith-enabled true
crm_property no-quorum-policy freeze
crm_property stonith-timeout 180s
# a fenced node is reported "off" (it stays so until a case boots it again)
crm_property stonith-action off

step "the fence device"
stonith_admin --list-installed | tee agents.txt
assert_contains agents.txt '^ *fence_kt$'
cib_create resources '<primitive id="fence-kt" class="stonith" type="fence_kt">
  <instance_attributes id="fence-kt-ia">
    <nvpair id="fence-kt-hosts" name="pcmk_host_list" value="node1 node2"/>
  </instance_attributes>
  <operations>
    <op id="fence-kt-monitor" name="monitor" interval="60s" timeout="60s"/>
  </operations>
</primitive>'
crm_wait 300 "fence-kt started" sh -c 'crm_resource --locate -r fence-kt 2>/dev/null | grep -q "running on"'
crm_resource --locate -r fence-kt
crm_verify -L -V 2>&1 | tee verify.txt || fail "crm_verify -L reports errors"
# the devices that can fence node2, and whom fence-kt can fence (the agent's list)
stonith_admin --list node2 | tee devices.txt
assert_contains devices.txt '^ *fence-kt$'
stonith_admin --list-targets fence-kt | tee targets.txt
assert_contains targets.txt '^ *node2$'
