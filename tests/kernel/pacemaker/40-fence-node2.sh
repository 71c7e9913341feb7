# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=sh
# 40-fence-node2: node2 fails: the harness kills its QEMU (a crash, nothing fenced yet).
# node1's Pacemaker sees node2 lost, fences it through stonith:fence_kt (the agent asks
# the host, which confirms the guest is gone), the fence history shows the success; the
# DLM recovers after the fence and node1 keeps its mount: it reads and writes the
# volume, including the file node2 wrote.
# timeout: 900
set -eu
MNT=/mnt/shared
step "node2 crashes"
t0=$(now)
host_request crash node2 || fail "the host did not kill node2"
step "node1 fences node2"
crm_wait 300 "node2 offline" node_offline node2
crm_wait 420 "fencing of node2 succeeded" sh -c 'stonith_admin --history node2 2>/dev/null | grep -q "successful"'
stonith_admin --history node2 | tee history.txt
assert_contains history.txt 'reboot|off'
assert_contains history.txt 'node2'
say "node2 fenced $(elapsed "$t0")s after it crashed"
grep -E 'fence_kt' /var/log/pacemaker/fence_kt.log | tail -n 5 || true

step "node1 keeps its mount"
grep " $MNT ocfs2 " /proc/mounts || fail "$MNT is no longer mounted on node1"
crm_wait 300 "fs still on node1" rsc_started_on fs node1
# the DLM recovers once it learns node2 was fenced (dlm_controld asks Pacemaker's fencer
# through dlm_stonith); until then the volume's locks are frozen
crm_wait 300 "DLM recovery after the fence" dlm_recovered
t1=$(now)
timeout 120 sh -c "echo 'after node2 was fenced' > $MNT/after-fence && sync" ||
  fail "writing on node1 did not finish within 120 s (DLM recovery stuck?)"
say "write after the fence took $(elapsed "$t1")s"
[ "$(cat "$MNT/after-fence")" = "after node2 was fenced" ] || fail "read back differs"
timeout 60 cat "$MNT/from-node2" || fail "node2's file cannot be read on node1"
dlm_tool ls | tee ls.txt
assert_contains ls.txt '^members +1 *$'
crm_mon -1
